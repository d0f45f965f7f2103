"""Config of the ``duckdb`` sink."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lakegate.connectors.config import CommitPolicy, StrictModel, TableName


class DuckDBSinkConfig(StrictModel):
    """Insert rows into a table of a DuckDB database file."""

    type: Literal["duckdb"] = Field(description="Selects the DuckDB database sink.")
    path: str = Field(
        description="The .duckdb database file (relative to the pipeline file); created when missing."
    )
    table: TableName = Field(
        description="Table to insert into, `table` or `schema.table`; created from the rows' schema when missing."
    )
    commit: CommitPolicy = Field(
        default_factory=CommitPolicy,
        description="When buffered rows are inserted and committed.",
    )

