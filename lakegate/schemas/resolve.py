"""Resolve schema specs from the YAML into :class:`~lakegate.schemas.schema.Schema` objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakegate.errors import SchemaError
from lakegate.schemas.schema import Field, Schema
from lakegate.schemas.types import LType, parse_type

if TYPE_CHECKING:
    from lakegate.spec.loader import PathKey, SourceMap
    from lakegate.spec.models import FieldSpec, SchemaSpec


def _field_type(spec: FieldSpec, source_map: SourceMap, path: PathKey) -> LType:
    if spec.type.strip().lower() == "struct":
        if not spec.fields:
            raise source_map.error(path, f"field {spec.name!r} is a struct but lists no `fields`")
        subs = tuple(
            (f.name, _field_type(f, source_map, (*path, "fields", i))) for i, f in enumerate(spec.fields)
        )
        return LType("struct", fields=subs)
    if spec.fields:
        raise source_map.error(path, f"field {spec.name!r} has `fields` but its type is {spec.type}")
    try:
        return parse_type(spec.type)
    except SchemaError as exc:
        raise source_map.error(path, exc.message, hint=exc.hint) from None


def resolve_schema(name: str, spec: SchemaSpec, source_map: SourceMap, path: PathKey) -> Schema:
    """The schema named ``name``; duplicate field names are errors located in the YAML."""
    fields: list[Field] = []
    seen: set[str] = set()
    for i, f in enumerate(spec.fields):
        where = (*path, "fields", i)
        if f.name in seen:
            raise source_map.error(where, f"schema {name!r} has two fields named {f.name!r}")
        seen.add(f.name)
        fields.append(Field(f.name, _field_type(f, source_map, where), f.required, f.default))
    return Schema(tuple(fields), name=name, version=spec.version)
