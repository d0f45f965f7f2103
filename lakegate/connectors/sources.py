"""The registry of source types.

Built-in sources are named in :data:`SOURCE_LOADERS` as ``"module:Class"`` strings and imported only
when a pipeline uses them; third-party packages add sources through the ``lakegate.sources``
entry-point group (``my_type = "my_pkg.module:MySource"``). This module imports nothing heavy, so a
spec can be validated without loading any connector.
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from lakegate.connectors.files.config import FilesSourceConfig
from lakegate.connectors.kafka.config import KafkaSourceConfig
from lakegate.errors import MissingDependencyError, RegistryError

if TYPE_CHECKING:
    from lakegate.connectors.base import Source

ENTRY_POINT_GROUP = "lakegate.sources"
"""Entry-point group through which other packages register source types."""

SOURCE_LOADERS: dict[str, str] = {
    "files": "lakegate.connectors.files.source:FilesSource",
    "kafka": "lakegate.connectors.kafka.source:KafkaSource",
}
"""Built-in source type → ``"module:Class"`` of its implementation."""

SOURCE_CONFIG_MODELS = (FilesSourceConfig, KafkaSourceConfig)
"""Config models of the built-in sources (members of the spec's discriminated union on ``type``)."""


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def source_types() -> list[str]:
    """Every known source type name: built-ins and entry points."""
    return sorted(set(SOURCE_LOADERS) | set(_entry_points()))


def load_source_class(type_name: str) -> type[Source]:
    """Import and return the :class:`~lakegate.connectors.base.Source` subclass of ``type_name``.

    Raises :class:`~lakegate.errors.RegistryError` for an unknown name (with the closest known names
    as a hint) or an implementation that cannot be imported; a missing optional dependency surfaces
    as :class:`~lakegate.errors.MissingDependencyError` with its ``pip install`` line.
    """
    from lakegate.connectors.base import Source

    target = SOURCE_LOADERS.get(type_name)
    try:
        if target is not None:
            module_name, _, attr = target.partition(":")
            loaded = getattr(importlib.import_module(module_name), attr)
        else:
            entry = _entry_points().get(type_name)
            if entry is None:
                raise _unknown(type_name)
            target = entry.value
            loaded = entry.load()
    except (MissingDependencyError, RegistryError):
        raise
    except (ImportError, AttributeError) as exc:
        raise RegistryError(
            f"cannot load source type {type_name!r} from {target!r}: {exc}",
            hint="reinstall the package that provides it",
        ) from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Source)):
        raise RegistryError(
            f"source type {type_name!r} ({target}) is not a lakegate Source subclass",
            hint="an entry point in the 'lakegate.sources' group must name a Source subclass",
        )
    return loaded


def _unknown(type_name: str) -> RegistryError:
    known = source_types()
    close = difflib.get_close_matches(type_name, known, n=3)
    if close:
        hint = "did you mean " + " or ".join(repr(name) for name in close) + "?"
    else:
        hint = "known source types: " + ", ".join(known)
    return RegistryError(f"unknown source type {type_name!r}", hint=hint)
