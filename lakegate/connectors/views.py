"""Small DuckDB helpers shared by the sinks' :meth:`~lakegate.connectors.base.Sink.register_in_duckdb`."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB, doubling embedded double quotes."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote an SQL string literal for DuckDB."""
    return "'" + text.replace("'", "''") + "'"


def duckdb_types(schema: pa.Schema) -> list[tuple[str, str]]:
    """``(column, DuckDB type)`` for each field of ``schema``, as DuckDB itself maps Arrow types."""
    con = duckdb.connect()
    try:
        con.register("__lg_empty", schema.empty_table())
        rows = con.execute("DESCRIBE __lg_empty").fetchall()
    finally:
        con.close()
    return [(str(row[0]), str(row[1])) for row in rows]


def create_view(con: Any, view: str, select_sql: str) -> None:
    """Create (or replace) the view ``view`` over ``select_sql``."""
    con.execute(f"CREATE OR REPLACE VIEW {quote_ident(view)} AS {select_sql}")


def create_empty_view(con: Any, view: str, schema: pa.Schema) -> None:
    """Create a view with the columns of ``schema`` and no rows (a sink that never committed)."""
    columns = ", ".join(
        f"CAST(NULL AS {dtype}) AS {quote_ident(name)}" for name, dtype in duckdb_types(schema)
    )
    create_view(con, view, f"SELECT {columns or '1 AS _empty'} WHERE false")
