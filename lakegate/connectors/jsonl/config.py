"""Config of the ``jsonl`` sink."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lakegate.connectors.config import CommitPolicy, StrictModel


class JsonlSinkConfig(StrictModel):
    """Write newline-delimited JSON files into a directory; each commit adds one file."""

    type: Literal["jsonl"] = Field(description="Selects the JSON lines files sink.")
    path: str = Field(
        description="Directory of the .jsonl files (relative to the pipeline file); created when missing."
    )
    commit: CommitPolicy = Field(
        default_factory=CommitPolicy,
        description="When buffered rows are written out and committed.",
    )
