"""Where each topic-partition of a ``kafka`` source stands, and when the source is drained.

Stream ids are ``"<topic>/<partition>"`` (Kafka topic names cannot contain ``/``); a stream's
``next`` is the next offset to read.

"Drained" (the end of a run without ``--follow``) means every assigned partition reached its end as
of its first fetch: a partition is done when the consumer reported a partition EOF for it, or when
its ``next`` offset reached the high watermark of the first fetch response that carried one. The
fetch response's watermark is used rather than a ListOffsets request because some Kafka-protocol
brokers (Tansu 0.6) answer ListOffsets with the base offset of the last record batch + 1, short of
the real end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lakegate.records import Position

OFFSET_BEGINNING = -2
OFFSET_END = -1
OFFSET_STORED = -1000


def stream_id(topic: str, partition: int) -> str:
    """The stream id of a topic-partition."""
    return f"{topic}/{partition}"


def split_stream(stream: str) -> tuple[str, int]:
    """``(topic, partition)`` of a stream id."""
    topic, _, partition = stream.rpartition("/")
    return topic, int(partition)


@dataclass
class PartitionState:
    """One assigned partition."""

    topic: str
    partition: int
    target: int | None = None
    """High watermark of the first fetch response (None until one arrived)."""
    eof: bool = False
    """The consumer reported reaching the partition's end."""


class Partitions:
    """Assigned partitions, the source position, and the timestamp floors of a timestamp start.

    Only the consuming thread mutates it; :meth:`assigned_streams` returns a copy that other threads
    may use.
    """

    def __init__(self, start: Position, start_option: str | datetime) -> None:
        self.position: Position = {stream: dict(entry) for stream, entry in start.items()}
        self.start_option = start_option
        self.assigned: dict[str, PartitionState] = {}
        self.ever_assigned = False
        self.floors: dict[tuple[str, int], int] = {}
        """Partitions started from a timestamp: messages older than it are skipped until the first
        message at or after it (a guard for brokers whose offsets_for_times is inexact)."""

    # --- assignment -------------------------------------------------------------------------

    def initial_offset(self, topic: str, partition: int) -> int:
        """Offset (or logical offset) to start ``topic/partition`` from when it is assigned."""
        entry = self.position.get(stream_id(topic, partition))
        if entry is not None:
            return int(entry["next"])
        option = self.start_option
        if option == "earliest":
            return OFFSET_BEGINNING
        if option == "latest":
            return OFFSET_END
        if option == "committed":
            return OFFSET_STORED  # the group's offset, else auto.offset.reset (earliest)
        assert isinstance(option, datetime)
        return int(option.timestamp() * 1000)

    @property
    def from_timestamp(self) -> int | None:
        """The start timestamp in epoch milliseconds, when ``start`` is one."""
        option = self.start_option
        return int(option.timestamp() * 1000) if isinstance(option, datetime) else None

    def assign(self, partitions: list[tuple[str, int]]) -> None:
        """Record newly assigned partitions."""
        self.ever_assigned = True
        for topic, partition in partitions:
            self.assigned[stream_id(topic, partition)] = PartitionState(topic, partition)

    def revoke(self, partitions: list[tuple[str, int]], back_to: Position | None = None) -> None:
        """Forget revoked (or lost) partitions. With ``back_to`` (the position of the last chunk
        handed over), their entries go back to it: messages read since then are dropped."""
        for topic, partition in partitions:
            stream = stream_id(topic, partition)
            self.assigned.pop(stream, None)
            self.floors.pop((topic, partition), None)
            if back_to is not None:
                if stream in back_to:
                    self.position[stream] = dict(back_to[stream])
                else:
                    self.position.pop(stream, None)

    def catch_up(self, committed: Position) -> None:
        """Move streams forward to what the sinks committed (never backwards)."""
        for stream, entry in committed.items():
            mine = self.position.get(stream)
            if mine is None or int(entry["next"]) > int(mine["next"]):
                self.position[stream] = dict(entry)

    def assigned_streams(self) -> set[str]:
        """A snapshot of the assigned stream ids (safe to use from another thread)."""
        return set(self.assigned.copy())

    # --- progress -----------------------------------------------------------------------------

    def advance(self, last_offsets: dict[tuple[str, int], int]) -> None:
        """Move ``next`` past the last offset read of each partition."""
        position = self.position
        for (topic, partition), offset in last_offsets.items():
            stream = stream_id(topic, partition)
            entry = position.get(stream)
            if entry is None:
                position[stream] = {"next": offset + 1}
            elif offset + 1 > int(entry["next"]):
                entry["next"] = offset + 1

    def reached_end(self, topic: str, partition: int, offset: int) -> None:
        """A partition-EOF event: nothing below ``offset`` is left to read (control records included)."""
        stream = stream_id(topic, partition)
        state = self.assigned.get(stream)
        if state is not None:
            state.eof = True
        entry = self.position.get(stream)
        if offset >= 0 and (entry is None or offset > int(entry["next"])):
            self.position[stream] = {**(entry or {}), "next": offset}

    def waiting_for_targets(self) -> list[PartitionState]:
        """Assigned partitions whose end is not known yet."""
        return [s for s in self.assigned.values() if s.target is None and not s.eof]

    def drained(self) -> bool:
        """Every assigned partition reached its end (see the module docstring)."""
        if not self.ever_assigned:
            return False
        for stream, state in self.assigned.items():
            if state.eof:
                continue
            entry = self.position.get(stream)
            if state.target is None or entry is None or int(entry["next"]) < state.target:
                return False
        return True

    def snapshot(self) -> Position:
        """A copy of the position (what a chunk carries)."""
        return {stream: dict(entry) for stream, entry in self.position.items()}


_LOGICAL = {OFFSET_BEGINNING: "earliest", OFFSET_END: "latest", OFFSET_STORED: "committed"}


def describe(partitions: list[Any], *, offsets: bool = True) -> str:
    """``topic/partition@offset, ...`` of confluent-kafka ``TopicPartition`` objects, for logs."""
    return (
        ", ".join(
            stream_id(tp.topic, tp.partition) + (f"@{_LOGICAL.get(tp.offset, tp.offset)}" if offsets else "")
            for tp in partitions
        )
        or "none"
    )
