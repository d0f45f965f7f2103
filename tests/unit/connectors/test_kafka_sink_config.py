"""The ``kafka`` sink's config: validation, the key expression checked at compile time, JSON encoding."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from pydantic import ValidationError

from lakegate.connectors.kafka.client import producer_config
from lakegate.connectors.kafka.encode import RowEncoder
from lakegate.connectors.kafka.sink_config import KafkaSinkConfig
from lakegate.errors import CompileError
from lakegate.plan.compiler import compile_pipeline
from lakegate.spec import load_pipeline_text


def config(**options: object) -> KafkaSinkConfig:
    return KafkaSinkConfig.model_validate(
        {"type": "kafka", "bootstrap_servers": "b:9092", "topic": "out", **options}
    )


def pipeline(key: str) -> str:
    return yaml.safe_dump({
        "pipeline": "p",
        "schemas": {"s": {"fields": [{"name": "id", "type": "long"}, {"name": "region", "type": "string"},
                                     {"name": "tags", "type": "list<string>"}]}},
        "sources": {"in": {"type": "files", "path": "in", "schema": "s"}},
        "transforms": {"t": {"source": "in", "rules": [], "sinks": ["out"]}},
        "sinks": {"out": {"type": "kafka", "bootstrap_servers": "b:9092", "topic": "out", "key": key}},
    }, sort_keys=False)  # fmt: skip


def test_key_expression_is_checked_at_compile_time(tmp_path: Path) -> None:
    plan = compile_pipeline(load_pipeline_text(pipeline("concat(region, '/', id)"), tmp_path / "p.yaml"))
    assert plan.sinks["out"].config.key == "concat(region, '/', id)"
    with pytest.raises(CompileError, match=r"sink 'out'.*`key` 'regoin'.*not found") as unknown:
        compile_pipeline(load_pipeline_text(pipeline("regoin"), tmp_path / "p.yaml"))
    assert unknown.value.context.get("line") is not None
    with pytest.raises(CompileError, match=r"sink 'out'.*no text form"):
        compile_pipeline(load_pipeline_text(pipeline("tags"), tmp_path / "p.yaml"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"key": "id; DROP TABLE t"}, "single SQL expression"),
        ({"key": "(SELECT 1)"}, "not a statement or subquery"),
        ({"properties": {"transactional.id": "x"}}, "managed by lakegate"),
        ({"properties": {"acks": "1"}}, "acks=all"),
        ({"topic": "bad topic"}, "invalid topic name"),
        ({"delivery": "maybe"}, "exactly_once"),
    ],
)
def test_invalid_configs_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        config(**options)


def test_producer_settings() -> None:
    settings = producer_config(config(properties={"linger.ms": 20}), transactional_id="tx-1")
    assert settings["transactional.id"] == "tx-1" and settings["acks"] == "all"
    assert settings["enable.idempotence"] is True and settings["linger.ms"] == "20"
    assert "transactional.id" not in producer_config(config(delivery="at_least_once"), transactional_id=None)


def test_rows_are_encoded_like_the_jsonl_sink() -> None:
    schema = pa.schema([("id", pa.int64()), ("amount", pa.decimal128(10, 2)), ("ts", pa.timestamp("us", tz="UTC")),
                        ("raw", pa.binary()), ("day", pa.date32())])  # fmt: skip
    table = pa.table({"id": [1, None], "amount": [Decimal("12.30"), None],
                      "ts": [dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), None], "raw": [b"\x00\xff", None],
                      "day": [dt.date(2024, 1, 2), None]}, schema=schema)  # fmt: skip
    encoder = RowEncoder(schema, "'k-' || id")
    keys, values = encoder.encode(table)
    encoder.close()
    assert keys == ["k-1", None]
    assert (
        values[0]
        == '{"id":1,"amount":12.3,"ts":"2024-01-02T03:04:05.000000Z","raw":"AP8=","day":"2024-01-02"}'
    )
    assert json.loads(values[1]) == dict.fromkeys(schema.names)
