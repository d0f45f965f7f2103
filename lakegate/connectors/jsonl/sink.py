"""The ``jsonl`` sink.

Encoding of the values (one JSON object per line, written by DuckDB's JSON writer):

- top-level timestamps: ISO-8601 strings, ``2024-01-02T03:04:05.123456Z`` for timestamps with a time
  zone (converted to UTC), without the ``Z`` for naive ones;
- top-level binary columns: base64 strings;
- decimals: JSON numbers written with their exact decimal digits (``12.30``), so no precision is lost
  when read back as a decimal;
- dates: ``YYYY-MM-DD``; structs and maps: JSON objects; lists: arrays; nested timestamps and binaries
  use DuckDB's default text forms.

:meth:`JsonlSink.register_in_duckdb` reads the files back with the column types of the sink's schema,
so the view returns the values that were written.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import duckdb
import pyarrow as pa

from lakegate.connectors.base import Capabilities, Delivery
from lakegate.connectors.filelog import FileSink
from lakegate.connectors.views import duckdb_types, quote_ident, quote_literal


def _is_binary(t: pa.DataType) -> bool:
    return bool(pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t))


def json_value_sql(name: str, t: pa.DataType) -> str:
    """DuckDB SQL of column ``name`` (of Arrow type ``t``) as it is written to JSON (see the module
    docstring); shared by every sink that writes rows as JSON, so a row looks the same in each."""
    col = quote_ident(name)
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            return f"strftime({col} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ')"
        return f"strftime({col}, '%Y-%m-%dT%H:%M:%S.%f')"
    if _is_binary(t):
        return f"to_base64({col}::BLOB)"
    return col


def _json_expression(name: str, t: pa.DataType) -> str:
    value = json_value_sql(name, t)
    col = quote_ident(name)
    return col if value == col else f"{value} AS {col}"


class JsonlSink(FileSink):
    """One NDJSON file per commit; committed files are listed in ``_lakegate_commits.json``."""

    capabilities: ClassVar[Capabilities] = Capabilities(delivery=Delivery.EXACTLY_ONCE, queryable=True)
    suffix: ClassVar[str] = ".jsonl"

    def write_file(self, table: pa.Table, path: Path) -> None:
        """Write ``table`` as newline-delimited JSON (see the module docstring for the encoding)."""
        select = ", ".join(_json_expression(f.name, f.type) for f in table.schema)
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.register("__lg_rows", table)
            con.execute(f"COPY (SELECT {select} FROM __lg_rows) TO {quote_literal(str(path))} (FORMAT JSON)")
        finally:
            con.close()

    def scan_sql(self, files: list[Path], schema: pa.Schema | None) -> str:
        """``read_json`` over the committed files with the schema's column types."""
        listed = ", ".join(quote_literal(str(f)) for f in files)
        if schema is None:  # pragma: no cover - the commit log always has a schema
            return f"SELECT * FROM read_json([{listed}], format = 'newline_delimited')"
        binary = {f.name for f in schema if _is_binary(f.type)}
        types = duckdb_types(schema)
        columns = ", ".join(
            f"{quote_literal(name)}: {quote_literal('VARCHAR' if name in binary else dtype)}"
            for name, dtype in types
        )
        select = ", ".join(
            f"from_base64({quote_ident(name)}) AS {quote_ident(name)}"
            if name in binary
            else quote_ident(name)
            for name, _ in types
        )
        return (
            f"SELECT {select} FROM read_json([{listed}], format = 'newline_delimited', "
            f"columns = {{{columns}}})"
        )
