"""Rows → Kafka message keys and JSON values, in one DuckDB query per batch.

Values are encoded exactly like the ``jsonl`` sink's lines (:func:`~lakegate.connectors.jsonl.sink.
json_value_sql` per column, then ``to_json(struct_pack(...))``), so one row looks the same in every
JSON sink. The key is the user's SQL expression cast to text.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from lakegate.connectors.jsonl.sink import json_value_sql
from lakegate.connectors.views import quote_ident
from lakegate.plan.typecheck import connect

ROWS = "__lg_kafka_rows"


def parse_key(sql: str) -> None:
    """Check that ``sql`` is one scalar SQL expression (ValueError otherwise)."""
    try:
        parsed = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ValueError(
            f"not a valid SQL expression: {exc.errors[0]['description'] if exc.errors else exc}"
        ) from None
    if len(parsed) != 1 or parsed[0] is None:
        raise ValueError("must be a single SQL expression")
    node = parsed[0]
    if isinstance(node, exp.Query | exp.DDL | exp.DML | exp.Command) or node.find(exp.Query):
        raise ValueError("must be an expression over the sink's columns, not a statement or subquery")


def key_type(sql: str, schema: pa.Schema) -> pa.DataType:
    """The Arrow type of the key expression ``sql`` over rows of ``schema``; a ValueError when it
    does not bind (unknown column, wrong function) or gives a value that is not text-like."""
    parse_key(sql)
    con = connect()
    try:
        con.register(ROWS, pa.Table.from_batches([], schema=schema))
        try:
            result = con.execute(f"SELECT ({sql}) AS k FROM {ROWS}").to_arrow_table()
        except duckdb.Error as exc:
            raise ValueError(str(exc).split("\n\nLINE")[0].strip()) from None
    finally:
        con.close()
    dtype = result.schema.field("k").type
    if pa.types.is_nested(dtype) or pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype):
        raise ValueError(f"gives {dtype}, which has no text form for a message key (use a scalar)")
    return dtype


def encode_sql(schema: pa.Schema, key: str | None) -> str:
    """``SELECT key, value FROM rows``: the key as text (NULL without a key expression) and the row
    as a JSON object."""
    fields = ", ".join(f"{quote_ident(f.name)} := {json_value_sql(f.name, f.type)}" for f in schema)
    key_sql = f"CAST(({key}) AS VARCHAR)" if key is not None else "CAST(NULL AS VARCHAR)"
    return f"SELECT {key_sql} AS k, CAST(to_json(struct_pack({fields})) AS VARCHAR) AS v FROM {ROWS}"


class RowEncoder:
    """Encodes tables of one schema (one DuckDB connection, reused across batches)."""

    def __init__(self, schema: pa.Schema, key: str | None) -> None:
        self.sql = encode_sql(schema, key)
        self._con = connect()

    def encode(self, table: pa.Table) -> tuple[list[str | None], list[str]]:
        """``(keys, values)`` of the rows of ``table``, in order."""
        self._con.register(ROWS, table)
        try:
            out = self._con.execute(self.sql).to_arrow_table()
        finally:
            self._con.unregister(ROWS)
        return out.column("k").to_pylist(), out.column("v").to_pylist()

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()
