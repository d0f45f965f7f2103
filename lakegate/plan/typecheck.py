"""Type inference by binding: DuckDB's binder checks the emitted SQL against the input schema.

The query runs over an empty relation of the input's Arrow schema, which binds every column and
function (unknown names, wrong argument types) and yields the exact output types, without data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import duckdb
import pyarrow as pa

from lakegate.errors import CompileError

_NOISE = re.compile(r"\n\nLINE \d+:.*", re.S)
_PLACEHOLDER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def connect(threads: int = 1) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with lakegate's session settings (UTC, bounded threads)."""
    con = duckdb.connect(config={"threads": threads})
    con.execute("SET TimeZone = 'UTC'")
    return con


def infer_schema(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    input_schema: pa.Schema,
    params: Mapping[str, str],
    *,
    rule: str,
) -> pa.Schema:
    """The Arrow schema of ``sql`` over an empty ``input`` of ``input_schema``."""
    empty = pa.Table.from_batches([], schema=input_schema)
    con.register("input", empty)
    try:
        # Values do not matter for typing: a placeholder without a value binds as ''.
        used = {k: params.get(k, "") for k in _PLACEHOLDER.findall(sql)}
        return con.execute(sql, used).to_arrow_table().schema
    except duckdb.Error as exc:
        message = _NOISE.sub("", str(exc)).strip()
        raise CompileError(f"does not type-check: {message}", rule=rule) from None
    finally:
        con.unregister("input")
