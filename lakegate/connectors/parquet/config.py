"""Config of the ``parquet`` sink."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lakegate.connectors.config import CommitPolicy, StrictModel

CompressionCodec = Literal["zstd", "snappy", "gzip", "brotli", "lz4", "none"]


class ParquetSinkConfig(StrictModel):
    """Write Parquet files into a directory; each commit adds one file and updates the commit log."""

    type: Literal["parquet"] = Field(description="Selects the Parquet files sink.")
    path: str = Field(
        description="Directory of the Parquet files (relative to the pipeline file); created when missing."
    )
    commit: CommitPolicy = Field(
        default_factory=CommitPolicy,
        description="When buffered rows are written out and committed.",
    )
    compression: CompressionCodec = Field(default="zstd", description="Parquet compression codec.")
