"""Helpers of the Kafka sink tests: sinks on the test broker, and their positions topic.

Tansu 0.6 loses records of compacted topics (a record with a unique key written in the same batch
as another vanished, and the high watermark stopped short of it), so the tests create each sink's
positions topic beforehand with ``cleanup.policy=delete`` (the sink uses an existing topic as it
is); against a real Kafka the sink's own compacted topic works.
"""

from __future__ import annotations

from typing import Any

from lakegate.connectors.base import RunContext
from lakegate.connectors.kafka.sink import KafkaSink
from lakegate.connectors.kafka.sink_config import KafkaSinkConfig
from tests.integration.kafka.conftest import KafkaFixture
from tests.integration.kafka.txnread import Message, read_committed


def positions_topic(kafka: KafkaFixture) -> str:
    """A fresh, non-compacted positions topic (see the module docstring)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    name = kafka.name("lg-positions")
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
    topic = NewTopic(name, 1, 1, config={"cleanup.policy": "delete", "retention.ms": "-1"})
    admin.create_topics([topic])[name].result(30)
    return name


def sink_config(kafka: KafkaFixture, topic: str, positions: str, **options: Any) -> dict[str, Any]:
    """The YAML mapping of a kafka sink writing ``topic``."""
    return {"type": "kafka", "bootstrap_servers": kafka.bootstrap, "topic": topic,
            "positions_topic": positions, **options}  # fmt: skip


def make_sink(
    kafka: KafkaFixture,
    topic: str,
    positions: str,
    *,
    name: str = "out",
    context: RunContext | None = None,
    **options: Any,
) -> KafkaSink:
    """A kafka sink of pipeline ``test`` (a new instance, as a restarted process would build)."""
    config = KafkaSinkConfig.model_validate(sink_config(kafka, topic, positions, **options))
    ctx = context or RunContext(pipeline="test", base_dir=kafka.tmp_path, state_dir=kafka.tmp_path / "state")
    return KafkaSink(name, config, ctx)


def committed_messages(kafka: KafkaFixture, topic: str, partitions: int) -> list[Message]:
    """What a correct ``read_committed`` consumer sees in ``topic`` (see :mod:`.txnread`)."""
    return read_committed(kafka.bootstrap, topic, partitions)
