"""DDL and catalog look-ups of the ``postgres`` sink: the target table and ``lakegate_offsets``."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pyarrow as pa
from psycopg import sql

from lakegate.connectors.postgres.schema import Column, column_type, is_nested, json_comment
from lakegate.records import SourcePositions

POSITIONS_TABLE = "lakegate_offsets"

_CREATE_POSITIONS = (
    "CREATE TABLE {} (pipeline text NOT NULL, sink text NOT NULL, positions jsonb NOT NULL, "
    "committed_at timestamptz NOT NULL, PRIMARY KEY (pipeline, sink))"
)
_UPSERT_POSITIONS = (
    "INSERT INTO {} (pipeline, sink, positions, committed_at) VALUES (%s, %s, %s::jsonb, now()) "
    "ON CONFLICT (pipeline, sink) DO UPDATE SET positions = EXCLUDED.positions, "
    "committed_at = EXCLUDED.committed_at"
)

Connection = psycopg.Connection[Any]


def prepare_schema(con: Connection, schema: str, positions: sql.Composable) -> None:
    """Create ``schema`` (when missing) and the positions table in it, serialised by an advisory lock.

    The lock (held until the transaction ends) keeps concurrent opens of the same pipeline from
    racing on ``CREATE``. Nothing is created when it exists, so a role without CREATE privileges
    can write into tables prepared for it.
    """
    con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"lakegate:{schema}"])
    if not con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone():
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    if con.execute("SELECT to_regclass(%s)", [positions.as_string(con)]).fetchone() == (None,):
        con.execute(sql.SQL(_CREATE_POSITIONS).format(positions))


def existing_columns(con: Connection, table: sql.Composable) -> list[Column] | None:
    """The columns of ``table``, or ``None`` when it does not exist."""
    regclass = table.as_string(con)
    if con.execute("SELECT to_regclass(%s)", [regclass]).fetchone() == (None,):
        return None
    rows = con.execute(
        "SELECT attname, format_type(atttypid, atttypmod), NOT attnotnull, col_description(attrelid, attnum) "
        "FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        [regclass],
    ).fetchall()
    return [Column(*row) for row in rows]


def has_unique_key(con: Connection, table: sql.Composable, key: list[str]) -> bool:
    """True when ``table`` has a primary key or unique index on exactly the columns ``key``
    (what ``ON CONFLICT (key)`` needs)."""
    rows = con.execute(
        "SELECT array_agg(a.attname::text) FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indpred IS NULL "
        "AND i.indexprs IS NULL GROUP BY i.indexrelid",
        [table.as_string(con)],
    ).fetchall()
    return any(set(r[0]) == set(key) for r in rows)


def create_table(con: Connection, table: sql.Composable, schema: pa.Schema, key: list[str]) -> None:
    """Create ``table`` for ``schema``: NOT NULL for required fields, PRIMARY KEY on ``key`` (if any),
    and a type comment on every ``jsonb`` column."""
    parts = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(f.name), sql.SQL(column_type(f.type)), sql.SQL("" if f.nullable else " NOT NULL")
        )
        for f in schema
    ]
    if key:
        parts.append(sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(sql.Identifier(k) for k in key)))
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(parts)))
    for f in schema:
        if is_nested(f.type):
            con.execute(
                sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    table, sql.Identifier(f.name), sql.Literal(json_comment(f.type))
                )
            )


def read_positions(con: Connection, positions: sql.Composable, pipeline: str, sink: str) -> SourcePositions:
    """The stored positions of ``(pipeline, sink)`` (``{}`` when none); ends the read transaction."""
    row: tuple[Any, ...] | None = None
    if con.execute("SELECT to_regclass(%s)", [positions.as_string(con)]).fetchone() != (None,):
        row = con.execute(
            sql.SQL("SELECT positions FROM {} WHERE pipeline = %s AND sink = %s").format(positions),
            [pipeline, sink],
        ).fetchone()
    con.rollback()
    return dict(row[0]) if row else {}


def lock_and_read_positions(
    con: Connection, positions: sql.Composable, pipeline: str, sink: str
) -> SourcePositions:
    """Inside the caller's transaction: take the sink's commit lock (a transaction-scoped advisory
    lock, so processes of one pipeline commit to the sink one at a time) and read its positions."""
    con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"lakegate:{pipeline}:{sink}"])
    row = con.execute(
        sql.SQL("SELECT positions FROM {} WHERE pipeline = %s AND sink = %s").format(positions),
        [pipeline, sink],
    ).fetchone()
    return dict(row[0]) if row else {}


def write_positions(
    con: Connection, positions_table: sql.Composable, pipeline: str, sink: str, positions: SourcePositions
) -> None:
    """Upsert the row of ``(pipeline, sink)`` (inside the caller's transaction)."""
    con.execute(
        sql.SQL(_UPSERT_POSITIONS).format(positions_table),
        [pipeline, sink, json.dumps(positions, separators=(",", ":"))],
    )
