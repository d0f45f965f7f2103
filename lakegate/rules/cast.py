"""Rules about types and missing values: cast, default, coalesce."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlglot import exp

from lakegate.plan.emit import col, lit
from lakegate.plan.steps import Check, MarkDeadLetter, Step
from lakegate.rules.base import LoweringContext, Rule
from lakegate.rules.conversions import convert_text
from lakegate.rules.options import TypeName
from lakegate.schemas.types import LType, parse_type, to_duckdb

OnError = Literal["null", "dlq", "fail"]
ON_ERROR_DESCRIPTION = (
    "What to do with a value that cannot be converted: `null` keeps the row with a null, `dlq` sends "
    "the row to the dead-letter queue, `fail` stops the pipeline (nothing of the batch is committed)."
)


def try_cast(e: exp.Expr, t: LType) -> exp.Expr:
    """``TRY_CAST(e AS t)``: null instead of an error."""
    return exp.TryCast(this=e, to=exp.DataType.build(to_duckdb(t), dialect="duckdb"))


def as_text(e: exp.Expr) -> exp.Expr:
    """``CAST(e AS VARCHAR)`` for error messages."""
    return exp.Cast(this=e.copy(), to=exp.DataType.build("VARCHAR"))


def conversion_checks(
    ctx: LoweringContext, source: exp.Expr, converted: exp.Expr, what: str, on_error: OnError
) -> list[Step]:
    """The DLQ (or fail) step for rows where ``source`` is set but ``converted`` came out null."""
    if on_error == "null":
        return []
    failed = exp.and_(
        exp.Not(this=exp.Is(this=source.copy(), expression=exp.null())),
        exp.Is(this=converted.copy(), expression=exp.null()),
    )
    reason = exp.DPipe(this=lit(f"{what}: "), expression=exp.func("COALESCE", as_text(source), lit("?")))
    stage = "fatal" if on_error == "fail" else "convert"
    return [MarkDeadLetter(ctx.rule, checks=[Check(failed, stage, reason)])]


class Cast(Rule):
    type: Literal["cast"]
    columns: dict[str, TypeName] = Field(min_length=1, description="Column → target type.")
    on_error: OnError = Field("dlq", description=ON_ERROR_DESCRIPTION)

    summary: ClassVar[str] = "Convert columns to other types; unconvertible values go to the DLQ."
    example: ClassVar[str] = (
        "- type: cast\n  columns: {price: 'decimal(10,2)', quantity: int}\n  on_error: dlq"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns)
        steps: list[Step] = []
        converted = {n: self._convert(ctx, n, parse_type(t)) for n, t in self.columns.items()}
        for n, t in self.columns.items():
            steps += conversion_checks(ctx, col(n), converted[n], f"cannot cast {n} to {t}", self.on_error)
        return [*steps, ctx.project_with(converted)]

    @staticmethod
    def _convert(ctx: LoweringContext, name: str, t: LType) -> exp.Expr:
        """``TRY_CAST``, except that a fraction never becomes a whole number by rounding, and text
        converts as :mod:`lakegate.rules.conversions` defines."""
        source = ctx.type_of(name)
        if source.kind == "string" and t.is_nested:
            raise ctx.error(
                f"cannot cast string column {name!r} to {t}",
                hint="parse JSON text with a `parse_json` rule",
                column=name,
            )
        if source.kind == "string":
            return convert_text(col(name), t)
        converted = try_cast(col(name), t)
        if t.is_integer and source.kind in ("float", "double", "decimal"):
            converted = exp.Case().when(exp.EQ(this=converted, expression=col(name)), converted.copy())
        return converted


class Default(Rule):
    type: Literal["default"]
    values: dict[str, Any] = Field(min_length=1, description="Column → value used where it is null.")

    summary: ClassVar[str] = "Fill nulls with a constant per column."
    example: ClassVar[str] = "- type: default\n  values: {country: unknown, quantity: 1}"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        filled = {
            n: exp.func("COALESCE", col(n), ctx.literal(v, ctx.type_of(n), what=f"default for {n!r}"))
            for n, v in self.values.items()
        }
        project = ctx.project_with(filled)
        project.required = project.required | frozenset(self.values)
        return [project]


class Coalesce(Rule):
    type: Literal["coalesce"]
    columns: list[str] = Field(min_length=1, description="Columns tried in order.")
    into: str = Field(description="Column receiving the first non-null value (new or existing).")
    default: Any = Field(None, description="Value used when every column is null.")

    summary: ClassVar[str] = "The first non-null value of several columns (and an optional default)."
    example: ClassVar[str] = (
        "- type: coalesce\n  columns: [mobile_phone, home_phone]\n  into: phone\n  default: none"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns)
        args: list[exp.Expr] = [col(c) for c in self.columns]
        if self.default is not None:
            for c in self.columns:  # the default must be a value of every column's type
                ctx.literal(self.default, ctx.type_of(c), what=f"default (for column {c!r})")
            args.append(ctx.literal(self.default, ctx.type_of(self.columns[0]), what="default"))
        project = ctx.project_with({self.into: exp.func("COALESCE", *args)})
        if self.default is not None:
            project.required = project.required | {self.into}
        return [project]
