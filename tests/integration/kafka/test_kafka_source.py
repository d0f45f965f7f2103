"""The ``kafka`` source against a real Kafka-protocol broker: records, metadata, positions, starts."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from lakegate.connectors.base import RawChunk
from lakegate.connectors.kafka.source import KafkaSource
from lakegate.records import Position
from tests.integration.kafka.conftest import KafkaFixture, Produced
from tests.kafka_broker import free_port

pytestmark = pytest.mark.integration

BASE_TS = 1_700_000_000_000
N = 300
MALFORMED, TOMBSTONE, BAD_UTF8 = 7, 8, 9


def sample(n: int = N, first: int = 0) -> list[dict[str, Any]]:
    """Messages ``first`` .. ``first + n - 1``, round-robin over 3 partitions, one second apart;
    message 7 is malformed JSON, 8 a tombstone, 9 invalid UTF-8; every 50th has a header."""
    messages = []
    for i in range(first, first + n):
        message: dict[str, Any] = {
            "value": json.dumps({"id": i, "name": f"n{i}"}).encode(),
            "key": f"k{i}".encode(),
            "partition": i % 3,
            "timestamp": BASE_TS + i * 1000,
        }
        if i % 50 == 0:
            message["headers"] = [("trace", f"t{i}".encode()), ("empty", None)]
        messages.append(message)
    for i, value in (
        (MALFORMED, b'{"id": 7, "name": '),
        (TOMBSTONE, None),
        (BAD_UTF8, b'{"id": 9, "name": "\xff"}'),
    ):
        if first <= i < first + n:
            messages[i - first]["value"] = value
    return messages


def expected_payload(message: dict[str, Any]) -> str:
    value = message["value"]
    return "null" if value is None else value.decode("utf-8", "backslashreplace")


def records(chunks: list[RawChunk]) -> list[dict[str, Any]]:
    """Every record of ``chunks`` as a dict: stream, index, payload and the metadata."""
    out: list[dict[str, Any]] = []
    for chunk in chunks:
        columns = {
            "stream": chunk.streams,
            "index": chunk.indexes,
            "payload": chunk.payloads,
            **chunk.metadata,
        }
        assert all(len(c) == len(chunk) for c in columns.values())
        lists = {name: column.to_pylist() for name, column in columns.items()}
        out += [dict(zip(lists, values, strict=True)) for values in zip(*lists.values(), strict=True)]
    return out


def read(source: KafkaSource, start: Position | None = None) -> tuple[list[dict[str, Any]], Position]:
    """Run ``chunks`` without follow; the records and the final position."""
    try:
        chunks = list(source.chunks(start or {}))
    finally:
        source.close()
    return records(chunks), (chunks[-1].position if chunks else dict(start or {}))


def end_position(produced: Produced) -> Position:
    return {f"{produced.topic}/{p}": {"next": end} for p, end in produced.ends().items()}


def test_reads_every_message_with_coordinates_and_metadata(kafka: KafkaFixture) -> None:
    topic = kafka.create_topic(3)
    messages = sample()
    produced = kafka.produce(topic, messages)
    got, position = read(kafka.source(topic, start="earliest"))
    assert len(got) == N
    by_coordinates = {(r["stream"], r["index"]): r for r in got}
    assert len(by_coordinates) == N
    for i, (message, (partition, offset)) in enumerate(zip(messages, produced.coordinates, strict=True)):
        record = by_coordinates[f"{topic}/{partition}", offset]
        headers = f'{{"empty":null,"trace":"t{i}"}}' if i % 50 == 0 else None  # names sorted
        assert record == {
            "stream": f"{topic}/{partition}", "index": offset, "payload": expected_payload(message),
            "topic": topic, "partition": partition, "offset": offset, "key": f"k{i}",
            "timestamp": BASE_TS + i * 1000, "headers": headers,
        }  # fmt: skip
    for stream in {r["stream"] for r in got}:
        indexes = [r["index"] for r in got if r["stream"] == stream]
        assert indexes == sorted(indexes)
    assert position == end_position(produced)


def test_resumes_from_a_position_and_reads_exactly_the_rest(kafka: KafkaFixture) -> None:
    topic = kafka.create_topic(3)
    produced = kafka.produce(topic, sample())
    start = {f"{topic}/0": {"next": 10}, f"{topic}/1": {"next": 50}}
    got, position = read(kafka.source(topic, start="earliest"), start)
    expected = {
        (f"{topic}/{p}", o)
        for p, o in produced.coordinates
        if o >= start.get(f"{topic}/{p}", {"next": 0})["next"]
    }
    assert {(r["stream"], r["index"]) for r in got} == expected
    assert len(got) == len(expected) == N - 10 - 50
    assert position == end_position(produced)
    again, position_again = read(kafka.source(topic, start="earliest"), position)
    assert again == [] and position_again == position


def test_start_latest_reads_nothing_old_and_positions_the_end(kafka: KafkaFixture) -> None:
    topic = kafka.create_topic(3)
    produced = kafka.produce(topic, sample(30), one_batch_each=True)  # see KafkaFixture.produce
    got, position = read(kafka.source(topic, start="latest"))
    assert got == []
    assert position == end_position(produced)  # learnt from the partition-EOF events
    kafka.produce(topic, sample(5, first=30))
    got, _ = read(kafka.source(topic, start="latest"), position)
    assert sorted(r["key"] for r in got) == [f"k{i}" for i in range(30, 35)]


def test_start_at_a_timestamp(kafka: KafkaFixture) -> None:
    topic = kafka.create_topic(3)
    produced = kafka.produce(topic, sample())
    start = datetime.fromtimestamp((BASE_TS + 150 * 1000) / 1000, UTC)
    got, position = read(kafka.source(topic, start=start.isoformat()))
    assert sorted(r["key"] for r in got) == sorted(f"k{i}" for i in range(150, N))
    assert position == end_position(produced)


def test_committed_start_resumes_from_acknowledged_offsets(kafka: KafkaFixture) -> None:
    topic = kafka.create_topic(3)
    produced = kafka.produce(topic, sample(60))
    group = kafka.name("lg-group")
    first = kafka.source(topic, group=group, start="committed")
    chunks = list(first.chunks({}))
    assert len(records(chunks)) == 60
    mid = {f"{topic}/{p}": {"next": 5} for p in range(3)}
    first.acknowledge(mid)
    first.close()  # commits the acknowledged offsets synchronously, then leaves the group
    got, position = read(kafka.source(topic, group=group, start="committed"))
    assert len(got) == 60 - 15
    assert min(r["offset"] for r in got) == 5
    assert position == end_position(produced)


def test_topic_pattern_reads_every_matching_topic(kafka: KafkaFixture) -> None:
    prefix = kafka.name("lg-pattern")
    a = kafka.create_topic(2, name=f"{prefix}.a")
    b = kafka.create_topic(1, name=f"{prefix}.b")
    kafka.create_topic(1, name=f"{prefix}-other")
    kafka.produce(a, [{"value": b'{"id": 1}', "partition": 0}, {"value": b'{"id": 2}', "partition": 1}])
    kafka.produce(b, [{"value": b'{"id": 3}'}])
    got, _ = read(kafka.source(topic_pattern=prefix.replace("-", "\\-") + r"\..*", start="earliest"))
    assert sorted((r["topic"], r["payload"]) for r in got) == [
        (a, '{"id": 1}'), (a, '{"id": 2}'), (b, '{"id": 3}'),
    ]  # fmt: skip


def test_follow_picks_up_new_messages_until_stopped(kafka: KafkaFixture) -> None:
    topic = kafka.create_topic(3)
    kafka.produce(topic, sample(30))
    source = kafka.source(topic, start="earliest")
    chunks: list[RawChunk] = []
    failure: list[BaseException] = []

    def consume() -> None:
        try:
            chunks.extend(source.chunks({}, follow=True))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    wait_for(lambda: len(records(list(chunks))) == 30, "the first 30 messages")
    empty_before = sum(1 for c in list(chunks) if not len(c))
    kafka.produce(topic, sample(12, first=30))
    wait_for(lambda: len(records(list(chunks))) == 42, "the 12 new messages")
    wait_for(lambda: sum(1 for c in list(chunks) if not len(c)) > empty_before, "an empty chunk while idle")
    stopped = time.monotonic()
    source.stop()
    thread.join(10)
    assert not thread.is_alive() and not failure
    assert time.monotonic() - stopped < 5
    source.close()
    assert sorted(r["key"] for r in records(chunks)) == sorted(f"k{i}" for i in range(42))


def test_unreachable_broker_is_retried_with_a_clear_log_line(
    kafka: KafkaFixture, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(KafkaSource, "connect_timeout", 0.5)
    monkeypatch.setattr(KafkaSource, "max_backoff", 0.5)
    source = kafka.source("nothing", bootstrap_servers=f"127.0.0.1:{free_port()}")
    chunks: list[RawChunk] = []
    thread = threading.Thread(target=lambda: chunks.extend(source.chunks({})), daemon=True)
    with caplog.at_level(logging.WARNING, logger="lakegate.connectors.kafka"):
        thread.start()
        wait_for(lambda: "attempt 2" in caplog.text, "a second connection attempt", timeout=20)
        source.stop()
        thread.join(10)
    assert not thread.is_alive()
    source.close()
    assert "cannot reach the brokers at 127.0.0.1:" in caplog.text
    assert [len(c) for c in chunks] == [0]


def wait_for(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
