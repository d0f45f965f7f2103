"""The contracts every source and sink implements.

A **source** yields :class:`RawChunk` s: undecoded payloads (one JSON text per record) with their
coordinates, plus the source :data:`~lakegate.records.Position` reached after the chunk. Decoding into
typed Arrow columns is the engine's job, so that every source shares one vectorised decoder.

A **sink** buffers Arrow tables and makes them durable in :meth:`Sink.commit`, together with the source
positions they cover, in one atomic step (an Iceberg snapshot, a database transaction, a renamed file).
On start the engine asks each sink what it has committed (:meth:`Sink.committed_positions`), resumes
reading at the smallest of those positions, and drops from each sink's input the records that sink
already holds: nothing lost, nothing duplicated.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from lakegate.records import Position, SourcePositions


class Delivery(StrEnum):
    """The delivery guarantee a sink gives when the engine follows its contract."""

    EXACTLY_ONCE = "exactly-once"
    AT_LEAST_ONCE = "at-least-once"


@dataclass(frozen=True)
class Capabilities:
    """What a connector supports; the planner checks pipelines against it before running."""

    delivery: Delivery = Delivery.EXACTLY_ONCE
    upsert: bool = False
    schema_evolution: bool = False
    partitioning: bool = False
    queryable: bool = False
    """True when :meth:`Sink.register_in_duckdb` can expose the committed data to ``lakegate query``."""


class EngineHooks:
    """What a source may ask of the engine while it reads, from its reading thread (a Kafka source
    does on a consumer-group rebalance). Each call returns once the engine has done it, between two
    chunks, after every chunk the source yielded before the call.

    This base class is what a source gets outside the engine: nothing to commit, no positions.
    """

    def commit_now(self) -> None:
        """Commit every sink with the positions of the chunks processed so far."""

    def refresh_position(self, source: str) -> Position | None:
        """Re-read what the sinks fed by ``source`` committed (other processes of the pipeline may
        have moved on) and return where ``source`` should resume, or None when unknown."""
        return None

    def abandon(self, reason: str) -> None:
        """Stop the run without committing what was read since the last commit (the source lost its
        partitions to another process, which will read them again)."""
        raise RuntimeError(reason)


@dataclass
class RunContext:
    """Facts about the running pipeline that connectors need."""

    pipeline: str
    base_dir: Path
    """Directory of the pipeline file; relative paths in the spec are resolved against it."""
    state_dir: Path
    """Where lakegate keeps local state (the default catalog, file-sink commit logs, the DLQ)."""
    catalogs: dict[str, Any] = field(default_factory=dict)
    """Catalog name → its config model (see ``lakegate.spec.models.CatalogSpec``)."""
    engine: EngineHooks = field(default_factory=EngineHooks)
    """Requests a source may make of the engine while reading (see :class:`EngineHooks`)."""
    sources: dict[str, Source] = field(default_factory=dict)
    """The running sources by name (filled by the engine as it starts them): a Kafka sink sends the
    offsets of a Kafka source's consumer group in its transactions."""

    def resolve(self, path: str | Path) -> Path:
        """Resolve a user path relative to the pipeline file."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


@dataclass
class RawChunk:
    """Undecoded records read from a source.

    ``payloads`` holds one JSON text per record (possibly malformed); ``streams`` and ``indexes`` give
    each record's coordinates; ``metadata`` holds extra per-record columns the source offers to
    ``add_metadata`` (for files: ``file``); ``position`` is the source position after this chunk.
    """

    payloads: pa.Array | pa.ChunkedArray
    streams: pa.Array
    indexes: pa.Array
    position: Position
    metadata: dict[str, pa.Array] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.payloads)


class Source(ABC):
    """A source of raw records. Implementations are constructed with ``(name, config, context)``."""

    capabilities: ClassVar[Capabilities] = Capabilities()
    metadata_keys: ClassVar[tuple[str, ...]] = ()
    """Keys of :attr:`RawChunk.metadata` this source fills (offered to ``add_metadata``)."""
    metadata_types: ClassVar[dict[str, pa.DataType]] = {}
    """Arrow types of metadata keys; a key not listed is a string."""

    def __init__(self, name: str, config: Any, context: RunContext) -> None:
        self.name = name
        self.config = config
        self.context = context

    @abstractmethod
    def chunks(self, start: Position, *, follow: bool = False) -> Iterator[RawChunk]:
        """Yield chunks from ``start`` on (an empty dict: from the beginning).

        With ``follow`` the iterator keeps watching for new data until :meth:`stop` is called, and
        yields an empty chunk now and then so the engine can commit on time.
        """

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Ask a following iterator to finish after the current chunk."""

    def replays_new_streams(self) -> bool:
        """True when a stream no sink has committed would be read from the same place after a restart
        (a file from its first record, Kafka from `earliest`). When False (Kafka from `latest` or a
        timestamp) the engine first commits, to every sink, where such a stream starts."""
        return True

    def acknowledge(self, position: Position) -> None:  # noqa: B027 - optional hook
        """Called after commits with the position every sink fed by this source has committed.

        Called from the engine's thread, while :meth:`chunks` may be running in another one.
        """

    def finished(self) -> None:
        """Called once :meth:`chunks` has ended, before the run's final commit: let go of what other
        processes may be waiting for (a consumer group's partitions). By default, :meth:`close`."""
        self.close()

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""


