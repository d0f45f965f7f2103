"""The validate rule: data-quality checks whose failures go to the DLQ with the check's name."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from lakegate.connectors.config import StrictModel
from lakegate.plan.emit import col, lit
from lakegate.plan.steps import Check, MarkDeadLetter, Step
from lakegate.rules.base import LoweringContext, Rule, func
from lakegate.rules.options import RegexPattern

KINDS = ("not_null", "range", "regex", "in_set", "length", "expr")


class RangeCheck(StrictModel):
    column: str = Field(description="Numeric, date or timestamp column.")
    min: Any = Field(None, description="Smallest allowed value (inclusive).")
    max: Any = Field(None, description="Largest allowed value (inclusive).")


class RegexCheck(StrictModel):
    column: str = Field(description="String column.")
    pattern: RegexPattern = Field(description="Regular expression the whole value must match (RE2 syntax).")


class InSetCheck(StrictModel):
    column: str = Field(description="Column to check.")
    values: list[Any] = Field(min_length=1, description="Allowed values.")


class LengthCheck(StrictModel):
    column: str = Field(description="String or list column.")
    min: int | None = Field(None, ge=0, description="Shortest allowed length.")
    max: int | None = Field(None, ge=0, description="Longest allowed length.")


class CheckSpec(StrictModel):
    """One check: give a `name` and exactly one of the check kinds. Null values pass every check
    except `not_null` (combine with `not_null` to forbid them)."""

    name: str | None = Field(None, description="Reported in the DLQ; default: derived from the check.")
    not_null: str | list[str] | None = Field(None, description="Column(s) that must not be null.")
    range: RangeCheck | None = Field(None, description="Value within [min, max].")
    regex: RegexCheck | None = Field(None, description="Value fully matches a pattern.")
    in_set: InSetCheck | None = Field(None, description="Value is one of a list.")
    length: LengthCheck | None = Field(None, description="String or list length within [min, max].")
    expr: str | None = Field(
        None,
        description="Any boolean SQL expression; the check fails where it is FALSE (where it is NULL, "
        "e.g. over null values, it passes, like a SQL CHECK constraint).",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> CheckSpec:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a check needs exactly one of {', '.join(KINDS)} (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=e, expression=exp.null()))


def _typed(ctx: LoweringContext, column: str, value: Any, what: str) -> exp.Expr:
    """``value`` as a literal of ``column``'s type; a value that is not one is a compile error."""
    return ctx.literal(value, ctx.type_of(column), what=what)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Validate(Rule):
    type: Literal["validate"]
    checks: list[CheckSpec] = Field(min_length=1, description="Checks, evaluated in order.")

    summary: ClassVar[str] = (
        "Data-quality checks (not_null, range, regex, in_set, length, any SQL expr); a failing row "
        "goes to the DLQ naming the first check it failed."
    )
    example: ClassVar[str] = (
        "- type: validate\n  checks:\n    - {name: has_user, not_null: user_id}\n"
        "    - {name: sane_amount, range: {column: bid_amount, min: 0, max: 100000}}\n"
        "    - {name: known_platform, in_set: {column: platform, values: [ios, android, web]}}"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        checks = []
        for i, spec in enumerate(self.checks):
            name = spec.name or f"{spec.kind}_{i + 1}"
            failed = self._failed(ctx, spec, name)
            checks.append(Check(failed, "validate", lit(f"check {name} failed")))
        return [MarkDeadLetter(ctx.rule, checks=checks)]

    def _failed(self, ctx: LoweringContext, spec: CheckSpec, name: str) -> exp.Expr:
        if spec.not_null is not None:
            names = [spec.not_null] if isinstance(spec.not_null, str) else spec.not_null
            ctx.columns(names)
            return exp.or_(*(exp.Is(this=col(n), expression=exp.null()) for n in names))
        if spec.range is not None:
            r = spec.range
            ctx.require(r.column, "int", "long", "float", "double", "decimal", "date", "timestamp", "timestamp_ntz")
            bounds: list[exp.Expr] = []
            if r.min is not None:
                low = _typed(ctx, r.column, r.min, f"check {name}: min")
                bounds.append(exp.LT(this=col(r.column), expression=low))
            if r.max is not None:
                high = _typed(ctx, r.column, r.max, f"check {name}: max")
                bounds.append(exp.GT(this=col(r.column), expression=high))
            if not bounds:
                raise ctx.error(f"check {name}: a range check needs min, max or both")
            if _is_number(r.min) and _is_number(r.max) and r.min > r.max:
                raise ctx.error(f"check {name}: min {r.min} is greater than max {r.max}")
            return exp.and_(_not_null(col(r.column)), exp.paren(exp.or_(*bounds)))
        if spec.regex is not None:
            ctx.require(spec.regex.column, "string")
            anchored = f"^(?:{spec.regex.pattern})$"
            matches = func("REGEXP_MATCHES", col(spec.regex.column), lit(anchored))
            return exp.and_(_not_null(col(spec.regex.column)), exp.Not(this=matches))
        if spec.in_set is not None:
            c = spec.in_set.column
            ctx.type_of(c)
            values = [_typed(ctx, c, v, f"check {name}: value {v!r}") for v in spec.in_set.values]
            allowed = exp.In(this=col(c), expressions=values)
            return exp.and_(_not_null(col(c)), exp.Not(this=allowed))
        if spec.length is not None:
            ln = spec.length
            kind = ctx.require(ln.column, "string", "list").kind
            size = func("LENGTH" if kind == "string" else "LEN", col(ln.column))
            limits: list[exp.Expr] = []
            if ln.min is not None:
                limits.append(exp.LT(this=size, expression=lit(ln.min)))
            if ln.max is not None:
                limits.append(exp.GT(this=size.copy(), expression=lit(ln.max)))
            if not limits:
                raise ctx.error(f"check {name}: a length check needs min, max or both")
            if ln.min is not None and ln.max is not None and ln.min > ln.max:
                raise ctx.error(f"check {name}: min {ln.min} is greater than max {ln.max}")
            return exp.and_(_not_null(col(ln.column)), exp.paren(exp.or_(*limits)))
        assert spec.expr is not None
        condition = ctx.require_boolean(ctx.parse(spec.expr, what="check"), what=f"check {name} {spec.expr!r}")
        # Only FALSE fails: NULL (a null input) passes, as for every other kind but not_null.
        return func("COALESCE", exp.Not(this=exp.paren(condition)), exp.false())
