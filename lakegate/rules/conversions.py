"""What a text means as a number, a date or a time: one definition, spelled by every engine.

DuckDB's own casts from text are lenient in ways no other engine copies (``'0x10'`` and ``'1_000'``
are numbers, ``'2024/01/05'`` and ``'infinity'`` are dates, a zone *name* after a time is understood).
lakegate instead defines which texts convert, and both the ``cast`` rule and casts written in rule
expressions follow that definition on every engine:

- **integers** (``int``, ``long``): optional spaces, an optional sign and digits (``' -42 '``); or any
  number text below whose value is whole and in range (``'1e2'`` → 100, ``'12.0'`` → 12; ``'12.5'``
  does not convert);
- **double / float / decimal**: optional spaces, optional sign, digits with an optional fraction and
  exponent (``'1.5'``, ``'.5'``, ``'5.'``, ``'-1e-3'``); double and float also take ``nan``, ``inf`` and
  ``infinity`` in any case, with an optional sign;
- **date**: ``YYYY-M-D`` (one or two digits for month and day), optionally padded with spaces;
- **timestamp**: ``YYYY-MM-DD``, optionally followed by ``T`` or a space and ``HH:MM[:SS[.fraction]]``,
  optionally followed by ``Z`` or an offset ``±HH[[:]MM]`` (:data:`TIMESTAMP_TEXT`);
- **boolean**: ``true t yes y 1`` / ``false f no n 0`` in any case, without padding (DuckDB's own set).

Anything else does not convert: ``NULL`` for ``TRY_CAST`` and ``on_error: null``, the DLQ otherwise.
:func:`convert_text` spells a conversion for DuckDB and marks the node with its meaning
(:data:`TEXT_CONVERSION`), which other emitters translate instead of the DuckDB spelling.
"""

from __future__ import annotations

from sqlglot import exp

from lakegate.errors import SchemaError
from lakegate.plan.emit import lit
from lakegate.schemas.types import LType, parse_type, to_duckdb

INTEGER_TEXT = r"^ *[+-]?[0-9]+ *$"
NUMBER_TEXT = r"^ *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *$"
SPECIAL_DOUBLE_TEXT = r"^ *[+-]?([nN][aA][nN]|[iI][nN][fF]([iI][nN][iI][tT][yY])?) *$"
DATE_TEXT = r"^ *[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} *$"
TIMESTAMP_TEXT = (
    r"^ *([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[T ]([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]+))?)?)?"
    r" *(Z|[+-][0-9]{2}(?::?[0-9]{2})?)? *$"
)
"""ISO-8601 text; groups: year, month, day, hour, minute, second, fraction, zone."""

TEXT_CONVERSION = "lakegate.text_conversion"
"""Meta key on a converted node: ``{"text": <expression>, "target": LType}``."""

_PATTERNS = {"date": DATE_TEXT, "timestamp": TIMESTAMP_TEXT, "timestamp_ntz": TIMESTAMP_TEXT, "decimal": NUMBER_TEXT}


def cast_target(node: exp.Cast) -> LType | None:
    """The lakegate type a DuckDB ``CAST``/``TRY_CAST`` converts to (None: no lakegate type, e.g. HUGEINT)."""
    if node.to.this in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ):  # DuckDB's TIMESTAMP: a wall-clock time
        return LType("timestamp_ntz")
    try:
        return parse_type(node.to.sql(dialect="duckdb").replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"))
    except SchemaError:
        return None


def _matches(e: exp.Expr, pattern: str) -> exp.Expr:
    return exp.func("regexp_full_match", e.copy(), lit(pattern))


def _try_cast(e: exp.Expr, t: LType) -> exp.Expr:
    return exp.TryCast(this=e.copy(), to=exp.DataType.build(to_duckdb(t), dialect="duckdb"))


def whole_number(number: exp.Expr, t: LType) -> exp.Expr:
    """A double as the integer type ``t`` when it is whole and in range, else NULL (never rounded)."""
    return exp.Case().when(exp.EQ(this=number, expression=exp.func("floor", number.copy())), _try_cast(number, t))


def convert_text(text: exp.Expr, target: LType) -> exp.Expr:
    """``text`` (a string expression) converted to ``target`` as defined above; NULL if it does not convert."""
    kind = target.kind
    if kind == "string":
        return text
    if target.is_integer:
        converted: exp.Expr = (
            exp.Case()
            .when(_matches(text, INTEGER_TEXT), _try_cast(text, target))
            .when(_matches(text, NUMBER_TEXT), whole_number(_try_cast(text, LType("double")), target))
        )
    elif kind in ("double", "float"):
        number = exp.or_(_matches(text, NUMBER_TEXT), _matches(text, SPECIAL_DOUBLE_TEXT))
        converted = exp.Case().when(number, _try_cast(exp.Trim(this=text.copy()), target))
    elif kind in _PATTERNS:
        converted = exp.Case().when(_matches(text, _PATTERNS[kind]), _try_cast(exp.Trim(this=text.copy()), target))
    else:  # boolean (DuckDB's own words), nested and binary types
        converted = _try_cast(text, target)
    converted.meta[TEXT_CONVERSION] = {"text": text, "target": target}
    return converted
