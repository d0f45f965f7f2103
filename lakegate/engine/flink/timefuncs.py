"""Time functions in Flink SQL with the embedded engine's (DuckDB's) semantics.

Inside a Flink job the session time zone is UTC, a lakegate ``timestamp`` (an instant) is a
``TIMESTAMP_LTZ(6)`` and a ``timestamp_ntz`` (a wall-clock time) a ``TIMESTAMP(6)``. Flink's own
zone function, ``CONVERT_TZ``, works on whole seconds of text, so the helpers here convert whole
seconds with it and carry the microseconds across with ``TIMESTAMPADD``. ``CONVERT_TZ`` resolves
wall-clock times like DuckDB: an ambiguous time (the hour repeated when DST ends) takes the later
offset, a time skipped when DST starts moves forward by the gap.
"""

from __future__ import annotations

import re

from sqlglot import exp

from lakegate.engine.flink.dialect import flink_call, flink_data_type
from lakegate.plan.emit import lit
from lakegate.rules.conversions import TIMESTAMP_TEXT
from lakegate.schemas.types import LType

TS = LType("timestamp")
NTZ = LType("timestamp_ntz")
SECONDS_FORMAT = "yyyy-MM-dd HH:mm:ss"


class Unsupported(Exception):
    """A construct with no Flink equivalent of the same meaning; the message says which and why."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def cast(e: exp.Expr, t: LType) -> exp.Expr:
    return exp.Cast(this=e, to=flink_data_type(t))


def wall_utc(instant: exp.Expr) -> exp.Expr:
    """The UTC wall-clock time of an instant (exact: the session zone is UTC)."""
    return cast(instant, NTZ)


def instant_of_utc(wall: exp.Expr) -> exp.Expr:
    return cast(wall, TS)


def _seconds_text(wall: exp.Expr) -> exp.Expr:
    return flink_call("DATE_FORMAT", wall, lit(SECONDS_FORMAT))


def _shift_seconds(wall: exp.Expr, from_zone: str, to_zone: str) -> exp.Expr:
    """Seconds to add to ``wall`` (a wall-clock time in ``from_zone``) to get ``to_zone``'s."""
    text = _seconds_text(wall)
    converted = flink_call("TO_TIMESTAMP", flink_call("CONVERT_TZ", text.copy(), lit(from_zone), lit(to_zone)))
    return flink_call("TIMESTAMPDIFF", exp.var("SECOND"), flink_call("TO_TIMESTAMP", text), converted)


def to_wall(instant: exp.Expr, zone: str) -> exp.Expr:
    """DuckDB ``TIMEZONE(zone, instant)``: the wall-clock time in ``zone``."""
    wall = wall_utc(instant)
    if zone == "UTC":
        return wall
    return flink_call("TIMESTAMPADD", exp.var("SECOND"), _shift_seconds(wall, "UTC", zone), wall.copy())


def from_wall(wall: exp.Expr, zone: str) -> exp.Expr:
    """DuckDB ``TIMEZONE(zone, wall)``: the instant at which ``zone``'s clocks show ``wall``."""
    if zone == "UTC":
        return instant_of_utc(wall)
    shifted = flink_call("TIMESTAMPADD", exp.var("SECOND"), _shift_seconds(wall, zone, "UTC"), wall.copy())
    return instant_of_utc(shifted)


def utc_offset(instant: exp.Expr, zone: str) -> exp.Expr:
    """``+HHMM`` / ``-HHMM``: the offset from UTC of ``zone`` at ``instant`` (NULL for NULL)."""
    minutes = exp.Div(this=_shift_seconds(wall_utc(instant), "UTC", zone), expression=lit(60))
    clock = flink_call(
        "DATE_FORMAT",
        flink_call("TIMESTAMPADD", exp.var("MINUTE"), flink_call("ABS", minutes.copy()), exp.Cast(this=lit("2000-01-01 00:00:00"), to=flink_data_type(NTZ))),
        lit("HHmm"),
    )
    sign = exp.Case().when(exp.LT(this=minutes, expression=lit(0)), lit("-")).else_(lit("+"))
    return exp.DPipe(this=sign, expression=clock)


def micros_to_instant(micros: exp.Expr) -> exp.Expr:
    """Microseconds since 1970-01-01 UTC → instant (DuckDB ``MAKE_TIMESTAMP`` then ``TIMEZONE('UTC')``).

    Flink 2.2's ``TO_TIMESTAMP_LTZ(n, p)`` takes only p = 0 or 3 (2.3 added 6), so the whole seconds go
    through ``TO_TIMESTAMP_LTZ(s, 0)`` and the microseconds are appended to its UTC wall-clock text."""
    million = lit(1000000)
    fraction = flink_call("MOD", exp.Add(this=flink_call("MOD", micros, million), expression=million.copy()), million.copy())
    seconds = exp.Div(this=exp.Paren(this=exp.Sub(this=micros.copy(), expression=fraction.copy())), expression=million.copy())
    whole = flink_call("TO_TIMESTAMP_LTZ", cast(seconds, LType("long")), lit(0))
    digits = flink_call("LPAD", cast(fraction, LType("string")), lit(6), lit("0"))
    text = exp.DPipe(this=exp.DPipe(this=_seconds_text(whole), expression=lit(".")), expression=digits)
    return instant_of_utc(cast(text, NTZ))


