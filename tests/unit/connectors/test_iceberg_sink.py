"""Iceberg-specific behaviour of the Iceberg sink (the shared guarantees are in the conformance suite)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from lakegate.connectors.base import RunContext
from lakegate.connectors.iceberg.catalog import catalog_properties, load_catalog, resolve_catalog_spec
from lakegate.connectors.iceberg.config import CatalogSpec, IcebergSinkConfig, parse_partition
from lakegate.connectors.iceberg.duckdb_reader import read_iceberg_table
from lakegate.connectors.iceberg.sink import IcebergSink
from lakegate.errors import RegistryError

SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("country", pa.string()),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("amount", pa.decimal128(10, 2)),
    ]
)


def rows(start: int, count: int) -> pa.Table:
    base = dt.datetime(2024, 3, 1, 22, 0, tzinfo=dt.UTC)
    return pa.Table.from_pylist(
        [
            {
                "id": i,
                "country": ["FR", "DE", "NL"][i % 3],
                "ts": base + dt.timedelta(hours=5 * i),
                "amount": Decimal(f"{i * 7}.25") if i % 2 else None,
            }
            for i in range(start, start + count)
        ],
        schema=SCHEMA,
    )


@pytest.fixture
def context(tmp_path: Path) -> RunContext:
    return RunContext(pipeline="orders", base_dir=tmp_path, state_dir=tmp_path / "state")


def make_sink(context: RunContext, name: str = "lake", **config: Any) -> IcebergSink:
    cfg = IcebergSinkConfig.model_validate({"type": "iceberg", "table": "sales.orders", **config})
    return IcebergSink(name, cfg, context)


def sorted_rows(table: pa.Table) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda r: r["id"])


def test_partition_spec_is_created_as_declared(context: RunContext) -> None:
    sink = make_sink(context, partition_by=["country", "day(ts)", "bucket(4, id)", "truncate(5, amount)"])
    sink.open(SCHEMA)
    sink.write(rows(0, 9))
    sink.commit({"src": {"s": {"next": 9}}})
    table = sink.table
    assert table is not None
    schema = table.schema()
    fields = [(schema.find_column_name(f.source_id), str(f.transform), f.name) for f in table.spec().fields]
    assert fields == [
        ("country", "identity", "country"),
        ("ts", "day", "ts_day"),
        ("id", "bucket[4]", "id_bucket_4"),
        ("amount", "truncate[5]", "amount_trunc_5"),
    ]
    paths = [f["file_path"] for f in table.inspect.files().to_pylist()]
    assert paths and all("country=" in p and "ts_day=" in p and "id_bucket_4=" in p for p in paths)
    assert sorted_rows(table.scan().to_arrow()) == sorted_rows(rows(0, 9))
    sink.close()


def test_table_properties_and_zstd_parquet(context: RunContext) -> None:
    sink = make_sink(context, properties={"owner": "team-a"})
    sink.open(SCHEMA)
    sink.write(rows(0, 5))
    sink.commit({"src": {"s": {"next": 5}}})
    table = sink.table
    assert table is not None
    assert table.format_version == 2
    assert table.properties["write.parquet.compression-codec"] == "zstd"
    assert table.properties["owner"] == "team-a"
    assert [f.required for f in table.schema().fields] == [True, False, False, False]
    files = [urlparse(f["file_path"]).path for f in table.inspect.files().to_pylist()]
    assert files
    for path in files:
        meta = pq.ParquetFile(path).metadata
        codecs = {
            meta.row_group(g).column(c).compression
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
        }
        assert codecs == {"ZSTD"}
    sink.close()


def test_pyiceberg_and_duckdb_read_the_same_rows(context: RunContext) -> None:
    sink = make_sink(context, partition_by=["month(ts)"])
    sink.open(SCHEMA)
    for start in (0, 4, 8):
        sink.write(rows(start, 4))
        sink.commit({"src": {"s": {"next": start + 4}}})
    table = sink.table
    assert table is not None
    expected = sorted_rows(rows(0, 12))
    assert sorted_rows(table.scan().to_arrow()) == expected
    assert sorted_rows(read_iceberg_table(table.metadata_location)) == expected
    sink.close()


def test_snapshot_summary_carries_the_positions(context: RunContext) -> None:
    sink = make_sink(context)
    sink.open(SCHEMA)
    first = {"src": {"a.json": {"next": 3}}}
    second = {"src": {"a.json": {"next": 3}, "b.json": {"next": 1, "size": 10}}}
    sink.write(rows(0, 3))
    sink.commit(first)
    sink.commit(second)  # no rows: still a snapshot, carrying the new positions
    table = sink.table
    assert table is not None
    snapshots = table.snapshots()
    assert len(snapshots) == 2
    key = "lakegate.positions.orders.lake"
    assert sink.positions_key == key
    assert [json.loads(str(s.summary[key])) for s in snapshots if s.summary is not None] == [first, second]
    current = table.current_snapshot()
    assert current is not None and current.summary is not None
    assert current.summary["total-records"] == "3"
    sink.close()


def test_positions_are_found_behind_other_writers(context: RunContext) -> None:
    ours = make_sink(context, name="ours")
    ours.open(SCHEMA)
    ours.write(rows(0, 2))
    ours.commit({"src": {"s": {"next": 2}}})
    other = make_sink(context, name="other")
    other.open(SCHEMA)
    other.write(rows(10, 2))
    other.commit({"src": {"s": {"next": 12}}})
    other.close()
    ours.close()
    again = make_sink(context, name="ours")
    assert again.committed_positions() == {"src": {"s": {"next": 2}}}
    again.close()


def test_timestamps_are_stored_in_microseconds_utc(context: RunContext) -> None:
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("ts", pa.timestamp("ns", tz="Europe/Paris"))])
    sink = make_sink(context)
    sink.open(schema)
    instant = dt.datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    sink.write(pa.table({"id": [1], "ts": pa.array([instant], pa.timestamp("ns", tz="Europe/Paris"))}))
    sink.commit({"src": {"s": {"next": 1}}})
    table = sink.table
    assert table is not None
    assert str(table.schema().find_field("ts").field_type) == "timestamptz"
    assert table.scan().to_arrow().column("ts").to_pylist() == [instant]
    sink.close()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("bucket(id)", "bucket() takes N (number of buckets) and a column name"),
        ("bucket(0, id)", "N (number of buckets) of bucket() must be a positive integer, not '0'"),
        ("truncate(w, name)", "W (width) of truncate() must be a positive integer"),
        ("week(ts)", "unknown transform 'week'"),
        ("day(ts, 2)", "day() takes one column name"),
        ("1col", "not a column name nor a transform call"),
    ],
)
def test_partition_by_syntax_errors_are_clear(entry: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        IcebergSinkConfig.model_validate({"type": "iceberg", "table": "a.b", "partition_by": ["id", entry]})
    text = str(info.value)
    assert f"invalid partition_by entry {entry!r}" in text
    assert message in text
    assert "bucket(N, col)" in text


def test_partition_by_parsing() -> None:
    assert parse_partition(" identity( a.b ) ").column == "a.b"
    assert parse_partition("bucket(16, id)").iceberg_transform == "bucket[16]"
    assert parse_partition("YEAR(ts)").transform == "year"
    with pytest.raises(ValidationError, match="uses column 'x' twice"):
        IcebergSinkConfig.model_validate(
            {"type": "iceberg", "table": "a.b", "partition_by": ["x", "identity(x)"]}
        )
    with pytest.raises(ValidationError, match=r"namespace\.table"):
        IcebergSinkConfig.model_validate({"type": "iceberg", "table": "orders"})


def test_catalog_properties(context: RunContext) -> None:
    state = context.state_dir.resolve()
    assert catalog_properties(None, context) == {
        "type": "sql",
        "uri": f"sqlite:///{state / 'catalog.db'}",
        "warehouse": (state / "warehouse").as_uri(),
    }
    s3 = CatalogSpec(
        type="s3tables",
        warehouse="arn:aws:s3tables:eu-west-3:123456789012:bucket/lake",
        properties={"rest.signing-region": "eu-west-3", "client.profile": "prod"},
    )
    assert catalog_properties(s3, context) == {
        "type": "rest",
        "uri": "https://s3tables.eu-west-3.amazonaws.com/iceberg",
        "warehouse": "arn:aws:s3tables:eu-west-3:123456789012:bucket/lake",
        "rest.sigv4-enabled": "true",
        "rest.signing-name": "s3tables",
        "rest.signing-region": "eu-west-3",
        "client.profile": "prod",
    }
    rest = CatalogSpec(type="rest", uri="http://localhost:8181", properties={"token": "t"})
    assert catalog_properties(rest, context) == {"type": "rest", "uri": "http://localhost:8181", "token": "t"}
    with pytest.raises(ValidationError, match="needs a `uri`"):
        CatalogSpec(type="rest")
    with pytest.raises(ValidationError, match="table bucket ARN"):
        CatalogSpec(type="s3tables", warehouse="s3://bucket")


def test_declared_catalogs(tmp_path: Path) -> None:
    spec = CatalogSpec(uri=f"sqlite:///{tmp_path / 'other.db'}", warehouse=(tmp_path / "wh").as_uri())
    context = RunContext(pipeline="p", base_dir=tmp_path, state_dir=tmp_path / "s", catalogs={"lake": spec})
    assert resolve_catalog_spec("default", context) is None
    assert resolve_catalog_spec("lake", context) == spec
    with pytest.raises(RegistryError, match="unknown Iceberg catalog 'lak'") as info:
        resolve_catalog_spec("lak", context)
    assert "did you mean 'lake'" in str(info.value)

    catalog = load_catalog("lake", spec, context)
    catalog.create_namespace("n")
    assert catalog.list_namespaces() == [("n",)]
    catalog.close()
    assert (tmp_path / "other.db").exists()
    assert (tmp_path / "wh").is_dir()


@pytest.mark.parametrize("partition_by", [[], ["day(ts)", "country"]])
def test_rows_are_written_as_data_files_before_the_commit_and_visible_only_after(
    context: RunContext, monkeypatch: pytest.MonkeyPatch, partition_by: list[str]
) -> None:
    import lakegate.connectors.iceberg.sink as sink_module

    monkeypatch.setattr(sink_module, "STAGE_BYTES", 1)  # stage at every write
    sink = make_sink(context, partition_by=partition_by)
    sink.open(SCHEMA)
    for start in (0, 5, 10):
        sink.write(rows(start, 5))
    assert sink.pending_records == 15 and sink.buffered() is None  # all handed to the writer already
    sink.wait_for_writes()  # data files are written in the background
    data_dir = Path(urlparse(context.state_dir.as_uri()).path) / "warehouse"
    staged = list(data_dir.glob("**/*.parquet"))
    assert staged, "data files are written before the commit"
    table = sink.table
    assert table is not None and table.current_snapshot() is None  # ... but not yet visible
    sink.commit({"src": {"s": {"next": 15}}})
    assert sink.pending_records == 0
    assert sorted_rows(table.scan().to_arrow()) == sorted_rows(rows(0, 15))
    assert sorted_rows(read_iceberg_table(table.metadata_location)) == sorted_rows(rows(0, 15))
    # A crash after staging more files: nothing of them becomes visible.
    sink.write(rows(15, 5))
    sink.close()
    again = make_sink(context, partition_by=partition_by)
    again.open(SCHEMA)
    assert again.committed_positions() == {"src": {"s": {"next": 15}}}
    reloaded = again.table
    assert reloaded is not None and reloaded.scan().to_arrow().num_rows == 15
    again.close()


def test_a_failed_background_write_keeps_its_rows_for_the_next_attempt(
    context: RunContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lakegate.connectors.iceberg.sink as sink_module
    from lakegate.errors import TransientConnectorError

    monkeypatch.setattr(sink_module, "STAGE_BYTES", 1)  # stage at every write
    real = sink_module._dataframe_to_data_files
    failures = [OSError("disk full")]

    def flaky(**kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return real(**kwargs)

    monkeypatch.setattr(sink_module, "_dataframe_to_data_files", flaky)
    sink = make_sink(context)
    sink.open(SCHEMA)
    sink.write(rows(0, 5))  # handed to the writer thread, which fails
    with pytest.raises(TransientConnectorError, match="disk full"):
        sink.write(rows(5, 5))  # collects the failed write before handing over the next rows
    assert sink.pending_records == 10  # nothing lost: the failed rows are buffered again
    sink.commit({"src": {"s": {"next": 10}}})  # what the engine's retry does
    table = sink.table
    assert table is not None
    assert sorted_rows(table.scan().to_arrow()) == sorted_rows(rows(0, 10))
    sink.close()


@pytest.mark.parametrize(("partition_by", "files"), [([], 2), (["country"], 3)])
def test_the_rows_buffered_at_the_commit_are_written_by_several_threads_when_unpartitioned(
    context: RunContext, monkeypatch: pytest.MonkeyPatch, partition_by: list[str], files: int
) -> None:
    import lakegate.connectors.iceberg.sink as sink_module

    monkeypatch.setattr(sink_module, "FINAL_SPLIT_BYTES", 1)  # split whatever is left
    sink = make_sink(context, partition_by=partition_by)
    sink.open(SCHEMA)
    sink.write(rows(0, 7))
    sink.write(rows(7, 6))
    sink.commit({"src": {"s": {"next": 13}}})
    table = sink.table
    assert table is not None
    assert sorted_rows(table.scan().to_arrow()) == sorted_rows(rows(0, 13))
    # Unpartitioned: one file per writer thread; partitioned: one per partition, not split further.
    assert len(list(table.scan().plan_files())) == files
    sink.close()


def test_a_failed_part_of_the_commits_write_keeps_every_row(
    context: RunContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lakegate.connectors.iceberg.sink as sink_module
    from lakegate.errors import TransientConnectorError

    monkeypatch.setattr(sink_module, "FINAL_SPLIT_BYTES", 1)
    real = sink_module._dataframe_to_data_files
    calls: list[int] = []

    def second_part_fails(**kwargs: Any) -> Any:
        calls.append(kwargs["df"].num_rows)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(sink_module, "_dataframe_to_data_files", second_part_fails)
    sink = make_sink(context)
    sink.open(SCHEMA)
    sink.write(rows(0, 10))
    with pytest.raises(TransientConnectorError, match="disk full"):
        sink.commit({"src": {"s": {"next": 10}}})
    assert sink.pending_records == 10  # the part written stays staged, the failed one is buffered
    table = sink.table
    assert table is not None and table.current_snapshot() is None
    sink.commit({"src": {"s": {"next": 10}}})  # the engine's retry
    assert sorted_rows(table.scan().to_arrow()) == sorted_rows(rows(0, 10))
    sink.close()
