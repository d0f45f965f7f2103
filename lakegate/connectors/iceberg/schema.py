"""Arrow ↔ Iceberg schemas for the Iceberg sink: conversion, compatibility, partition specs."""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema, assign_fresh_schema_ids
from pyiceberg.transforms import parse_transform
from pyiceberg.types import IcebergType, ListType, MapType, NestedField, StructType

from lakegate.connectors.iceberg.config import PartitionTerm
from lakegate.errors import TerminalConnectorError

FORMAT_VERSION: Literal[2] = 2
_FIRST_PARTITION_FIELD_ID = 1000


def storage_type(t: pa.DataType) -> pa.DataType:
    """The Arrow type written for ``t``: Iceberg v2 stores microsecond timestamps, zoned ones in UTC."""
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC" if t.tz is not None else None)
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(storage_type(f.type)) for f in t])
    if pa.types.is_large_list(t):
        return pa.large_list(t.value_field.with_type(storage_type(t.value_type)))
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(storage_type(t.value_type)))
    if pa.types.is_map(t):
        return pa.map_(
            t.key_field.with_type(storage_type(t.key_type)),
            t.item_field.with_type(storage_type(t.item_type)),
        )
    return t


def storage_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every type replaced by its :func:`storage_type`."""
    return pa.schema([f.with_type(storage_type(f.type)) for f in schema])


def to_iceberg_schema(schema: pa.Schema) -> Schema:
    """An Iceberg schema with fresh field ids; a non-nullable Arrow field becomes a required field."""
    try:
        # pyiceberg's own Arrow → Iceberg conversion, as used by Catalog.create_table for pa.Schema.
        converted = Catalog._convert_schema_if_needed(storage_schema(schema), FORMAT_VERSION)
        return assign_fresh_schema_ids(converted)
    except (TypeError, ValueError) as exc:
        raise TerminalConnectorError(f"this schema cannot be stored in Iceberg: {exc}") from exc


def _same_type(a: IcebergType, b: IcebergType) -> bool:
    """Type equality that ignores field ids (nested types compare names, types and requiredness)."""
    if isinstance(a, StructType) and isinstance(b, StructType):
        return len(a.fields) == len(b.fields) and all(
            _same_field(x, y) for x, y in zip(a.fields, b.fields, strict=True)
        )
    if isinstance(a, ListType) and isinstance(b, ListType):
        return a.element_required == b.element_required and _same_type(a.element_type, b.element_type)
    if isinstance(a, MapType) and isinstance(b, MapType):
        return (
            a.value_required == b.value_required
            and _same_type(a.key_type, b.key_type)
            and _same_type(a.value_type, b.value_type)
        )
    return a == b


def _same_field(a: NestedField, b: NestedField) -> bool:
    return a.name == b.name and a.required == b.required and _same_type(a.field_type, b.field_type)


def schema_problems(table_schema: Schema, new: Schema) -> list[str]:
    """Why rows of ``new`` cannot be appended to a table of ``table_schema`` (empty: they can).

    ``new`` may be a subset of the table's columns (the others are written as nulls, so they must be
    optional); every column of ``new`` must exist in the table with the same type. A required column
    may go to an optional one, not the reverse.
    """
    problems = []
    table_fields = {f.name: f for f in table_schema.fields}
    for field in new.fields:
        have = table_fields.get(field.name)
        if have is None:
            problems.append(f"column {field.name!r} ({field.field_type}) is not in the table")
        elif not _same_type(field.field_type, have.field_type):
            problems.append(
                f"column {field.name!r} is {field.field_type} but the table has {have.field_type}"
            )
        elif have.required and not field.required:
            problems.append(f"column {field.name!r} is required in the table but nullable in the rows")
    names = {f.name for f in new.fields}
    problems += [
        f"required column {f.name!r} of the table is not written"
        for f in table_schema.fields
        if f.required and f.name not in names
    ]
    return problems


def partition_spec(schema: Schema, terms: list[PartitionTerm]) -> PartitionSpec:
    """The partition spec for ``terms`` over ``schema`` (ids as assigned by :func:`to_iceberg_schema`)."""
    fields = []
    for i, term in enumerate(terms):
        try:
            source = schema.find_field(term.column)
        except ValueError as exc:
            raise TerminalConnectorError(
                f"partition_by {term.iceberg_transform}({term.column}): no column {term.column!r}"
            ) from exc
        transform: Any = parse_transform(term.iceberg_transform)
        if not transform.can_transform(source.field_type):
            raise TerminalConnectorError(
                f"partition_by: {term.transform} cannot apply to column {term.column!r} of type "
                f"{source.field_type}"
            )
        fields.append(
            PartitionField(
                source_id=source.field_id,
                field_id=_FIRST_PARTITION_FIELD_ID + i,
                transform=transform,
                name=term.field_name,
            )
        )
    return PartitionSpec(*fields)


def arrow_for_append(data: pa.Table, table_arrow_schema: pa.Schema) -> pa.Table:
    """``data`` with the table's columns in the table's order; columns it lacks become nulls."""
    if data.schema.names == table_arrow_schema.names:
        return data
    columns = [
        data.column(f.name) if f.name in data.schema.names else pa.nulls(data.num_rows, f.type)
        for f in table_arrow_schema
    ]
    fields = [
        data.schema.field(f.name) if f.name in data.schema.names else f.with_nullable(True)
        for f in table_arrow_schema
    ]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))
