"""Types and schemas: the lakegate type system and its mappings to Arrow, DuckDB and JSON decoding."""

from lakegate.schemas.schema import Field, Schema
from lakegate.schemas.types import LType, parse_type

__all__ = ["Field", "LType", "Schema", "parse_type"]
