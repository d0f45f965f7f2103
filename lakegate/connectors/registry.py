"""Which class implements each sink type.

Built-in sinks are named in :data:`BUILTIN_SINKS` as ``"module:Class"`` strings and imported only
when used, so validating a spec never imports pyiceberg or other heavy dependencies. Third-party sinks
register through the entry-point group ``lakegate.sinks``::

    [project.entry-points."lakegate.sinks"]
    mysink = "my_package.sink:MySink"
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points

from pydantic import BaseModel

from lakegate.connectors.base import Sink
from lakegate.connectors.duckdb.config import DuckDBSinkConfig
from lakegate.connectors.iceberg.config import IcebergSinkConfig
from lakegate.connectors.jsonl.config import JsonlSinkConfig
from lakegate.connectors.kafka.sink_config import KafkaSinkConfig
from lakegate.connectors.parquet.config import ParquetSinkConfig
from lakegate.connectors.postgres.config import PostgresSinkConfig
from lakegate.connectors.stdout.config import StdoutSinkConfig
from lakegate.errors import RegistryError

SINK_ENTRY_POINT_GROUP = "lakegate.sinks"

BUILTIN_SINKS: dict[str, str] = {
    "iceberg": "lakegate.connectors.iceberg.sink:IcebergSink",
    "parquet": "lakegate.connectors.parquet.sink:ParquetSink",
    "jsonl": "lakegate.connectors.jsonl.sink:JsonlSink",
    "duckdb": "lakegate.connectors.duckdb.sink:DuckDBSink",
    "postgres": "lakegate.connectors.postgres.sink:PostgresSink",
    "stdout": "lakegate.connectors.stdout.sink:StdoutSink",
    "kafka": "lakegate.connectors.kafka.sink:KafkaSink",
}
"""Sink type name → ``"module:Class"`` of its implementation."""

SINK_CONFIG_MODELS: tuple[type[BaseModel], ...] = (
    IcebergSinkConfig,
    ParquetSinkConfig,
    JsonlSinkConfig,
    DuckDBSinkConfig,
    PostgresSinkConfig,
    StdoutSinkConfig,
    KafkaSinkConfig,
)
"""Config models of the built-in sinks, discriminated on ``type`` (for the spec's union)."""


_OPTIONAL_DEPENDENCIES: dict[str, tuple[str, str, str]] = {
    "lakegate.connectors.iceberg": ("pyiceberg", "iceberg", "the Iceberg sink"),
    "lakegate.connectors.postgres": ("psycopg", "postgres", "the PostgreSQL sink"),
    "lakegate.connectors.kafka": ("confluent_kafka", "kafka", "the Kafka sink"),
}
"""Built-in sink package → (module it needs, extra that installs it, what needs it)."""


def _plugin_sinks() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=SINK_ENTRY_POINT_GROUP)}


def available_sinks() -> list[str]:
    """Every known sink type name: built-ins and installed plug-ins."""
    return sorted({*BUILTIN_SINKS, *_plugin_sinks()})


def _import(target: str, type_name: str) -> object:
    module_name, _, attr = target.partition(":")
    try:
        obj: object = importlib.import_module(module_name)
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"cannot load sink type {type_name!r} from {target!r}: {exc}") from exc
    return obj


def load_sink_class(type_name: str) -> type[Sink]:
    """The :class:`Sink` subclass for ``type_name``; :class:`RegistryError` when unknown.

    A missing optional dependency of a built-in sink surfaces as
    :class:`~lakegate.errors.MissingDependencyError` with the ``pip install`` line.
    """
    if type_name in BUILTIN_SINKS:
        target = BUILTIN_SINKS[type_name]
    else:
        plugins = _plugin_sinks()
        if type_name not in plugins:
            known = available_sinks()
            close = difflib.get_close_matches(type_name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known sink types: {', '.join(known)}"
            raise RegistryError(f"unknown sink type {type_name!r}", hint=hint)
        target = plugins[type_name]
    for package, (module, extra, purpose) in _OPTIONAL_DEPENDENCIES.items():
        if target.split(":")[0].startswith(package):
            # An optional extra: report it with the install line, not as a bare ImportError.
            from lakegate._optional import require

            require(module, extra, purpose=purpose)
    cls = _import(target, type_name)
    if not (isinstance(cls, type) and issubclass(cls, Sink)):
        raise RegistryError(f"sink type {type_name!r} ({target}) is not a lakegate Sink class")
    return cls
