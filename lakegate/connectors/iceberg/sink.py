"""The ``iceberg`` sink.

Each :meth:`IcebergSink.commit` is one Iceberg append snapshot whose summary carries the property
``lakegate.positions.<pipeline>.<sink>`` = the source positions as JSON: the data and the positions
become visible in the same atomic catalog commit. On restart the positions are found by walking the
snapshots from the current one back through their parents, keeping the furthest entry per stream
(several processes of a pipeline may commit to one table: see :mod:`.positions`; a commit that would
move a stream another process has moved since this one last knew it is refused, see
:mod:`lakegate.connectors.fencing`).

Rows are not held in memory until the commit: once the buffer holds ``STAGE_BYTES`` of Arrow data it
is written out as Parquet data files (pyiceberg's writer: field ids, partitioning, statistics) by a
background thread, while the engine goes on with the next batches, and the commit waits for those
writes and appends the files — so memory is bounded by that threshold (one buffer being written, one
filling), not by the commit interval. At the commit, when nothing else is left to do, the rows still
buffered of an unpartitioned table are written as :data:`FINAL_WRITERS` data files at once, in as many
threads (when there are at least :data:`FINAL_SPLIT_BYTES` of them). Files written but never committed
(a crash) are referenced by no snapshot: invisible, and removable by Iceberg's orphan-file maintenance.

The writer takes the table's properties, over :data:`WRITER_DEFAULTS` (only the writer sees those;
they are not stored in the table).

A commit with no rows but new positions still writes a snapshot with no data files and our summary
property: the "positions-only" commit. A commit with no rows and unchanged positions writes nothing.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ClassVar

import pyarrow as pa
from pyiceberg.exceptions import (
    CommitFailedException,
    CommitStateUnknownException,
    NoSuchNamespaceError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.io.pyarrow import _dataframe_to_data_files  # pyiceberg's own append writes with it
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table

from lakegate._optional import require
from lakegate.connectors.base import BufferedSink, Capabilities, Delivery, RunContext
from lakegate.connectors.fencing import Fencing
from lakegate.connectors.filelog import copy_positions
from lakegate.connectors.iceberg.catalog import ensure_namespace, load_catalog, resolve_catalog_spec
from lakegate.connectors.iceberg.duckdb_reader import iceberg_scan_sql, load_iceberg_extension
from lakegate.connectors.iceberg.positions import PositionsHistory, positions_in_history
from lakegate.connectors.iceberg.schema import (
    FORMAT_VERSION,
    arrow_for_append,
    partition_spec,
    schema_problems,
    storage_schema,
    to_iceberg_schema,
)
from lakegate.connectors.views import create_empty_view, create_view
from lakegate.errors import TerminalConnectorError, TransientConnectorError
from lakegate.records import SourcePositions, merge_furthest

COMMIT_ATTEMPTS = 3
STAGE_BYTES = 64 << 20
"""Buffered Arrow bytes that are written out as data files ahead of the commit."""
FINAL_WRITERS = 2
"""Threads (and data files) the rows buffered at a commit are written with, for an unpartitioned table:
the commit waits for that write, so it is the run's tail (Parquet encoding and zstd release the GIL)."""
FINAL_SPLIT_BYTES = 16 << 20
"""Buffered Arrow bytes from which the commit's write is split (smaller files are not worth it)."""
POSITIONS_PREFIX = "lakegate.positions"
WRITER_DEFAULTS = {"write.parquet.dict-size-bytes": str(256 << 10)}
"""Parquet writer settings used unless the table's properties say otherwise. A dictionary page of at
most 256 KiB (pyiceberg's default: 2 MiB) keeps dictionary encoding for the columns with few distinct
values, where it pays, and gives up early on the others (ids, hashes, amounts, timestamps), where it
only costs time: about a quarter of the writer's CPU time on the benchmark, with slightly smaller files."""


