"""Config of the ``postgres`` sink.

The source positions are stored in the table ``lakegate_offsets`` (in the target table's schema) by
the same transaction as the rows, so a crash at any moment loses and duplicates nothing. In
``append`` mode every row is inserted; in ``upsert`` mode a row replaces the stored row with the same
``key`` (through a staging table and ``INSERT … ON CONFLICT DO UPDATE``; within one commit the last
row per key wins).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from lakegate.connectors.config import CommitPolicy, StrictModel, TableName

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PostgresSinkConfig(StrictModel):
    """Load rows into a PostgreSQL table with COPY (`append`, or `upsert` by `key`); rows and source positions are committed in one transaction (needs `pip install 'lakegate[postgres]'`)."""

    type: Literal["postgres"] = Field(description="Selects the PostgreSQL sink.")
    dsn: SecretStr = Field(
        description=(
            "libpq connection string, e.g. `postgresql://user:${PGPASSWORD}@host:5432/db` or "
            "`host=... dbname=... user=...`. Put the password in an environment variable and "
            "reference it with `${VAR}` interpolation instead of writing it in the YAML; the value is "
            "never printed."
        )
    )
    table: TableName = Field(
        description=(
            "Target table, `table` or `schema.table` (a bare name uses the connection's current "
            "schema, normally `public`); created with the schema when missing."
        )
    )
    mode: Literal["append", "upsert"] = Field(
        "append",
        description=(
            "`append` inserts every row; `upsert` inserts or replaces rows by `key` "
            "(`INSERT … ON CONFLICT (key) DO UPDATE`)."
        ),
    )
    key: list[str] = Field(
        default_factory=list,
        description=(
            "Key columns for `upsert` (required, non-empty; they become the table's PRIMARY KEY when "
            "lakegate creates it, and must be required columns). Ignored in `append` mode."
        ),
    )
    commit: CommitPolicy = Field(
        default_factory=CommitPolicy,
        description="When buffered rows are loaded and the transaction committed.",
    )
    create_table: bool = Field(
        True,
        description=(
            "Create the schema and the table from the rows' schema when missing; when false a missing "
            "table is an error."
        ),
    )

    @field_validator("key")
    @classmethod
    def _check_key(cls, value: list[str]) -> list[str]:
        bad = [k for k in value if not _COLUMN.match(k)]
        if bad:
            raise ValueError(f"invalid key column name(s) {bad}: letters, digits and underscores only")
        if len(set(value)) != len(value):
            raise ValueError(f"key columns {value} contain duplicates")
        return value

    @model_validator(mode="after")
    def _key_for_upsert(self) -> PostgresSinkConfig:
        if self.mode == "upsert" and not self.key:
            raise ValueError(
                "mode `upsert` needs `key`: the column(s) that identify a row, e.g. `key: [order_id]`"
            )
        return self

    @property
    def schema_and_table(self) -> tuple[str | None, str]:
        """``(schema or None, table)`` from :attr:`table`."""
        schema, _, table = self.table.rpartition(".")
        return (schema or None), table
