"""Vectorised JSON decoding: SQL that turns JSON texts into typed columns plus a reason per bad record.

:func:`decode_value` builds, for a JSON value expression and a lakegate type, the typed expression and
a "this value is wrong" condition, recursively for structs, lists and maps. :func:`decode_query` uses it
to decode a whole record. The rules follow the JSON format of Apache Flink where it is lenient: a number
may be given as a string (``"12"``), a non-string value read into a ``string`` field keeps its JSON
text; but a fraction is never silently truncated into an integer, and a value of the wrong shape is
an error that sends the record to the DLQ, never a silent null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lakegate.schemas.schema import Schema
from lakegate.schemas.types import LType, to_duckdb


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Decoded:
    """SQL for one decoded value: its typed expression and the condition under which it is invalid."""

    value: str
    invalid: str


def missing(raw: str) -> str:
    """True when the JSON value is absent or JSON null."""
    return f"({raw} IS NULL OR json_type({raw}) = 'NULL')"


def decode_value(raw: str, t: LType, depth: int = 0) -> Decoded:
    """Decode the JSON value ``raw`` (an SQL expression of type JSON) into type ``t``."""
    present = f"NOT {missing(raw)}"
    if t.kind == "struct":
        structure = "{" + ",".join(f"{json.dumps(n)}:\"JSON\"" for n, _ in t.fields) + "}"
        obj = f"json_transform({raw}, {quote_str(structure)})"
        parts = [(n, decode_value(f"{obj}.{quote_ident(n)}", ft, depth + 1)) for n, ft in t.fields]
        packed = ", ".join(f"{quote_ident(n)} := {d.value}" for n, d in parts)
        value = f"CASE WHEN json_type({raw}) = 'OBJECT' THEN struct_pack({packed}) END"
        wrong = " OR ".join(f"({d.invalid})" for _, d in parts) or "FALSE"
        invalid = f"{present} AND (json_type({raw}) <> 'OBJECT' OR {wrong})"
        return Decoded(value, invalid)
    if t.kind in ("list", "map"):
        var = f"x{depth}"
        if t.kind == "list":
            assert t.element is not None
            items = f"json_transform({raw}, '[\"JSON\"]')"
            inner = decode_value(var, t.element, depth + 1)
            value = f"CASE WHEN json_type({raw}) = 'ARRAY' THEN list_transform({items}, {var} -> {inner.value}) END"
            wrong = f"coalesce(list_bool_or(list_transform({items}, {var} -> {inner.invalid})), FALSE)"
            invalid = f"{present} AND (json_type({raw}) <> 'ARRAY' OR {wrong})"
            return Decoded(value, invalid)
        assert t.key is not None and t.value is not None
        entries = f"map_entries(TRY_CAST({raw} AS MAP(VARCHAR, JSON)))"
        inner = decode_value(f"{var}.value", t.value, depth + 1)
        key = f"TRY_CAST({var}.key AS {to_duckdb(t.key)})"
        value = (
            f"CASE WHEN json_type({raw}) = 'OBJECT' THEN map_from_entries(list_transform({entries}, "
            f"{var} -> {{'key': {key}, 'value': {inner.value}}})) END"
        )
        wrong = (
            f"coalesce(list_bool_or(list_transform({entries}, {var} -> ({key} IS NULL OR {inner.invalid}))), FALSE)"
        )
        invalid = f"{present} AND (json_type({raw}) <> 'OBJECT' OR {wrong})"
        return Decoded(value, invalid)
    value = _primitive(raw, t)
    return Decoded(value, f"{present} AND ({value}) IS NULL")


INTEGER_TEXT = r"^-?[0-9]+$"
"""A JSON string accepted as an integer (both engines: no sign +, no spaces, no hex)."""
NUMBER_TEXT = r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
"""A JSON string accepted as a float, double or decimal (no NaN, no infinity, no spaces)."""


def _primitive(raw: str, t: LType) -> str:
    text = f"({raw} ->> '$')"
    if t.kind == "string":
        return f"CASE WHEN json_type({raw}) = 'VARCHAR' THEN {text} ELSE CAST({raw} AS VARCHAR) END"
    if t.kind in ("int", "long", "float", "double", "decimal"):
        # A JSON number, or a string spelling one; never a boolean (true is not 1).
        numbers = "('UBIGINT', 'BIGINT')" if t.kind in ("int", "long") else "('UBIGINT', 'BIGINT', 'DOUBLE')"
        pattern = INTEGER_TEXT if t.kind in ("int", "long") else NUMBER_TEXT
        return (
            f"CASE WHEN json_type({raw}) IN {numbers} THEN TRY_CAST({raw} AS {to_duckdb(t)}) "
            f"WHEN json_type({raw}) = 'VARCHAR' AND regexp_matches({text}, {quote_str(pattern)}) "
            f"THEN TRY_CAST({text} AS {to_duckdb(t)}) END"
        )
    if t.kind == "boolean":
        return f"CASE WHEN json_type({raw}) = 'BOOLEAN' THEN TRY_CAST({raw} AS BOOLEAN) END"
    if t.kind in ("date", "timestamp", "timestamp_ntz"):
        return f"CASE WHEN json_type({raw}) = 'VARCHAR' THEN TRY_CAST({text} AS {to_duckdb(t)}) END"
    if t.kind == "binary":
        return f"CASE WHEN json_type({raw}) = 'VARCHAR' THEN TRY(from_base64({text})) END"
    raise ValueError(f"no JSON decoding for {t}")


def _default_literal(value: object, t: LType) -> str:
    if isinstance(value, bool):
        literal = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float):
        literal = repr(value)
    elif isinstance(value, dict | list):
        literal = f"{quote_str(json.dumps(value))}::JSON"
        return decode_value(literal, t).value
    else:
        literal = quote_str(str(value))
    return f"CAST({literal} AS {to_duckdb(t)})"


def decode_query(schema: Schema, payload: str, passthrough: list[str], source: str) -> str:
    """A DuckDB query decoding column ``payload`` of relation ``source`` into ``schema``'s columns.

    The result has the schema's columns, the ``passthrough`` columns, and ``__lg_decode_error``: null
    for a good record, else why it cannot be decoded (malformed JSON, not an object, a missing
    required field, a value of the wrong type).
    """
    fields = list(schema)
    structure = "{" + ",".join(f"{json.dumps(f.name)}:\"JSON\"" for f in fields) + "}"
    columns: list[str] = []
    reasons: list[str] = []
    for f in fields:
        raw = f"__j.{quote_ident(f.name)}"
        d = decode_value(raw, f.type)
        value = d.value
        if f.default is not None:
            value = f"CASE WHEN {missing(raw)} THEN {_default_literal(f.default, f.type)} ELSE {value} END"
        columns.append(f"{value} AS {quote_ident(f.name)}")
        if f.required and f.default is None:
            reasons.append(f"WHEN {missing(raw)} THEN {quote_str(f'missing required field {f.name}')}")
        shown = f"left(CAST({raw} AS VARCHAR), 200)"
        reasons.append(
            f"WHEN {d.invalid} THEN {quote_str(f'field {f.name}: expected {f.type}, got ')} || {shown}"
        )
    keep = ", ".join(quote_ident(c) for c in passthrough)
    reason = (
        "CASE WHEN NOT __ok THEN 'malformed JSON' WHEN __j IS NULL THEN 'not a JSON object' "
        + " ".join(reasons)
        + " END"
    )
    return (
        f"WITH __parsed AS (SELECT {keep}, {quote_ident(payload)}, json_valid({quote_ident(payload)}) AS __ok "
        f"FROM {quote_ident(source)}), "
        f"__objects AS (SELECT *, CASE WHEN __ok AND json_type({quote_ident(payload)}) = 'OBJECT' "
        f"THEN json_transform({quote_ident(payload)}, {quote_str(structure)}) END AS __j FROM __parsed) "
        f"SELECT {', '.join(columns)}, {keep}, {reason} AS __lg_decode_error FROM __objects"
    )
