"""A whole pipeline from Kafka through the CLI: valid messages land once, bad ones in the DLQ."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import lakegate, query_one
from tests.integration.kafka.conftest import EVENT_SCHEMA, KafkaFixture
from tests.integration.kafka.test_kafka_source import BAD_UTF8, BASE_TS, MALFORMED, TOMBSTONE, N, sample

pytestmark = pytest.mark.integration


def write_pipeline(root: Path, kafka: KafkaFixture, topic: str) -> Path:
    spec = {
        "pipeline": "kafka_e2e",
        "schemas": {"event": EVENT_SCHEMA},
        "sources": {
            "events": {
                "type": "kafka",
                "bootstrap_servers": kafka.bootstrap,
                "topics": [topic],
                "group_id": kafka.name("lg-e2e"),
                "schema": "event",
                "batch_max_ms": 200,
                "batch_max_messages": 100,
                "properties": kafka.broker.group_properties,
            }
        },
        "transforms": {
            "keep": {
                "source": "events",
                "rules": [
                    {
                        "type": "add_metadata",
                        "columns": {
                            "k_topic": "topic",
                            "k_partition": "partition",
                            "k_offset": "offset",
                            "k_key": "key",
                            "k_timestamp": "timestamp",
                            "k_headers": "headers",
                            "k_stream": "stream",
                        },
                    }
                ],
                "sinks": ["out"],
            }
        },
        "sinks": {"out": {"type": "parquet", "path": "out"}},
    }
    path = root / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run(pipeline: Path) -> dict[str, object]:
    report = pipeline.parent / "report.json"
    lakegate("run", str(pipeline), "--report", str(report), "--quiet")
    return json.loads(report.read_text())  # type: ignore[no-any-return]


def test_pipeline_writes_valid_messages_once_and_dead_letters_bad_ones(
    kafka: KafkaFixture, tmp_path: Path
) -> None:
    topic = kafka.create_topic(3)
    produced = kafka.produce(topic, sample())
    pipeline = write_pipeline(tmp_path, kafka, topic)
    bad = len({MALFORMED, TOMBSTONE, BAD_UTF8})

    first = run(pipeline)
    assert first["sources"] == {"events": {"records_in": N, "dlq": bad}}
    assert first["sinks"]["out"]["records_written"] == N - bad  # type: ignore[index]
    rows, ids, dlq, dlq_keys = query_one(
        pipeline,
        "SELECT (SELECT count(*) FROM out), (SELECT count(DISTINCT id) FROM out), (SELECT count(*) FROM dlq), "
        "(SELECT count(DISTINCT stream || ':' || index) FROM dlq)",
    )
    assert (rows, ids, dlq, dlq_keys) == (N - bad, N - bad, bad, bad)
    partition, offset = produced.coordinates[100]
    row = query_one(pipeline, "SELECT k_topic, k_partition, k_offset, k_key, k_timestamp, k_headers, k_stream, name "
                              "FROM out WHERE id = 100")  # fmt: skip
    assert [str(v) for v in row] == [
        topic, str(partition), str(offset), "k100", str(datetime.fromtimestamp((BASE_TS + 100_000) / 1000, UTC)),
        '{"empty":null,"trace":"t100"}', f"{topic}/{partition}", "n100",
    ]  # fmt: skip
    dead = query_one(pipeline, f"SELECT count(*) FROM dlq WHERE stream = '{topic}/{TOMBSTONE % 3}' "
                               f"AND index = {produced.coordinates[TOMBSTONE][1]}")  # fmt: skip
    assert dead == [1]

    second = run(pipeline)  # positions come from the sinks: nothing new to read
    assert second["sources"] == {"events": {"records_in": 0, "dlq": 0}}

    kafka.produce(topic, sample(30, first=N))
    third = run(pipeline)
    assert third["sources"] == {"events": {"records_in": 30, "dlq": 0}}
    rows, ids = query_one(pipeline, "SELECT count(*), count(DISTINCT id) FROM out")
    assert rows == ids == N - bad + 30
