"""The ``kafka`` sink: rows as JSON messages on a topic, exactly-once through Kafka transactions.

Each :meth:`KafkaSink.commit` (``delivery: exactly_once``) is one transaction of a producer whose
transactional id is stable per process (``<prefix>-<instance_id>``)::

    begin → the buffered rows → the changed positions records (:mod:`.positions`)
          → the offsets of a running Kafka source, to its consumer group → commit

so the rows, the positions the sink stores and the group's offsets become visible to
``read_committed`` consumers together or not at all. Opening the sink registers the id
(``init_transactions``), which fences a crashed predecessor and aborts its unfinished transaction
before the positions are read.

``at_least_once`` sends the rows with an idempotent producer, waits for every delivery report, then
stores the positions the same way (without a transaction).

As the pipeline's DLQ (rows of :data:`~lakegate.engine.local.deadletter.DLQ_SCHEMA`), the message
value is the original payload and the error context travels in headers (see
:class:`~lakegate.connectors.kafka.sink_config.KafkaSinkConfig`).
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any, ClassVar

import pyarrow as pa

from lakegate._optional import require
from lakegate.connectors.base import BufferedSink, Capabilities, Delivery, RunContext
from lakegate.connectors.kafka.client import connection_settings, producer_config
from lakegate.connectors.kafka.encode import RowEncoder, key_type
from lakegate.connectors.kafka.logs import LibrdkafkaLog
from lakegate.connectors.kafka.partitions import split_stream
from lakegate.connectors.kafka.positions import PositionsLog, ensure_topic
from lakegate.connectors.kafka.producer import Producer
from lakegate.connectors.kafka.sink_config import KafkaSinkConfig
from lakegate.connectors.kafka.source import KafkaSource
from lakegate.engine.local.deadletter import DLQ_SCHEMA
from lakegate.errors import TerminalConnectorError, TransientConnectorError
from lakegate.records import SourcePositions, StreamPosition

logger = logging.getLogger(__name__)

Change = tuple[str, str, StreamPosition]


def default_instance_id() -> str:
    """The host name (stable across restarts of a process on one machine or pod)."""
    return socket.gethostname() or f"pid{os.getpid()}"


class KafkaSink(BufferedSink):
    """Produce rows to a Kafka topic as JSON (see the module docstring)."""

    capabilities: ClassVar[Capabilities] = Capabilities(delivery=Delivery.EXACTLY_ONCE)
    timeout: ClassVar[float] = 30.0
    """Seconds a metadata request, ``init_transactions``, a flush or a positions read may take."""

    def __init__(self, name: str, config: KafkaSinkConfig, context: RunContext) -> None:
        super().__init__(name, config, context)
        self.config: KafkaSinkConfig = config
        self._kafka = require("confluent_kafka", "kafka", purpose="the kafka sink")
        if config.delivery == "at_least_once":
            self.capabilities = Capabilities(delivery=Delivery.AT_LEAST_ONCE)  # type: ignore[misc]
        self.exactly_once = config.delivery == "exactly_once"
        self.log = PositionsLog(context.pipeline, name, config.positions_topic)
        self._client_log = LibrdkafkaLog(logger, f"kafka sink {name!r}: librdkafka")
        self._producer: Producer | None = None
        self._encoder: RowEncoder | None = None
        self._dlq = False
        self._committing: list[Change] | None = None
        """Positions of a transaction whose commit failed with a retriable error."""

    @property
    def transactional_id(self) -> str:
        """``<transactional_id_prefix>-<instance_id>``."""
        prefix = self.config.transactional_id_prefix or f"lakegate-{self.context.pipeline}-{self.name}"
        return f"{prefix}-{self.config.instance_id or default_instance_id()}"

    # --- open -----------------------------------------------------------------------------------

    def open(self, schema: pa.Schema) -> None:
        """Check the topic, create the positions topic when missing and start the producer
        (registering the transactional id fences a predecessor with the same id)."""
        self._dlq = schema.names == DLQ_SCHEMA.names
        if not self._dlq:
            if self.config.key is not None:
                try:
                    key_type(self.config.key, schema)
                except ValueError as exc:
                    raise TerminalConnectorError(
                        f"`key` {self.config.key!r}: {exc}", sink=self.name
                    ) from None
            self._encoder = RowEncoder(schema, self.config.key)
        self._check_topics()
        if self._producer is None:
            settings = producer_config(
                self.config,
                transactional_id=self.transactional_id if self.exactly_once else None,
                client_logger=self._client_log,
            )
            self._producer = Producer(self._kafka, settings, sink=self.name, transactional=self.exactly_once)
            self._producer.init(self.timeout)

    def _check_topics(self) -> None:
        from confluent_kafka.admin import AdminClient

        settings = connection_settings(self.config.bootstrap_servers, self.config.security, self._client_log)
        admin = AdminClient(settings)
        try:
            topic = admin.list_topics(self.config.topic, timeout=self.timeout).topics.get(self.config.topic)
            if topic is None or topic.error is not None:
                raise TerminalConnectorError(
                    f"topic {self.config.topic!r} does not exist", sink=self.name,
                    hint="create it (lakegate does not create output topics: partitions and replication are yours to choose)",
                )  # fmt: skip
            if ensure_topic(admin, self._kafka, self.config.positions_topic, timeout=self.timeout):
                logger.info(
                    "kafka sink %r: created the positions topic %r", self.name, self.config.positions_topic
                )
        except self._kafka.KafkaException as exc:
            raise TransientConnectorError(
                f"cannot reach the Kafka brokers at {self.config.bootstrap_servers}: {exc}", sink=self.name
            ) from exc

    # --- positions ------------------------------------------------------------------------------

    def committed_positions(self) -> SourcePositions:
        """Read the positions topic to its end (``read_committed``) and merge this sink's records,
        the furthest entry per stream winning. Reads again on every call."""
        settings = connection_settings(self.config.bootstrap_servers, self.config.security, self._client_log)
        settings.update({
            "group.id": f"lakegate-positions-{self.context.pipeline}-{self.name}",
            "enable.auto.commit": False, "enable.partition.eof": True,
            "isolation.level": "read_committed", "auto.offset.reset": "earliest",
        })  # fmt: skip
        consumer = self._kafka.Consumer(settings)
        try:
            return self.log.load(consumer, self._kafka, timeout=self.timeout)
        except self._kafka.KafkaException as exc:
            raise TransientConnectorError(
                f"reading the positions topic {self.config.positions_topic!r} failed: {exc}", sink=self.name
            ) from exc
        finally:
            consumer.close()

    # --- commit ---------------------------------------------------------------------------------

    def commit(self, positions: SourcePositions) -> None:
        """Send the buffered rows and store ``positions`` (one transaction with ``exactly_once``)."""
        producer = self._producer
        if producer is None:
            raise TerminalConnectorError("commit() called before open()", sink=self.name)
        if self._committing is not None:  # a retriable commit_transaction failure: finish it first
            try:
                producer.commit_transaction()
            except TransientConnectorError:
                if not producer.in_transaction:  # aborted: start over
                    self._committing = None
                raise
            self._done(self._committing)
        changes = self.log.changes(positions)
        data = self.buffered()
        if data is None and not changes:
            return
        try:
            producer.begin()
            if data is not None:
                self._produce_rows(producer, data)
            if not self.exactly_once:
                producer.flush(self.timeout)  # rows first, positions only once every row is delivered
            for key, value in self.log.records(changes):
                producer.produce(self.config.positions_topic, value, key)
            if self.exactly_once:
                self._send_offsets(producer, changes)
                self._committing = changes
                producer.commit_transaction()
            else:
                producer.flush(self.timeout)
        except TransientConnectorError:
            if self._committing is None or not producer.in_transaction:
                self._committing = None
                producer.abort()
            raise
        except BaseException:
            self._committing = None
            producer.abort()
            raise
        self._done(changes)

    def _done(self, changes: list[Change]) -> None:
        self._committing = None
        self.log.stored(changes)
        self.clear_buffer()

    def _produce_rows(self, producer: Producer, table: pa.Table) -> None:
        topic = self.config.topic
        for batch in table.to_batches(max_chunksize=50_000):
            if self._dlq:
                for value, key, headers in dead_letter_messages(batch):
                    producer.produce(topic, value, key, headers)
            else:
                assert self._encoder is not None
                keys, values = self._encoder.encode(pa.Table.from_batches([batch]))
                produce = producer.produce
                for row_key, row_value in zip(keys, values, strict=True):
                    produce(topic, row_value, row_key)
            producer.poll()

    def _send_offsets(self, producer: Producer, changes: list[Change]) -> None:
        """Add the changed offsets of each running Kafka source to the transaction, for its consumer
        group (not from the DLQ: the group's offsets follow the pipeline's real sinks)."""
        if self._dlq:
            return
        by_source: dict[str, list[Any]] = {}
        for source, stream, entry in changes:
            running = self.context.sources.get(source)
            if isinstance(running, KafkaSource):
                topic, partition = split_stream(stream)
                by_source.setdefault(source, []).append(
                    self._kafka.TopicPartition(topic, partition, int(entry["next"]))
                )
        for source, offsets in by_source.items():
            running = self.context.sources[source]
            assert isinstance(running, KafkaSource)
            metadata = running.group_metadata()
            if metadata is not None:
                producer.send_offsets(offsets, metadata, self.timeout)

    def close(self) -> None:
        """Drop uncommitted rows and release the producer (an open transaction is aborted by the
        broker, or at once by the next process with the same transactional id)."""
        self.clear_buffer()
        if self._producer is not None:
            self._producer.close()
            self._producer = None
        if self._encoder is not None:
            self._encoder.close()
            self._encoder = None


def dead_letter_messages(
    batch: pa.RecordBatch,
) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]:
    """``(value, key, headers)`` of each dead letter in ``batch`` (rows of ``DLQ_SCHEMA``): the
    original payload, the source stream, and the error context as ``lakegate.*`` headers."""
    columns = {name: batch.column(name).to_pylist() for name in DLQ_SCHEMA.names}
    out = []
    for i in range(batch.num_rows):
        headers = []
        for name in DLQ_SCHEMA.names[1:]:
            value = columns[name][i]
            if value is None:
                continue
            text = value.isoformat().replace("+00:00", "Z") if name == "failed_at" else str(value)
            headers.append((f"lakegate.{name}", text.encode()))
        payload, stream = columns["payload"][i], columns["stream"][i]
        out.append((
            None if payload is None else payload.encode(),
            None if stream is None else stream.encode(),
            headers,
        ))  # fmt: skip
    return out
