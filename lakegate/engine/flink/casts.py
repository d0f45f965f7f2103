"""Type conversions in Flink SQL with the embedded engine's (DuckDB's) results.

Flink's own casts differ from DuckDB's in the details users see: ``TRUE`` is ``'TRUE'`` not
``'true'``, a double prints as ``1.0E7`` not ``10000000.0``, ``'12.5'`` casts to the BIGINT 12
instead of being rounded, a double is truncated into an integer instead of rounded half to even, and
timestamps print with six fraction digits. :func:`convert` spells each conversion so that both
engines give the same value; a conversion it cannot match is :class:`Unsupported`.
"""

from __future__ import annotations

from sqlglot import exp

from lakegate.engine.flink.dialect import flink_call, flink_data_type
from lakegate.engine.flink.doubles import double_text
from lakegate.engine.flink.timefuncs import (
    NTZ,
    TS,
    Unsupported,
    cast,
    instant_of_utc,
    parse_iso,
    wall_text,
    wall_utc,
)
from lakegate.plan.emit import lit
from lakegate.rules.conversions import DATE_TEXT, INTEGER_TEXT, NUMBER_TEXT, SPECIAL_DOUBLE_TEXT
from lakegate.schemas.types import LType

STRING = LType("string")
DOUBLE = LType("double")
_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _when(condition: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.Case().when(condition, value)


def _matches(e: exp.Expr, pattern: str) -> exp.Expr:
    return flink_call("REGEXP", e.copy(), lit(pattern))


def _try(e: exp.Expr, t: LType) -> exp.Expr:
    return exp.TryCast(this=e, to=flink_data_type(t))


def _trim(e: exp.Expr) -> exp.Expr:
    return exp.Trim(this=e.copy())


def to_string(e: exp.Expr, source: LType) -> exp.Expr:
    """DuckDB ``CAST(e AS VARCHAR)``."""
    kind = source.kind
    if kind == "string":
        return e
    if kind == "boolean":
        return exp.Case().when(e, lit("true")).when(exp.Not(this=e.copy()), lit("false"))
    if source.is_integer or kind in ("decimal", "date"):
        return cast(e, STRING)
    if kind == "double":
        return double_text(e)
    if kind == "float":
        raise Unsupported("converting a float to a string has no Flink translation with the same text", hint="cast it to double first")
    if kind == "timestamp_ntz":
        return wall_text(e)
    if kind == "timestamp":
        return exp.DPipe(this=wall_text(wall_utc(e)), expression=lit("+00"))
    raise Unsupported(f"converting a {source} to a string has no Flink translation with the same text")


def _integer(e: exp.Expr, source: LType, target: LType) -> exp.Expr:
    low, high = _RANGES[target.kind]
    if source.kind == "string":  # as lakegate.rules.conversions defines
        whole = _when(
            exp.EQ(this=_try(_trim(e), DOUBLE), expression=flink_call("FLOOR", _try(_trim(e), DOUBLE))),
            _integer(_try(_trim(e), DOUBLE), DOUBLE, target),
        )
        return (
            exp.Case()
            .when(_matches(e, INTEGER_TEXT), _try(_trim(e), target))
            .when(_matches(e, NUMBER_TEXT), whole)
        )
    if source.kind == "boolean":
        return exp.Case().when(e, lit(1)).when(exp.Not(this=e.copy()), lit(0))
    if source.kind in ("double", "float"):
        rounded = half_even(e)
        in_range = exp.and_(
            exp.GTE(this=e.copy(), expression=exp.Literal.number(f"{float(low)!r}")),
            exp.LT(this=e.copy(), expression=exp.Literal.number(f"{float(high + 1)!r}")),
        )
        return _when(in_range, cast(rounded, target))
    if source.kind == "decimal":
        return _try(flink_call("ROUND", e, lit(0)), target)
    if source.is_integer:
        if target.kind == "long" or source.kind == "int":
            return cast(e, target)
        return _when(exp.Between(this=e, low=lit(low), high=lit(high)), cast(e.copy(), target))
    raise Unsupported(f"converting a {source} to {target} has no Flink translation")


def half_even(e: exp.Expr) -> exp.Expr:
    """A double rounded to a whole number, ties to even (how DuckDB casts a double to an integer)."""
    floor = flink_call("FLOOR", e.copy())
    below = exp.Sub(this=e.copy(), expression=floor.copy())
    odd = exp.EQ(this=flink_call("MOD", cast(floor.copy(), LType("long")), lit(2)), expression=lit(0))
    tie = exp.Case().when(odd, floor.copy()).else_(exp.Add(this=floor.copy(), expression=lit(1)))
    return (
        exp.Case()
        .when(exp.GT(this=below, expression=exp.Literal.number("0.5")), exp.Add(this=floor.copy(), expression=lit(1)))
        .when(exp.LT(this=below.copy(), expression=exp.Literal.number("0.5")), floor.copy())
        .else_(tie)
    )


def _special_double(text: exp.Expr, target: LType) -> exp.Expr:
    """``nan`` / ``inf`` / ``infinity`` texts (any case, optional sign) as DuckDB reads them.

    The value is cast from Java's spelling chosen per row: a cast of a constant NaN or infinity to a
    FLOAT would be folded by the planner, which cannot represent them (``Infinite or NaN``).
    """
    word = exp.Lower(this=_trim(text))
    spelling = exp.Case()
    for spellings, value in (
        (("nan", "+nan", "-nan"), "NaN"),
        (("inf", "+inf", "infinity", "+infinity"), "Infinity"),
        (("-inf", "-infinity"), "-Infinity"),
    ):
        spelling = spelling.when(exp.In(this=word.copy(), expressions=[lit(s) for s in spellings]), lit(value))
    return _try(spelling, target)


def convert(e: exp.Expr, source: LType, target: LType) -> exp.Expr:
    """``TRY_CAST(e AS target)`` for ``e`` of type ``source``, with DuckDB's results."""
    if source == target:
        return e
    kind = target.kind
    if kind == "string":
        return to_string(e, source)
    if target.is_integer:
        return _integer(e, source, target)
    if kind in ("double", "float", "decimal"):
        if source.kind == "string":
            number = exp.Case().when(_matches(e, NUMBER_TEXT), _try(_trim(e), target))
            if kind == "decimal":
                return number
            return number.when(_matches(e, SPECIAL_DOUBLE_TEXT), _special_double(e, target))
        if source.kind == "boolean":
            return exp.Case().when(e, cast(lit(1), target)).when(exp.Not(this=e.copy()), cast(lit(0), target))
        if source.is_numeric:
            return _try(e, target)
    if kind == "boolean":
        if source.kind == "string":
            word = exp.Lower(this=e.copy())
            truthy = exp.In(this=word, expressions=[lit(s) for s in ("true", "t", "1", "yes", "y")])
            falsy = exp.In(this=word.copy(), expressions=[lit(s) for s in ("false", "f", "0", "no", "n")])
            return exp.Case().when(truthy, exp.true()).when(falsy, exp.false())
        if source.is_numeric:
            return exp.NEQ(this=e, expression=lit(0))
    if kind == "date":
        if source.kind == "string":
            return _when(_matches(e, DATE_TEXT), _try(_trim(e), target))
        if source.kind == "timestamp":
            return cast(wall_utc(e), target)
        if source.kind == "timestamp_ntz":
            return cast(e, target)
    if kind in ("timestamp", "timestamp_ntz"):
        if source.kind == "string":
            return parse_iso(e, target)
        if source.kind == "date":
            wall = cast(e, NTZ)
            return instant_of_utc(wall) if kind == "timestamp" else wall
        if source.kind in ("timestamp", "timestamp_ntz"):
            return cast(e, TS if kind == "timestamp" else NTZ)
    raise Unsupported(f"converting a {source} to {target} has no Flink translation")
