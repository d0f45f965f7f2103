"""What every rule is: a typed config model that lowers to steps.

A rule receives a :class:`LoweringContext` describing its input (the visible columns and their types,
the pipeline it belongs to) and returns the steps it contributes. Rules check their own options against
the input schema and raise :meth:`LoweringContext.error` — a :class:`CompileError` naming the rule — for
anything wrong; the compiler then binds the emitted SQL to infer the output types.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa
import sqlglot
from pydantic import Field
from sqlglot import exp

from lakegate import records
from lakegate.connectors.config import StrictModel
from lakegate.errors import CompileError, LakegateError
from lakegate.plan.emit import col, lit
from lakegate.plan.steps import Check, Project, Step
from lakegate.rules import binding, failures
from lakegate.schemas.schema import Schema
from lakegate.schemas.types import LType, from_arrow
from lakegate.suggest import did_you_mean

DIALECT = "duckdb"
"""Rule expressions are written in DuckDB-flavoured SQL and parsed into sqlglot ASTs."""

NOT_PER_RECORD: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.AggFunc, "an aggregate"),
    (exp.Window, "a window function"),
    (exp.Select, "a subquery"),
    (exp.Subquery, "a subquery"),
    (exp.Explode, "UNNEST"),
    (exp.Unnest, "UNNEST"),
    (exp.Join, "a JOIN"),
)
"""Expression nodes that read other rows (or make several rows of one): never allowed in a rule."""


class Rule(StrictModel):
    """Base of every rule model. Subclasses set ``type`` to a ``Literal`` and implement :meth:`lower`."""

    type: str
    name: str | None = Field(
        None,
        description="Name used in errors, DLQ records and metrics; defaults to `<type>_<position>`.",
    )
    description: str | None = Field(None, description="What the rule is for (documentation only).")

    summary: ClassVar[str] = ""
    """One line for `lakegate rules`."""
    example: ClassVar[str] = ""
    """A YAML example for `lakegate rules` (one list item)."""

    def lower(self, ctx: LoweringContext) -> list[Step]:
        """The steps that implement this rule on ``ctx.schema``."""
        raise NotImplementedError


@dataclass
class LoweringContext:
    """What a rule may know while lowering: its input and its pipeline."""

    schema: Schema
    rule: str
    pipeline: str = ""
    version: str = ""
    source: str = ""
    sinks: tuple[str, ...] = ()
    metadata_columns: Mapping[str, str] = field(default_factory=dict)
    """Source metadata available to ``add_metadata``: key → hidden column name."""
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    require_secrets: bool = True
    """False when only the plan's shape is needed (``lakegate query``): missing secrets are fine."""
    evaluation_checks: list[Check] = field(default_factory=list)
    """When the rule's expressions would fail on a record (:mod:`lakegate.rules.failures`); the
    compiler dead-letters such records before the rule's steps."""

    # --- errors ---------------------------------------------------------------------------

    def error(self, message: str, *, hint: str | None = None, column: str | None = None) -> CompileError:
        """A :class:`CompileError` naming this rule."""
        return CompileError(message, hint=hint, rule=self.rule, field=column)

    # --- columns --------------------------------------------------------------------------

    def type_of(self, name: str) -> LType:
        """The type of an input column; an unknown name is a compile error with a suggestion."""
        if name not in self.schema:
            raise self.error(
                f"unknown column {name!r}{did_you_mean(name, self.schema.names)}",
                hint="columns here: " + ", ".join(self.schema.names),
                column=name,
            )
        return self.schema.field(name).type

    def require(self, name: str, *kinds: str) -> LType:
        """The type of ``name``, which must be of one of ``kinds``."""
        t = self.type_of(name)
        if kinds and t.kind not in kinds:
            raise self.error(
                f"column {name!r} is {t}, but this rule needs {' or '.join(kinds)}",
                hint="cast it first with a `cast` rule",
                column=name,
            )
        return t

    def columns(self, names: Iterable[str], *kinds: str) -> list[str]:
        """Check each of ``names`` exists (and is of ``kinds``)."""
        out = list(names)
        for n in out:
            self.require(n, *kinds)
        return out

    def check_new_name(self, name: str) -> None:
        """An output column name must not be one the engine reserves for its bookkeeping."""
        if records.is_hidden(name):
            raise self.error(
                f"column name {name!r} is reserved: names starting with {records.PREFIX} belong to the engine",
                column=name,
            )

    # --- expressions ----------------------------------------------------------------------

    def expression_type(self, e: exp.Expr) -> pa.DataType:
        """The Arrow type of expression ``e`` over this rule's input (bound by DuckDB, no data read)."""
        return binding.expression_type(e, self.schema, rule=self.rule)

    def require_boolean(self, e: exp.Expr, *, what: str) -> exp.Expr:
        """``e``, which must be a boolean expression (a predicate), else a compile error."""
        t = self.expression_type(e)
        if not pa.types.is_boolean(t):
            shown = "NULL" if pa.types.is_null(t) else str(from_arrow(t))
            raise self.error(
                f"{what} must be a boolean expression, but it is {shown}",
                hint="compare the value, e.g. `amount > 0`, `name IS NOT NULL` or `flag = 'yes'`",
            )
        return e

    def literal(self, value: Any, t: LType, *, what: str) -> exp.Expr:
        """``CAST(value AS t)`` for a value from the YAML, which must be exactly a value of ``t``."""
        problem = binding.literal_problem(value, t)
        if problem is not None:
            raise self.error(f"{what}: {problem}")
        return exp.Cast(this=lit(value), to=binding.sql_type(t))

    def parse(self, text: str, *, what: str = "expression") -> exp.Expr:
        """Parse a per-record SQL expression and check every column it references exists.

        ``input.col`` is accepted for ``col``; ``s.field`` reads a field of struct column ``s``.
        Aggregates, window functions, subqueries and UNNEST are rejected: they depend on the batch.
        """
        try:
            tree = sqlglot.parse_one(text, dialect=DIALECT)
        except sqlglot.errors.ParseError as exc:
            first = exc.errors[0]["description"] if exc.errors else str(exc)
            raise self.error(f"cannot parse {what} {text!r}: {first}") from None
        if tree is None or isinstance(tree, exp.Select | exp.Union | exp.Insert | exp.Create):
            raise self.error(f"{what} {text!r} must be an expression, not a statement")
        self.check_per_record(tree, what=f"{what} {text!r}")
        self.resolve_columns(tree)
        return self.guard(tree)

    def guard(self, tree: exp.Expr, *, when: exp.Expr | None = None) -> exp.Expr:
        """``tree`` made unable to fail on a value; the records it would fail on are dead-lettered
        (see :mod:`lakegate.rules.failures`). ``when``: the rows ``tree`` is evaluated on."""
        guarded = failures.guard(tree, self._lakegate_type, when=when)
        self.evaluation_checks.extend(guarded.checks)
        return guarded.tree

    def _lakegate_type(self, e: exp.Expr) -> LType | None:
        arrow = self.expression_type(e)
        try:
            return None if pa.types.is_null(arrow) else from_arrow(arrow)
        except LakegateError:
            return None

    def resolve_columns(self, tree: exp.Expr) -> None:
        """Check every column ``tree`` reads exists, quote plain names and drop `input.` qualifiers."""
        lambda_vars = {v.name for lam in tree.find_all(exp.Lambda) for v in lam.expressions}
        for column in list(tree.find_all(exp.Column)):
            if isinstance(column.this, exp.Star):
                continue
            parts = [p.name for p in column.parts]
            if parts[0] in lambda_vars:
                continue
            if len(parts) > 1 and parts[0] == "input" and "input" not in self.schema:
                rest = [p.name for p in reversed(column.parts[1:])]  # column, then table, db
                plain = exp.column(rest[0], *rest[1:3])
                column.replace(plain)
                column, parts = plain, parts[1:]
            self.type_of(parts[0])
            if len(parts) == 1:
                column.set("this", exp.to_identifier(column.name, quoted=True))

    def check_per_record(self, tree: exp.Expr, *, what: str) -> None:
        """Reject constructs in ``tree`` whose value depends on other rows of the batch (a SELECT at
        the root is the `sql` rule's own query)."""
        for node in tree.walk():
            if node is tree and isinstance(tree, exp.Select):
                continue
            label = next((label for kind, label in NOT_PER_RECORD if isinstance(node, kind)), None)
            if label is not None:
                raise self.error(
                    f"{what} uses {label} ({node.sql(dialect=DIALECT)[:60]}), which is not per-record",
                    hint="a rule sees one record at a time; aggregations and joins belong after the pipeline",
                )

    def project_with(
        self, replace: Mapping[str, exp.Expr], *, drop: Iterable[str] = ()
    ) -> Project:
        """A :class:`Project` keeping every column, replacing or appending those in ``replace``."""
        for name in replace:
            self.check_new_name(name)
        dropped = set(drop)
        columns: list[tuple[str, exp.Expr]] = []
        for name in self.schema.names:
            if name in dropped:
                continue
            columns.append((name, replace[name] if name in replace else col(name)))
        columns.extend((n, e) for n, e in replace.items() if n not in self.schema)
        untouched = {n for n in self.schema.names if n not in replace}
        required = {f.name for f in self.schema if f.required and f.name in untouched}
        return Project(self.rule, columns=columns, required=frozenset(required - dropped))

    def secret(self, variable: str, *, purpose: str) -> str:
        """The value of an environment variable the rule needs (never written in YAML)."""
        value = self.env.get(variable)
        if not value and not self.require_secrets:
            return ""
        if not value:
            raise self.error(
                f"environment variable {variable} is not set; {purpose}",
                hint=f"export {variable}=...",
            )
        return value


def str_lit(value: str) -> exp.Expr:
    return exp.Literal.string(value)


def func(name: str, *args: Any) -> exp.Expr:
    """A function call expression (anonymous functions pass through to the dialect as written)."""
    return exp.func(name, *args, dialect=DIALECT)
