"""Arrow ↔ PostgreSQL column types for the ``postgres`` sink.

Writing: each Arrow field becomes a column of the type :func:`column_type` names, spelled as
PostgreSQL's ``format_type()`` prints it, so an existing table can be compared with what lakegate
would create. Nested values (struct, list, map) are stored as ``jsonb``; such a column carries a
comment ``lakegate type: <type>`` (e.g. ``lakegate type: struct<city: string, zip: int>``) so
readers (``lakegate query``) can turn the JSON back into the typed value.

Reading: :func:`read_type` gives the lakegate type of any column, including tables lakegate did
not create (unknown PostgreSQL types are read as their text form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from lakegate.errors import SchemaError
from lakegate.schemas.types import LType, from_arrow, parse_type

COMMENT_PREFIX = "lakegate type: "
JSONB = "jsonb"
MAX_NUMERIC_PRECISION = 1000


@dataclass(frozen=True)
class Column:
    """A column of an existing table, as the catalog describes it."""

    name: str
    type: str
    """``format_type(atttypid, atttypmod)``, e.g. ``numeric(10,2)`` or ``timestamp with time zone``."""
    nullable: bool
    comment: str | None = None


def is_nested(dtype: pa.DataType) -> bool:
    """True for the Arrow types stored as ``jsonb``."""
    return bool(
        pa.types.is_struct(dtype)
        or pa.types.is_map(dtype)
        or pa.types.is_list(dtype)
        or pa.types.is_large_list(dtype)
        or pa.types.is_fixed_size_list(dtype)
    )


def is_binary(dtype: pa.DataType) -> bool:
    """True for the Arrow types stored as ``bytea``."""
    return bool(
        pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype) or pa.types.is_fixed_size_binary(dtype)
    )


def column_type(dtype: pa.DataType) -> str:
    """The PostgreSQL type (``format_type`` spelling) of a column holding ``dtype`` values.

    Raises :class:`~lakegate.errors.SchemaError` for a type PostgreSQL cannot hold.
    """
    t = pa.types
    if t.is_dictionary(dtype):
        return column_type(dtype.value_type)
    if t.is_string(dtype) or t.is_large_string(dtype) or t.is_string_view(dtype) or t.is_null(dtype):
        return "text"
    if t.is_boolean(dtype):
        return "boolean"
    if t.is_integer(dtype):
        width = dtype.bit_width + (0 if t.is_signed_integer(dtype) else 1)
        if width <= 16:
            return "smallint"
        if width <= 32:
            return "integer"
        return "bigint" if width <= 64 else "numeric(20,0)"
    if t.is_float16(dtype) or t.is_float32(dtype):
        return "real"
    if t.is_float64(dtype):
        return "double precision"
    if t.is_decimal(dtype):
        if dtype.precision > MAX_NUMERIC_PRECISION:
            raise SchemaError(f"{dtype} exceeds PostgreSQL's numeric precision ({MAX_NUMERIC_PRECISION})")
        return f"numeric({dtype.precision},{dtype.scale})"
    if t.is_date(dtype):
        return "date"
    if t.is_timestamp(dtype):
        return "timestamp with time zone" if dtype.tz else "timestamp without time zone"
    if t.is_time(dtype):
        return "time without time zone"
    if is_binary(dtype):
        return "bytea"
    if is_nested(dtype):
        return JSONB
    raise SchemaError(f"the Arrow type {dtype} cannot be stored in PostgreSQL")


def json_comment(dtype: pa.DataType) -> str:
    """The column comment recording the lakegate type of a ``jsonb`` column."""
    return COMMENT_PREFIX + str(from_arrow(dtype))


_ACCEPTS: dict[str, tuple[str, ...]] = {
    "text": ("text", "character varying", "character", "citext"),
    "smallint": ("smallint", "integer", "bigint", "numeric"),
    "integer": ("integer", "bigint", "numeric"),
    "bigint": ("bigint", "numeric"),
    "real": ("real", "double precision"),
    JSONB: (JSONB, "json"),
}
"""Column types that can hold a wanted type without loss, besides the type itself."""


def _base(pg_type: str) -> str:
    """``pg_type`` without type modifiers: ``numeric(10,2)`` → ``numeric``."""
    return re.sub(r"\([^)]*\)", "", pg_type).strip()


def compatible(wanted: str, have: str) -> bool:
    """True when a column of type ``have`` can hold the values of a wanted column type."""
    if wanted == have:
        return True
    base = _base(have)
    if wanted.startswith("numeric("):
        if have == "numeric":
            return True
        m = re.fullmatch(r"numeric\((\d+),(\d+)\)", have)
        w = re.fullmatch(r"numeric\((\d+),(\d+)\)", wanted)
        return bool(m and w and int(m[2]) == int(w[2]) and int(m[1]) >= int(w[1]))
    return base in _ACCEPTS.get(wanted, ())


def schema_problems(schema: pa.Schema, existing: list[Column]) -> list[str]:
    """Why rows of ``schema`` cannot go into a table with columns ``existing`` (empty when they can).

    Every field needs a column of a compatible type; a NOT NULL column must be written.
    """
    have = {c.name: c for c in existing}
    problems: list[str] = []
    for f in schema:
        column = have.get(f.name)
        if column is None:
            problems.append(f"column {f.name!r} is missing from the table")
            continue
        wanted = column_type(f.type)
        if not compatible(wanted, column.type):
            problems.append(f"column {f.name!r} is {wanted} but the table has {column.type}")
    problems += [
        f"required column {c.name!r} of the table is not written"
        for c in existing
        if c.name not in schema.names and not c.nullable
    ]
    return problems


_READ_TYPES = {
    "text": "string", "character varying": "string", "character": "string", "citext": "string",
    "boolean": "boolean", "smallint": "int", "integer": "int", "bigint": "long", "real": "float",
    "double precision": "double", "date": "date", "timestamp with time zone": "timestamp",
    "timestamp without time zone": "timestamp_ntz", "bytea": "binary",
}  # fmt: skip


def read_type(column: Column) -> LType:
    """The lakegate type a reader gives ``column`` (a ``jsonb`` column without our comment: text)."""
    base = _base(column.type)
    if base in _READ_TYPES:
        return parse_type(_READ_TYPES[base])
    if base == "numeric":
        m = re.fullmatch(r"numeric\((\d+),(\d+)\)", column.type)
        if m and int(m[1]) <= 38:
            return LType("decimal", precision=int(m[1]), scale=int(m[2]))
        return parse_type("double")
    if base in (JSONB, "json") and column.comment and column.comment.startswith(COMMENT_PREFIX):
        try:
            return parse_type(column.comment[len(COMMENT_PREFIX) :].strip())
        except SchemaError:
            pass
    return parse_type("string")
