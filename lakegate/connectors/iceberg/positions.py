"""Source positions stored in Iceberg snapshot summaries, read back as the furthest per stream.

Every commit of the ``iceberg`` sink carries ``lakegate.positions.<pipeline>.<sink>`` in its snapshot
summary. With several processes of one pipeline (a Kafka consumer group) committing to the same
table, a snapshot's summary is exact for the partitions its process owns but may hold stale entries
for the others: pyiceberg retries a commit that lost a race by re-basing the same snapshot (summary
included) on the new head. A stream's position only moves forward and no snapshot claims more than
its writer committed, so the committed position of a stream is the furthest entry over the snapshots
of the current lineage. :class:`PositionsHistory` computes that incrementally: each update walks only
the snapshots added since the last one.
"""

from __future__ import annotations

import json

from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot

from lakegate.records import SourcePositions, merge_furthest


def _positions(snapshot: Snapshot, key: str) -> SourcePositions | None:
    value = snapshot.summary.get(key) if snapshot.summary is not None else None
    if value is None:
        return None
    positions: SourcePositions = json.loads(value)
    return positions


class PositionsHistory:
    """The furthest positions under ``key`` over a table's current lineage, kept up to date."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._head: int | None = None
        self._merged: SourcePositions = {}

    def update(self, table: Table) -> SourcePositions:
        """Merge the snapshots committed since the last call (all of them the first time, or when
        the lineage no longer contains the last head: a rollback) and return the positions."""
        found: list[SourcePositions] = []
        snapshot = table.current_snapshot()
        reached_head = self._head is None
        while snapshot is not None:
            if snapshot.snapshot_id == self._head:
                reached_head = True
                break
            positions = _positions(snapshot, self.key)
            if positions is not None:
                found.append(positions)
            parent = snapshot.parent_snapshot_id
            snapshot = table.snapshot_by_id(parent) if parent is not None else None
        merged = self._merged if reached_head and self._head is not None else {}
        for positions in reversed(found):  # oldest first
            merged = merge_furthest(merged, positions)
        current = table.current_snapshot()
        self._head = current.snapshot_id if current is not None else None
        self._merged = merged
        return merged


def positions_in_history(table: Table, key: str) -> SourcePositions:
    """The furthest positions under ``key`` over the table's current lineage (a one-off read)."""
    return PositionsHistory(key).update(table)
