"""A real PostgreSQL server for tests: its DSN, throw-away schemas, an admin connection.

The DSN comes from ``LAKEGATE_TEST_PG_DSN`` and defaults to the local server the project's machines
run (trust auth). When nothing answers, tests fail with a message saying how to provide a server;
they are never skipped silently.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

DSN_ENV = "LAKEGATE_TEST_PG_DSN"
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@cache
def _check(dsn: str) -> str | None:
    """``None`` when the server answers, else why not."""
    try:
        with psycopg.connect(dsn, connect_timeout=5) as con:
            con.execute("SELECT 1")
    except psycopg.Error as exc:
        return " ".join(str(exc).split())
    return None


def pg_dsn() -> str:
    """The test server's DSN; fails the test when it does not answer."""
    dsn = os.environ.get(DSN_ENV) or DEFAULT_DSN
    problem = _check(dsn)
    if problem is not None:
        where = (
            f"{DSN_ENV}" if os.environ.get(DSN_ENV) else f"the default {DEFAULT_DSN} ({DSN_ENV} is not set)"
        )
        pytest.fail(
            f"these tests need PostgreSQL, and {where} does not answer: {problem}. Start a server on "
            f"127.0.0.1:5432 with a database `test` that the user `postgres` may use without a password, "
            f"or point {DSN_ENV} at one: {DSN_ENV}=postgresql://user:password@host:5432/dbname",
            pytrace=False,
        )
    return dsn


def admin() -> psycopg.Connection[Any]:
    """An autocommit connection to the test server (close it, or use it in a ``with``)."""
    return psycopg.connect(pg_dsn(), autocommit=True)


def new_schema_name(prefix: str = "lg_test") -> str:
    """A fresh, unused schema name."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def drop_schema(name: str) -> None:
    """Drop ``name`` and everything in it (no error when it does not exist)."""
    with admin() as con:
        con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@contextmanager
def temp_schema(prefix: str = "lg_test") -> Iterator[str]:
    """A schema name for one test; the schema (if created) is dropped afterwards."""
    name = new_schema_name(prefix)
    try:
        yield name
    finally:
        drop_schema(name)


def fetch(query: str | sql.SQL | sql.Composed, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run ``query`` on a new connection and return its rows."""
    with admin() as con:
        return con.execute(query, params).fetchall()


def terminate_backend(con: psycopg.Connection[Any] | None) -> None:
    """Kill the server process behind ``con`` from another connection (a server restart, as ``con`` sees it)."""
    assert con is not None
    assert fetch("SELECT pg_terminate_backend(%s)", [con.info.backend_pid]) == [(True,)]


ACCOUNTS_PIPELINE = """\
pipeline: pg_e2e
schemas:
  account:
    fields:
      - {name: account_id, type: long, required: true}
      - {name: owner, type: string}
      - {name: balance, type: "decimal(12,2)"}
      - {name: updated, type: timestamp}
sources:
  accounts:
    type: files
    path: data
    schema: account
transforms:
  clean:
    source: accounts
    rules:
      - {type: upper, columns: [owner]}
    sinks: [accounts_pg]
sinks:
  accounts_pg:
    type: postgres
    dsn: ${LAKEGATE_E2E_PG_DSN}
    table: SCHEMA.accounts
    mode: upsert
    key: [account_id]
    commit: {every_records: 700, every_seconds: 60}
"""


def write_accounts(path: Path, ids: range, version: int) -> None:
    """JSON lines of accounts ``ids``; ``version`` is the integer part of each balance and the day of ``updated``."""
    lines = [
        json.dumps({"account_id": i, "owner": f"owner-{i}", "balance": round(version + (i % 100) / 100, 2),
                    "updated": f"2026-01-0{version}T10:00:00Z"})
        for i in ids
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


def accounts_pipeline(schema: str) -> str:
    """A pipeline: JSON files under ``data/`` → upper-case owner → ``<schema>.accounts``, upsert by
    ``account_id``; the DSN comes from ``LAKEGATE_E2E_PG_DSN``."""
    return ACCOUNTS_PIPELINE.replace("SCHEMA", schema)
