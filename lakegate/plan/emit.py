"""Emit SQL from steps.

:class:`SqlEmitter` turns a run of SQL steps into one query of chained CTEs over a relation named
``input``, carrying the bookkeeping columns through every step. The dialect is a parameter: DuckDB for
the embedded engine; a Flink SQL emitter is a sibling that overrides what differs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from lakegate import records
from lakegate.plan.steps import Filter, MarkDeadLetter, Project, Route, Step, UserSelect

INPUT = "input"
CHECK = "__lg_check"
"""Temporary column: the number of the first check a row failed."""


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str) -> exp.Column:
    """A quoted column reference."""
    return exp.Column(this=ident(name))


def lit(value: object) -> exp.Expr:
    """A SQL literal for a Python value."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def is_true(e: exp.Expr) -> exp.Expr:
    """``COALESCE(e, FALSE)``: NULL counts as not true."""
    return exp.func("COALESCE", exp.paren(e.copy()), exp.false())


class SqlEmitter:
    """Builds the SQL for a segment of steps; ``dialect`` is a sqlglot dialect name."""

    dialect = "duckdb"

    def __init__(self, hidden: Sequence[str]) -> None:
        self.hidden = list(hidden)

    def segment(self, steps: Sequence[Step], visible: Sequence[str]) -> exp.Expr:
        """One query for ``steps`` applied in order to ``input`` whose visible columns are ``visible``.

        Returns the query AST; a step's visible output columns come from its kind.
        """
        ctes: list[exp.CTE] = []
        current = list(visible)
        source = INPUT
        for i, step in enumerate(steps):
            select, current = self.step(step, current, source)
            name = f"s{i + 1}_{_safe(step.rule)}"
            ctes.append(exp.CTE(this=select, alias=exp.TableAlias(this=ident(name))))
            source = name
        if not ctes:
            return self._select([col(c) for c in current], [col(h) for h in self.hidden], INPUT)
        # Built directly: sqlglot's builder methods copy the whole query at every call.
        query = self._select([exp.Star()], [], source)
        query.set("with_", exp.With(expressions=ctes))
        return query

    def sql(self, steps: Sequence[Step], visible: Sequence[str], *, pretty: bool = False) -> str:
        """The SQL text of :meth:`segment`."""
        return self.segment(steps, visible).sql(dialect=self.dialect, pretty=pretty, identify=True)

    # --- one step -------------------------------------------------------------------------

    def step(self, step: Step, visible: list[str], source: str) -> tuple[exp.Select, list[str]]:
        if isinstance(step, Project):
            outputs = [exp.alias_(e.copy(), ident(n)) for n, e in step.columns]
            return self._select(outputs, self._hidden(), source), [n for n, _ in step.columns]
        if isinstance(step, MarkDeadLetter):
            return self._dead_letter(step, visible, source), visible
        if isinstance(step, Filter):
            return self._select(self._visible(visible), self._filter(step.keep_when), source), visible
        if isinstance(step, Route):
            return self._select(self._visible(visible), self._route(step), source), visible
        if isinstance(step, UserSelect):
            return self._user_select(step, visible, source)
        raise TypeError(f"not a SQL step: {step!r}")

    def _select(
        self, visible: list[exp.Expr], hidden: list[exp.Expr], source: str
    ) -> exp.Select:
        select = exp.Select(expressions=[*visible, *hidden])
        select.set("from_", exp.From(this=exp.to_table(source, quoted=True)))
        return select

    @staticmethod
    def _visible(visible: list[str]) -> list[exp.Expr]:
        return [col(c) for c in visible]

    def _hidden(self, **replace: exp.Expr) -> list[exp.Expr]:
        return [
            exp.alias_(replace[h], ident(h)) if h in replace else col(h)
            for h in self.hidden
        ]

    @staticmethod
    def _alive() -> exp.Expr:
        """Rows that are neither dead-lettered nor filtered."""
        return exp.and_(
            exp.Is(this=col(records.DLQ_REASON), expression=exp.null()),
            exp.not_(col(records.FILTERED)),
        )

    def _dead_letter(self, step: MarkDeadLetter, visible: list[str], source: str) -> exp.Select:
        """Evaluate the checks once, into the number of the first failing one, then derive the stage,
        rule and reason from that number (a reason is computed only for the rows that failed)."""
        first_failed = exp.Case()
        for number, check in enumerate(step.checks, 1):
            first_failed = first_failed.when(exp.and_(self._alive(), is_true(check.failed_when)), lit(number))
        checked = self._select(
            [*self._visible(visible), *self._hidden(), exp.alias_(first_failed, ident(CHECK))], [], source
        )

        def by_check(value_of: str) -> exp.Expr:
            case = exp.Case(this=col(CHECK))
            for number, check in enumerate(step.checks, 1):
                value = {
                    records.DLQ_STAGE: lit(check.stage),
                    records.DLQ_RULE: lit(step.rule),
                    records.DLQ_REASON: check.reason.copy(),
                }[value_of]
                case = case.when(lit(number), value)
            return case.else_(col(value_of))

        hidden = self._hidden(
            **{h: by_check(h) for h in (records.DLQ_STAGE, records.DLQ_RULE, records.DLQ_REASON)}
        )
        select = exp.Select(expressions=[*self._visible(visible), *hidden])
        select.set("from_", exp.From(this=exp.Subquery(this=checked, alias=exp.TableAlias(this=ident(CHECK)))))
        return select

    def _filter(self, keep_when: exp.Expr) -> list[exp.Expr]:
        dropped = exp.and_(self._alive(), exp.not_(is_true(keep_when)))
        return self._hidden(**{records.FILTERED: exp.or_(col(records.FILTERED), exp.paren(dropped))})

    def _route(self, step: Route) -> list[exp.Expr]:
        routed = exp.Case().when(
            exp.and_(
                exp.Is(this=col(records.ROUTE), expression=exp.null()),
                self._alive(),
                is_true(step.when),
            ),
            lit(step.sink),
        )
        return self._hidden(**{records.ROUTE: routed.else_(col(records.ROUTE))})

    def _user_select(
        self, step: UserSelect, visible: list[str], source: str
    ) -> tuple[exp.Select, list[str]]:
        select = step.select.copy()
        where = select.args.get("where")
        select.set("where", None)
        aliased = exp.Table(this=ident(source), alias=exp.TableAlias(this=ident(INPUT)))
        select.set("from_", exp.From(this=aliased))
        outputs: list[str] = []
        expressions: list[exp.Expr] = []
        for e in select.expressions:
            if isinstance(e, exp.Star):
                expressions.extend(col(c) for c in visible)
                outputs.extend(visible)
            else:
                expressions.append(e)
                outputs.append(e.alias_or_name)
        replace = {}
        if where is not None:
            dropped = exp.and_(self._alive(), exp.not_(is_true(where.this)))
            replace[records.FILTERED] = exp.or_(col(records.FILTERED), exp.paren(dropped))
        select.set("expressions", [*expressions, *self._hidden(**replace)])
        return select, outputs


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:40]
