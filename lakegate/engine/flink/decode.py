"""Decode JSON records in Flink SQL into typed columns, with the embedded engine's DLQ reasons.

The source table has one ``STRING`` column with each record's JSON text. Each schema field is read
with ``JSON_QUERY(payload, path WITH ARRAY WRAPPER)``, which gives the field's JSON text in brackets
(``[12]``, ``["x"]``, ``[{"a":1}]``) or NULL when it is absent or JSON null: the first character
tells the JSON type, and the same rules as :mod:`lakegate.schemas.json_decode` (shared patterns
``INTEGER_TEXT`` / ``NUMBER_TEXT``) turn it into a value or a reason. Reasons are spelled as the
embedded engine spells them: ``malformed JSON``, ``not a JSON object``, ``missing required field f``,
``field f: expected long, got 1.5``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from lakegate.engine.flink import casts
from lakegate.engine.flink.dialect import flink_call, flink_data_type, opaque, quote
from lakegate.engine.flink.timefuncs import Unsupported, cast
from lakegate.plan.emit import col, lit
from lakegate.schemas.json_decode import INTEGER_TEXT, NUMBER_TEXT
from lakegate.schemas.schema import Schema
from lakegate.schemas.types import LType, to_duckdb

STRING = LType("string")


def json_path(parts: list[str]) -> str:
    """A JSON path reaching nested member ``parts``."""
    path = "$"
    for p in parts:
        path += f".{p}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) else f"[{json.dumps(p)}]"
    return path


@dataclass
class JsonValue:
    """One JSON value of the record, found by path: its JSON text and JSON type, as Flink SQL.

    ``column`` names a column already holding the wrapped text (top-level fields are extracted
    once, in an inner query); nested values are extracted where used.
    """

    payload: exp.Expr
    path: str
    column: str | None = None

    def wrapped(self) -> exp.Expr:
        if self.column is not None:
            return col(self.column)
        return flink_call("JSON_QUERY", self.payload.copy(), exp.var(f"{lit(self.path).sql()} WITH ARRAY WRAPPER"))

    def missing(self) -> exp.Expr:
        return exp.Is(this=self.wrapped(), expression=exp.null())

    def text(self) -> exp.Expr:
        """The value's JSON text (re-serialised compactly)."""
        w = self.wrapped()
        return flink_call("SUBSTRING", w, lit(2), exp.Sub(this=flink_call("CHAR_LENGTH", w.copy()), expression=lit(2)))

    def first(self) -> exp.Expr:
        return flink_call("SUBSTRING", self.wrapped(), lit(2), lit(1))

    def is_(self, json_type: str) -> exp.Expr:
        first = self.first()
        if json_type == "string":
            return exp.EQ(this=first, expression=lit('"'))
        if json_type == "object":
            return exp.EQ(this=first, expression=lit("{"))
        if json_type == "array":
            return exp.EQ(this=first, expression=lit("["))
        if json_type == "boolean":
            return exp.In(this=first, expressions=[lit("t"), lit("f")])
        assert json_type == "number"
        return exp.In(this=first, expressions=[lit(c) for c in "-0123456789"])

    def string(self) -> exp.Expr:
        """The unescaped text of a JSON string (read from the wrapped text when it is a column, which
        spares a parse of the whole record)."""
        if self.column is not None:
            return flink_call("JSON_VALUE", col(self.column), lit("$[0]"))
        return flink_call("JSON_VALUE", self.payload.copy(), lit(self.path))

    def child(self, name: str) -> JsonValue:
        return JsonValue(self.payload, self.path + json_path([name])[1:])


@dataclass
class DecodedField:
    value: exp.Expr
    invalid: exp.Expr


def _matches(e: exp.Expr, pattern: str) -> exp.Expr:
    return flink_call("REGEXP", e, lit(pattern))


def decode_value(v: JsonValue, t: LType, where: str) -> DecodedField:
    """The typed value of ``v`` and the condition under which it is invalid (present, wrong shape)."""
    present = exp.Not(this=v.missing())
    if t.kind == "struct":
        parts = [(n, decode_value(v.child(n), ft, where)) for n, ft in t.fields]
        row = exp.Cast(this=flink_call("ROW", *(d.value for _, d in parts)), to=flink_data_type(t))
        value = exp.Case().when(v.is_("object"), row)
        wrong = exp.or_(*(exp.paren(d.invalid) for _, d in parts)) if parts else exp.false()
        invalid = exp.and_(present, exp.paren(exp.or_(exp.Not(this=v.is_("object")), exp.paren(wrong))))
        return DecodedField(value, invalid)
    if t.kind == "list" and t.element == STRING:
        items = flink_call("JSON_QUERY", v.payload.copy(), exp.var(f"{lit(v.path).sql()} RETURNING ARRAY<STRING>"))
        return DecodedField(exp.Case().when(v.is_("array"), items), exp.and_(present, exp.Not(this=v.is_("array"))))
    primitive = _primitive(v, t, where)
    # An instant is valid when its wall-clock time is (Flink's planner fails to simplify an
    # `IS NULL` over a TIMESTAMP_LTZ CASE here: NullPointerException on a null TIMESTAMP literal).
    probe = _primitive(v, LType("timestamp_ntz"), where) if t.kind == "timestamp" else primitive.copy()
    return DecodedField(primitive, exp.and_(present, exp.Is(this=exp.paren(probe), expression=exp.null())))


