"""Time rules: parse_timestamp, format_timestamp, convert_timezone.

A ``timestamp`` is an instant, stored in UTC with microseconds; a ``timestamp_ntz`` is a wall-clock
time without a zone. Time zones are IANA names (``Europe/Berlin``).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from lakegate.plan.emit import col, lit
from lakegate.plan.steps import Step
from lakegate.rules.base import LoweringContext, Rule, func
from lakegate.rules.cast import ON_ERROR_DESCRIPTION, OnError, conversion_checks
from lakegate.rules.conversions import convert_text
from lakegate.rules.options import TimeZoneName, check_time_zone
from lakegate.schemas.types import LType

OFFSET_AFTER_TIME = r"\d\d:\d\d(:\d\d(\.\d*)?)?\s*[+\-A-Za-z]"
"""An ISO-8601 time of day followed by a zone designator."""

UTC_OFFSET = "lakegate.utc_offset"
"""Key of the meta data on a ``%z`` expression: the zone and the instant whose offset it renders."""

EPOCH_UNITS = {"epoch_s": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1, "epoch_ns": None}


def _in_zone(zone: str, local: exp.Expr) -> exp.Expr:
    """Interpret a wall-clock TIMESTAMP in ``zone`` → TIMESTAMPTZ (or the reverse for an instant)."""
    return func("TIMEZONE", lit(zone), local)


class _TimeRule(Rule):
    column: str = Field(description="Input column.")
    into: str | None = Field(None, description="Output column (new or existing); default: the input.")

    def output(self) -> str:
        return self.into or self.column


class ParseTimestamp(_TimeRule):
    type: Literal["parse_timestamp"]
    format: str = Field(
        "iso8601",
        description="`epoch_s`, `epoch_ms`, `epoch_us`, `epoch_ns` (numbers since 1970-01-01 UTC), "
        "`iso8601`, or a strptime format such as `%d/%m/%Y %H:%M`.",
    )
    timezone: TimeZoneName = Field("UTC", description="Zone of strings that carry no offset.")
    on_error: OnError = Field("dlq", description=ON_ERROR_DESCRIPTION)

    summary: ClassVar[str] = "Parse epoch numbers or strings into a UTC timestamp."
    example: ClassVar[str] = (
        "- type: parse_timestamp\n  column: timestamp_ms\n  format: epoch_ms\n  into: event_time"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        source = col(self.column)
        if self.format in EPOCH_UNITS:
            ctx.require(self.column, "int", "long", "float", "double", "decimal", "string")
            parsed = self._epoch(source, ctx.type_of(self.column).kind)
        else:
            ctx.require(self.column, "string")
            parsed = self._string(source)
        checks = conversion_checks(
            ctx, source, parsed, f"cannot parse {self.column} as {self.format}", self.on_error
        )
        return [*checks, ctx.project_with({self.output(): parsed})]

    def _epoch(self, source: exp.Expr, kind: str) -> exp.Expr:
        number: exp.Expr = source
        if kind == "string":  # a number in text, as lakegate.rules.conversions defines it
            number = convert_text(source, LType("double"))
        factor = EPOCH_UNITS[self.format]
        micros: exp.Expr
        if factor is None:  # nanoseconds → microseconds, rounding down (also before 1970)
            nanos = exp.TryCast(this=number, to=exp.DataType.build("HUGEINT"))
            below = exp.Mod(
                this=exp.paren(exp.Add(this=exp.Mod(this=nanos, expression=lit(1000)), expression=lit(1000))),
                expression=lit(1000),
            )
            micros = exp.IntDiv(this=exp.paren(exp.Sub(this=nanos.copy(), expression=below)), expression=lit(1000))
        else:
            micros = exp.Mul(this=exp.paren(number), expression=lit(factor))
        as_int = exp.TryCast(this=micros, to=exp.DataType.build("BIGINT"))
        return func("TRY", _in_zone("UTC", func("MAKE_TIMESTAMP", as_int)))

    def _string(self, source: exp.Expr) -> exp.Expr:
        if self.format == "iso8601":
            with_offset = convert_text(source, LType("timestamp"))
            if self.timezone == "UTC":
                return with_offset
            local = convert_text(source.copy(), LType("timestamp_ntz"))
            # Anything after the time of day (Z, +02, +02:00, -0530, UTC, Europe/Berlin) is an offset.
            has_offset = func("REGEXP_MATCHES", source.copy(), lit(OFFSET_AFTER_TIME))
            return exp.Case().when(has_offset, with_offset).else_(_in_zone(self.timezone, local))
        parsed = func("TRY_STRPTIME", source, lit(self.format))
        if "%z" in self.format or "%Z" in self.format:
            return parsed
        return _in_zone(self.timezone, parsed)


class FormatTimestamp(_TimeRule):
    type: Literal["format_timestamp"]
    format: str = Field(
        "%Y-%m-%dT%H:%M:%S",
        description="strftime format; `%z` is the UTC offset in `timezone` (`+0100`), `%Z` only UTC.",
    )
    timezone: TimeZoneName = Field("UTC", description="Zone in which an instant is rendered.")

    summary: ClassVar[str] = "Render a timestamp as a string with a strftime format, in a time zone."
    example: ClassVar[str] = (
        "- type: format_timestamp\n  column: event_time\n  format: '%Y-%m-%d'\n  into: event_date_str"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        kind = ctx.require(self.column, "timestamp", "timestamp_ntz", "date").kind
        value: exp.Expr = col(self.column)
        parts = _format_parts(self.format)
        if kind != "timestamp" and ("%z" in parts or "%Z" in parts):
            raise ctx.error(f"a {kind} has no time zone to render with %z or %Z", column=self.column)
        if kind == "timestamp":
            value = _in_zone(self.timezone, value)
        pieces: list[exp.Expr] = []
        for part in parts:
            if part == "%z":  # DuckDB would print the offset of the wall-clock value: always +00
                pieces.append(_utc_offset(self.timezone, col(self.column)))
            elif part == "%Z":
                if self.timezone != "UTC":
                    raise ctx.error(
                        "%Z (a zone abbreviation) is only supported for timezone UTC",
                        hint="use %z for the UTC offset (+0100)",
                    )
                pieces.append(exp.Case().when(_not_null(col(self.column)), lit("UTC")))
            else:
                pieces.append(func("STRFTIME", value.copy(), lit(part)))
        rendered = pieces[0] if pieces else func("STRFTIME", value, lit(""))
        for piece in pieces[1:]:
            rendered = exp.DPipe(this=rendered, expression=piece)
        return [ctx.project_with({self.output(): rendered})]


def _format_parts(fmt: str) -> list[str]:
    """``fmt`` split so that each ``%z`` and ``%Z`` directive is a part of its own (``%%`` is kept)."""
    parts: list[str] = []
    current = ""
    i = 0
    while i < len(fmt):
        token = fmt[i : i + 2] if fmt[i] == "%" else fmt[i]
        if token in ("%z", "%Z"):
            if current:
                parts.append(current)
            parts.append(token)
            current = ""
        else:
            current += token
        i += len(token)
    if current:
        parts.append(current)
    return parts


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=e, expression=exp.null()))


def _utc_offset(zone: str, instant: exp.Expr) -> exp.Expr:
    """``+HHMM`` / ``-HHMM``: the offset from UTC of ``zone`` at ``instant`` (like Python's %z)."""
    seconds = exp.Sub(
        this=func("EPOCH", _in_zone(zone, instant.copy())), expression=func("EPOCH", instant.copy())
    )
    minutes = exp.Cast(
        this=func("ROUND", exp.Div(this=exp.paren(seconds), expression=lit(60))),
        to=exp.DataType.build("BIGINT"),
    )
    magnitude = func("ABS", minutes.copy())

    def two_digits(e: exp.Expr) -> exp.Expr:
        return func("LPAD", exp.Cast(this=e, to=exp.DataType.build("VARCHAR")), lit(2), lit("0"))

    sign = exp.Case().when(exp.LT(this=minutes, expression=lit(0)), lit("-")).else_(lit("+"))
    hours = two_digits(exp.IntDiv(this=magnitude, expression=lit(60)))
    mins = two_digits(exp.Mod(this=magnitude.copy(), expression=lit(60)))
    offset = exp.DPipe(this=exp.DPipe(this=sign, expression=hours), expression=mins)
    # What it means, for emitters with a shorter spelling (Flink): the offset of `zone` at `instant`.
    offset.meta[UTC_OFFSET] = {"zone": zone, "instant": instant.copy()}
    return offset


class ConvertTimezone(_TimeRule):
    type: Literal["convert_timezone"]
    to: str | None = Field(
        None, description="For a `timestamp`: the zone whose wall-clock time you want (→ timestamp_ntz)."
    )
    from_: str | None = Field(
        None,
        alias="from",
        description="For a `timestamp_ntz`: the zone it is a wall-clock time of (→ timestamp in UTC).",
    )

    summary: ClassVar[str] = (
        "Instant → wall-clock time in a zone (`to`), or wall-clock time in a zone → instant (`from`)."
    )
    example: ClassVar[str] = (
        "- type: convert_timezone\n  column: event_time\n  to: Europe/Berlin\n  into: event_time_berlin"
    )

    @model_validator(mode="after")
    def _one_direction(self) -> ConvertTimezone:
        if (self.to is None) == (self.from_ is None):
            raise ValueError("give exactly one of `to` (for a timestamp) or `from` (for a timestamp_ntz)")
        check_time_zone(self.to or self.from_ or "")
        return self

    def lower(self, ctx: LoweringContext) -> list[Step]:
        if self.to is not None:
            ctx.require(self.column, "timestamp")
            return [ctx.project_with({self.output(): _in_zone(self.to, col(self.column))})]
        assert self.from_ is not None
        ctx.require(self.column, "timestamp_ntz")
        return [ctx.project_with({self.output(): _in_zone(self.from_, col(self.column))})]
