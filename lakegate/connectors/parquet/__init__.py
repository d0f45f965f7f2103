"""Parquet files sink: one Parquet file per commit in a directory, tracked by a commit log."""

from lakegate.connectors.parquet.config import ParquetSinkConfig

__all__ = ["ParquetSinkConfig"]
