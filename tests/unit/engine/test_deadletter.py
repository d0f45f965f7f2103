"""Dead-letter records pick their payloads out of (possibly chunked) batches correctly."""

from __future__ import annotations

import random

import pyarrow as pa

from lakegate.engine.local.deadletter import DLQ_SCHEMA, dead_letters, take


def test_take_matches_arrow_on_chunked_payloads() -> None:
    rng = random.Random(3)
    chunks = [pa.array([f"p{c}-{i}" for i in range(rng.randint(0, 50))]) for c in range(6)]
    values = pa.chunked_array(chunks, pa.string())
    for _ in range(50):
        rows = pa.array([rng.randrange(len(values)) for _ in range(rng.randint(0, 40))], pa.int64())
        assert take(values, rows).to_pylist() == values.take(rows).to_pylist()


def test_dead_letters_carry_payload_stage_rule_reason_and_coordinates() -> None:
    table = dead_letters(
        payloads=pa.chunked_array([pa.array(['{"a":1}', "bad"]), pa.array(['{"b":2}'])]),
        rows=pa.array([2, 1], pa.int64()),
        streams=pa.array(["f1", "f1", "f2"]),
        indexes=pa.array([10, 11, 0], pa.int64()),
        stage="validate", rule="checks", error=pa.array(["check x failed", "malformed JSON"]),
        pipeline="p", source="s", transform="t",
    )  # fmt: skip
    assert table.schema == DLQ_SCHEMA
    rows = table.drop_columns(["failed_at"]).to_pylist()
    assert rows == [
        {"payload": '{"b":2}', "stage": "validate", "rule": "checks", "error": "check x failed",
         "pipeline": "p", "source": "s", "transform": "t", "stream": "f2", "index": 0},
        {"payload": "bad", "stage": "validate", "rule": "checks", "error": "malformed JSON",
         "pipeline": "p", "source": "s", "transform": "t", "stream": "f1", "index": 11},
    ]  # fmt: skip
