"""Arrow's JSON reader as the decoder's fast path: pieces come out in one chunk each."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.json as pj

from lakegate.engine.local.fastjson import FastJsonDecoder
from lakegate.schemas.schema import Field, Schema
from lakegate.schemas.types import parse_type

SCHEMA = Schema(
    (
        Field("id", parse_type("long"), required=True),
        Field("name", parse_type("string")),
        Field("price", parse_type("double")),
    )
)


def payloads(n: int) -> pa.Array:
    records = [{"id": i, "name": "x" * (i % 50), "price": i / 4} for i in range(n)]
    return pa.array([json.dumps(r) for r in records], pa.string())


def test_each_piece_is_parsed_as_one_block_whatever_its_size() -> None:
    text = payloads(40_000)  # about 2.5 MiB: several of Arrow's default 1 MiB blocks
    for threads, chunks in ((1, 1), (2, 2)):  # two threads parse the two halves
        table = FastJsonDecoder(SCHEMA, threads=threads).decode(text)
        assert table is not None
        assert {column.num_chunks for column in table.columns} == {chunks}
        assert table.column("id").to_pylist() == list(range(40_000))


def test_one_block_reads_the_same_values_as_arrows_default_blocks() -> None:
    text = payloads(40_000)
    table = FastJsonDecoder(SCHEMA, threads=1).decode(text)
    joined = "\n".join(text.to_pylist()).encode()
    options = pj.ParseOptions(explicit_schema=pa.schema([f.with_nullable(True) for f in SCHEMA.to_arrow()]))
    expected = pj.read_json(pa.BufferReader(joined), parse_options=options)
    assert table is not None and table.equals(expected)
