"""A :class:`~lakegate.engine.flink.statements.TableFactory` on Flink's filesystem connector.

Sources read JSON lines. With ``envelope=True`` each line is an object ``{"payload": "<the record's
JSON text>", "stream": ..., "index": ..., <metadata keys>: ...}``, so a job sees exactly the
coordinates the embedded engine would (the parity tests use this); otherwise each line is one raw
record, its stream is the file path and its index is unknown (NULL). Sinks and the DLQ write JSON
lines (timestamps in ISO-8601, decimals as plain numbers) under ``root/<table>``.
"""

from __future__ import annotations

from pathlib import Path

from lakegate.engine.flink.dialect import quote
from lakegate.engine.flink.statements import PAYLOAD_UTF8, FlinkColumn, payload_from_bytes
from lakegate.plan.model import SinkPlan, SourcePlan

JSON_OPTIONS = {
    "format": "json",
    "json.timestamp-format.standard": "ISO-8601",
    "json.encode.decimal-as-plain-number": "true",
}


def _with(options: dict[str, str]) -> str:
    return "WITH (\n" + ",\n".join(f"  '{k}' = '{v}'" for k, v in options.items()) + "\n)"


class FilesystemTables:
    """Sources are folders ``inputs[source]`` (default ``root/<source>``); sinks are ``root/<table>``."""

    def __init__(self, root: Path, inputs: dict[str, Path] | None = None, *, envelope: bool = False) -> None:
        self.root = Path(root)
        self.inputs = dict(inputs or {})
        self.envelope = envelope

    def source_table(
        self, source: SourcePlan, table: str, payload_column: str, metadata: dict[str, FlinkColumn]
    ) -> str:
        path = self.inputs.get(source.name, self.root / source.name)
        if self.envelope:
            physical = [f"{quote('payload')} STRING", *(f"{quote(k)} {c.type_sql}" for k, c in metadata.items())]
            computed = [f"{quote(c.name)} AS {quote(k)}" for k, c in metadata.items()]
            if payload_column != "payload":
                computed.append(f"{quote(payload_column)} AS {quote('payload')}")
            computed.append(f"{quote(PAYLOAD_UTF8)} AS TRUE")  # text in a JSON envelope is valid UTF-8
            options = {"connector": "filesystem", "path": str(path), "format": "json"}
        else:
            physical = [f"{quote(name)} {definition}" for name, definition in payload_from_bytes(payload_column)]
            physical.append(f"{quote('__lg_file_path')} STRING NOT NULL METADATA FROM 'file.path' VIRTUAL")
            computed = []
            for key, c in metadata.items():
                value = quote("__lg_file_path") if key in ("stream", "file") else f"CAST(NULL AS {c.type_sql})"
                computed.append(f"{quote(c.name)} AS {value}")
            options = {"connector": "filesystem", "path": str(path), "format": "raw"}
        columns = ",\n  ".join([*physical, *computed])
        return f"CREATE TEMPORARY TABLE {quote(table)} (\n  {columns}\n) {_with(options)}"

    def _json_table(self, table: str, columns: list[FlinkColumn]) -> list[str]:
        body = ",\n  ".join(f"{quote(c.name)} {c.type_sql}" for c in columns)
        options = {"connector": "filesystem", "path": str(self.root / table), **JSON_OPTIONS}
        return [f"CREATE TEMPORARY TABLE {quote(table)} (\n  {body}\n) {_with(options)}"]

    def sink_table(self, sink: SinkPlan, table: str, columns: list[FlinkColumn]) -> list[str]:
        return self._json_table(table, columns)

    def dlq_table(self, table: str, columns: list[FlinkColumn]) -> list[str]:
        return self._json_table(table, columns)
