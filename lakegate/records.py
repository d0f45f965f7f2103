"""Bookkeeping columns that travel with records through the embedded engine.

Every record carries the coordinates it came from: a *stream* (a file path, a Kafka topic-partition)
and an *index* within that stream (the record number in a file, a Kafka offset). Positions are
"the next index to read" per stream, so a sink that stored ``{"stream": {"next": 10}}`` has committed
every record of that stream with an index below 10. These columns never reach a sink.
"""

from __future__ import annotations

from typing import Any, TypeAlias

STREAM = "__lg_stream"
INDEX = "__lg_index"
ROW = "__lg_row"
DLQ_STAGE = "__lg_dlq_stage"
DLQ_RULE = "__lg_dlq_rule"
DLQ_REASON = "__lg_dlq_reason"
FILTERED = "__lg_filtered"
ROUTE = "__lg_route"
PREFIX = "__lg_"

StreamPosition: TypeAlias = dict[str, Any]
"""Where one stream stands: ``{"next": int, ...}`` plus whatever the source needs to resume fast."""

Position: TypeAlias = dict[str, StreamPosition]
"""Where one source stands: stream id → :data:`StreamPosition`."""

SourcePositions: TypeAlias = dict[str, Position]
"""What a sink has committed: source name → :data:`Position`."""


def is_hidden(column: str) -> bool:
    """True for bookkeeping columns (never written to a sink, never visible to rules)."""
    return column.startswith(PREFIX)


def next_index(position: Position, stream: str) -> int:
    """The first index of ``stream`` not yet covered by ``position`` (0 when unknown)."""
    entry = position.get(stream)
    return int(entry["next"]) if entry else 0


def furthest(stored: Position, current: Position) -> Position:
    """Per stream, the entry that has read further (``current`` wins ties)."""
    merged = dict(stored)
    for stream, entry in current.items():
        if stream not in merged or int(entry["next"]) >= int(merged[stream]["next"]):
            merged[stream] = entry
    return merged


def merge_furthest(stored: SourcePositions, current: SourcePositions) -> SourcePositions:
    """Merge two sets of committed positions stream by stream, keeping the furthest entry.

    Several processes of one pipeline (a Kafka consumer group) commit to the same sink, each for the
    partitions it owns, while also carrying stale entries of partitions other processes own now.
    A stream's position only ever moves forward, so merging with "furthest wins" inside the sink's
    commit keeps every process's progress and never lets a stale entry move one back.
    """
    merged = dict(stored)
    for source, position in current.items():
        merged[source] = furthest(stored.get(source, {}), position)
    return merged
