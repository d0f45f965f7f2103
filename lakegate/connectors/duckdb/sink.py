"""The ``duckdb`` sink.

Each commit is one DuckDB transaction that inserts the buffered rows and upserts this sink's row of
``_lakegate_positions(pipeline, sink, positions)``, so the rows and the positions become durable
together or not at all.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from lakegate.connectors.base import BufferedSink, Capabilities, Delivery, RunContext
from lakegate.connectors.filelog import copy_positions
from lakegate.connectors.views import create_view, duckdb_types, quote_ident, quote_literal
from lakegate.errors import TerminalConnectorError, TransientConnectorError
from lakegate.records import SourcePositions

POSITIONS_TABLE = "_lakegate_positions"

_CREATE_POSITIONS = f"""
CREATE TABLE IF NOT EXISTS {POSITIONS_TABLE} (
    pipeline VARCHAR NOT NULL,
    sink VARCHAR NOT NULL,
    positions VARCHAR NOT NULL,
    committed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (pipeline, sink)
)"""


class DuckDBSink(BufferedSink):
    """Insert rows into a DuckDB table; positions are stored in the same database and transaction."""

    capabilities: ClassVar[Capabilities] = Capabilities(delivery=Delivery.EXACTLY_ONCE, queryable=True)

    def __init__(self, name: str, config: Any, context: RunContext) -> None:
        super().__init__(name, config, context)
        self.path = context.resolve(config.path)
        parts = config.table.split(".")
        self._schema_name = parts[0] if len(parts) == 2 else "main"
        self._table_name = parts[-1]
        self._con: Any = None
        self._committed: SourcePositions | None = None

    @property
    def qualified_table(self) -> str:
        """The quoted ``schema.table`` name."""
        return f"{quote_ident(self._schema_name)}.{quote_ident(self._table_name)}"

    def _columns(self, con: Any) -> list[tuple[str, str, bool]] | None:
        """``(name, type, nullable)`` of the target table, or ``None`` when it does not exist."""
        rows = con.execute(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
            "ORDER BY column_index",
            [self._schema_name, self._table_name],
        ).fetchall()
        return [(str(r[0]), str(r[1]), bool(r[2])) for r in rows] or None

    def open(self, schema: pa.Schema) -> None:
        """Connect, and create the target table and the positions table when missing."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            raise TransientConnectorError(
                f"cannot open DuckDB database {self.path}: {exc}", sink=self.name
            ) from exc
        con = self._con
        con.execute(_CREATE_POSITIONS)
        if self._schema_name != "main":
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self._schema_name)}")
        wanted = duckdb_types(schema)
        existing = self._columns(con)
        if existing is None:
            required = {f.name for f in schema if not f.nullable}
            columns = ", ".join(
                f"{quote_ident(name)} {dtype}{' NOT NULL' if name in required else ''}"
                for name, dtype in wanted
            )
            con.execute(f"CREATE TABLE {self.qualified_table} ({columns})")
        else:
            self._check_compatible(existing, wanted)

    def _check_compatible(self, existing: list[tuple[str, str, bool]], wanted: list[tuple[str, str]]) -> None:
        have = {name: dtype for name, dtype, _ in existing}
        problems = [
            f"column {name!r} is {dtype} but the table has {have[name]}"
            if name in have
            else f"column {name!r} is missing from the table"
            for name, dtype in wanted
            if have.get(name) != dtype
        ]
        names = {name for name, _ in wanted}
        problems += [
            f"required column {name!r} of the table is not written"
            for name, _, nullable in existing
            if name not in names and not nullable
        ]
        if problems:
            raise TerminalConnectorError(
                f"table {self.config.table} in {self.path} has a different schema: " + "; ".join(problems),
                hint="schema evolution is not supported yet: write to a new table or migrate this one",
                sink=self.name,
            )

    def committed_positions(self) -> SourcePositions:
        """This sink's row of ``_lakegate_positions`` (``{}`` when it never committed)."""
        if self._con is not None:
            return self._read_positions(self._con)
        if not self.path.exists():
            return {}
        # Not read_only: DuckDB refuses a second connection to a file with a different configuration
        # than the ones this process already has (another sink may have it open for writing).
        con = duckdb.connect(str(self.path))
        try:
            return self._read_positions(con)
        finally:
            con.close()

    def _read_positions(self, con: Any) -> SourcePositions:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ?",
            [POSITIONS_TABLE],
        ).fetchone()
        if not exists or not exists[0]:
            return {}
        row = con.execute(
            f"SELECT positions FROM {POSITIONS_TABLE} WHERE pipeline = ? AND sink = ?",
            [self.context.pipeline, self.name],
        ).fetchone()
        return json.loads(row[0]) if row else {}

    def commit(self, positions: SourcePositions) -> None:
        """Insert the buffered rows and upsert the positions in one transaction."""
        con = self._con
        if con is None:
            raise TerminalConnectorError("commit() called before open()", sink=self.name)
        positions = copy_positions(positions, self.name)
        if self._committed is None:
            self._committed = self._read_positions(con)
        if not self.pending_records and positions == self._committed:
            return
        con.execute("BEGIN TRANSACTION")
        try:
            if self.pending_records:
                data = self.buffered()
                con.register("__lg_batch", data)
                try:
                    con.execute(f"INSERT INTO {self.qualified_table} BY NAME SELECT * FROM __lg_batch")
                finally:
                    con.unregister("__lg_batch")
            con.execute(
                f"INSERT OR REPLACE INTO {POSITIONS_TABLE} VALUES (?, ?, ?, now())",
                [self.context.pipeline, self.name, json.dumps(positions, separators=(",", ":"))],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            cls = TransientConnectorError if isinstance(exc, duckdb.IOException) else TerminalConnectorError
            raise cls(f"DuckDB commit failed: {exc}", sink=self.name) from exc
        self._committed = positions
        self.clear_buffer()

    def close(self) -> None:
        """Drop uncommitted rows and close the connection."""
        self.clear_buffer()
        if self._con is not None:
            self._con.close()
            self._con = None

    def register_in_duckdb(self, con: Any, view: str) -> None:
        """ATTACH the database read-only (once per connection) and create a view over the table.

        While this sink is open in the same process, ``view`` is instead a registered snapshot of
        the committed rows.
        """
        if not self.path.exists():
            raise TerminalConnectorError(
                f"sink {self.name!r} has no data yet: {self.path} does not exist",
                hint="run the pipeline first",
            )
        if self._con is not None:
            # DuckDB refuses to attach a file that this process already has open, so an open sink
            # hands over a snapshot of its committed rows instead of a live view.
            con.register(view, self._con.sql(f"SELECT * FROM {self.qualified_table}").to_arrow_table())
            return
        alias = "lakegate_" + re.sub(r"\W", "_", self.name)
        attached = con.execute(
            "SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [alias]
        ).fetchone()
        if not attached or not attached[0]:
            con.execute(f"ATTACH {quote_literal(str(self.path))} AS {quote_ident(alias)} (READ_ONLY)")
        create_view(con, view, f"SELECT * FROM {quote_ident(alias)}.{self.qualified_table}")
