"""DuckDB database sink: rows and source positions committed in one DuckDB transaction."""

from lakegate.connectors.duckdb.config import DuckDBSinkConfig

__all__ = ["DuckDBSinkConfig"]
