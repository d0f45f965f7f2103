"""The Flink SQL sibling of :class:`lakegate.plan.emit.SqlEmitter`.

The shape of the query is the same (chained CTEs over a relation, bookkeeping columns carried
through every step); what differs is each step's expressions, translated by
:class:`~lakegate.engine.flink.functions.FlinkTranslator` over the step's input schema, and the
printing. Each CTE is preceded by a ``-- rule <name> (<type>)`` comment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlglot import exp

from lakegate.engine.flink.dialect import Flink, opaque, to_sql
from lakegate.engine.flink.functions import FlinkTranslator
from lakegate.engine.flink.timefuncs import Unsupported
from lakegate.plan.emit import SqlEmitter, _safe
from lakegate.plan.steps import Check, Filter, MarkDeadLetter, Project, Route, Step, UserSelect
from lakegate.schemas.schema import Field, Schema


class StepError(Exception):
    """A step that cannot be translated: which rule, and why."""

    def __init__(self, rule: str, problem: Unsupported) -> None:
        super().__init__(str(problem))
        self.rule = rule
        self.problem = problem


class FlinkEmitter(SqlEmitter):
    """Emits a transform's SQL steps as one Flink query reading relation ``source``."""

    dialect = Flink  # type: ignore[assignment]

    def __init__(self, hidden: Sequence[str], rule_types: Mapping[str, str] | None = None) -> None:
        super().__init__(hidden)
        self.rule_types = dict(rule_types or {})

    def translate(self, step: Step, schema: Schema) -> tuple[Step, Schema]:
        """``step`` with Flink expressions, and the visible schema after it."""
        t = FlinkTranslator(schema)
        try:
            if isinstance(step, Project):
                out = Schema(tuple(Field(n, t.type_of(e)) for n, e in step.columns))
                return replace(step, columns=[(n, _computed_once(t.translate(e))) for n, e in step.columns]), out
            if isinstance(step, MarkDeadLetter):
                checks = [Check(t.translate(c.failed_when), c.stage, t.translate(c.reason)) for c in step.checks]
                return replace(step, checks=checks), schema
            if isinstance(step, Filter):
                return replace(step, keep_when=t.translate(step.keep_when)), schema
            if isinstance(step, Route):
                return replace(step, when=t.translate(step.when)), schema
            if isinstance(step, UserSelect):
                return self._user_select_step(step, t)
        except Unsupported as problem:
            raise StepError(step.rule, problem) from None
        raise StepError(step.rule, Unsupported(f"a {type(step).__name__} step cannot run on Flink"))

    def _dead_letter(self, step: MarkDeadLetter, visible: list[str], source: str) -> exp.Select:
        """As the DuckDB emitter, with the check number behind an optimisation barrier.

        The number of the failed check is read three times (stage, rule, reason) and every later
        step reads the reason again: if Flink's planner merged the projections, each dead-letter
        step would double the size of the expressions after it (minutes of planning for a dozen
        rules). A projection whose column is non-deterministic is never merged, so the check is
        wrapped in ``CASE WHEN RAND() < 2 THEN … END`` (always true: RAND() is in [0, 1)).
        """
        select = super()._dead_letter(step, visible, source)
        inner = select.args["from_"].this.this
        check = inner.expressions[-1]
        check.set("this", opaque(check.this))
        return select

    def _user_select_step(self, step: UserSelect, t: FlinkTranslator) -> tuple[Step, Schema]:
        select = step.select.copy()
        fields = []
        outputs = []
        for e in select.expressions:
            inner = e.this if isinstance(e, exp.Alias) else e
            fields.append(Field(e.alias_or_name, t.type_of(inner)))
            outputs.append(exp.alias_(t.translate(inner), e.alias_or_name, quoted=True))
        select.set("expressions", outputs)
        where = select.args.get("where")
        if where is not None:
            select.set("where", exp.Where(this=t.translate(where.this)))
        return replace(step, select=select), Schema(tuple(fields))

    def query(self, steps: Sequence[Step], schema: Schema, source: str) -> tuple[str, Schema]:
        """The pretty Flink SQL of ``steps`` over ``source`` (visible columns ``schema``), with a
        comment naming the rule of every CTE, and the visible schema at the end."""
        ctes: list[str] = []
        current = list(schema.names)
        previous = source
        for i, step in enumerate(steps):
            flink_step, schema = self.translate(step, schema)
            select, current = self.step(flink_step, current, previous)
            name = f"s{i + 1}_{_safe(step.rule)}"
            kind = self.rule_types.get(step.rule)
            comment = f"-- rule {step.rule}" + (f" ({kind})" if kind else "")
            body = _indent(to_sql(select, pretty=True))
            ctes.append(f"{comment}\n`{name}` AS (\n{body}\n)")
            previous = name
        columns = ", ".join(f"`{c}`" for c in [*current, *self.hidden])
        if not ctes:
            return f"SELECT {columns}\nFROM `{source}`", schema
        return "WITH\n" + ",\n".join(ctes) + f"\nSELECT *\nFROM `{previous}`", schema


def _computed_once(e: exp.Expr) -> exp.Expr:
    """A rule's new value, evaluated in its own step however often later rules read it (see
    :func:`~lakegate.engine.flink.dialect.opaque`); copies of columns and constants stay as they are."""
    if isinstance(e, exp.Column | exp.Literal | exp.Null | exp.Boolean):
        return e
    return opaque(e)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
