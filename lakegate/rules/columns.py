"""Rules that reshape the column set: rename, drop, keep."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lakegate.plan.emit import col
from lakegate.plan.steps import Project, Step
from lakegate.rules.base import LoweringContext, Rule


class Rename(Rule):
    type: Literal["rename"]
    columns: dict[str, str] = Field(min_length=1, description="Old name → new name.")

    summary: ClassVar[str] = "Rename columns; order and types are kept."
    example: ClassVar[str] = "- type: rename\n  columns: {ts: timestamp_ms, uid: user_id}"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns)
        for new in self.columns.values():
            ctx.check_new_name(new)
        names = [self.columns.get(n, n) for n in ctx.schema.names]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ctx.error(f"renaming would create duplicate columns: {', '.join(clashes)}")
        required = {self.columns.get(f.name, f.name) for f in ctx.schema if f.required}
        return [
            Project(
                ctx.rule,
                columns=[(self.columns.get(n, n), col(n)) for n in ctx.schema.names],
                required=frozenset(required),
            )
        ]


class Drop(Rule):
    type: Literal["drop"]
    columns: list[str] = Field(min_length=1, description="Columns to remove.")

    summary: ClassVar[str] = "Remove columns."
    example: ClassVar[str] = "- type: drop\n  columns: [debug_info]"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns)
        if set(self.columns) >= set(ctx.schema.names):
            raise ctx.error("dropping every column leaves nothing to write")
        return [ctx.project_with({}, drop=self.columns)]


class Keep(Rule):
    type: Literal["keep"]
    columns: list[str] = Field(min_length=1, description="Columns to keep, in this order.")

    summary: ClassVar[str] = "Keep only the listed columns, in the listed order."
    example: ClassVar[str] = "- type: keep\n  columns: [order_id, user_id, total]"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.columns(self.columns)
        twice = sorted({n for n in self.columns if self.columns.count(n) > 1})
        if twice:
            raise ctx.error(f"keep lists {', '.join(twice)} more than once")
        required = {f.name for f in ctx.schema if f.required}
        return [
            Project(
                ctx.rule,
                columns=[(n, col(n)) for n in self.columns],
                required=frozenset(required & set(self.columns)),
            )
        ]
