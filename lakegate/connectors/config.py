"""Config pieces shared by several connectors."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CommitPolicy(StrictModel):
    """When a sink makes buffered rows durable: whichever threshold is reached first."""

    every_records: int = Field(
        100_000, gt=0, description="Commit once this many rows are buffered since the last commit."
    )
    every_seconds: float = Field(
        10.0, gt=0, description="Commit when this many seconds passed since the last commit."
    )


class RetryPolicy(StrictModel):
    """How often and how patiently a transient failure is retried before the run stops."""

    attempts: int = Field(8, ge=1, description="Tries in all, the first one included.")
    initial_seconds: float = Field(0.5, gt=0, description="Wait before the first retry; doubles each time.")
    max_seconds: float = Field(30.0, gt=0, description="Longest wait between two tries.")


_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def check_table_name(value: str) -> str:
    """``table`` or ``schema.table`` of plain identifiers."""
    if not _TABLE_NAME.match(value):
        raise ValueError(
            f"invalid table name {value!r}: expected `table` or `schema.table` "
            "(letters, digits and underscores, not starting with a digit)"
        )
    return value


TableName = Annotated[str, AfterValidator(check_table_name)]
