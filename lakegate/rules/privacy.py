"""Privacy rules: mask, hash, redact."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field
from sqlglot import exp

from lakegate.plan.emit import col, lit
from lakegate.plan.steps import Step
from lakegate.rules.base import LoweringContext, Rule, func
from lakegate.rules.options import RegexPattern

SECRET_PREFIX = "secret_"
"""Placeholders named ``$secret_<VAR>`` are bound to environment variables at run time, so secrets
never appear in emitted SQL or in `lakegate explain`."""


def secret(variable: str) -> exp.Expr:
    """A placeholder for the value of environment variable ``variable``."""
    return exp.Placeholder(this=f"{SECRET_PREFIX}{variable}")


class Mask(Rule):
    type: Literal["mask"]
    columns: list[str] = Field(min_length=1, description="String columns to mask in place.")
    keep_first: int = Field(0, ge=0, description="Leading characters left visible.")
    keep_last: int = Field(0, ge=0, description="Trailing characters left visible.")
    char: str = Field("*", min_length=1, max_length=1, description="Masking character.")

    summary: ClassVar[str] = (
        "Replace characters by a mask character, optionally keeping the first/last N; a value not "
        "longer than keep_first + keep_last is masked whole."
    )
    example: ClassVar[str] = "- type: mask\n  columns: [card_number]\n  keep_last: 4"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns, "string")
        return [ctx.project_with({c: self._mask(col(c)) for c in self.columns})]

    def _mask(self, s: exp.Expr) -> exp.Expr:
        length = func("LENGTH", s.copy())
        visible = self.keep_first + self.keep_last
        whole = func("REPEAT", lit(self.char), length.copy())
        middle = func("REPEAT", lit(self.char), exp.Sub(this=length.copy(), expression=lit(visible)))
        if visible == 0:
            return whole
        parts: exp.Expr = middle
        if self.keep_first:  # an empty end is left out rather than concatenated (a few % of the rule)
            parts = exp.DPipe(this=func("LEFT", s.copy(), lit(self.keep_first)), expression=parts)
        if self.keep_last:
            parts = exp.DPipe(this=parts, expression=func("RIGHT", s.copy(), lit(self.keep_last)))
        return exp.Case().when(exp.LTE(this=length, expression=lit(visible)), whole).else_(parts)


class Hash(Rule):
    type: Literal["hash"]
    columns: list[str] = Field(min_length=1, description="Columns replaced by their salted hash.")
    salt_env: str = Field(
        "LAKEGATE_HASH_SALT",
        description="Environment variable holding the salt (never written in the YAML).",
    )

    summary: ClassVar[str] = "Replace values by the hex SHA-256 of salt + value (nulls stay null)."
    example: ClassVar[str] = "- type: hash\n  columns: [email]\n  salt_env: LAKEGATE_HASH_SALT"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns)
        ctx.secret(self.salt_env, purpose="the hash rule takes its salt from it")
        hashed = {
            c: func(
                "SHA256",
                exp.DPipe(
                    this=secret(self.salt_env),
                    expression=exp.Cast(this=col(c), to=exp.DataType.build("VARCHAR")),
                ),
            )
            for c in self.columns
        }
        # `salt || NULL` is NULL and SHA256(NULL) is NULL: nulls stay null.
        return [ctx.project_with(hashed)]


class Redact(Rule):
    type: Literal["redact"]
    columns: list[str] = Field(min_length=1, description="String columns to redact.")
    patterns: list[RegexPattern] = Field(
        default_factory=list,
        description="Regular expressions whose matches are replaced; empty: the whole value is.",
    )
    replacement: str = Field("[REDACTED]", description="Text put in place of what is redacted.")

    summary: ClassVar[str] = "Replace whole values, or the parts matching patterns, by a fixed text."
    example: ClassVar[str] = (
        "- type: redact\n  columns: [comment]\n  patterns: ['[\\w.]+@[\\w.]+']\n  replacement: '<email>'"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns, "string")
        out: dict[str, exp.Expr] = {}
        for c in self.columns:
            e: exp.Expr = col(c)
            if not self.patterns:
                e = exp.Case().when(
                    exp.Not(this=exp.Is(this=col(c), expression=exp.null())), lit(self.replacement)
                )
            # The replacement is plain text: escape the backslashes RE2 would read as `\1` references.
            literal = self.replacement.replace("\\", "\\\\")
            for p in self.patterns:
                e = func("REGEXP_REPLACE", e, lit(p), lit(literal), lit("g"))
            out[c] = e
        return [ctx.project_with(out)]
