"""The Flink capability check: what of a compiled plan Flink can run with the embedded engine's meaning.

Runs at compile time (``lakegate compile --target flink`` calls :func:`check_flink`, and
:func:`~lakegate.engine.flink.statements.flink_statements` runs the same checks), so a rule Flink cannot
run is a :class:`CompileError` naming the transform and rule, never a deploy-time failure:

- a ``python`` rule (a Python transformer has no place in a Flink SQL job);
- ``on_error: fail`` (Flink SQL cannot stop a job on a row);
- a function, conversion or format with no Flink translation of the same meaning (the error names it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from lakegate.engine.flink.emit import StepError
from lakegate.engine.flink.timefuncs import Unsupported
from lakegate.errors import CompileError
from lakegate.plan.model import Plan
from lakegate.plan.steps import MarkDeadLetter, PythonCall, Step

HINT = "run this pipeline on the embedded engine, or change the rule (see docs: Flink target)"


def check_steps(steps: Sequence[Step]) -> None:
    """Reject the steps no Flink translation can express (before translating any expression)."""
    for step in steps:
        if isinstance(step, PythonCall):
            raise StepError(step.rule, Unsupported(
                f"the python transformer {step.class_path} cannot run in a Flink SQL job",
                hint="express it with SQL rules (derive, sql) or run the pipeline on the embedded engine",
            ))  # fmt: skip
        if isinstance(step, MarkDeadLetter) and any(c.stage == "fatal" for c in step.checks):
            raise StepError(step.rule, Unsupported(
                "on_error: fail cannot stop a Flink job on one record", hint="use on_error: dlq (or null)"
            ))  # fmt: skip


@contextmanager
def located(*, transform: str | None, source: str | None = None) -> Iterator[None]:
    """Turn a failed translation into a :class:`CompileError` naming the transform and rule."""
    try:
        yield
    except StepError as exc:
        raise CompileError(
            f"cannot run on Flink: {exc.problem}", hint=exc.problem.hint or HINT, transform=transform, rule=exc.rule
        ) from None
    except Unsupported as exc:
        raise CompileError(f"cannot run on Flink: {exc}", hint=exc.hint or HINT, transform=transform, source=source) from None


class _NoTables:
    """A table factory declaring nothing: enough to translate every rule."""

    def source_table(self, *args: object) -> str:
        return ""

    def sink_table(self, *args: object) -> list[str]:
        return []

    def dlq_table(self, *args: object) -> list[str]:
        return []


def check_flink(plan: Plan) -> None:
    """Raise a :class:`CompileError` for the first thing of ``plan`` Flink cannot run."""
    from lakegate.engine.flink.statements import flink_statements

    flink_statements(plan, _NoTables())
