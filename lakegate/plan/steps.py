"""The steps a rule lowers to: one intermediate form shared by every engine's emitter.

Expressions are sqlglot ASTs over the *visible* columns of the step's input. Bookkeeping columns
(:mod:`lakegate.records`) are carried through every step by the emitter; rules never touch them
directly, they only say which rows go to the DLQ, are filtered out or are routed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp


@dataclass
class Step:
    """Base of every step; ``rule`` names the rule that produced it (for errors and comments)."""

    rule: str


@dataclass
class Project(Step):
    """The visible columns after this step, in order, each with its expression."""

    columns: list[tuple[str, exp.Expr]] = field(default_factory=list)
    required: frozenset[str] = frozenset()
    """Output columns known never to be null."""


@dataclass
class Check:
    """A row-level condition that sends a row to the DLQ when it is TRUE."""

    failed_when: exp.Expr
    stage: str
    reason: exp.Expr
    """A string expression (usually a literal) explaining the failure."""


@dataclass
class MarkDeadLetter(Step):
    """Rows meeting a check (and not already dead-lettered) go to the DLQ with its reason."""

    checks: list[Check] = field(default_factory=list)


@dataclass
class Filter(Step):
    """Rows for which ``keep_when`` is not TRUE are filtered out (counted, never delivered)."""

    keep_when: exp.Expr = field(default_factory=lambda: exp.true())


@dataclass
class Route(Step):
    """Rows for which ``when`` is TRUE are delivered to ``sink`` instead of the transform's sinks."""

    when: exp.Expr = field(default_factory=lambda: exp.true())
    sink: str = ""


@dataclass
class UserSelect(Step):
    """A user's per-record ``SELECT … FROM input``; ``where`` is turned into a filter."""

    select: exp.Select = field(default_factory=exp.Select)


@dataclass
class PythonCall(Step):
    """A Python transformer (Arrow batch in, Arrow batch out); it ends a SQL segment."""

    transformer: Any = None
    class_path: str = ""


SQL_STEPS = (Project, MarkDeadLetter, Filter, Route, UserSelect)
