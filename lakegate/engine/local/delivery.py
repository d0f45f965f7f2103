"""Delivery to one sink: skip what it already committed, conform rows to its schema, commit on policy."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from lakegate import records
from lakegate.connectors.base import Sink
from lakegate.connectors.config import CommitPolicy, RetryPolicy
from lakegate.engine.local.retry import with_retries
from lakegate.records import Position, SourcePositions


@dataclass
class Rejected:
    """Rows a sink cannot take (e.g. null in a required column), with the reason per row."""

    rows: pa.Table
    reasons: pa.Array


@dataclass
class SinkStats:
    records_written: int = 0
    skipped_committed: int = 0
    commits: int = 0


@dataclass
class SinkWriter:
    """Wraps a :class:`Sink` with the engine's side of the exactly-once contract."""

    sink: Sink
    schema: pa.Schema
    sources: set[str]
    policy: CommitPolicy
    committed: SourcePositions = field(default_factory=dict)
    stats: SinkStats = field(default_factory=SinkStats)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    last_commit: float = field(default_factory=time.monotonic)

    def open(self) -> None:
        """Open the sink and read its committed positions, retrying transient failures (a server
        restarting while the pipeline starts)."""

        def attempt() -> SourcePositions:
            self.sink.open(self.schema)
            return self.sink.committed_positions()

        self.committed = with_retries(attempt, what=f"opening sink {self.sink.name!r}", policy=self.retry)

    def refresh(self) -> None:
        """Read the sink's positions again and keep, per stream, the furthest of those and what this
        run knows it committed (another process of the pipeline may have committed since)."""
        stored = with_retries(
            self.sink.committed_positions,
            what=f"reading positions of sink {self.sink.name!r}",
            policy=self.retry,
        )
        self.committed = records.merge_furthest(self.committed, stored)

    def skip_committed(
        self, source: str, table: pa.Table, *, stream: str = records.STREAM, index: str = records.INDEX
    ) -> pa.Table:
        """Drop rows whose coordinates this sink already committed (a replay after a crash)."""
        position = self.committed.get(source)
        if not position or table.num_rows == 0:
            return table
        streams = table.column(stream)
        indexes = table.column(index)
        keep = None
        for stream_id in pc.unique(streams).to_pylist():
            floor = records.next_index(position, stream_id)
            if floor == 0:
                continue
            covered = pc.and_(pc.equal(streams, stream_id), pc.less(indexes, floor))
            keep = pc.invert(covered) if keep is None else pc.and_(keep, pc.invert(covered))
        if keep is None:
            return table
        kept = table.filter(keep)
        self.stats.skipped_committed += table.num_rows - kept.num_rows
        return kept

    def conform(self, table: pa.Table) -> tuple[pa.Table, Rejected | None]:
        """Cast to the sink schema; rows with nulls in required columns are rejected."""
        bad = None
        reasons = None
        for f in self.schema:
            if f.nullable:
                continue
            nulls = pc.is_null(table.column(f.name))
            if pc.any(nulls).as_py():
                reason = pc.if_else(nulls, f"required column {f.name} is null", pa.scalar(None, pa.string()))
                reasons = reason if reasons is None else pc.coalesce(reasons, reason)
                bad = nulls if bad is None else pc.or_(bad, nulls)
        rejected = None
        if bad is not None:
            rejected = Rejected(table.filter(bad), pc.drop_null(reasons))
            table = table.filter(pc.invert(bad))
        visible = pa.table([table.column(f.name).cast(f.type) for f in self.schema], schema=self.schema)
        return visible, rejected

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.sink.write(table)
            self.stats.records_written += table.num_rows

    def due(self) -> bool:
        """True when the commit policy says to commit now."""
        return (
            self.sink.pending_records >= self.policy.every_records
            or time.monotonic() - self.last_commit >= self.policy.every_seconds
        )

    def commit(self, positions: dict[str, Position]) -> None:
        """Commit with ``positions``, never moving this sink's stored positions backwards.

        After a crash the sinks may stand at different positions; the run resumes at the smallest,
        and a sink that was ahead keeps its own (its data covers them: replayed rows were skipped).
        """
        mine = {
            source: records.furthest(self.committed.get(source, {}), position)
            for source, position in positions.items()
            if source in self.sources
        }
        with_retries(
            lambda: self.sink.commit({**self.committed, **mine}),
            what=f"commit of sink {self.sink.name!r}",
            policy=self.retry,
        )
        self.committed = {**self.committed, **mine}
        # A commit frees a whole buffer at once: hand that memory back instead of letting the
        # allocator keep it, so the resident size stays flat over a long run.
        pa.default_memory_pool().release_unused()
        self.stats.commits += 1
        self.last_commit = time.monotonic()
