"""The shared sink conformance suite: every durable sink passes the same tests.

A new sink gets the guarantees tested by adding one entry to ``SINK_FACTORIES``: data and positions
are committed together, survive a restart (a new sink instance), uncommitted rows vanish, commits
accumulate, an empty commit still advances the positions. Everything is read back through
``register_in_duckdb``, the path ``lakegate query`` uses.

The ``postgres`` cases need a PostgreSQL server: ``LAKEGATE_TEST_PG_DSN``, by default the local one
(see tests/helpers/postgres.py); they fail, with a message saying so, when none answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from lakegate.connectors.base import Delivery, RunContext, Sink
from lakegate.connectors.duckdb.config import DuckDBSinkConfig
from lakegate.connectors.duckdb.sink import DuckDBSink
from lakegate.connectors.filelog import DATA_PREFIX, STATE_FILE, FileSink
from lakegate.connectors.iceberg.config import IcebergSinkConfig
from lakegate.connectors.iceberg.sink import IcebergSink
from lakegate.connectors.jsonl.config import JsonlSinkConfig
from lakegate.connectors.jsonl.sink import JsonlSink
from lakegate.connectors.parquet.config import ParquetSinkConfig
from lakegate.connectors.parquet.sink import ParquetSink
from lakegate.connectors.postgres.config import PostgresSinkConfig
from lakegate.connectors.postgres.sink import PostgresSink
from lakegate.errors import Fenced, TerminalConnectorError
from tests.helpers.postgres import drop_schema, pg_dsn

SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("small", pa.int32()),
        pa.field("score", pa.float64()),
        pa.field("amount", pa.decimal128(10, 2)),
        pa.field("day", pa.date32()),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("ok", pa.bool_()),
        pa.field("raw", pa.binary()),
        pa.field("address", pa.struct([pa.field("city", pa.string()), pa.field("zip", pa.int32())])),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("attrs", pa.map_(pa.string(), pa.int64())),
    ]
)


def make_rows(start: int, count: int) -> list[dict[str, Any]]:
    """Rows with every column filled, except every third row, which is null but for ``id``."""
    rows: list[dict[str, Any]] = []
    for i in range(start, start + count):
        if i % 3 == 2:
            rows.append({"id": i, **{f.name: None for f in SCHEMA if f.name != "id"}})
            continue
        rows.append(
            {
                "id": i,
                "name": f'name-{i} "quoted" é\n',
                "small": -i,
                "score": i / 4,
                "amount": Decimal(f"{i}.{i % 100:02d}"),
                "day": dt.date(2024, 1, 1) + dt.timedelta(days=i),
                "ts": dt.datetime(2024, 1, 1, 12, 30, 15, 123456, tzinfo=dt.UTC) + dt.timedelta(hours=i),
                "ok": i % 2 == 0,
                "raw": bytes([0, 255, i % 256]),
                "address": {"city": f"city-{i}", "zip": 1000 + i},
                "tags": [f"t{i}", "x"] if i % 2 else [],
                "attrs": [("a", i), ("b", -i)],
            }
        )
    return rows


def make_table(start: int, count: int) -> pa.Table:
    return pa.Table.from_pylist(make_rows(start, count), schema=SCHEMA)


SinkFactory = Callable[[RunContext, str], Sink]


def _iceberg(ctx: RunContext, name: str) -> Sink:
    return IcebergSink(name, IcebergSinkConfig(type="iceberg", table="lake.events"), ctx)


def _parquet(ctx: RunContext, name: str) -> Sink:
    return ParquetSink(name, ParquetSinkConfig(type="parquet", path="out/parquet"), ctx)


def _jsonl(ctx: RunContext, name: str) -> Sink:
    return JsonlSink(name, JsonlSinkConfig(type="jsonl", path="out/jsonl"), ctx)


def _duckdb(ctx: RunContext, name: str) -> Sink:
    return DuckDBSink(name, DuckDBSinkConfig(type="duckdb", path="out/db.duckdb", table="events"), ctx)


_PG_SCHEMAS: set[str] = set()
"""PostgreSQL schemas made by the current test (dropped by ``_drop_pg_schemas``)."""


def _postgres(ctx: RunContext, name: str) -> Sink:
    # One schema per test (derived from its temporary directory), shared by the test's sinks.
    schema = "lg_conformance_" + hashlib.sha1(str(ctx.base_dir).encode()).hexdigest()[:12]
    config = PostgresSinkConfig.model_validate({"type": "postgres", "dsn": pg_dsn(), "table": f"{schema}.events"})
    _PG_SCHEMAS.add(schema)
    return PostgresSink(name, config, ctx)


SINK_FACTORIES: dict[str, SinkFactory] = {
    "iceberg": _iceberg,
    "parquet": _parquet,
    "jsonl": _jsonl,
    "duckdb": _duckdb,
    "postgres": _postgres,
}
FILE_SINKS = ["parquet", "jsonl"]


@pytest.fixture(autouse=True)
def _drop_pg_schemas() -> Iterator[None]:
    yield
    while _PG_SCHEMAS:
        drop_schema(_PG_SCHEMAS.pop())


@pytest.fixture
def context(tmp_path: Path) -> RunContext:
    return RunContext(pipeline="orders", base_dir=tmp_path, state_dir=tmp_path / ".lakegate")


@pytest.fixture(params=sorted(SINK_FACTORIES))
def new_sink(request: pytest.FixtureRequest, context: RunContext) -> Iterator[Callable[..., Sink]]:
    """Build a fresh sink instance of the parametrised type (as a restarted process would)."""
    factory = SINK_FACTORIES[request.param]
    made: list[Sink] = []

    def build(name: str = "out") -> Sink:
        sink = factory(context, name)
        made.append(sink)
        return sink

    yield build
    for sink in made:
        sink.close()


def read_back(sink: Sink) -> list[dict[str, Any]]:
    """All committed rows, through ``register_in_duckdb``, sorted by id."""
    con = duckdb.connect()
    try:
        sink.register_in_duckdb(con, "committed")
        rows = con.sql("SELECT * FROM committed ORDER BY id").to_arrow_table().to_pylist()
        names = [r[0] for r in con.execute("DESCRIBE committed").fetchall()]
    finally:
        con.close()
    assert names == SCHEMA.names
    return rows


def positions(n: int) -> dict[str, Any]:
    return {"src": {"file-a.json": {"next": n, "offset": n * 10}, "file-b.json": {"next": 0}}}


def run(sink: Sink, *commits: tuple[pa.Table | None, dict[str, Any]]) -> None:
    """Open ``sink`` on SCHEMA and make one commit per ``(table, positions)`` pair."""
    sink.open(SCHEMA)
    for table, pos in commits:
        if table is not None:
            sink.write(table)
        sink.commit(pos)


def test_commit_survives_restart(new_sink: Callable[..., Sink]) -> None:
    sink = new_sink()
    sink.open(SCHEMA)
    assert sink.committed_positions() == {}
    sink.write(make_table(0, 4))
    sink.write(make_table(4, 3))
    assert sink.pending_records == 7
    sink.commit(positions(7))
    assert sink.pending_records == 0
    sink.close()

    again = new_sink()
    assert again.committed_positions() == positions(7)
    assert read_back(again) == make_rows(0, 7)
    again.open(SCHEMA)
    assert again.committed_positions() == positions(7)


def test_uncommitted_rows_are_discarded(new_sink: Callable[..., Sink]) -> None:
    sink = new_sink()
    run(sink, (make_table(0, 3), positions(3)))
    sink.write(make_table(3, 5))  # the process "crashes" before commit
    sink.close()

    again = new_sink()
    again.open(SCHEMA)
    assert again.committed_positions() == positions(3)
    assert read_back(again) == make_rows(0, 3)


def test_nothing_visible_before_first_commit(new_sink: Callable[..., Sink]) -> None:
    sink = new_sink()
    sink.open(SCHEMA)
    sink.write(make_table(0, 3))
    sink.close()

    again = new_sink()
    assert again.committed_positions() == {}
    assert read_back(again) == []


def test_commits_accumulate(new_sink: Callable[..., Sink]) -> None:
    sink = new_sink()
    run(sink, (make_table(0, 2), positions(2)), (make_table(2, 3), positions(5)))
    sink.close()
    sink = new_sink()
    run(sink, (make_table(5, 1), positions(6)))
    sink.close()

    again = new_sink()
    assert again.committed_positions() == positions(6)
    assert read_back(again) == make_rows(0, 6)


def test_empty_commit_advances_positions(new_sink: Callable[..., Sink]) -> None:
    sink = new_sink()
    run(sink, (None, positions(1)), (make_table(0, 2), positions(2)), (None, positions(9)))
    assert sink.pending_records == 0
    sink.commit(positions(9))  # nothing new: a no-op
    sink.close()

    again = new_sink()
    assert again.committed_positions() == positions(9)
    assert read_back(again) == make_rows(0, 2)


@pytest.mark.parametrize("kind", ["iceberg", "duckdb", "postgres"])
def test_positions_are_kept_per_sink(kind: str, context: RunContext) -> None:
    """Sinks sharing a table (or database) each find their own positions."""
    first = SINK_FACTORIES[kind](context, "first")
    run(first, (make_table(0, 2), positions(2)))
    second = SINK_FACTORIES[kind](context, "second")
    assert second.committed_positions() == {}
    run(second, (None, positions(7)))
    first.close()
    second.close()
    assert SINK_FACTORIES[kind](context, "first").committed_positions() == positions(2)
    assert SINK_FACTORIES[kind](context, "second").committed_positions() == positions(7)


def test_capabilities_are_declared(new_sink: Callable[..., Sink]) -> None:
    caps = type(new_sink()).capabilities
    assert caps.delivery is Delivery.EXACTLY_ONCE
    assert caps.queryable


@pytest.mark.parametrize("kind", FILE_SINKS)
def test_orphan_data_file_is_removed_on_open(kind: str, context: RunContext) -> None:
    sink = SINK_FACTORIES[kind](context, "out")
    assert isinstance(sink, FileSink)
    run(sink, (make_table(0, 2), positions(2)))
    # A crash between renaming a data file into place and writing the state file leaves an orphan
    # with real rows in it, plus maybe a temporary file.
    orphan = sink.directory / f"{DATA_PREFIX}00000099-deadbeef{sink.suffix}"
    sink.write_file(make_table(100, 5), orphan)
    staged = sink.log.staging_path()
    staged.write_bytes(b"partial")
    foreign = sink.directory / "README.txt"
    foreign.write_text("not ours")
    sink.close()

    assert read_back(SINK_FACTORIES[kind](context, "out")) == make_rows(0, 2)  # readers skip orphans
    again = SINK_FACTORIES[kind](context, "out")
    assert isinstance(again, FileSink)
    again.open(SCHEMA)
    assert not orphan.exists()
    assert not staged.exists()
    assert foreign.exists()
    assert (sink.directory / STATE_FILE).exists()
    assert again.committed_files() == sink.committed_files()
    assert read_back(again) == make_rows(0, 2)
    again.close()


@pytest.mark.parametrize("kind", ["iceberg", "duckdb", "postgres"])
def test_incompatible_existing_table_is_refused(kind: str, context: RunContext) -> None:
    sink = SINK_FACTORIES[kind](context, "out")
    run(sink, (make_table(0, 1), positions(1)))
    sink.close()

    changed = SCHEMA.set(SCHEMA.get_field_index("small"), pa.field("small", pa.string()))
    again = SINK_FACTORIES[kind](context, "out")
    with pytest.raises(TerminalConnectorError, match=r"different schema.*small"):
        again.open(changed)
    again.close()

    subset = pa.schema([SCHEMA.field("id"), SCHEMA.field("name")])
    third = SINK_FACTORIES[kind](context, "out")
    third.open(subset)
    third.write(pa.table({"id": [50], "name": ["only"]}, schema=subset))
    third.commit(positions(2))
    third.close()
    rows = read_back(SINK_FACTORIES[kind](context, "out"))
    assert rows[:-1] == make_rows(0, 1)
    assert rows[-1] == {"id": 50, "name": "only", **{n: None for n in SCHEMA.names[2:]}}


SHARED_SINKS = ["iceberg", "postgres"]
"""Sinks the processes of one pipeline (a consumer group) commit to together."""


@pytest.mark.parametrize("kind", SHARED_SINKS)
def test_a_zombie_cannot_commit_a_stream_another_process_moved(kind: str, context: RunContext) -> None:
    """Two processes of one pipeline: the first stalls with rows of partition 0 read from offset 10;
    the group hands partition 0 to the second, which commits it up to 15. The first must not write
    its rows when it wakes up (``Fenced``); once it has read the positions again it commits normally."""
    made: list[Sink] = []

    def new_sink() -> Sink:
        made.append(SINK_FACTORIES[kind](context, "out"))
        return made[-1]

    try:
        _zombie_scenario(new_sink)
    finally:
        for sink in made:
            sink.close()


def _zombie_scenario(new_sink: Callable[[], Sink]) -> None:
    first, second = new_sink(), new_sink()
    for sink in (first, second):
        sink.open(SCHEMA)
    first.committed_positions()
    first.write(make_table(0, 2))
    first.commit({"src": {"p0": {"next": 10}, "p1": {"next": 3}}})
    second.committed_positions()  # assigned partition 0 at offset 10
    second.write(make_table(10, 2))
    second.commit({"src": {"p0": {"next": 15}}})
    first.write(make_table(20, 2))
    with pytest.raises(Fenced, match="another process committed src p0"):
        first.commit({"src": {"p0": {"next": 14}, "p1": {"next": 3}}})
    first.close()  # the engine drops what it read and starts again
    again = new_sink()
    again.open(SCHEMA)
    assert again.committed_positions() == {"src": {"p0": {"next": 15}, "p1": {"next": 3}}}
    again.write(make_table(30, 1))
    again.commit({"src": {"p0": {"next": 15}, "p1": {"next": 4}}})  # p1 is still its own
    assert [r["id"] for r in read_back(again)] == [0, 1, 10, 11, 30]
