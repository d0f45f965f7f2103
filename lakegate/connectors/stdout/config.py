"""Config of the ``stdout`` sink."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lakegate.connectors.config import CommitPolicy, StrictModel


class StdoutSinkConfig(StrictModel):
    """Print rows to standard output as JSON lines when they are committed."""

    type: Literal["stdout"] = Field(description="Selects the standard output sink.")
    commit: CommitPolicy = Field(default_factory=CommitPolicy, description="When buffered rows are printed.")
