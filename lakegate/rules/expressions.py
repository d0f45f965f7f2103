"""Rules written as SQL: derive, filter, route and the `sql` escape hatch."""

from __future__ import annotations

from typing import ClassVar, Literal

import sqlglot
from pydantic import Field, model_validator
from sqlglot import exp

from lakegate.plan.emit import col
from lakegate.plan.steps import Filter as FilterStep
from lakegate.plan.steps import Route as RouteStep
from lakegate.plan.steps import Step, UserSelect
from lakegate.rules.base import DIALECT, LoweringContext, Rule


class Derive(Rule):
    type: Literal["derive"]
    column: str | None = Field(None, description="Name of the (new or replaced) column.")
    expr: str | None = Field(None, description="SQL expression over the input columns.")
    columns: dict[str, str] | None = Field(
        None, description="Several columns at once: name → expression (all see the same input)."
    )

    summary: ClassVar[str] = "Add or replace columns computed by SQL expressions."
    example: ClassVar[str] = (
        "- type: derive\n  column: is_mobile\n  expr: \"lower(platform) IN ('ios', 'android')\""
    )

    @model_validator(mode="after")
    def _one_form(self) -> Derive:
        if (self.columns is None) == (self.column is None or self.expr is None):
            raise ValueError("give either `column` and `expr`, or `columns` (name → expression)")
        return self

    def expressions(self) -> dict[str, str]:
        if self.columns is not None:
            return self.columns
        assert self.column is not None and self.expr is not None
        return {self.column: self.expr}

    def lower(self, ctx: LoweringContext) -> list[Step]:
        parsed = {n: ctx.parse(e, what=f"expression for {n!r}") for n, e in self.expressions().items()}
        return [ctx.project_with(parsed)]


class Filter(Rule):
    type: Literal["filter"]
    expr: str = Field(description="Boolean SQL expression; rows where it is not TRUE are dropped.")

    summary: ClassVar[str] = "Keep rows where the predicate is TRUE (dropped rows are counted as filtered)."
    example: ClassVar[str] = "- type: filter\n  expr: \"event_name <> 'heartbeat'\""

    def lower(self, ctx: LoweringContext) -> list[Step]:
        what = f"filter {self.expr!r}"
        keep_when = ctx.require_boolean(ctx.parse(self.expr, what="filter"), what=what)
        return [FilterStep(ctx.rule, keep_when=keep_when)]


class Route(Rule):
    type: Literal["route"]
    expr: str = Field(description="Boolean SQL expression selecting the rows to route.")
    sink: str = Field(description="Sink that receives the matching rows instead of the transform's sinks.")

    summary: ClassVar[str] = "Send rows matching a predicate to a named sink (first matching route wins)."
    example: ClassVar[str] = "- type: route\n  expr: \"bid_amount > 1000\"\n  sink: large_bids"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        what = f"route predicate {self.expr!r}"
        when = ctx.require_boolean(ctx.parse(self.expr, what="route predicate"), what=what)
        return [RouteStep(ctx.rule, when=when, sink=self.sink)]


_NOT_PER_RECORD = (exp.Group, exp.Having, exp.Order, exp.Limit, exp.Offset, exp.Qualify)
"""Clauses of the `sql` rule's query that need other rows (expressions are checked by the context)."""


class Sql(Rule):
    type: Literal["sql"]
    query: str = Field(
        description="`SELECT … FROM input [WHERE …]`: one row in, at most one row out. WHERE filters; "
        "`*` (with DuckDB's EXCLUDE / REPLACE) stands for every column; computed columns need `AS name`."
    )

    summary: ClassVar[str] = "Escape hatch: a per-record SQL SELECT over the rows so far (`FROM input`)."
    example: ClassVar[str] = (
        "- type: sql\n  query: \"SELECT *, price * quantity AS total FROM input WHERE quantity > 0\""
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        try:
            tree = sqlglot.parse_one(self.query, dialect=DIALECT)
        except sqlglot.errors.ParseError as exc:
            first = exc.errors[0]["description"] if exc.errors else str(exc)
            raise ctx.error(f"cannot parse the query: {first}") from None
        if not isinstance(tree, exp.Select):
            raise ctx.error("the query must be a single SELECT … FROM input")
        source = tree.args.get("from") or tree.args.get("from_")
        table = source.this if source is not None else None
        if (
            not isinstance(table, exp.Table)
            or table.name != "input"
            or table.alias
            or tree.ctes
            or tree.args.get("joins")
        ):
            raise ctx.error("the query must read `FROM input` (and nothing else, without an alias)")
        for node_type in _NOT_PER_RECORD:
            found = tree.args.get(node_type.key) or tree.find(node_type)
            if found is not None:
                raise ctx.error(
                    f"the query uses {node_type.key.upper()}, which is not per-record",
                    hint="sql transforms map one row to at most one row; aggregations come later",
                )
        if tree.args.get("distinct"):
            raise ctx.error("SELECT DISTINCT is not per-record")
        ctx.check_per_record(tree, what="the query")
        where = tree.args.get("where")
        where_text = where.this.sql(dialect=DIALECT) if where is not None else ""
        ctx.resolve_columns(tree)
        outputs = self._outputs(ctx, tree.expressions)
        if where is not None:
            ctx.require_boolean(where.this, what=f"the WHERE clause {where_text!r}")
            where.set("this", ctx.guard(where.this))
        kept = where.this if where is not None else None
        tree.set("expressions", [ctx.guard(e, when=kept) for e in outputs])
        return [UserSelect(ctx.rule, select=tree)]

    @staticmethod
    def _outputs(ctx: LoweringContext, items: list[exp.Expr]) -> list[exp.Expr]:
        """The select list with every `*` expanded to the visible columns; names checked."""
        out: list[exp.Expr] = []
        for item in items:
            star = item.this if isinstance(item, exp.Column) and isinstance(item.this, exp.Star) else item
            if isinstance(star, exp.Star):
                if isinstance(item, exp.Column) and item.table != "input":
                    raise ctx.error(f"unknown relation {item.table!r} (the query reads `input`)")
                out.extend(_expand_star(ctx, star))
            elif isinstance(item, exp.Column | exp.Alias):
                out.append(item)
            else:
                raise ctx.error(
                    f"give the computed column {item.sql(dialect=DIALECT)!r} a name with `AS name`",
                    hint="engines name unnamed expressions differently",
                )
        names = [e.alias_or_name for e in out]
        for name in names:
            ctx.check_new_name(name)
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ctx.error(
                f"the query produces duplicate columns: {', '.join(clashes)}",
                hint="use `* EXCLUDE (col)` or `* REPLACE (expr AS col)` to change a column `*` brings",
            )
        return out


def _expand_star(ctx: LoweringContext, star: exp.Star) -> list[exp.Expr]:
    """``*``, ``* EXCLUDE (…)``, ``* REPLACE (… AS c)`` and ``* RENAME (a AS b)`` as explicit columns."""
    excluded = [c.name for c in star.args.get("except_") or star.args.get("except") or []]
    replaced = {a.alias: a for a in star.args.get("replace") or []}
    renamed = {a.this.name: a.alias for a in star.args.get("rename") or []}
    for name in [*excluded, *replaced, *renamed]:
        ctx.type_of(name)
    out: list[exp.Expr] = []
    for name in ctx.schema.names:
        if name in excluded:
            continue
        if name in replaced:
            out.append(exp.alias_(replaced[name].this, name, quoted=True))
        elif name in renamed:
            out.append(exp.alias_(col(name), renamed[name], quoted=True))
        else:
            out.append(col(name))
    return out
