"""Compile-time questions a rule asks DuckDB while lowering: what type an expression has, and whether a
literal from the YAML is a value of a column's type.

Both bind or evaluate constants only (over an empty relation), so they cost a millisecond, never data.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from lakegate.plan.emit import lit
from lakegate.plan.typecheck import connect, infer_schema
from lakegate.schemas.schema import Schema
from lakegate.schemas.types import LType, to_duckdb

_local = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    """A per-thread scratch connection (UTC session, like the engine's)."""
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "con", None)
    if con is None:
        con = _local.con = connect()
    return con


def expression_type(e: exp.Expr, schema: Schema, *, rule: str) -> pa.DataType:
    """The Arrow type of ``e`` over columns ``schema``; a binder error is a :class:`CompileError`."""
    query = exp.select(exp.alias_(e.copy(), "v", quoted=True)).from_(exp.to_table("input", quoted=True))
    out = infer_schema(_connection(), query.sql(dialect="duckdb"), schema.to_arrow(), {}, rule=rule)
    return out.field(0).type


def sql_type(t: LType) -> exp.DataType:
    return exp.DataType.build(to_duckdb(t), dialect="duckdb")


def literal_problem(value: Any, t: LType) -> str | None:
    """Why the YAML value ``value`` is not (exactly) a value of type ``t``; None when it is.

    Strings are parsed as DuckDB would (``"12"`` is a fine long), but nothing is rounded or
    truncated: ``1.5`` is not a long, ``"abc"`` not a date.
    """
    if value is None or isinstance(value, dict | list):
        return f"{value!r} is not a single value"
    kind = t.kind
    if kind == "string":
        return None
    if kind == "boolean":
        if isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in ("true", "false")):
            return None
        return f"{value!r} is not a boolean (true or false)"
    if isinstance(value, bool):
        return f"{value!r} is a boolean, not a {t}"
    if t.is_numeric:
        if t.is_integer and _has_fraction(value):
            return f"{value!r} is not a whole number"
    elif kind in ("date", "timestamp", "timestamp_ntz"):
        if not isinstance(value, str):
            return f"{value!r} is not a {t} (write it as a quoted ISO-8601 string)"
    else:
        return f"literal values of type {t} are not supported"
    query = f"SELECT TRY_CAST({lit(value).sql(dialect='duckdb')} AS {to_duckdb(t)}) IS NOT NULL"
    row = _connection().execute(query).fetchone()
    if not row or not row[0]:
        return f"{value!r} is not a valid {t}"
    return None


def _has_fraction(value: Any) -> bool:
    if isinstance(value, float):
        return not value.is_integer()
    if isinstance(value, str):
        try:
            int(value.strip())
            return False
        except ValueError:
            pass
        try:
            return not float(value).is_integer()
        except ValueError:
            return False  # not a number at all: DuckDB's cast says so
    return False
