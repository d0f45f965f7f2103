"""The ``kafka`` sink on a real broker: transactions, positions per stream, fencing, at-least-once,
consumer offsets in the transaction, and a whole pipeline Kafka → rules → Kafka with a Kafka DLQ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from confluent_kafka import Consumer, TopicPartition

from lakegate.connectors.base import Delivery, RunContext
from lakegate.errors import TerminalConnectorError
from tests.integration.conftest import lakegate
from tests.integration.kafka.conftest import EVENT_SCHEMA, KafkaFixture
from tests.integration.kafka.sinkhelpers import committed_messages, make_sink, positions_topic, sink_config
from tests.integration.kafka.test_kafka_source import BAD_UTF8, MALFORMED, TOMBSTONE, expected_payload, sample

pytestmark = pytest.mark.integration

SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("region", pa.string())])


def rows(ids: range) -> pa.Table:
    return pa.table({"id": list(ids), "region": ["eu" if i % 2 else "us" for i in ids]}, schema=SCHEMA)


def test_transactions_positions_per_stream_and_restart(kafka: KafkaFixture) -> None:
    topic, positions = kafka.create_topic(2), positions_topic(kafka)
    sink = make_sink(kafka, topic, positions, key="concat(region, '/', id)")
    sink.open(SCHEMA)
    assert sink.committed_positions() == {}
    sink.write(rows(range(0, 3)))
    sink.commit({"src": {"a": {"next": 3}, "b": {"next": 0}}})
    sink.commit({"src": {"a": {"next": 3}, "b": {"next": 0}}})  # nothing new: no transaction
    sink.write(rows(range(3, 5)))
    sink.commit({"src": {"a": {"next": 5}, "b": {"next": 0}}})
    sink.write(rows(range(5, 9)))  # never committed
    sink.close()

    out = committed_messages(kafka, topic, 2)
    assert sorted(json.loads(m.value or b"")["id"] for m in out) == list(range(5))
    assert all(
        m.key == f"{json.loads(m.value or b'')['region']}/{json.loads(m.value or b'')['id']}".encode()
        for m in out
    )
    # Only changed entries are written: a:3, b:0, then a:5.
    stored = [(m.key, json.loads(m.value or b"")) for m in committed_messages(kafka, positions, 1)]
    assert [(k.split(b"\x1f")[-1] if k else None, v["next"]) for k, v in stored] == [
        (b"a", 3),
        (b"b", 0),
        (b"a", 5),
    ]

    # Two processes of one group: each writes only the streams it changed; the furthest entry wins.
    first, second = (
        make_sink(kafka, topic, positions),
        make_sink(kafka, topic, positions, instance_id="other"),
    )
    for s in (first, second):
        s.open(SCHEMA)
        assert s.committed_positions() == {"src": {"a": {"next": 5}, "b": {"next": 0}}}
    second.commit({"src": {"a": {"next": 5}, "b": {"next": 9}}})
    first.commit({"src": {"a": {"next": 7}, "b": {"next": 0}}})  # its stale b is not written back
    assert first.committed_positions() == {"src": {"a": {"next": 7}, "b": {"next": 9}}}
    first.close()
    second.close()


def test_a_second_process_with_the_same_transactional_id_fences_the_first(kafka: KafkaFixture) -> None:
    topic, positions = kafka.create_topic(1), positions_topic(kafka)
    old = make_sink(kafka, topic, positions, instance_id="same")
    old.open(SCHEMA)
    old.write(rows(range(2)))
    new = make_sink(kafka, topic, positions, instance_id="same")
    new.open(SCHEMA)
    with pytest.raises(TerminalConnectorError, match="instance_id"):
        old.commit({"src": {"a": {"next": 2}}})
    new.write(rows(range(2)))
    new.commit({"src": {"a": {"next": 2}}})
    old.close()
    new.close()
    assert len(committed_messages(kafka, topic, 1)) == 2


def test_at_least_once_delivers_and_stores_positions(kafka: KafkaFixture) -> None:
    topic, positions = kafka.create_topic(2), positions_topic(kafka)
    sink = make_sink(kafka, topic, positions, delivery="at_least_once", key="id")
    assert sink.capabilities.delivery is Delivery.AT_LEAST_ONCE
    sink.open(SCHEMA)
    sink.write(rows(range(100)))
    sink.commit({"src": {"a": {"next": 100}}})
    sink.close()
    out = committed_messages(kafka, topic, 2)
    assert sorted(int(m.key or b"") for m in out) == list(range(100))
    assert make_sink(kafka, topic, positions).committed_positions() == {"src": {"a": {"next": 100}}}


def test_consumer_group_offsets_are_committed_in_the_transaction(kafka: KafkaFixture) -> None:
    source_topic, topic, positions = kafka.create_topic(3), kafka.create_topic(1), positions_topic(kafka)
    kafka.produce(source_topic, sample(20))
    source = kafka.source(source_topic)
    context = RunContext(
        pipeline="test", base_dir=kafka.tmp_path, state_dir=kafka.tmp_path, sources={"events": source}
    )
    chunks = source.chunks({})
    while not len(next(chunks)):  # the consumer joined the group and read something
        pass
    sink = make_sink(kafka, topic, positions, context=context)
    sink.open(SCHEMA)
    sink.write(rows(range(3)))
    sink.commit({"events": {f"{source_topic}/0": {"next": 4}, f"{source_topic}/1": {"next": 6}}})
    sink.close()
    probe = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": source.config.group_id})
    try:
        offsets = probe.committed([TopicPartition(source_topic, p) for p in (0, 1)], timeout=10)
    finally:
        probe.close()
        source.close()
    assert [(tp.partition, tp.offset) for tp in offsets] == [(0, 4), (1, 6)]


def write_pipeline(root: Path, kafka: KafkaFixture, source: str, out: str, dlq: str) -> Path:
    spec: dict[str, Any] = {
        "pipeline": "kafka_to_kafka",
        "schemas": {"event": EVENT_SCHEMA},
        "sources": {
            "events": {
                "type": "kafka",
                "bootstrap_servers": kafka.bootstrap,
                "topics": [source],
                "group_id": kafka.name("lg-k2k"),
                "schema": "event",
                "batch_max_ms": 200,
                "properties": kafka.broker.group_properties,
            }
        },
        "transforms": {
            "t": {
                "source": "events",
                "sinks": ["out"],
                "rules": [
                    {"type": "upper", "columns": ["name"]},
                    {"type": "derive", "column": "even", "expr": "id % 2 = 0"},
                    {"type": "validate", "name": "no_42", "checks": [{"name": "not_42", "expr": "id <> 42"}]},
                ],
            }
        },
        "sinks": {"out": sink_config(kafka, out, positions_topic(kafka), key="concat('id-', id)")},
        "dlq": sink_config(kafka, dlq, positions_topic(kafka), commit={"every_seconds": 1}),
    }
    path = root / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_pipeline_kafka_to_kafka_with_a_kafka_dlq(kafka: KafkaFixture, tmp_path: Path) -> None:
    source, out, dlq = kafka.create_topic(3), kafka.create_topic(2), kafka.create_topic(2)
    messages = sample(120)
    produced = kafka.produce(source, messages)
    pipeline = write_pipeline(tmp_path, kafka, source, out, dlq)
    lakegate("run", str(pipeline), "--quiet")
    lakegate("run", str(pipeline), "--quiet")  # nothing new: nothing written twice

    bad = {MALFORMED, TOMBSTONE, BAD_UTF8, 42}
    got = {json.loads(m.value or b"")["id"]: m for m in committed_messages(kafka, out, 2)}
    assert len(committed_messages(kafka, out, 2)) == len(got) == 120 - len(bad)
    assert set(got) == set(range(120)) - bad
    for i, m in got.items():
        assert m.key == f"id-{i}".encode()
        assert json.loads(m.value or b"") == {"id": i, "name": f"N{i}", "even": i % 2 == 0}

    dead = committed_messages(kafka, dlq, 2)
    expected = {(f"{source}/{produced.coordinates[n][0]}", produced.coordinates[n][1]): n for n in bad}
    assert len(dead) == len(bad)
    for m in dead:
        headers = {k: (v or b"").decode() for k, v in m.headers}
        stream = headers["lakegate.stream"]
        n = expected.pop((stream, int(headers["lakegate.index"])))
        assert m.key == stream.encode()
        assert (m.value or b"").decode() == expected_payload(messages[n])  # the payload as received
        assert headers["lakegate.pipeline"] == "kafka_to_kafka" and headers["lakegate.source"] == "events"
        assert headers["lakegate.failed_at"].endswith("Z")
        if n == 42:
            assert (headers["lakegate.stage"], headers["lakegate.transform"]) == ("validate", "t")
            assert headers["lakegate.rule"] == "no_42" and "not_42" in headers["lakegate.error"]
        else:
            assert headers["lakegate.stage"] == "decode" and "lakegate.rule" not in headers
    assert not expected

    group = yaml.safe_load(pipeline.read_text())["sources"]["events"]["group_id"]
    probe = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": group})
    try:
        offsets = probe.committed([TopicPartition(source, p) for p in range(3)], timeout=10)
    finally:
        probe.close()
    assert {tp.partition: tp.offset for tp in offsets} == produced.ends()
