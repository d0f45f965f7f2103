"""Record metadata of the job's sources: lakegate's metadata keys computed from the Flink connector's.

The emitter asks every source table for ``stream`` and ``index`` (a record's coordinates in DLQ rows)
and for the source's own keys. Each connector metadata key that is needed is declared once, as a
``METADATA FROM '<key>' VIRTUAL`` column named ``__lg_md_<key>``; every lakegate key is then a computed
column over those, cast to the type the emitter asked for. The expressions give the values of the
embedded engine (:mod:`lakegate.connectors.kafka.batch`, :mod:`lakegate.connectors.files`):

- Kafka: ``stream`` is ``<topic>/<partition>``, ``index`` the offset; ``topic``, ``partition``,
  ``offset`` and ``timestamp`` (``TIMESTAMP_LTZ(3)``) as they are; ``headers`` (Flink: ``MAP<STRING,
  BYTES>``) as a JSON object text of name → UTF-8 text, NULL for a message without headers:
  ``JSON_STRING`` sorts the names and Java replaces invalid UTF-8, which is how the embedded engine
  writes the text too (:mod:`lakegate.connectors.kafka.headers`; compared with Flink in
  ``tests/parity/test_kafka_text_parity.py``).
  ``key`` is not metadata on Flink: the factory reads it as a physical column (raw key format).
- Files: ``stream`` and ``file`` are the file's path, ``index`` is unknown (NULL; the embedded
  engine counts lines, which Flink's filesystem source does not expose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakegate.engine.flink.deploy.sqltext import ident, literal
from lakegate.errors import CompileError

if TYPE_CHECKING:
    from lakegate.engine.flink.statements import FlinkColumn

_REFERENCE = re.compile(r"\{([a-z.\-]+)\}")


@dataclass(frozen=True)
class ConnectorMetadata:
    """What a Flink connector offers and how lakegate's metadata keys are computed from it."""

    types: dict[str, str]
    """Connector metadata key → its Flink type."""
    keys: dict[str, str]
    """lakegate metadata key → SQL expression over connector keys, each written ``{key}``."""

    def columns(self, source: str, metadata: dict[str, FlinkColumn]) -> list[tuple[str, str]]:
        """(name, definition) of the ``METADATA`` columns and the computed columns for ``metadata``
        (lakegate key → the column the emitter asked for); unknown keys are a :class:`CompileError`."""
        unknown = [key for key in metadata if key not in self.keys]
        if unknown:
            raise CompileError(
                f"metadata {unknown[0]!r} is not available from this source on Flink",
                hint=f"available: {', '.join(sorted(self.keys))}",
                source=source,
            )
        needed = dict.fromkeys(r for key in metadata for r in _REFERENCE.findall(self.keys[key]))
        declared = [(connector_column(r), f"{self.types[r]} METADATA FROM {literal(r)} VIRTUAL") for r in needed]
        computed = [
            (column.name, f"AS CAST({_expand(self.keys[key])} AS {column.type_sql})") for key, column in metadata.items()
        ]
        return declared + computed


def connector_column(key: str) -> str:
    """The name of the ``METADATA`` column holding connector metadata ``key``."""
    return "__lg_md_" + re.sub(r"[^a-z0-9]", "_", key)


def _expand(expression: str) -> str:
    return _REFERENCE.sub(lambda m: ident(connector_column(m.group(1))), expression)


HEADERS_JSON = (
    "CASE WHEN CARDINALITY({headers}) = 0 THEN CAST(NULL AS STRING) "
    "ELSE JSON_STRING(CAST({headers} AS MAP<STRING, STRING>)) END"
)
"""Kafka headers as the embedded engine gives them: a JSON object of name → UTF-8 text, or NULL."""

KAFKA = ConnectorMetadata(
    types={"topic": "STRING NOT NULL", "partition": "INT NOT NULL", "offset": "BIGINT NOT NULL",
           "timestamp": "TIMESTAMP_LTZ(3) NOT NULL", "headers": "MAP<STRING, BYTES> NOT NULL"},
    keys={"stream": "{topic} || '/' || CAST({partition} AS STRING)", "index": "{offset}",
          "topic": "{topic}", "partition": "{partition}", "offset": "{offset}", "timestamp": "{timestamp}",
          "headers": HEADERS_JSON},
)  # fmt: skip
"""Flink's Kafka connector (``key`` is read as a physical column, see the factory)."""

FILES = ConnectorMetadata(
    types={"file.path": "STRING NOT NULL"},
    keys={"stream": "{file.path}", "index": "NULL", "file": "{file.path}"},
)
"""Flink's filesystem connector."""
