"""Source positions of ``kafka`` sinks, kept in a compacted topic.

One record per (pipeline, sink, source, stream): the key is those four names joined by the ASCII
unit separator (``"orders\\x1fout\\x1fevents\\x1forders/0"``), the value the stream's position entry
as JSON (``{"next": 1200}``). A sink writes them inside its transactions, so they are committed
atomically with its rows; compaction keeps the latest record per key.

Several processes of one pipeline may write the same sink at once (a consumer group shares the
partitions), each owning some streams: a process writes only the entries it changed since it last
read or wrote them, and readers merge the records per stream keeping the furthest ``next``, so a
stale entry of one process never hides the progress of another.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson

from lakegate.errors import TransientConnectorError
from lakegate.records import SourcePositions, StreamPosition

SEPARATOR = "\x1f"
"""Between the parts of a record key (the ASCII unit separator: never part of a name or stream)."""


def record_key(pipeline: str, sink: str, source: str, stream: str) -> bytes:
    """The key of one stream's positions record."""
    return SEPARATOR.join((pipeline, sink, source, stream)).encode()


def merge_furthest(positions: SourcePositions, source: str, stream: str, entry: StreamPosition) -> None:
    """Put ``entry`` into ``positions`` unless the stream already has one that read further."""
    streams = positions.setdefault(source, {})
    known = streams.get(stream)
    if known is None or int(entry["next"]) >= int(known["next"]):
        streams[stream] = entry


class PositionsLog:
    """The positions records of one sink of one pipeline, and what this process last stored."""

    def __init__(self, pipeline: str, sink: str, topic: str) -> None:
        self.pipeline = pipeline
        self.sink = sink
        self.topic = topic
        self._prefix = f"{pipeline}{SEPARATOR}{sink}{SEPARATOR}".encode()
        self._known: dict[tuple[str, str], StreamPosition] = {}

    def changes(self, positions: SourcePositions) -> list[tuple[str, str, StreamPosition]]:
        """``(source, stream, entry)`` of every entry of ``positions`` that differs from the one
        this process last read or stored."""
        return [
            (source, stream, entry)
            for source, streams in positions.items()
            for stream, entry in streams.items()
            if self._known.get((source, stream)) != entry
        ]

    def records(self, changes: list[tuple[str, str, StreamPosition]]) -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` of the positions records storing ``changes``."""
        for source, stream, entry in changes:
            yield record_key(self.pipeline, self.sink, source, stream), orjson.dumps(entry)

    def stored(self, changes: list[tuple[str, str, StreamPosition]]) -> None:
        """Remember ``changes`` as stored (after the commit that wrote them succeeded)."""
        for source, stream, entry in changes:
            self._known[source, stream] = dict(entry)

    def load(self, consumer: Any, kafka: Any, *, timeout: float) -> SourcePositions:
        """Read the whole topic with ``consumer`` (a ``read_committed`` consumer with partition-EOF
        events, not subscribed) and merge this sink's records, furthest first; what was read
        becomes what this process knows. ``{}`` when the topic does not exist yet."""
        metadata = consumer.list_topics(self.topic, timeout=timeout).topics.get(self.topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            self._known = {}
            return {}
        consumer.assign(
            [kafka.TopicPartition(self.topic, p, kafka.OFFSET_BEGINNING) for p in metadata.partitions]
        )
        merged: SourcePositions = {}
        pending = set(metadata.partitions)
        deadline = time.monotonic() + timeout
        eof = kafka.KafkaError._PARTITION_EOF
        while pending:
            if time.monotonic() > deadline:
                raise TransientConnectorError(
                    f"reading the positions topic {self.topic!r} did not reach its end within {timeout:g} s",
                    hint="an unfinished transaction of another process may hold it back",
                )
            for message in consumer.consume(10_000, 0.5):
                error = message.error()
                if error is not None:
                    if error.code() == eof:
                        pending.discard(message.partition())
                        continue
                    raise TransientConnectorError(
                        f"reading the positions topic {self.topic!r} failed: {error.str()}"
                    )
                self._merge(merged, message.key(), message.value())
        self._known = {(s, stream): dict(e) for s, streams in merged.items() for stream, e in streams.items()}
        return merged

    def _merge(self, merged: SourcePositions, key: bytes | None, value: bytes | None) -> None:
        if key is None or value is None or not key.startswith(self._prefix):
            return
        parts = key[len(self._prefix) :].decode().split(SEPARATOR, 1)
        if len(parts) == 2:
            merge_furthest(merged, parts[0], parts[1], orjson.loads(value))


def ensure_topic(admin: Any, kafka: Any, topic: str, *, timeout: float) -> bool:
    """Create the compacted positions ``topic`` (one partition) unless it exists; True when created.

    ``admin`` is a confluent-kafka ``AdminClient``, ``kafka`` the ``confluent_kafka`` module.
    """
    metadata = admin.list_topics(topic, timeout=timeout).topics.get(topic)
    if metadata is not None and metadata.error is None:
        return False
    from confluent_kafka.admin import NewTopic

    new = NewTopic(topic, 1, replication_factor=-1, config={"cleanup.policy": "compact"})
    try:
        admin.create_topics([new])[topic].result(timeout)
    except kafka.KafkaException as exc:
        error = exc.args[0] if exc.args else None
        if error is None or error.code() != kafka.KafkaError.TOPIC_ALREADY_EXISTS:  # another process won
            raise
        return False
    return True
