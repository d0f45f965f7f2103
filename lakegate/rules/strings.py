"""String rules: trim, lower, upper, regex_replace, regex_extract, split, concat, substring, map_values."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlglot import exp

from lakegate.plan.emit import col, lit
from lakegate.plan.steps import Step
from lakegate.rules.base import LoweringContext, Rule, func
from lakegate.rules.options import RegexPattern

INTO = "Column receiving the result (new or existing); defaults to the input column."


class _StringColumns(Rule):
    """A string function applied to each listed column in place."""

    columns: list[str] = Field(min_length=1, description="String columns to change in place.")
    function: ClassVar[str] = ""

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns, "string")
        return [ctx.project_with({c: self.apply(col(c)) for c in self.columns})]

    def apply(self, e: exp.Expr) -> exp.Expr:
        return func(self.function, e)


WHITESPACE = r"[\t-\r\x{85}\p{Z}]"
"""Unicode White_Space in RE2 (and Java) syntax: tab, newline, vertical tab, form feed, carriage return,
next line and the separators (space, no-break space, the em/en spaces, line/paragraph separators …)."""


class Trim(_StringColumns):
    type: Literal["trim"]
    summary: ClassVar[str] = "Remove leading and trailing whitespace (spaces, tabs, newlines, Unicode spaces)."
    example: ClassVar[str] = "- type: trim\n  columns: [email, city]"

    def apply(self, e: exp.Expr) -> exp.Expr:
        # SQL TRIM removes spaces only (DuckDB also Unicode spaces, but not tabs or newlines).
        pattern = f"^{WHITESPACE}+|{WHITESPACE}+$"
        return func("REGEXP_REPLACE", e, lit(pattern), lit(""), lit("g"))


class Lower(_StringColumns):
    type: Literal["lower"]
    function: ClassVar[str] = "LOWER"
    summary: ClassVar[str] = "Lower-case strings."
    example: ClassVar[str] = "- type: lower\n  columns: [email]"


class Upper(_StringColumns):
    type: Literal["upper"]
    function: ClassVar[str] = "UPPER"
    summary: ClassVar[str] = "Upper-case strings."
    example: ClassVar[str] = "- type: upper\n  columns: [country]"


class _OneColumn(Rule):
    """A rule reading one string column and writing ``into`` (default: the same column)."""

    column: str = Field(description="Input column.")
    into: str | None = Field(None, description=INTO)

    def output(self) -> str:
        return self.into or self.column


class RegexReplace(_OneColumn):
    type: Literal["regex_replace"]
    pattern: RegexPattern = Field(description="Regular expression (RE2 syntax).")
    replacement: str = Field(description="Replacement; `\\1` refers to a capture group.")

    summary: ClassVar[str] = "Replace every match of a regular expression."
    example: ClassVar[str] = (
        "- type: regex_replace\n  column: phone\n  pattern: '[^0-9+]'\n  replacement: ''"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.require(self.column, "string")
        e = func("REGEXP_REPLACE", col(self.column), lit(self.pattern), lit(self.replacement), lit("g"))
        return [ctx.project_with({self.output(): e})]


class RegexExtract(_OneColumn):
    type: Literal["regex_extract"]
    pattern: RegexPattern = Field(description="Regular expression (RE2 syntax).")
    group: int = Field(0, ge=0, description="Capture group to return (0: the whole match).")

    summary: ClassVar[str] = "Extract the first match (or one capture group); null when nothing matches."
    example: ClassVar[str] = (
        "- type: regex_extract\n  column: email\n  pattern: '@(.+)$'\n  group: 1\n  into: email_domain"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.require(self.column, "string")
        if self.group > re.compile(self.pattern).groups:
            raise ctx.error(f"the pattern has no capture group {self.group}")
        found = func("REGEXP_EXTRACT", col(self.column), lit(self.pattern), lit(self.group))
        matched = func("REGEXP_MATCHES", col(self.column), lit(self.pattern))
        e = exp.Case().when(matched, found)
        return [ctx.project_with({self.output(): e})]


class Split(_OneColumn):
    type: Literal["split"]
    separator: str = Field(min_length=1, description="Literal separator string.")

    summary: ClassVar[str] = "Split a string into a list<string> on a literal separator."
    example: ClassVar[str] = "- type: split\n  column: tags\n  separator: ','\n  into: tag_list"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.require(self.column, "string")
        return [ctx.project_with({self.output(): func("STR_SPLIT", col(self.column), lit(self.separator))})]


class Concat(Rule):
    type: Literal["concat"]
    columns: list[str] = Field(min_length=1, description="Columns joined in order (any type).")
    into: str = Field(description="Column receiving the result.")
    separator: str = Field("", description="Placed between values.")
    skip_nulls: bool = Field(
        True, description="Skip null values; when false, any null input makes the result null."
    )

    summary: ClassVar[str] = "Join several columns into one string."
    example: ClassVar[str] = (
        "- type: concat\n  columns: [first_name, last_name]\n  separator: ' '\n  into: full_name"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns)
        parts = [exp.Cast(this=col(c), to=exp.DataType.build("VARCHAR")) for c in self.columns]
        e: exp.Expr = func("CONCAT_WS", lit(self.separator), *parts)
        if not self.skip_nulls:
            any_null = exp.or_(*(exp.Is(this=col(c), expression=exp.null()) for c in self.columns))
            e = exp.If(this=any_null, true=exp.null(), false=e)
        return [ctx.project_with({self.into: e})]


class Substring(_OneColumn):
    type: Literal["substring"]
    start: int = Field(ge=1, description="First character, counting from 1.")
    length: int | None = Field(None, ge=0, description="Number of characters (default: to the end).")

    summary: ClassVar[str] = "Take part of a string (1-based start, optional length)."
    example: ClassVar[str] = "- type: substring\n  column: postcode\n  start: 1\n  length: 2\n  into: region"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.require(self.column, "string")
        args = [col(self.column), lit(self.start)]
        if self.length is not None:
            args.append(lit(self.length))
        return [ctx.project_with({self.output(): func("SUBSTRING", *args)})]


class MapValues(_OneColumn):
    type: Literal["map_values"]
    mapping: dict[str, Any] = Field(min_length=1, description="Input value → output value.")
    default: Any = Field(
        None,
        description="Output for values not in the mapping, null included; unset keeps the input value "
        "(then the mapped values must be of the column's type).",
    )

    summary: ClassVar[str] = "Replace values through a lookup table, with a default for the rest."
    example: ClassVar[str] = (
        "- type: map_values\n  column: platform\n  mapping: {ios: mobile, android: mobile, web: desktop}\n"
        "  default: other"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        source_type = ctx.type_of(self.column)
        has_default = "default" in self.model_fields_set
        case = exp.Case()
        for key, value in self.mapping.items():
            key_expr = ctx.literal(key, source_type, what=f"mapping key {key!r}")
            if has_default or value is None:
                out = lit(value)
            else:  # unmapped values pass through, so mapped ones must be of the column's type
                out = ctx.literal(
                    value,
                    source_type,
                    what=f"mapping value {value!r} (without a `default`, unmapped values keep the "
                    f"column's type {source_type})",
                )
            case = case.when(exp.EQ(this=col(self.column), expression=key_expr), out)
        fallback = lit(self.default) if has_default else col(self.column)
        return [ctx.project_with({self.output(): case.else_(fallback)})]
