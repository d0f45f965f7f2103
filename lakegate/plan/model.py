"""The compiled plan: what the engine runs and `lakegate explain` shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakegate.connectors.config import RetryPolicy
from lakegate.plan.steps import PythonCall, Step
from lakegate.schemas.schema import Schema


@dataclass
class SourcePlan:
    """A source with its resolved schema."""

    name: str
    config: Any
    schema: Schema
    metadata_keys: tuple[str, ...] = ()
    metadata_types: dict[str, Any] = field(default_factory=dict)
    """Arrow types of metadata keys (string when not listed)."""


@dataclass
class Segment:
    """A run of steps executed together: one SQL query, or one Python transformer call."""

    steps: list[Step]
    input_schema: Schema
    output_schema: Schema
    sql: str | None = None
    """The query (over relation ``input``) for a SQL segment; None for a Python segment."""

    @property
    def python(self) -> PythonCall | None:
        step = self.steps[0]
        return step if isinstance(step, PythonCall) else None


@dataclass
class TransformPlan:
    """One transform, lowered and type-checked."""

    name: str
    source: str
    input_schema: Schema
    output_schema: Schema
    segments: list[Segment]
    sinks: list[str]
    routes: list[str] = field(default_factory=list)
    """Sinks that receive rows through `route` rules."""
    hidden: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    """Environment variables bound to `$secret_<VAR>` placeholders at run time."""
    rule_names: list[str] = field(default_factory=list)
    rule_types: dict[str, str] = field(default_factory=dict)
    """Rule name → rule type (for comments in emitted SQL)."""


@dataclass
class SinkPlan:
    """A sink with the schema every transform feeding it produces."""

    name: str
    config: Any
    schema: Schema
    transforms: list[str]


@dataclass
class Plan:
    """A whole compiled pipeline."""

    pipeline: str
    version: str
    base_dir: Path
    state_dir: Path
    sources: dict[str, SourcePlan]
    transforms: dict[str, TransformPlan]
    sinks: dict[str, SinkPlan]
    dlq: Any
    catalogs: dict[str, Any]
    threads: int
    retry: RetryPolicy = field(default_factory=RetryPolicy)
