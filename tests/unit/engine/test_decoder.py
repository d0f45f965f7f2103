"""The decoder's fast path (Arrow's JSON reader) gives exactly what the general path gives, or declines."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pytest

from lakegate.connectors.base import RawChunk
from lakegate.engine.local.decoder import Decoder
from lakegate.engine.local.fastjson import FastJsonDecoder
from lakegate.plan.typecheck import connect
from lakegate.schemas.schema import Field, Schema
from lakegate.schemas.types import parse_type

SCHEMA = Schema(
    (
        Field("id", parse_type("long"), required=True),
        Field("name", parse_type("string")),
        Field("qty", parse_type("int")),
        Field("price", parse_type("double")),
        Field("ok", parse_type("boolean")),
        Field("dev", parse_type("struct<os: string, v: int>")),
        Field("tags", parse_type("list<string>")),
    )
)


def chunk(payloads: list[str]) -> RawChunk:
    n = len(payloads)
    return RawChunk(
        payloads=pa.array(payloads, pa.string()),
        streams=pa.array(["s"] * n),
        indexes=pa.array(range(n), pa.int64()),
        position={},
    )


def both(payloads: list[str]) -> tuple[object, object, bool]:
    """(general result, result with the fast path enabled, whether the fast path decided)."""
    con = connect()
    general = Decoder(SCHEMA, (), con)
    general.fast.enabled = False
    fast = Decoder(SCHEMA, (), con)
    decided = fast.fast.decode(pa.array(payloads, pa.string())) is not None
    g, f = general.decode(chunk(payloads)), fast.decode(chunk(payloads))
    as_rows = lambda d: (d.table.to_pylist(), d.bad_rows.to_pylist(), d.bad_reasons.to_pylist())  # noqa: E731
    return as_rows(g), as_rows(f), decided


def good_record(rng: random.Random, i: int) -> dict[str, object]:
    record: dict[str, object] = {"id": i}
    if rng.random() < 0.8:
        record["name"] = rng.choice(["a", "é", "", "x y", "\\n", "𝄞"])
    if rng.random() < 0.8:
        record["qty"] = rng.choice([0, -5, 2**31 - 1, None])
    if rng.random() < 0.8:
        record["price"] = rng.choice([0.5, -1e300, 12.0, None, 3])
    if rng.random() < 0.5:
        record["ok"] = rng.choice([True, False, None])
    if rng.random() < 0.5:
        record["dev"] = rng.choice([{"os": "ios", "v": 17}, {"os": None}, {}, None, {"os": "a", "extra": [1]}])
    if rng.random() < 0.5:
        record["tags"] = rng.choice([["a", "b"], [], None, ["x", None]])
    if rng.random() < 0.2:
        record["unknown"] = {"nested": [1, 2, {"deep": True}]}
    return record


def test_fast_path_decides_clean_chunks_identically() -> None:
    rng = random.Random(7)
    payloads = [json.dumps(good_record(rng, i), ensure_ascii=rng.random() < 0.5) for i in range(3000)]
    general, fast, decided = both(payloads)
    assert decided
    assert repr(fast) == repr(general)  # repr: NaN equals itself


@pytest.mark.parametrize(
    "bad",
    [
        '{"id": 1, "qty": "5"}',  # a number as a string: accepted by the general path
        '{"id": 1, "qty": 1.5}',  # a fraction in an int: DLQ
        '{"id": 1, "qty": 3000000000}',  # int overflow: DLQ
        '{"id": 1, "name": 5}',  # a number read into a string: kept as text
        '{"name": "no id"}',  # missing required field: DLQ
        '{"id": 1, "price": NaN}',
        '{"id": 1, "price": Infinity}',
        "null",  # Arrow's reader would crash on a bare null: never given to it
        "[1, 2]",
        '{"id": 1}{"id": 2}',  # two values in one payload
        '{"id": 1, "dev": "ios"}',
        '{"id": 1, "tags": [1, 2]}',
        '{"id": 1,}',  # trailing comma: DuckDB's JSON reader accepts it
        '{"id": 1',
        '{"id": 1, "dev": {"v": "17"}}',
    ],
)
def test_fast_path_declines_or_agrees_on_awkward_records(bad: str) -> None:
    payloads = ['{"id": 0, "name": "ok"}', bad, '{"id": 2}']
    general, fast, _ = both(payloads)
    assert repr(fast) == repr(general)  # repr: NaN equals itself


def test_payloads_that_would_merge_across_lines_are_declined() -> None:
    # '{"k":' + '{"x":1}}' would parse as one object spanning two payloads without the guards.
    decoder = FastJsonDecoder(SCHEMA)
    assert decoder.decode(pa.array(['{"id":', '{"id":1}}', '{"id":1}'])) is None
    assert decoder.decode(pa.array(['{"id":1}', '{"id":2}'])) is not None


def test_ineligible_schema_always_takes_the_general_path() -> None:
    schema = Schema((Field("at", parse_type("timestamp")),))
    assert FastJsonDecoder(schema).decode(pa.array(['{"at": "2024-01-01T00:00:00Z"}'])) is None
