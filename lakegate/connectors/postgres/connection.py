"""Connecting to PostgreSQL for the ``postgres`` sink, without ever printing the password."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from lakegate.errors import TerminalConnectorError, TransientConnectorError

CONNECT_TIMEOUT_S = 10

SESSION_SETTINGS = (
    "SET TimeZone TO 'UTC'",
    "SET DateStyle TO 'ISO, YMD'",
    "SET bytea_output TO 'hex'",
    "SET extra_float_digits TO 3",
)
"""Session settings that make the text (COPY) form of values unambiguous and exact."""


@dataclass
class Target:
    """Where the sink writes: the connection string and ``schema.table`` (schema resolved on connect)."""

    dsn: str = field(repr=False)
    schema: str | None
    table: str

    @property
    def schema_name(self) -> str:
        """The table's schema (the connection's current schema when the config names none)."""
        if self.schema is None:
            raise RuntimeError("the schema is resolved on the first connection")
        return self.schema

    def resolve_schema(self, con: psycopg.Connection[Any]) -> None:
        """Fill in the schema from ``current_schema()`` when the table name has none."""
        if self.schema is not None:
            return
        row = con.execute("SELECT current_schema()").fetchone()
        con.rollback()
        if not row or row[0] is None:
            raise TerminalConnectorError(
                "the connection has no current schema (search_path names no existing schema)",
                hint="write the table as `schema.table`",
                database=self.describe(),
            )
        self.schema = str(row[0])

    def describe(self) -> str:
        """The DSN without its password, for messages (``host=… port=… dbname=… user=…``)."""
        try:
            params = conninfo_to_dict(self.dsn)
        except psycopg.Error:
            return "<invalid dsn>"
        shown = [f"{k}={params[k]}" for k in ("host", "port", "dbname", "user") if params.get(k)]
        return " ".join(shown) or "libpq defaults"


def connect(target: Target, application_name: str) -> psycopg.Connection[Any]:
    """Open a connection (autocommit off) with :data:`SESSION_SETTINGS` applied.

    An unreachable server is a :class:`TransientConnectorError`; a malformed DSN is terminal.
    """
    try:
        params = conninfo_to_dict(target.dsn)
    except psycopg.Error as exc:
        detail = re.sub(r'"[^"]*"', '"…"', str(exc))  # libpq quotes the DSN, password included
        raise TerminalConnectorError(
            f"invalid PostgreSQL dsn: {detail}", hint="e.g. postgresql://user:${PGPASSWORD}@host:5432/db"
        ) from None
    extra: dict[str, Any] = {"application_name": application_name[:63]}
    if "connect_timeout" not in params:
        extra["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        con = psycopg.connect(target.dsn, autocommit=False, **extra)
    except psycopg.OperationalError as exc:
        raise TransientConnectorError(
            "cannot connect to PostgreSQL: " + " ".join(str(exc).split()),
            hint="is the server running and the dsn right?",
            database=target.describe(),
        ) from exc
    try:
        for statement in SESSION_SETTINGS:
            con.execute(statement)
        con.commit()
    except psycopg.Error:
        con.close()
        raise
    return con


def error_message(exc: psycopg.Error) -> str:
    """The server's message with its detail and context (e.g. the COPY line), on one line."""
    diag = getattr(exc, "diag", None)
    parts = [str(exc).strip() or type(exc).__name__]
    for extra in (getattr(diag, "message_detail", None), getattr(diag, "context", None)):
        if extra and extra not in parts[0]:
            parts.append(extra.strip())
    return " | ".join(" ".join(p.split()) for p in parts)
