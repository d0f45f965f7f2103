"""Moving Arrow tables in and out of PostgreSQL with ``COPY … (FORMAT csv)``, vectorised.

Loading: the Arrow table is written as CSV by pyarrow's C++ writer in blocks of rows (no Python per
record). Strings are always quoted and nulls are empty and unquoted, which is exactly how
PostgreSQL's CSV format tells an empty string from NULL. Columns CSV cannot carry are converted
first, by DuckDB, in one vectorised pass: binary → ``\\x<hex>`` (bytea's hex input), struct / list /
map → JSON text (``jsonb`` input).

Reading: ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` is parsed by pyarrow's CSV reader into string
columns, which DuckDB casts to the lakegate types (JSON back into structs, lists and maps).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from lakegate.connectors.postgres.schema import is_binary, is_nested
from lakegate.connectors.views import quote_ident
from lakegate.schemas.types import LType, to_arrow, to_duckdb

BLOCK_ROWS = 64 * 1024
"""Rows per CSV block handed to ``COPY`` (bounds the extra memory of a load)."""

_WRITE_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=BLOCK_ROWS, quoting_style="needed")


def private_duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for conversions (UTC, so instants print with ``+00``)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _to_text_columns(table: pa.Table, con: duckdb.DuckDBPyConnection) -> pa.Table:
    """``table`` ready for the CSV writer: binary and nested columns as the text PostgreSQL parses.

    Instants (timestamps with a zone) are written without it: they are UTC, the loading session's
    TimeZone is UTC (see ``connection.SESSION_SETTINGS``), and Arrow formats zoned timestamps about
    15 times slower than plain ones.
    """
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            plain = pa.timestamp(f.type.unit)
            table = table.set_column(i, pa.field(f.name, plain), table.column(i).cast(plain))
    exprs: dict[str, str] = {}
    for f in table.schema:
        if is_binary(f.type):
            exprs[f.name] = f"'\\x' || hex({quote_ident(f.name)})"
        elif is_nested(f.type):
            exprs[f.name] = f"CAST(to_json({quote_ident(f.name)}) AS VARCHAR)"
    if not exprs:
        return table
    source = table.select(list(exprs))
    con.register("__lg_copy_in", source)
    try:
        select = ", ".join(f"{e} AS {quote_ident(n)}" for n, e in exprs.items())
        converted = con.execute(f"SELECT {select} FROM __lg_copy_in").to_arrow_table()
    finally:
        con.unregister("__lg_copy_in")
    for name in exprs:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, pa.field(name, pa.string()), converted.column(name))
    return table


def csv_blocks(table: pa.Table, con: duckdb.DuckDBPyConnection) -> Iterator[pa.Buffer]:
    """``table`` as CSV (no header) in blocks of up to :data:`BLOCK_ROWS` rows, ready for ``COPY``."""
    text = _to_text_columns(table, con)
    for start in range(0, text.num_rows, BLOCK_ROWS):
        out = pa.BufferOutputStream()
        pacsv.write_csv(text.slice(start, BLOCK_ROWS), out, _WRITE_OPTIONS)
        yield out.getvalue()


def last_per_key(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """The last row of each key, in input order (an upsert within one commit: the last one wins)."""
    if table.num_rows < 2:
        return table
    order = pa.array(np.arange(table.num_rows, dtype=np.int64))
    last = table.select(list(keys)).append_column("__lg_i", order).group_by(list(keys), use_threads=False)
    picked = last.aggregate([("__lg_i", "max")]).column("__lg_i_max")
    if len(picked) == table.num_rows:
        return table
    return table.take(np.sort(picked.to_numpy()))


def read_csv(
    data: bytes, columns: Sequence[tuple[str, LType, bool]], con: duckdb.DuckDBPyConnection
) -> pa.Table:
    """Parse ``COPY (SELECT <columns> …) TO STDOUT (FORMAT csv)`` output into a table with the columns' lakegate types.

    ``columns`` are ``(name, type, nullable)`` in the order of the SELECT list.
    """
    names = [n for n, _, _ in columns]
    if data:
        raw = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=min(max(len(data) + 1, 1 << 20), 1 << 30)
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    else:
        raw = pa.schema([pa.field(n, pa.string()) for n in names]).empty_table()
    exprs = []
    for name, ltype, _ in columns:
        q = quote_ident(name)
        if ltype.kind == "string":
            expr = q
        elif ltype.kind == "binary":
            expr = f"unhex(substr({q}, 3))"
        elif ltype.kind in ("struct", "list", "map"):
            expr = f"CAST(CAST({q} AS JSON) AS {to_duckdb(ltype)})"
        else:
            expr = f"CAST({q} AS {to_duckdb(ltype)})"
        exprs.append(f"{expr} AS {q}")
    con.register("__lg_copy_out", raw)
    try:
        typed = con.execute(f"SELECT {', '.join(exprs)} FROM __lg_copy_out").to_arrow_table()
    finally:
        con.unregister("__lg_copy_out")
    schema = pa.schema([pa.field(n, to_arrow(t), nullable) for n, t, nullable in columns])
    return typed.cast(schema)
