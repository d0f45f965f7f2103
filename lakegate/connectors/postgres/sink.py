"""The ``postgres`` sink.

Each :meth:`PostgresSink.commit` is one PostgreSQL transaction: the buffered rows are bulk-loaded
with ``COPY`` (into the table, or in ``upsert`` mode into a temporary staging table followed by
``INSERT … ON CONFLICT (key) DO UPDATE``), then this sink's row of ``lakegate_offsets`` is upserted
with the source positions, then ``COMMIT``. Rows and positions become durable together or not at all.
Under the sink's lock, a commit that would move a stream another process has moved since this one
last knew it is refused (:mod:`lakegate.connectors.fencing`).

A lost connection is a :class:`~lakegate.errors.TransientConnectorError`: the buffer is kept and the
next :meth:`~PostgresSink.commit` reconnects and loads it again. When the connection died while
``COMMIT`` was in flight, the transaction's fate is unknown to the client; the sink remembers the
transaction id and asks the server (``pg_xact_status``) before retrying, so a commit that did land
is never loaded twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, ClassVar

import duckdb
import psycopg
import pyarrow as pa
from psycopg import sql

from lakegate.connectors.base import BufferedSink, Capabilities, Delivery, RunContext
from lakegate.connectors.fencing import Fencing
from lakegate.connectors.filelog import copy_positions
from lakegate.connectors.postgres import catalog
from lakegate.connectors.postgres.connection import Target, connect, error_message
from lakegate.connectors.postgres.schema import column_type, is_nested, read_type, schema_problems
from lakegate.connectors.postgres.transfer import csv_blocks, last_per_key, private_duckdb, read_csv
from lakegate.errors import Fenced, SchemaError, TerminalConnectorError, TransientConnectorError
from lakegate.records import SourcePositions, merge_furthest

STAGE_TABLE = "__lg_stage"


@dataclass(frozen=True)
class _InDoubt:
    """A commit whose connection died before its outcome was known."""

    xid: str
    rows: int
    positions: SourcePositions
    committing: SourcePositions
    """What this process committed (before merging other processes' positions)."""


class PostgresSink(BufferedSink):
    """Load rows into a PostgreSQL table with COPY; positions in ``lakegate_offsets``, same transaction."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        delivery=Delivery.EXACTLY_ONCE, upsert=True, queryable=True
    )

    def __init__(self, name: str, config: Any, context: RunContext) -> None:
        super().__init__(name, config, context)
        self.target = Target(config.dsn.get_secret_value(), *config.schema_and_table)
        self._con: psycopg.Connection[Any] | None = None
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._schema: pa.Schema | None = None
        self._committed: SourcePositions | None = None
        self._in_doubt: _InDoubt | None = None
        self._fencing = Fencing(name)

    # --- connection and errors ----------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, reconnecting when it was lost (idle, no transaction in progress)."""
        if self._con is not None and self._con.closed:
            self._con = None
        if self._con is None:
            self._con = connect(self.target, f"lakegate {self.context.pipeline}/{self.name}")
            self.target.resolve_schema(self._con)
        return self._con

    def _drop_connection(self) -> None:
        if self._con is not None:
            with suppress(psycopg.Error):
                self._con.close()
            self._con = None

    def _rollback(self) -> None:
        if self._con is not None and not self._con.closed:
            try:
                self._con.rollback()
            except psycopg.Error:
                self._drop_connection()

    @contextmanager
    def _session(self) -> Iterator[psycopg.Connection[Any]]:
        """The sink's connection when it has one, else a short-lived one (closed afterwards)."""
        if self._con is not None:
            yield self._connection()
            return
        with connect(self.target, f"lakegate {self.context.pipeline}/{self.name}") as con:
            self.target.resolve_schema(con)
            yield con

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Roll back and translate psycopg errors: connection trouble is transient, the rest terminal."""
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self._drop_connection()
            raise TransientConnectorError(
                f"PostgreSQL {action} failed: {error_message(exc)}",
                hint="the server may be restarting or unreachable; the buffered rows are kept for a retry",
                sink=self.name, database=self.target.describe(),
            ) from exc  # fmt: skip
        except psycopg.Error as exc:
            self._rollback()
            raise TerminalConnectorError(
                f"PostgreSQL {action} failed: {error_message(exc)}",
                sink=self.name, table=self.config.table, database=self.target.describe(),
            ) from exc  # fmt: skip

    @property
    def table_sql(self) -> sql.Composable:
        """The quoted ``schema.table`` (after the schema is resolved)."""
        return sql.Identifier(self.target.schema_name, self.target.table)

    @property
    def positions_sql(self) -> sql.Composable:
        """The quoted positions table, in the target table's schema."""
        return sql.Identifier(self.target.schema_name, catalog.POSITIONS_TABLE)

    # --- open -----------------------------------------------------------------------------

    def open(self, schema: pa.Schema) -> None:
        """Connect; create the schema, the table and ``lakegate_offsets`` when missing; check the table."""
        try:
            for f in schema:
                column_type(f.type)  # fails early on a type PostgreSQL cannot hold
        except SchemaError as exc:
            raise TerminalConnectorError(str(exc), sink=self.name, table=self.config.table) from exc
        if self.config.mode == "upsert":
            self._check_key(schema)
        self._schema = schema
        with self._errors("open"):
            con = self._connection()
            catalog.prepare_schema(con, self.target.schema_name, self.positions_sql)
            existing = catalog.existing_columns(con, self.table_sql)
            if existing is None:
                if not self.config.create_table:
                    raise self._table_error("does not exist", "create it, or set `create_table: true`")
                key = self.config.key if self.config.mode == "upsert" else []
                catalog.create_table(con, self.table_sql, schema, key)
            else:
                problems = schema_problems(schema, existing)
                if self.config.mode == "upsert" and not catalog.has_unique_key(
                    con, self.table_sql, self.config.key
                ):
                    problems.append(f"no PRIMARY KEY or unique index on the key {self.config.key}")
                if problems:
                    raise self._table_error(
                        "has a different schema: " + "; ".join(problems),
                        "schema evolution is not supported yet: write to a new table or migrate this one",
                    )
            con.commit()

    def _table_error(self, problem: str, hint: str) -> TerminalConnectorError:
        self._rollback()
        return TerminalConnectorError(
            f"table {self.target.schema_name}.{self.target.table} {problem}",
            hint=hint, sink=self.name, database=self.target.describe(),
        )  # fmt: skip

    def _check_key(self, schema: pa.Schema) -> None:
        for k in self.config.key:
            if k not in schema.names:
                raise TerminalConnectorError(
                    f"upsert key column {k!r} is not among the sink's columns {schema.names}", sink=self.name
                )
            f = schema.field(k)
            if is_nested(f.type):
                raise TerminalConnectorError(
                    f"upsert key column {k!r} is {f.type}, not a scalar", sink=self.name
                )
            if f.nullable:
                raise TerminalConnectorError(
                    f"upsert key column {k!r} may be null",
                    hint="make it required (`required: true` in the schema, or a `default` rule) so rows "
                    "without a key go to the dead-letter queue",
                    sink=self.name,
                )

    # --- positions ------------------------------------------------------------------------

    def committed_positions(self) -> SourcePositions:
        """This sink's row of ``lakegate_offsets`` (``{}`` when it never committed); no open() needed."""
        self._committed = None  # read them again: other processes of the pipeline may have committed
        with self._errors("reading positions"), self._session() as con:
            stored = (
                self._settle(con)
                if con is self._con
                else catalog.read_positions(con, self.positions_sql, self.context.pipeline, self.name)
            )
        self._fencing.learned(stored)
        return stored

    def _settle(self, con: psycopg.Connection[Any]) -> SourcePositions:
        """Learn the outcome of a commit in doubt, then return the stored positions."""
        doubt = self._in_doubt
        if doubt is not None:
            row = con.execute("SELECT pg_xact_status(%s::xid8)", [doubt.xid]).fetchone()
            status = row[0] if row else None
            con.rollback()
            if status == "in progress":
                raise TransientConnectorError(
                    f"the previous commit (transaction {doubt.xid}) is still in progress on the server",
                    sink=self.name,
                )
            if status == "committed":  # it landed: those rows are durable, keep only the later ones
                self._fencing.committed(doubt.committing)
                rest = self.buffered()
                self.clear_buffer()
                if rest is not None and rest.num_rows > doubt.rows:
                    self.write(rest.slice(doubt.rows))
            self._in_doubt = None
            self._committed = None
        if self._committed is None:
            self._committed = catalog.read_positions(
                con, self.positions_sql, self.context.pipeline, self.name
            )
        return self._committed

    # --- commit ---------------------------------------------------------------------------

    def commit(self, positions: SourcePositions) -> None:
        """Load the buffered rows and upsert the positions in one transaction (retryable)."""
        if self._schema is None:
            raise TerminalConnectorError("commit() called before open()", sink=self.name)
        positions = committing = copy_positions(positions, self.name)
        xid: str | None = None
        rows = self.pending_records
        try:
            with self._errors("commit"):
                con = self._connection()
                stored = self._settle(con)
                if not self.pending_records and positions == stored:
                    return
                rows = self.pending_records
                xid_row = con.execute("SELECT pg_current_xact_id()::text").fetchone()
                xid = str(xid_row[0]) if xid_row else None
                # Other processes of the pipeline (one consumer group) commit their partitions to
                # this row too: merge under the sink's lock, furthest position per stream.
                current = catalog.lock_and_read_positions(
                    con, self.positions_sql, self.context.pipeline, self.name
                )
                try:
                    self._fencing.check(committing, current)
                except Fenced:
                    self._rollback()
                    raise
                positions = merge_furthest(current, positions)
                data = self.buffered()
                if data is not None:
                    self._load(con, data)
                catalog.write_positions(con, self.positions_sql, self.context.pipeline, self.name, positions)
                con.commit()
        except TransientConnectorError:
            if xid is not None:
                self._in_doubt = _InDoubt(xid, rows, positions, committing)
            raise
        self._fencing.committed(committing)
        self._committed = positions
        self.clear_buffer()

    def _load(self, con: psycopg.Connection[Any], data: pa.Table) -> None:
        """COPY ``data`` into the table (append) or merge it by key through the staging table (upsert)."""
        columns = sql.SQL(", ").join(sql.Identifier(n) for n in data.schema.names)
        upsert = self.config.mode == "upsert"
        if upsert:
            data = last_per_key(data, self.config.key)
            con.execute(
                sql.SQL(
                    "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT {} FROM {} WITH NO DATA"
                ).format(sql.Identifier(STAGE_TABLE), columns, self.table_sql)
            )
        into = sql.Identifier(STAGE_TABLE) if upsert else self.table_sql
        if self._duck is None:
            self._duck = private_duckdb()
        with (
            con.cursor() as cur,
            cur.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(into, columns)) as copy,
        ):
            for block in csv_blocks(data, self._duck):
                copy.write(memoryview(block))
        if upsert:
            keys = sql.SQL(", ").join(sql.Identifier(k) for k in self.config.key)
            others = [n for n in data.schema.names if n not in self.config.key]
            action = (
                sql.SQL("DO UPDATE SET ")
                + sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n)) for n in others)
                if others
                else sql.SQL("DO NOTHING")
            )
            con.execute(
                sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) {}").format(
                    self.table_sql, columns, columns, sql.Identifier(STAGE_TABLE), keys, action
                )
            )

    # --- close and query ------------------------------------------------------------------

    def close(self) -> None:
        """Discard uncommitted rows and close the connections."""
        self.clear_buffer()
        self._drop_connection()
        if self._duck is not None:
            self._duck.close()
            self._duck = None

    def register_in_duckdb(self, con: Any, view: str) -> None:
        """Read the table into Arrow (COPY … TO STDOUT) and register it in ``con`` as ``view``.

        Columns get their lakegate types back (``jsonb`` columns created by lakegate become structs,
        lists and maps again); the view is a snapshot of the committed rows.
        """
        with self._errors("query"), self._session() as pg:
            existing = catalog.existing_columns(pg, self.table_sql)
            if existing is None:
                pg.rollback()
                raise TerminalConnectorError(
                    f"sink {self.name!r} has no data yet: table {self.target.schema_name}.{self.target.table} "
                    "does not exist",
                    hint="run the pipeline first", database=self.target.describe(),
                )  # fmt: skip
            names = sql.SQL(", ").join(sql.Identifier(c.name) for c in existing)
            chunks: list[bytes] = []
            with (
                pg.cursor() as cur,
                cur.copy(
                    sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT (FORMAT csv)").format(names, self.table_sql)
                ) as copy,
            ):
                chunks.extend(bytes(chunk) for chunk in copy)
            pg.rollback()
        if self._duck is None:
            self._duck = private_duckdb()
        table = read_csv(b"".join(chunks), [(c.name, read_type(c), c.nullable) for c in existing], self._duck)
        con.register(view, table)
