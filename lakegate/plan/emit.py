"""Emit SQL from steps.

:class:`SqlEmitter` turns a run of SQL steps into one query of chained CTEs over a relation named
``input``, carrying the bookkeeping columns through every step. The dialect is a parameter: DuckDB for
the embedded engine; a Flink SQL emitter is a sibling that overrides what differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlglot import exp

from lakegate import records
from lakegate.plan.steps import Check, Filter, MarkDeadLetter, Project, Route, Step, UserSelect

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
        if self.dialect == "duckdb":  # not in a sibling emitter: it translates the steps' trees itself
            step = _with_shortcuts(step)
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


UTC_MICROS_SAFE = 1 << 62
"""Microseconds since 1970 (about ±146,000 years) within which DuckDB's ``MAKE_TIMESTAMPTZ(µs)`` and
``TIMEZONE('UTC', MAKE_TIMESTAMP(µs))`` give the same instant; nearer the ends of the BIGINT range
the second fails (ICU overflows) while the first does not."""


def duckdb_shortcuts(node: exp.Expr) -> exp.Expr:
    """Cheaper DuckDB spellings of expressions the rules build, with exactly the same results.

    - ``TIMEZONE('UTC', MAKE_TIMESTAMP(TRY_CAST((x) * f AS BIGINT)))`` (an epoch as a UTC instant,
      from ``parse_timestamp``) goes through an ICU calendar per value; ``MAKE_TIMESTAMPTZ(µs)`` builds
      the same instant directly (about a tenth of the benchmark's SQL time). It is used only where
      ``x`` keeps the microseconds within :data:`UTC_MICROS_SAFE`; elsewhere (and for NULL, NaN) the
      original expression runs, so that it fails where it failed. The guard reads only ``x`` (a column
      or a TRY_CAST, which cannot fail) and the microseconds appear only inside the CASE's branches:
      DuckDB's common-subexpression pass would otherwise compute them once, outside an enclosing
      ``TRY``, and an overflow would escape it.
    """
    if not (
        isinstance(node, exp.Anonymous)
        and node.name.upper() == "TIMEZONE"
        and len(node.expressions) == 2
        and isinstance(node.expressions[0], exp.Literal)
        and node.expressions[0].is_string
        and node.expressions[0].this.upper() == "UTC"
        and isinstance(node.expressions[1], exp.UnixToTime)
        and str(node.expressions[1].args.get("scale", exp.null()).this) == "6"
        and not any(node.expressions[1].args.get(k) for k in ("zone", "hours", "minutes", "format"))
    ):
        return node
    micros = node.expressions[1].this
    if not (isinstance(micros, exp.TryCast) and micros.to.is_type(exp.DataType.Type.BIGINT)):
        return node
    product = micros.this
    if not (
        isinstance(product, exp.Mul)
        and isinstance(product.expression, exp.Literal)
        and not product.expression.is_string
        and product.expression.this.isdigit()
        and int(product.expression.this) > 0
    ):
        return node
    number = product.this.unnest() if isinstance(product.this, exp.Paren) else product.this
    if not isinstance(number, (exp.Column, exp.TryCast)):
        return node
    bound = UTC_MICROS_SAFE // int(product.expression.this)
    safe = exp.Between(this=number.copy(), low=lit(-bound), high=lit(bound))
    direct = exp.Anonymous(this="MAKE_TIMESTAMPTZ", expressions=[micros.copy()])
    return exp.Case().when(safe, direct).else_(node.copy())


def _with_shortcuts(step: Step) -> Step:
    """``step`` with :func:`duckdb_shortcuts` applied to (copies of) its expressions."""
    if isinstance(step, Project):
        return replace(step, columns=[(n, e.transform(duckdb_shortcuts)) for n, e in step.columns])
    if isinstance(step, MarkDeadLetter):
        checks = [
            Check(c.failed_when.transform(duckdb_shortcuts), c.stage, c.reason.transform(duckdb_shortcuts))
            for c in step.checks
        ]
        return replace(step, checks=checks)
    if isinstance(step, Filter):
        return replace(step, keep_when=step.keep_when.transform(duckdb_shortcuts))
    if isinstance(step, Route):
        return replace(step, when=step.when.transform(duckdb_shortcuts))
    return step


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:40]
