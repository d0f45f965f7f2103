"""The ``kafka`` source: JSON messages from Kafka topics, read with a consumer group.

Positions (one entry per topic-partition, keyed ``"<topic>/<partition>"``)::

    {"orders/0": {"next": 1200}, "orders/1": {"next": 1187}}

``next`` is the next offset to read. On assignment a partition starts at its ``next`` from the
``start`` position the engine passes (the smallest position the sinks committed) or, when it has
none, at the ``start`` option. Every chunk carries the whole position, ``start`` entries included.

Offsets are never auto-committed: the sinks store them atomically with the data, which is what
makes a restart exact. :meth:`KafkaSource.acknowledge` additionally commits a position to the
consumer group (asynchronously, advisory only: monitoring, lag and ``start: committed``).

Without ``follow`` the source stops once every assigned partition reached its end as of its first
fetch (see :mod:`.partitions`); with ``follow`` it consumes until :meth:`KafkaSource.stop`. Either way
it yields a chunk (possibly empty) at least every ``batch_max_ms``.

Faults: brokers unreachable at start are retried with exponential backoff (1 s doubling to 30 s) and
a warning per attempt; later connection losses are retried by librdkafka and logged (rate-limited).
Message-level errors other than partition EOF are logged with their topic-partition. A fatal client
error stops the source with a :class:`~lakegate.errors.TerminalConnectorError`.

Rebalances (several processes in one group): before partitions are revoked the engine commits every
sink with what was read so far (:meth:`EngineHooks.commit_now`), and messages read since the last
chunk are dropped, so the next owner starts exactly there; on assignment the sinks' positions are read
again (another process may have moved the partitions on). Partitions *lost* without a revocation (this
process missed its session timeout) stop the run without a commit (see docs/kafka.md).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa

from lakegate._optional import require
from lakegate.connectors.base import Capabilities, Delivery, RawChunk, RunContext, Source
from lakegate.connectors.kafka.batch import METADATA_KEYS, build_chunk
from lakegate.connectors.kafka.client import consumer_config
from lakegate.connectors.kafka.config import KafkaSourceConfig
from lakegate.connectors.kafka.logs import LibrdkafkaLog, RateLimitedLog
from lakegate.connectors.kafka.partitions import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Partitions,
    describe,
    split_stream,
    stream_id,
)
from lakegate.errors import TerminalConnectorError
from lakegate.records import Position

logger = logging.getLogger(__name__)


class KafkaSource(Source):
    """Consume JSON messages from Kafka topics (or a topic pattern) with a consumer group.

    Chunks hold up to ``batch_max_messages`` messages gathered for at most ``batch_max_ms``.
    ``payloads`` are the message values as text, ``streams`` the ``<topic>/<partition>`` ids
    (dictionary-encoded), ``indexes`` the offsets; metadata: see :func:`.batch.build_chunk`.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(delivery=Delivery.EXACTLY_ONCE)
    metadata_keys: ClassVar[tuple[str, ...]] = METADATA_KEYS
    metadata_types: ClassVar[dict[str, pa.DataType]] = {
        "partition": pa.int32(),
        "offset": pa.int64(),
        "timestamp": pa.timestamp("ms", tz="UTC"),
    }
    connect_timeout: ClassVar[float] = 5.0
    """Seconds one attempt to reach the brokers may take before it is retried."""
    max_backoff: ClassVar[float] = 30.0
    """Longest wait between two attempts to reach the brokers."""

    def __init__(self, name: str, config: KafkaSourceConfig, context: RunContext) -> None:
        super().__init__(name, config, context)
        self.config: KafkaSourceConfig = config
        self._kafka = require("confluent_kafka", "kafka", purpose="the kafka source")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._consumer: Any = None
        self._partitions: Partitions | None = None
        self._acknowledged: list[Any] = []
        self._yielded: Position = {}
        """The position carried by the last chunk yielded."""
        self._revoked = False
        """Partitions were revoked while a chunk was being filled."""
        self._acknowledge_pending = False
        self._group_metadata: Any = None
        self._fatal: Exception | None = None
        self._log = RateLimitedLog(logger, f"kafka source {name!r}")

    # --- lifecycle ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the iterator to finish after the current chunk (thread-safe)."""
        self._stop.set()

    def close(self) -> None:
        """Commit the last acknowledged offsets synchronously, then leave the group and close."""
        with self._lock:
            consumer, self._consumer = self._consumer, None
            offsets, self._acknowledged = self._acknowledged, []
        if consumer is None:
            return
        if offsets:
            try:
                consumer.commit(offsets=offsets, asynchronous=False)
            except self._kafka.KafkaException as exc:
                logger.warning("kafka source %r: committing offsets to group %r failed: %s",
                               self.name, self.config.group_id, _reason(exc))  # fmt: skip
        consumer.close()

    def replays_new_streams(self) -> bool:
        """Only `earliest` and `committed` (group offsets advance after sink commits) start a
        partition where a restart would start it again."""
        return self.config.start in ("earliest", "committed")

    def acknowledge(self, position: Position) -> None:
        """Commit ``position`` (the offsets the sinks hold) to the consumer group, asynchronously.

        Advisory only: lakegate resumes from the sinks' offsets, never from these. Only partitions
        currently assigned to this process are committed; failures are logged, not raised. The
        commit itself is made by the consuming thread (:meth:`_commit_acknowledged`): a call on the
        consumer from another thread blocks while a rebalance callback runs, and the revocation
        callback waits for the engine.
        """
        with self._lock:
            partitions = self._partitions
            if self._consumer is None or partitions is None:
                return
            assigned = partitions.assigned_streams()
            offsets = [
                self._kafka.TopicPartition(*split_stream(stream), int(entry["next"]))
                for stream, entry in position.items()
                if stream in assigned
            ]
            self._acknowledged = offsets
            self._acknowledge_pending = bool(offsets)

    def _commit_acknowledged(self, consumer: Any) -> None:
        """Commit the last acknowledged offsets to the group, asynchronously (consuming thread)."""
        with self._lock:
            if not self._acknowledge_pending:
                return
            offsets, self._acknowledge_pending = self._acknowledged, False
        try:
            consumer.commit(offsets=offsets, asynchronous=True)
        except self._kafka.KafkaException as exc:
            self._log.warning(
                "commit", "committing offsets to group %r failed: %s", self.config.group_id, _reason(exc)
            )

    def group_metadata(self) -> Any:
        """The consumer's group metadata as of its last assignment (for a transactional producer's
        ``send_offsets_to_transaction``), or None before the first one."""
        with self._lock:
            return self._group_metadata

    # --- reading --------------------------------------------------------------------------------

    def chunks(self, start: Position, *, follow: bool = False) -> Iterator[RawChunk]:
        """Yield chunks from ``start`` on (see the module docstring)."""
        partitions = Partitions(start, self.config.start)
        consumer = self._open(partitions)
        if not self._reachable(consumer, follow):
            yield build_chunk([], partitions.snapshot())
            return
        consumer.subscribe(
            self.config.subscription,
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        while not self._stop.is_set():
            messages = self._fill(consumer, partitions, follow)
            # Yield even when idle: the engine reads its sources in turn, and another consumer of
            # the group (another source of the pipeline) only gets its partitions once this one is
            # polled again to take part in the rebalance.
            self._yielded = partitions.snapshot()
            yield build_chunk(messages, self._yielded)
            if self._fatal is not None:
                raise TerminalConnectorError(
                    f"kafka client failed: {self._fatal}", source=self.name,
                    hint="check the brokers, the security settings and `properties`",
                )  # fmt: skip
            if not follow and partitions.drained():
                return

    def _open(self, partitions: Partitions) -> Any:
        """A new consumer (not connected yet: librdkafka connects in the background)."""
        client_log = LibrdkafkaLog(logger, f"kafka source {self.name!r}: librdkafka")
        settings = consumer_config(self.config, client_logger=client_log)
        settings["error_cb"] = self._on_error
        settings["on_commit"] = self._on_commit
        try:
            consumer = self._kafka.Consumer(settings)
        except (self._kafka.KafkaException, ValueError, TypeError) as exc:
            raise TerminalConnectorError(
                f"invalid Kafka consumer settings: {_reason(exc)}", source=self.name,
                hint="check `security` and `properties` (librdkafka names, e.g. session.timeout.ms)",
            ) from exc  # fmt: skip
        with self._lock:
            previous, self._consumer, self._partitions = self._consumer, consumer, partitions
        if previous is not None:
            previous.close()
        return consumer

    def _reachable(self, consumer: Any, follow: bool) -> bool:
        """Wait (with backoff) until the brokers answer; False when stopped meanwhile or, without
        ``follow``, when no topic matches the subscription (nothing to read)."""
        attempt, delay = 0, 1.0
        security = self.config.security
        needs_token = security is not None and security.sasl_mechanism in ("OAUTHBEARER", "AWS_MSK_IAM")
        while not self._stop.is_set():
            if needs_token:
                consumer.poll(0)  # serves the oauth callback before the first request
            try:
                metadata = consumer.list_topics(timeout=self.connect_timeout)
                break
            except self._kafka.KafkaException as exc:
                attempt += 1
                logger.warning(
                    "kafka source %r: cannot reach the brokers at %s (%s); retrying in %g s (attempt %d)",
                    self.name, self.config.bootstrap_servers, _reason(exc), delay, attempt,
                )  # fmt: skip
                if self._stop.wait(delay):
                    return False
                delay = min(delay * 2, self.max_backoff)
        else:
            return False
        if attempt:
            logger.info("kafka source %r: brokers at %s reachable", self.name, self.config.bootstrap_servers)
        matching = self._matching_topics(list(metadata.topics))
        if matching:
            return True
        wanted = self.config.topic_pattern or ", ".join(self.config.topics or [])
        logger.warning("kafka source %r: no topic matches %s%s", self.name, wanted,
                       "; waiting for one to be created" if follow else "; nothing to read")  # fmt: skip
        return follow

    def _matching_topics(self, names: list[str]) -> list[str]:
        if self.config.topic_pattern is not None:
            pattern = re.compile(self.config.topic_pattern)
            return [n for n in names if pattern.fullmatch(n)]
        missing = [t for t in self.config.topics or [] if t not in names]
        if missing:
            logger.warning("kafka source %r: topics not found (yet): %s", self.name, ", ".join(missing))
        return [t for t in self.config.topics or [] if t in names]

    def _fill(self, consumer: Any, partitions: Partitions, follow: bool) -> list[Any]:
        """Messages gathered until ``batch_max_messages``, ``batch_max_ms``, stop, or (without
        follow) the end of every partition; partition state and position updated."""
        limit = self.config.batch_max_messages
        deadline = time.monotonic() + self.config.batch_max_ms / 1000
        messages: list[Any] = []
        while not self._stop.is_set() and self._fatal is None:
            self._commit_acknowledged(consumer)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                got = consumer.consume(limit - len(messages), remaining)
            except self._kafka.KafkaException as exc:
                raise TerminalConnectorError(
                    f"kafka consumer failed: {_reason(exc)}", source=self.name,
                    hint="check the brokers, the security settings and `properties`",
                ) from exc  # fmt: skip
            good = [m for m in got if m.error() is None]
            if self._revoked:  # partitions went to another process during consume(): drop their rows
                messages = [m for m in messages if stream_id(m.topic(), m.partition()) in partitions.assigned]
                good = [m for m in good if stream_id(m.topic(), m.partition()) in partitions.assigned]
                self._revoked = False
            if len(good) != len(got):
                self._errors([m for m in got if m.error() is not None], partitions)
            if good:
                last: dict[tuple[str, int], int] = {}
                for m in good:
                    last[m.topic(), m.partition()] = m.offset()
                partitions.advance(last)
                messages += _above_floors(good, partitions.floors) if partitions.floors else good
            for state in partitions.waiting_for_targets():
                _, high = consumer.get_watermark_offsets(
                    self._kafka.TopicPartition(state.topic, state.partition), cached=True
                )
                if high >= 0:
                    state.target = high
            if len(messages) >= limit or (not follow and partitions.drained()):
                break
        return messages

    def _errors(self, events: list[Any], partitions: Partitions) -> None:
        eof = self._kafka.KafkaError._PARTITION_EOF
        for m in events:
            error = m.error()
            if error.code() == eof:
                partitions.reached_end(m.topic(), m.partition(), m.offset())
                continue
            if error.fatal():
                self._fatal = self._kafka.KafkaException(error)
            where = stream_id(m.topic(), m.partition()) if m.topic() else "consumer"
            self._log.warning((error.code(), where), "%s: %s", where, error.str())

    # --- callbacks (run in the consuming thread, inside consume()) -------------------------------

    def _on_assign(self, consumer: Any, assigned: list[Any]) -> None:
        partitions = self._partitions
        assert partitions is not None
        # Another process of the pipeline may have moved these partitions on since this one started.
        committed = self.context.engine.refresh_position(self.name)
        if committed:
            with self._lock:
                partitions.catch_up({s: committed[s] for s in (stream_id(tp.topic, tp.partition) for tp in assigned)
                                     if s in committed})  # fmt: skip
        for tp in assigned:
            tp.offset = partitions.initial_offset(tp.topic, tp.partition)
        floor = partitions.from_timestamp
        if floor is not None:
            fresh = [tp for tp in assigned if stream_id(tp.topic, tp.partition) not in partitions.position]
            self._resolve_timestamps(consumer, fresh, floor, partitions)
        with self._lock:
            partitions.assign([(tp.topic, tp.partition) for tp in assigned])
        logger.info("kafka source %r: assigned %s", self.name, describe(assigned))
        if self._incremental():
            consumer.incremental_assign(assigned)
        else:
            consumer.assign(assigned)
        with self._lock:
            self._group_metadata = consumer.consumer_group_metadata()

    def _resolve_timestamps(self, consumer: Any, tps: list[Any], floor: int, partitions: Partitions) -> None:
        """Turn timestamp offsets into real ones (offsets_for_times), and guard with floors."""
        if not tps:
            return
        try:
            found = {(r.topic, r.partition): r.offset for r in consumer.offsets_for_times(tps, timeout=10)}
        except self._kafka.KafkaException as exc:
            logger.warning("kafka source %r: offsets_for_times failed (%s); scanning from the earliest "
                           "offset for messages at or after the start time", self.name, _reason(exc))  # fmt: skip
            found = {}
        for tp in tps:
            offset = found.get((tp.topic, tp.partition), OFFSET_BEGINNING)
            tp.offset = offset if offset >= 0 else (OFFSET_END if offset == OFFSET_END else OFFSET_BEGINNING)
            partitions.floors[tp.topic, tp.partition] = floor

    def _on_revoke(self, consumer: Any, revoked: list[Any]) -> None:
        """Partitions go to another process: commit everything read so far first, so the next owner
        starts exactly where this one stopped; messages read since the last chunk are dropped."""
        logger.info("kafka source %r: partitions revoked: %s; committing before handing them over",
                    self.name, describe(revoked, offsets=False))  # fmt: skip
        self.context.engine.commit_now()
        self._release(consumer, revoked)

    def _on_lost(self, consumer: Any, lost: list[Any]) -> None:
        """Partitions were taken away without a handover (this process missed the session timeout):
        another process may already be reading them, so what was read here must not be committed."""
        self._release(consumer, lost)
        self.context.engine.abandon(
            f"kafka source {self.name!r} lost partitions {describe(lost, offsets=False)} to the group "
            f"{self.config.group_id!r} (the session timed out)"
        )

    def _release(self, consumer: Any, partitions_gone: list[Any]) -> None:
        partitions = self._partitions
        if partitions is not None:
            gone = [(tp.topic, tp.partition) for tp in partitions_gone]
            with self._lock:
                partitions.revoke(gone, back_to=self._yielded)
            self._revoked = True
        if self._incremental():
            consumer.incremental_unassign(partitions_gone)

    def _incremental(self) -> bool:
        props = self.config.properties
        return (
            "cooperative" in props.get("partition.assignment.strategy", "")
            or props.get("group.protocol") == "consumer"
        )

    def _on_error(self, error: Any) -> None:
        if error.fatal():
            self._fatal = self._kafka.KafkaException(error)
        self._log.warning(error.code(), "%s (%s; librdkafka keeps retrying)",
                          error.str(), self.config.bootstrap_servers)  # fmt: skip

    def _on_commit(self, error: Any, offsets: list[Any]) -> None:
        if error is not None:
            self._log.warning(
                "commit", "committing offsets to group %r failed: %s", self.config.group_id, error.str()
            )
        else:
            logger.debug("kafka source %r: committed %s", self.name, describe(offsets))


def _above_floors(messages: list[Any], floors: dict[tuple[str, int], int]) -> list[Any]:
    """Drop the messages of floored partitions that precede the first one at or after the floor."""
    kept = []
    for m in messages:
        key = (m.topic(), m.partition())
        floor = floors.get(key)
        if floor is not None:
            kind, ts = m.timestamp()
            if kind and ts < floor:
                continue
            del floors[key]
        kept.append(m)
    return kept


def _reason(exc: Exception) -> str:
    """The message of a confluent-kafka exception (its KafkaError's text when it has one)."""
    first = exc.args[0] if exc.args else exc
    return str(first.str()) if hasattr(first, "str") else str(first)