def epoch_seconds(wall: exp.Expr) -> exp.Expr:
    """DuckDB ``EPOCH(ts)`` of a wall-clock value: seconds since 1970 as a DOUBLE, with the fraction."""
    whole = flink_call("UNIX_TIMESTAMP", _seconds_text(wall))
    fraction = exp.Div(
        this=cast(flink_call("DATE_FORMAT", wall.copy(), lit("SSSSSS")), LType("double")),
        expression=exp.Literal.number("1000000.0"),
    )
    return exp.Add(this=cast(whole, LType("double")), expression=fraction)


def wall_text(wall: exp.Expr) -> exp.Expr:
    """DuckDB's text of a TIMESTAMP: ``2024-01-02 03:04:05`` plus ``.5`` (trailing zeros dropped)."""
    fraction = flink_call(
        "REGEXP_REPLACE", exp.DPipe(this=lit("."), expression=flink_call("DATE_FORMAT", wall.copy(), lit("SSSSSS"))),
        lit(r"\.?0+$"), lit(""),
    )  # fmt: skip
    return exp.DPipe(this=_seconds_text(wall), expression=fraction)


# --- parsing ------------------------------------------------------------------------------

_ISO = TIMESTAMP_TEXT
"""ISO-8601 as DuckDB casts it: date, optional time (``T`` or space), optional ``Z`` / ``±HH[[:]MM]``."""


def _group(text: exp.Expr, pattern: str, group: int) -> exp.Expr:
    return flink_call("REGEXP_EXTRACT", text.copy(), lit(pattern), lit(group))


def _two(e: exp.Expr) -> exp.Expr:
    return flink_call("LPAD", e, lit(2), lit("0"))


def _wall_from_parts(
    text: exp.Expr, pattern: str, groups: dict[str, int]
) -> exp.Expr:
    """A TIMESTAMP(6) from the regex groups of ``text`` (year, month, day, hour, minute, second,
    fraction); NULL unless the text matches and names a real date and time of day."""

    def part(name: str, default: str) -> exp.Expr:
        if name not in groups:
            return lit(default)
        return exp.func("COALESCE", _group(text, pattern, groups[name]), lit(default))

    date = exp.DPipe(
        this=exp.DPipe(
            this=exp.DPipe(this=part("year", "1970"), expression=lit("-")),
            expression=exp.DPipe(this=_two(part("month", "1")), expression=lit("-")),
        ),
        expression=_two(part("day", "1")),
    )
    fraction = flink_call("RPAD", flink_call("LEFT", part("fraction", "0"), lit(6)), lit(6), lit("0"))
    clock = exp.DPipe(
        this=exp.DPipe(
            this=exp.DPipe(this=_two(part("hour", "0")), expression=lit(":")),
            expression=exp.DPipe(this=_two(part("minute", "0")), expression=lit(":")),
        ),
        expression=exp.DPipe(this=exp.DPipe(this=_two(part("second", "0")), expression=lit(".")), expression=fraction),
    )
    valid_date = exp.Not(this=exp.Is(this=exp.TryCast(this=date.copy(), to=flink_data_type(LType("date"))), expression=exp.null()))
    in_range = exp.and_(
        exp.LTE(this=cast(part("hour", "0"), LType("int")), expression=lit(23)),
        exp.LTE(this=cast(part("minute", "0"), LType("int")), expression=lit(59)),
        exp.LTE(this=cast(part("second", "0"), LType("int")), expression=lit(59)),
    )
    matched = flink_call("REGEXP", text.copy(), lit(pattern))
    wall = cast(exp.DPipe(this=exp.DPipe(this=date, expression=lit(" ")), expression=clock), NTZ)
    return exp.Case().when(exp.and_(matched, valid_date, in_range), wall)


def _offset_seconds(zone_text: exp.Expr) -> exp.Expr:
    """Seconds east of UTC of ``Z``, ``±HH``, ``±HHMM`` or ``±HH:MM`` text."""
    digits = flink_call("REGEXP_REPLACE", zone_text.copy(), lit("[^0-9]"), lit(""))
    hours = cast(flink_call("LEFT", digits, lit(2)), LType("int"))
    minutes = cast(exp.func("COALESCE", flink_call("NULLIF", flink_call("SUBSTRING", digits.copy(), lit(3), lit(2)), lit("")), lit("0")), LType("int"))
    magnitude = exp.Add(this=exp.Mul(this=hours, expression=lit(3600)), expression=exp.Mul(this=minutes, expression=lit(60)))
    sign = exp.Case().when(exp.EQ(this=flink_call("LEFT", zone_text.copy(), lit(1)), expression=lit("-")), lit(-1)).else_(lit(1))
    return exp.Case().when(exp.EQ(this=zone_text.copy(), expression=lit("Z")), lit(0)).else_(exp.Mul(this=sign, expression=exp.paren(magnitude)))


