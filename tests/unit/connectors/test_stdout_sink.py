"""The stdout sink prints committed rows as JSON lines and stores nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from lakegate.connectors.base import RunContext
from lakegate.connectors.stdout.config import StdoutSinkConfig
from lakegate.connectors.stdout.sink import StdoutSink


def test_prints_json_lines_at_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context = RunContext(pipeline="p", base_dir=tmp_path, state_dir=tmp_path)
    sink = StdoutSink("out", StdoutSinkConfig(type="stdout"), context)
    schema = pa.schema(
        [
            pa.field("id", pa.int64()),
            pa.field("amount", pa.decimal128(10, 2)),
            pa.field("ts", pa.timestamp("us", tz="UTC")),
            pa.field("raw", pa.binary()),
            pa.field("attrs", pa.map_(pa.string(), pa.int64())),
        ]
    )
    sink.open(schema)
    ts = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    sink.write(
        pa.Table.from_pylist(
            [{"id": 1, "amount": Decimal("1.50"), "ts": ts, "raw": b"\x00", "attrs": [("a", 1)]}, {"id": 2}],
            schema=schema,
        )
    )
    assert sink.pending_records == 2
    assert capsys.readouterr().out == ""
    sink.commit({"src": {"s": {"next": 2}}})
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 1, "amount": "1.50", "ts": "2024-01-02T03:04:05Z", "raw": "AA==", "attrs": {"a": 1}},
        {"id": 2, "amount": None, "ts": None, "raw": None, "attrs": None},
    ]
    assert sink.pending_records == 0
    assert sink.committed_positions() == {}
    with pytest.raises(NotImplementedError):
        sink.register_in_duckdb(duckdb.connect(), "v")
    sink.close()