class Sink(ABC):
    """A destination that commits data and source positions atomically.

    Implementations are constructed with ``(name, config, context)``. The engine calls
    :meth:`open` once, then :meth:`write` any number of times, :meth:`commit` whenever the sink's commit
    policy says so (and at the end), and :meth:`close`.
    """

    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, name: str, config: Any, context: RunContext) -> None:
        self.name = name
        self.config = config
        self.context = context

    @abstractmethod
    def open(self, schema: pa.Schema) -> None:
        """Prepare to receive tables of ``schema`` (create the table or directory when missing).

        Fields with ``nullable=False`` are required columns.
        """

    @abstractmethod
    def committed_positions(self) -> SourcePositions:
        """The source positions stored by this sink's last commit (``{}`` when it never committed)."""

    @abstractmethod
    def write(self, table: pa.Table) -> None:
        """Buffer rows (conformed to the schema given to :meth:`open`); durable only after commit."""

    @property
    @abstractmethod
    def pending_records(self) -> int:
        """Rows written since the last commit."""

    @abstractmethod
    def commit(self, positions: SourcePositions) -> None:
        """Make the buffered rows durable together with ``positions``, atomically.

        Called even when nothing is pending, so positions advance past filtered records.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (uncommitted rows are discarded)."""

    def register_in_duckdb(self, con: Any, view: str) -> None:
        """Create a DuckDB view named ``view`` over the committed data (for ``lakegate query``)."""
        raise NotImplementedError(f"sink type of {self.name!r} cannot be queried")


class BufferedSink(Sink):
    """A sink that keeps written rows in memory until :meth:`commit` (memory bounded by the commit
    policy). Subclasses implement ``open``, ``committed_positions`` and ``commit``, which reads
    :meth:`buffered` and calls :meth:`clear_buffer` once the rows are durable."""

    def __init__(self, name: str, config: Any, context: RunContext) -> None:
        super().__init__(name, config, context)
        self._buffer: list[pa.Table] = []
        self._pending = 0

    def prepare(self, table: pa.Table) -> pa.Table:
        """Adapt rows before buffering (e.g. to the storage types); the identity by default."""
        return table

    def write(self, table: pa.Table) -> None:
        """Buffer ``table`` until :meth:`commit`."""
        if table.num_rows:
            self._buffer.append(self.prepare(table))
            self._pending += table.num_rows

    @property
    def pending_records(self) -> int:
        """Rows buffered since the last commit."""
        return self._pending

    def buffered(self) -> pa.Table | None:
        """Everything buffered as one table, or None when nothing is."""
        if not self._buffer:
            return None
        return self._buffer[0] if len(self._buffer) == 1 else pa.concat_tables(self._buffer)

    def clear_buffer(self) -> None:
        """Forget the buffered rows (after a commit, or when closing without one)."""
        self._buffer.clear()
        self._pending = 0
