"""PostgreSQL sink: rows bulk-loaded with COPY and source positions committed in one transaction."""

from lakegate.connectors.postgres.config import PostgresSinkConfig

__all__ = ["PostgresSinkConfig"]