class IcebergSink(BufferedSink):
    """Append rows to an Iceberg table, one snapshot per commit, positions in the snapshot summary."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        delivery=Delivery.EXACTLY_ONCE, partitioning=True, queryable=True
    )

    def __init__(self, name: str, config: Any, context: RunContext) -> None:
        super().__init__(name, config, context)
        self._catalog: Any = None
        self._table: Table | None = None
        self._storage: pa.Schema | None = None
        self._table_arrow: pa.Schema | None = None
        self._committed: SourcePositions | None = None
        self._history: PositionsHistory | None = None
        self._staged: list[DataFile] = []
        self._staged_rows = 0
        self._writing: list[tuple[Future[list[DataFile]], pa.Table]] = []
        """Background writes of data files not yet collected, each with its rows."""
        self._writer: ThreadPoolExecutor | None = None
        self._fencing = Fencing(name)

    @property
    def positions_key(self) -> str:
        """The snapshot summary property holding this sink's positions."""
        return f"{POSITIONS_PREFIX}.{self.context.pipeline}.{self.name}"

    def _stored_positions(self, table: Table) -> SourcePositions:
        """The furthest positions over the table's lineage (incrementally, see :mod:`.positions`)."""
        if self._history is None:
            self._history = PositionsHistory(self.positions_key)
        return self._history.update(table)

    @property
    def table(self) -> Table | None:
        """The pyiceberg table (after :meth:`open`)."""
        return self._table

    def _get_catalog(self) -> Any:
        if self._catalog is None:
            spec = resolve_catalog_spec(self.config.catalog, self.context)
            self._catalog = load_catalog(self.config.catalog, spec, self.context)
        return self._catalog

    def _load_table(self) -> Table | None:
        try:
            table: Table = self._get_catalog().load_table(self.config.table)
            return table
        except (NoSuchTableError, NoSuchNamespaceError):
            return None

    def open(self, schema: pa.Schema) -> None:
        """Load the table, or create it (format v2, Parquet with zstd, the declared partition spec)."""
        catalog = self._get_catalog()
        new_schema = to_iceberg_schema(schema)
        table = self._load_table()
        if table is None:
            namespace, _ = self.config.identifier
            ensure_namespace(catalog, namespace)
            properties = {
                "format-version": str(FORMAT_VERSION),
                "write.format.default": "parquet",
                "write.parquet.compression-codec": "zstd",
                **self.config.properties,
            }
            terms = self.config.partition_terms()
            if any(term.transform != "identity" for term in terms):
                # pyiceberg computes these transforms on Arrow data with its Rust extension.
                require(
                    "pyiceberg_core", "iceberg", purpose="Iceberg partition transforms other than identity"
                )
            spec = partition_spec(new_schema, terms)
            try:
                table = catalog.create_table(
                    self.config.table, schema=new_schema, partition_spec=spec, properties=properties
                )
            except TableAlreadyExistsError:  # another writer created it meanwhile
                table = catalog.load_table(self.config.table)
        assert table is not None
        problems = schema_problems(table.schema(), new_schema)
        if problems:
            raise TerminalConnectorError(
                f"Iceberg table {self.config.table} has a different schema: " + "; ".join(problems),
                hint="schema evolution is not supported yet: write to a new table or migrate this one",
                sink=self.name,
            )
        self._table = table
        self._storage = storage_schema(schema)
        self._table_arrow = table.schema().as_arrow()

    def committed_positions(self) -> SourcePositions:
        """The positions of the newest snapshot (in the current lineage) that carries this sink's key."""
        if self._table is not None:
            self._table.refresh()
            stored = self._stored_positions(self._table)
        else:
            try:
                table = self._load_table()
                stored = positions_in_history(table, self.positions_key) if table is not None else {}
            finally:
                self._release_catalog()
        self._fencing.learned(stored)
        return stored

    def prepare(self, table: pa.Table) -> pa.Table:
        """Rows in the storage types (timestamps in µs, zoned ones in UTC)."""
        if self._storage is None:
            raise TerminalConnectorError("write() called before open()", sink=self.name)
        if not table.schema.equals(self._storage):
            # Only timestamps differ (see storage_type): unsafe so that nanoseconds truncate to µs.
            table = table.cast(self._storage, safe=False)
        return table

    def write(self, table: pa.Table) -> None:
        """Buffer ``table``; write the buffer out as data files once it holds ``STAGE_BYTES``."""
        super().write(table)
        if sum(t.nbytes for t in self._buffer) >= STAGE_BYTES:
            self._stage()

    @property
    def pending_records(self) -> int:
        """Rows written since the last commit (buffered or already in staged data files)."""
        return super().pending_records + self._staged_rows

    def _stage(self, *, wait: bool = False) -> None:
        """Write the buffered rows as Parquet data files (not yet part of any snapshot), in the
        background; ``wait``: also wait for every write and collect its files."""
        data = self.buffered()
        if data is not None and self._table is not None and self._table_arrow is not None:
            if not wait:
                self._collect(keep=0)  # at most one write in flight: memory stays bounded
            if self._writer is None:
                self._writer = ThreadPoolExecutor(FINAL_WRITERS, thread_name_prefix="lakegate-iceberg-writer")
            parts = self._final_parts(data) if wait else [data]
            for part in parts:
                self._writing.append((self._writer.submit(self._write_files, part), part))
            self._staged_rows += data.num_rows
            self.clear_buffer()
        if wait:
            self._collect(keep=0)

    def _final_parts(self, data: pa.Table) -> list[pa.Table]:
        """``data`` cut into the pieces the commit writes at once (see :data:`FINAL_WRITERS`)."""
        assert self._table is not None
        if data.nbytes < FINAL_SPLIT_BYTES or not self._table.spec().is_unpartitioned():
            return [data]
        size = -(-data.num_rows // FINAL_WRITERS)
        return [data.slice(start, size) for start in range(0, data.num_rows, size)]

    def _write_files(self, data: pa.Table) -> list[DataFile]:
        assert self._table is not None and self._table_arrow is not None
        metadata = self._table.metadata
        properties = {**WRITER_DEFAULTS, **metadata.properties}
        if properties != metadata.properties:
            metadata = metadata.model_copy(update={"properties": properties})
        return list(
            _dataframe_to_data_files(
                table_metadata=metadata,
                df=arrow_for_append(data, self._table_arrow),
                io=self._table.io,
                write_uuid=uuid.uuid4(),
            )
        )

    def _collect(self, keep: int) -> None:
        """Wait for the background writes but the last ``keep`` and take their files. A write that
        failed puts its rows back in the buffer (to be written again) and raises."""
        failed: BaseException | None = None
        put_back: list[pa.Table] = []
        while len(self._writing) > keep:
            future, data = self._writing.pop(0)
            try:
                self._staged.extend(future.result())
            except BaseException as exc:
                self._staged_rows -= data.num_rows
                put_back.append(data)
                self._pending += data.num_rows
                failed = failed or exc
        self._buffer[:0] = put_back
        if failed is None:
            return
        if isinstance(failed, OSError):
            raise TransientConnectorError(f"writing Iceberg data files failed: {failed}", sink=self.name) from failed
        raise failed

    def wait_for_writes(self) -> None:
        """Wait until the rows written out so far are in data files (for tests and tools)."""
        self._collect(keep=0)

    def commit(self, positions: SourcePositions) -> None:
        """Append the written data files and ``positions`` in one snapshot (retrying lost races)."""
        table = self._table
        if table is None:
            raise TerminalConnectorError("commit() called before open()", sink=self.name)
        positions = copy_positions(positions, self.name)
        if self._committed is None:
            self._committed = self._stored_positions(table)
        if not self.pending_records and positions == self._committed:
            return
        self._stage(wait=True)
        requested = positions
        table.refresh()
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            # Other processes of the pipeline (one consumer group) commit their partitions to this
            # table too: merge with what the table holds (furthest per stream; see .positions).
            stored = self._stored_positions(table)
            self._fencing.check(requested, stored)  # a zombie's commit writes nothing
            positions = merge_furthest(stored, requested)
            summary = {self.positions_key: json.dumps(positions, separators=(",", ":"), sort_keys=True)}
            try:
                with (
                    table.transaction() as transaction,
                    transaction.update_snapshot(snapshot_properties=summary).fast_append() as append,
                ):
                    for data_file in self._staged:
                        append.append_data_file(data_file)
                break
            except CommitFailedException as exc:  # another writer won the race: retry on top of it
                if attempt == COMMIT_ATTEMPTS:
                    raise TransientConnectorError(
                        f"Iceberg commit kept conflicting with other writers: {exc}", sink=self.name
                    ) from exc
                table.refresh()
            except CommitStateUnknownException as exc:
                table.refresh()
                stored = self._stored_positions(table)
                if merge_furthest(stored, positions) == stored:
                    self._fencing.committed(requested)
                    break  # it did land
                raise TransientConnectorError(f"Iceberg commit state unknown: {exc}", sink=self.name) from exc
            except OSError as exc:
                raise TransientConnectorError(f"Iceberg commit failed: {exc}", sink=self.name) from exc
        self._fencing.committed(requested)
        self._committed = positions
        self._staged.clear()
        self._staged_rows = 0

    def close(self) -> None:
        """Drop uncommitted rows (staged files stay unreferenced) and release the catalog."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)  # let a write in flight finish: never cut a file short
            self._writer = None
        self._writing.clear()
        self.clear_buffer()
        self._staged.clear()
        self._staged_rows = 0
        self._table = None
        self._release_catalog()

    def _release_catalog(self) -> None:
        """Close the catalog unless the sink is open (it holds connections, e.g. the SQLite engine)."""
        if self._catalog is not None and self._table is None:
            self._catalog.close()
            self._catalog = None

    def register_in_duckdb(self, con: Any, view: str) -> None:
        """A view over the current snapshot, read by DuckDB's Iceberg extension (not by pyiceberg)."""
        try:
            table = self._load_table()
        finally:
            self._release_catalog()
        if table is None:
            raise TerminalConnectorError(
                f"Iceberg table {self.config.table} does not exist yet", hint="run the pipeline first"
            )
        if table.current_snapshot() is None:
            create_empty_view(con, view, table.schema().as_arrow())
            return
        load_iceberg_extension(con)
        create_view(con, view, iceberg_scan_sql(table.metadata_location))
