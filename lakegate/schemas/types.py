"""The lakegate type system.

Types are written in pipeline YAML as ``string``, ``boolean``, ``int``, ``long``, ``float``,
``double``, ``decimal(p,s)``, ``date``, ``timestamp`` (an instant, stored in UTC with microseconds),
``timestamp_ntz`` (a wall-clock time without zone), ``binary``, ``struct<name: type, ...>``, ``list<type>`` and ``map<key, value>``. Arrow is the pivot
representation: every engine type is mapped through :func:`to_arrow` / :func:`from_arrow`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from lakegate.errors import SchemaError

PRIMITIVES = (
    "string", "boolean", "int", "long", "float", "double", "date", "timestamp", "timestamp_ntz",
    "binary",
)  # fmt: skip
ALIASES = {
    "str": "string", "varchar": "string", "text": "string", "bool": "boolean", "integer": "int",
    "bigint": "long", "int64": "long", "int32": "int", "real": "float", "float64": "double",
    "bytes": "binary", "timestamptz": "timestamp", "timestamp_tz": "timestamp",
}  # fmt: skip
ALL_TYPE_NAMES = (*PRIMITIVES, "decimal(p,s)", "struct<...>", "list<...>", "map<...>")


@dataclass(frozen=True)
class LType:
    """A lakegate type. ``kind`` is a primitive name or ``decimal``/``struct``/``list``/``map``."""

    kind: str
    precision: int = 0
    scale: int = 0
    fields: tuple[tuple[str, LType], ...] = ()
    element: LType | None = None
    key: LType | None = None
    value: LType | None = None

    def __str__(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.kind == "struct":
            return "struct<" + ", ".join(f"{n}: {t}" for n, t in self.fields) + ">"
        if self.kind == "list":
            return f"list<{self.element}>"
        if self.kind == "map":
            return f"map<{self.key}, {self.value}>"
        return self.kind

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("int", "long", "float", "double", "decimal")

    @property
    def is_integer(self) -> bool:
        return self.kind in ("int", "long")

    @property
    def is_nested(self) -> bool:
        return self.kind in ("struct", "list", "map")


STRING = LType("string")
BOOLEAN = LType("boolean")
INT = LType("int")
LONG = LType("long")
DOUBLE = LType("double")
TIMESTAMP = LType("timestamp")
DATE = LType("date")


class _TypeParser:
    """A small recursive-descent parser for type strings."""

    _token = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\d+|[<>(),:])")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = self._token.match(text, pos)
            if not m:
                raise self._error(f"unexpected character {text[pos:].strip()[0]!r}")
            self.tokens.append(m.group(1))
            pos = m.end()
        self.i = 0

    def _error(self, what: str) -> SchemaError:
        return SchemaError(
            f"invalid type {self.text!r}: {what}",
            hint="types are " + ", ".join(ALL_TYPE_NAMES),
        )

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise self._error(f"expected {expected or 'a type'}, found {tok or 'the end'}")
        self.i += 1
        return tok

    def parse(self) -> LType:
        t = self.type_()
        if self.peek() is not None:
            raise self._error(f"unexpected {self.peek()!r}")
        return t

    def type_(self) -> LType:
        name = self.take().lower()
        name = ALIASES.get(name, name)
        if name in PRIMITIVES:
            return LType(name)
        if name in ("decimal", "numeric"):
            self.take("(")
            precision = int(self.take())
            scale = 0
            if self.peek() == ",":
                self.take(",")
                scale = int(self.take())
            self.take(")")
            if not 1 <= precision <= 38 or not 0 <= scale <= precision:
                raise self._error("decimal needs 1 <= precision <= 38 and 0 <= scale <= precision")
            return LType("decimal", precision=precision, scale=scale)
        if name in ("list", "array"):
            self.take("<")
            element = self.type_()
            self.take(">")
            return LType("list", element=element)
        if name == "map":
            self.take("<")
            key = self.type_()
            self.take(",")
            value = self.type_()
            self.take(">")
            return LType("map", key=key, value=value)
        if name == "struct":
            self.take("<")
            fields: list[tuple[str, LType]] = []
            while True:
                fname = self.take()
                self.take(":")
                fields.append((fname, self.type_()))
                if self.peek() == ",":
                    self.take(",")
                    continue
                break
            self.take(">")
            return LType("struct", fields=tuple(fields))
        from lakegate.suggest import did_you_mean

        raise self._error(f"unknown type {name!r}{did_you_mean(name, (*PRIMITIVES, 'decimal'))}")


def parse_type(text: str) -> LType:
    """Parse a type string such as ``decimal(10,2)`` or ``list<struct<a: int>>``."""
    return _TypeParser(text).parse()


_ARROW_PRIMITIVES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "timestamp_ntz": pa.timestamp("us"),
    "binary": pa.binary(),
}


def to_arrow(t: LType) -> pa.DataType:
    """The Arrow type that carries values of ``t``."""
    if t.kind in _ARROW_PRIMITIVES:
        return _ARROW_PRIMITIVES[t.kind]
    if t.kind == "decimal":
        return pa.decimal128(t.precision, t.scale)
    if t.kind == "struct":
        return pa.struct([pa.field(n, to_arrow(ft)) for n, ft in t.fields])
    if t.kind == "list":
        assert t.element is not None
        return pa.list_(to_arrow(t.element))
    assert t.key is not None and t.value is not None
    return pa.map_(to_arrow(t.key), to_arrow(t.value))


def from_arrow(dt: pa.DataType) -> LType:
    """The lakegate type of an Arrow type (as produced by DuckDB or a Python transformer)."""
    if pa.types.is_string(dt) or pa.types.is_large_string(dt) or pa.types.is_string_view(dt):
        return STRING
    if pa.types.is_boolean(dt):
        return BOOLEAN
    if pa.types.is_integer(dt):
        return INT if dt.bit_width <= 32 and pa.types.is_signed_integer(dt) else LONG
    if pa.types.is_float16(dt) or pa.types.is_float32(dt):
        return LType("float")
    if pa.types.is_float64(dt):
        return DOUBLE
    if pa.types.is_decimal(dt):
        return LType("decimal", precision=dt.precision, scale=dt.scale)
    if pa.types.is_date(dt):
        return DATE
    if pa.types.is_timestamp(dt):
        return TIMESTAMP if dt.tz else LType("timestamp_ntz")
    if pa.types.is_binary(dt) or pa.types.is_large_binary(dt) or pa.types.is_fixed_size_binary(dt):
        return LType("binary")
    if pa.types.is_struct(dt):
        return LType("struct", fields=tuple((f.name, from_arrow(f.type)) for f in dt))
    if pa.types.is_map(dt):
        return LType("map", key=from_arrow(dt.key_type), value=from_arrow(dt.item_type))
    if pa.types.is_list(dt) or pa.types.is_large_list(dt) or pa.types.is_fixed_size_list(dt):
        return LType("list", element=from_arrow(dt.value_type))
    if pa.types.is_dictionary(dt):
        return from_arrow(dt.value_type)
    if pa.types.is_null(dt):
        return STRING
    if pa.types.is_time(dt):
        return STRING
    raise SchemaError(f"the Arrow type {dt} has no lakegate equivalent")


_DUCKDB_PRIMITIVES = {
    "string": "VARCHAR", "boolean": "BOOLEAN", "int": "INTEGER", "long": "BIGINT", "float": "FLOAT",
    "double": "DOUBLE", "date": "DATE", "timestamp": "TIMESTAMPTZ", "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}  # fmt: skip


def to_duckdb(t: LType) -> str:
    """The DuckDB SQL spelling of ``t``."""
    if t.kind in _DUCKDB_PRIMITIVES:
        return _DUCKDB_PRIMITIVES[t.kind]
    if t.kind == "decimal":
        return f"DECIMAL({t.precision},{t.scale})"
    if t.kind == "struct":
        return "STRUCT(" + ", ".join(f'"{n}" {to_duckdb(ft)}' for n, ft in t.fields) + ")"
    if t.kind == "list":
        assert t.element is not None
        return f"{to_duckdb(t.element)}[]"
    assert t.key is not None and t.value is not None
    return f"MAP({to_duckdb(t.key)}, {to_duckdb(t.value)})"
