"""Iceberg sink tables of the Flink job, and how their partitioning is kept.

Flink SQL's ``PARTITIONED BY`` takes column names only, and Iceberg's Flink catalog turns them into
*identity* partitions; it cannot express ``day(ts)``, ``bucket(16, id)`` or ``truncate(4, s)``. So:

- a sink partitioned by top-level columns only gets ``PARTITIONED BY (...)`` in its ``CREATE TABLE``;
- a sink with a hidden-partition transform (or a nested column) is created unpartitioned, and the job,
  right after the DDL and before it submits the INSERTs, sets the declared spec on the table through
  Iceberg's Java API (``Table.updateSpec().addField(name, Expressions.day(col))...``), in the declared
  order and with lakegate's partition field names, so both engines write the same layout;
- every declared spec is in ``job/job.json``; at start the job compares it with each table's current
  spec and stops with an error naming the table if an existing table holding data is partitioned
  differently. A declared partitioning is never dropped silently.
"""

from __future__ import annotations

from typing import Any

from lakegate.connectors.iceberg.config import IcebergSinkConfig, PartitionTerm
from lakegate.engine.flink.deploy.catalogs import catalog_options, catalog_spec
from lakegate.engine.flink.deploy.sqltext import (
    Option,
    column_list,
    comment,
    ident,
    qualified,
    with_clause,
)
from lakegate.errors import CompileError

DEFAULT_TABLE_PROPERTIES = {
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
}
"""Properties of a new table: those the embedded engine's Iceberg sink uses."""


def iceberg_location(sink: str, config: IcebergSinkConfig) -> tuple[str, str, str]:
    """``(catalog, database, table)`` of the sink's table; Flink maps one namespace level to a database."""
    namespace, table = config.identifier
    if len(namespace) != 1:
        raise CompileError(
            f"Iceberg table {config.table!r} has a {len(namespace)}-level namespace; the Flink target "
            "supports `namespace.table`",
            sink=sink,
        )
    return config.catalog, namespace[0], table


def needs_spec_update(terms: list[PartitionTerm]) -> bool:
    """True when ``PARTITIONED BY`` cannot express ``terms`` (a transform, or a nested column)."""
    return any(t.transform != "identity" or "." in t.column for t in terms)


def partition_manifest(sink: str, config: IcebergSinkConfig) -> dict[str, Any]:
    """The entry of ``job.json`` the job checks (and applies) the partition spec of this sink with."""
    catalog, database, table = iceberg_location(sink, config)
    terms = config.partition_terms()
    return {
        "sink": sink,
        "catalog": catalog,
        "table": f"{database}.{table}",
        "apply": needs_spec_update(terms),
        "fields": [
            {"name": t.field_name, "transform": t.iceberg_transform, "column": t.column, "param": t.param}
            for t in terms
        ],
    }


def _check_columns(sink: str, terms: list[PartitionTerm], columns: list[tuple[str, str]]) -> None:
    names = {n for n, _ in columns}
    for term in terms:
        if term.column.split(".")[0] not in names:
            raise CompileError(
                f"partition_by column {term.column!r} is not a column of the rows written to the sink",
                hint=f"columns: {', '.join(sorted(names))}",
                sink=sink,
            )


def iceberg_sink_ddl(
    sink: str, config: IcebergSinkConfig, table: str, columns: list[tuple[str, str]], catalogs: dict[str, Any]
) -> list[str]:
    """DDL of the sink's table in its catalog, plus a connector table named ``table`` when the emitter
    refers to the sink by another name than ``catalog.database.table``."""
    catalog, database, name = iceberg_location(sink, config)
    try:
        spec = catalog_spec(catalog, catalogs)
    except CompileError as exc:
        exc.context.setdefault("sink", sink)
        raise
    terms = config.partition_terms()
    _check_columns(sink, terms, columns)
    described = ", ".join(config.partition_by) or "none"
    head = comment(
        f"Sink {sink!r}: Iceberg table {config.table} in catalog {catalog!r}\n"
        f"partition_by: {described}"
        + (
            "\n(hidden partition transforms: created unpartitioned, the job sets the spec before the INSERTs)"
            if needs_spec_update(terms)
            else ""
        )
    )
    properties = {**DEFAULT_TABLE_PROPERTIES, **config.properties}
    partitioned = ""
    if terms and not needs_spec_update(terms):
        partitioned = "\nPARTITIONED BY (" + ", ".join(ident(t.column) for t in terms) + ")"
    statements = [
        f"CREATE DATABASE IF NOT EXISTS {qualified(catalog, database)}",
        f"{head}\nCREATE TABLE IF NOT EXISTS {qualified(catalog, database, name)} {column_list(columns)}"
        f"{partitioned}\n{with_clause([Option(k, v) for k, v in properties.items()])}",
    ]
    if _normalise(table) != (catalog, database, name):
        options = [Option("connector", "iceberg"), Option("catalog-name", catalog)]
        options += [o for o in catalog_options(catalog, spec) if o.key != "type"]
        options += [Option("catalog-database", database), Option("catalog-table", name)]
        statements.append(
            comment(f"{table} writes to the Iceberg table above")
            + f"\nCREATE TEMPORARY TABLE {table} {column_list(columns)}\n{with_clause(options)}"
        )
    return statements


def _normalise(table: str) -> tuple[str, ...]:
    """``a.b.c`` / `` `a`.`b`.`c` `` → ``("a", "b", "c")`` (dots inside backticks kept)."""
    parts: list[str] = []
    current, quoted, i = "", False, 0
    while i < len(table):
        ch = table[i]
        if ch == "`":
            if quoted and table[i + 1 : i + 2] == "`":
                current += "`"
                i += 1
            else:
                quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
        i += 1
    parts.append(current)
    return tuple(parts)