def _primitive(v: JsonValue, t: LType, where: str) -> exp.Expr:
    kind = t.kind
    if kind == "string":
        return exp.Case().when(v.is_("string"), v.string()).else_(v.text())
    if t.is_integer or kind in ("float", "double", "decimal"):
        pattern = INTEGER_TEXT if t.is_integer else NUMBER_TEXT
        number = exp.Case().when(v.is_("number"), v.text()).when(v.is_("string"), v.string())
        return exp.Case().when(_matches(number, pattern), exp.TryCast(this=number.copy(), to=flink_data_type(t)))
    if kind == "boolean":
        return exp.Case().when(v.is_("boolean"), cast(v.text(), t))
    if kind in ("date", "timestamp", "timestamp_ntz"):
        return exp.Case().when(v.is_("string"), casts.convert(v.string(), STRING, t))
    raise Unsupported(f"{where}: decoding JSON into {t} is not supported on Flink")


def default_value(value: Any, t: LType) -> exp.Expr:
    """A schema default as a Flink literal of type ``t`` (folded like the embedded engine's)."""
    from lakegate.engine.flink.functions import constant

    if isinstance(value, dict | list):
        raise Unsupported(f"a default of type {t} is not supported on Flink")
    if t.kind in ("date", "timestamp", "timestamp_ntz", "decimal"):
        duck = exp.Cast(this=lit(value), to=exp.DataType.build(to_duckdb(t), dialect="duckdb"))
        return constant(duck, t)
    return exp.Cast(this=lit(value), to=flink_data_type(t))


def _behind_barrier(payload: str, carried: list[str], source: str) -> exp.Select:
    """The source's rows with the payload behind a non-deterministic projection (``CASE WHEN RAND() < 2``,
    always true), so that no filter is pushed into the source's scan: with a filesystem source,
    Flink 2.2's streaming planner throws a NullPointerException (``TimestampStringUtils``) while
    converting a NULL TIMESTAMP_LTZ constant of a filter it tries to push (and a filter over decoded
    JSON can never be evaluated by the source anyway)."""
    raw = exp.alias_(opaque(col(payload)), payload, quoted=True)
    select = exp.Select(expressions=[raw, *(col(c) for c in carried)])
    select.set("from_", exp.From(this=exp.to_table(source, quoted=True)))
    return select


def decode_select(schema: Schema, payload: str, passthrough: list[str], source: str, *, utf8: str) -> exp.Select:
    """``SELECT`` decoding column ``payload`` of table ``source`` into ``schema``'s columns, keeping
    ``payload`` and the ``passthrough`` columns, plus ``__lg_decode_error`` (NULL for a good record).
    Column ``utf8`` says whether the record's bytes were valid UTF-8 (if not: ``malformed JSON``).

    An inner query extracts each top-level field once (``__j<i>``: its JSON text in brackets); the
    outer one types the values and spells the reason. Every JSON function parses the whole record,
    so a good record costs one parse per field plus one (``IS JSON OBJECT``).
    """
    raw = col(payload)
    extracted: list[exp.Expr] = [col(c) for c in [payload, utf8, *passthrough]]
    reasons = exp.Case()
    reasons = reasons.when(exp.Not(this=col(utf8)), lit("malformed JSON"))  # bytes that are not UTF-8 are not JSON text
    not_object = exp.Case().when(exp.var(f"{quote(payload)} IS JSON"), lit("not a JSON object")).else_(lit("malformed JSON"))
    reasons = reasons.when(exp.Not(this=exp.var(f"{quote(payload)} IS JSON OBJECT")), not_object)
    columns: list[exp.Expr] = []
    for i, f in enumerate(schema):
        path = json_path([f.name])
        found = JsonValue(raw, path)
        # extracted once: Flink would otherwise merge the queries and parse the record at every use
        extracted.append(exp.alias_(opaque(found.wrapped()), f"__j{i}", quoted=True))
        v = JsonValue(raw, path, f"__j{i}")
        d = decode_value(v, f.type, f"field {f.name}")
        value = d.value
        if f.default is not None:
            value = exp.Case().when(v.missing(), default_value(f.default, f.type)).else_(value)
        columns.append(exp.alias_(cast(value, f.type), f.name, quoted=True))
        if f.required and f.default is None:
            reasons = reasons.when(v.missing(), lit(f"missing required field {f.name}"))
        shown = flink_call("LEFT", v.text(), lit(200))
        reasons = reasons.when(d.invalid, exp.DPipe(this=lit(f"field {f.name}: expected {f.type}, got "), expression=shown))
    inner = exp.Select(expressions=extracted)
    inner.set("from_", exp.From(this=exp.Subquery(this=_behind_barrier(payload, [utf8, *passthrough], source), alias=exp.TableAlias(this=exp.to_identifier("__raw", quoted=True)))))
    keep = [col(c) for c in [payload, *passthrough]]
    select = exp.Select(expressions=[*columns, *keep, exp.alias_(reasons, "__lg_decode_error", quoted=True)])
    select.set("from_", exp.From(this=exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("__fields", quoted=True)))))
    return select
