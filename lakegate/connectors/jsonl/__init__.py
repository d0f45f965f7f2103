"""JSON lines sink: one NDJSON file per commit in a directory (the default dead-letter queue)."""

from lakegate.connectors.jsonl.config import JsonlSinkConfig

__all__ = ["JsonlSinkConfig"]