ISO_GROUPS = {"year": 1, "month": 2, "day": 3, "hour": 4, "minute": 5, "second": 6, "fraction": 7}


def parse_iso(text: exp.Expr, target: LType) -> exp.Expr:
    """DuckDB ``TRY_CAST(text AS TIMESTAMPTZ | TIMESTAMP)`` for ISO-8601 text.

    For an instant, an offset in the text applies, else the time is UTC; a wall-clock time ignores
    an offset, as DuckDB does. Zone names after the time (``Europe/Berlin``) are not understood.
    """
    wall = _wall_from_parts(text, _ISO, ISO_GROUPS)
    if target.kind == "timestamp_ntz":
        return wall
    zone = _group(text, _ISO, 8)
    shifted = flink_call(
        "TIMESTAMPADD", exp.var("SECOND"), exp.Neg(this=exp.paren(_offset_seconds(zone))), wall.copy()
    )
    # A text without an offset has no zone group (NULL): its time is UTC.
    utc = exp.Case().when(exp.Is(this=zone.copy(), expression=exp.null()), wall.copy()).else_(shifted)
    return instant_of_utc(utc)


_STRPTIME = {
    "%Y": ("year", "([0-9]{4})"), "%m": ("month", "([0-9]{1,2})"), "%d": ("day", "([0-9]{1,2})"),
    "%H": ("hour", "([0-9]{1,2})"), "%M": ("minute", "([0-9]{1,2})"), "%S": ("second", "([0-9]{1,2})"),
    "%f": ("fraction", "([0-9]{1,6})"), "%z": ("zone", "(Z|[+-][0-9]{2}:?[0-9]{2})"),
}  # fmt: skip


def parse_strptime(text: exp.Expr, fmt: str) -> exp.Expr:
    """DuckDB ``TRY_STRPTIME(text, fmt)`` for the directives %Y %m %d %H %M %S %f %z (and %%).

    Returns a TIMESTAMP(6), or with ``%z`` a TIMESTAMP_LTZ(6); other directives are unsupported.
    """
    pattern = "^"
    groups: dict[str, int] = {}
    for token in re.findall(r"%.|[^%]+", fmt):
        if token == "%%":
            pattern += "%"
        elif token.startswith("%"):
            if token not in _STRPTIME:
                raise Unsupported(
                    f"the strptime directive {token} has no Flink translation",
                    hint="Flink supports %Y %m %d %H %M %S %f %z; or use format iso8601",
                )
            name, regex = _STRPTIME[token]
            groups[name] = len(groups) + 1
            pattern += regex
        else:
            pattern += re.sub(r"\s+", r"\\s+", re.escape(token).replace("\\ ", " "))
    pattern += "$"
    wall = _wall_from_parts(text, pattern, groups)
    if "zone" not in groups:
        return wall
    zone = _group(text, pattern, groups["zone"])
    shifted = flink_call("TIMESTAMPADD", exp.var("SECOND"), exp.Neg(this=exp.paren(_offset_seconds(zone))), wall)
    return instant_of_utc(shifted)


_STRFTIME = {
    "%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%f": "SSSSSS",
    "%y": "yy", "%j": "DDD", "%I": "hh", "%p": "a", "%b": "MMM", "%B": "MMMM", "%a": "EEE", "%A": "EEEE",
    "%T": "HH:mm:ss", "%F": "yyyy-MM-dd",
}  # fmt: skip


def java_pattern(fmt: str) -> str:
    """A Java ``DateTimeFormatter`` pattern for a strftime format (text in quotes)."""
    out = ""
    for token in re.findall(r"%.|[^%]+", fmt):
        if token in _STRFTIME:
            out += _STRFTIME[token]
        elif token == "%%":
            out += "'%'"
        elif token.startswith("%"):
            raise Unsupported(
                f"the strftime directive {token} has no Flink translation",
                hint="Flink supports " + " ".join(sorted(_STRFTIME)),
            )
        else:
            out += "'" + token.replace("'", "''") + "'" if any(c.isalpha() or c == "'" for c in token) else token
    return out


def strftime(wall: exp.Expr, fmt: str) -> exp.Expr:
    """DuckDB ``STRFTIME(wall, fmt)`` of a TIMESTAMP(6) (a DATE is widened first by the caller)."""
    if fmt == "":
        return exp.Case().when(exp.Not(this=exp.Is(this=wall, expression=exp.null())), lit(""))
    return flink_call("DATE_FORMAT", wall, lit(java_pattern(fmt)))
