"""Resolved schemas: ordered, typed fields with required flags and defaults."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from lakegate.schemas.types import LType, from_arrow, to_arrow


@dataclass(frozen=True)
class Field:
    """One column: its name, type, whether a value is required, and the default for missing values."""

    name: str
    type: LType
    required: bool = False
    default: Any = None

    def to_arrow(self) -> pa.Field:
        return pa.field(self.name, to_arrow(self.type), nullable=not self.required)


@dataclass(frozen=True)
class Schema:
    """An ordered collection of uniquely named fields."""

    fields: tuple[Field, ...]
    name: str = ""
    version: int = 1

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __contains__(self, name: object) -> bool:
        return any(f.name == name for f in self.fields)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_arrow(self) -> pa.Schema:
        return pa.schema([f.to_arrow() for f in self.fields])

    @classmethod
    def from_arrow(cls, schema: pa.Schema, *, name: str = "") -> Schema:
        return cls(
            tuple(Field(f.name, from_arrow(f.type), required=not f.nullable) for f in schema),
            name=name,
        )

    def describe(self) -> str:
        """One line per field, for ``lakegate explain``."""
        return "\n".join(
            f"{f.name}: {f.type}{' (required)' if f.required else ''}" for f in self.fields
        )
