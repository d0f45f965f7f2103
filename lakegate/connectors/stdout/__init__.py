"""Stdout sink: prints committed rows as JSON lines (for development and demos)."""

from lakegate.connectors.stdout.config import StdoutSinkConfig

__all__ = ["StdoutSinkConfig"]
