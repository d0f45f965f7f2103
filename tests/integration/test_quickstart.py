"""The quickstart end to end: its report matches what the data generator put in, and its Iceberg
tables read back the same with pyiceberg and with DuckDB's Iceberg extension."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pyiceberg.catalog.sql import SqlCatalog

from lakegate.connectors.iceberg.duckdb_reader import read_iceberg_table
from tests.integration.conftest import lakegate

pytestmark = pytest.mark.integration

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
PIPELINE = QUICKSTART / "pipeline.yaml"
ICEBERG_TABLES = {"bids_lake", "large_bids", "users_lake", "orders_lake"}


@pytest.fixture
def quickstart_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LAKEGATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("LAKEGATE_HASH_SALT", "integration-salt")
    return tmp_path


def test_quickstart_runs_exactly_as_the_generator_expects(quickstart_env: Path) -> None:
    expected = json.loads((QUICKSTART / "expected_counts.json").read_text())
    report_file = quickstart_env / "report.json"
    lakegate("run", str(PIPELINE), "--quiet", "--report", str(report_file))
    report = json.loads(report_file.read_text())

    assert report["sources"] == expected["sources"]
    assert report["transforms"] == expected["transforms"]
    assert {name: s["records_written"] for name, s in report["sinks"].items()} == expected["sinks"]
    assert report["dlq"]["records_written"] == expected["dlq"]
    for name, t in report["transforms"].items():
        assert t["records_in"] == t["records_out"] + t["filtered"] + t["dlq"], name

    # Every Iceberg table: the same rows through pyiceberg and through an independent reader.
    state = Path(os.environ["LAKEGATE_HOME"])
    catalog = SqlCatalog("default", uri=f"sqlite:///{state}/catalog.db", warehouse=f"file://{state}/warehouse")
    tables = {".".join(t) for ns in catalog.list_namespaces() for t in catalog.list_tables(ns)}
    assert len(tables) == len(ICEBERG_TABLES)
    for identifier in sorted(tables):
        table = catalog.load_table(identifier)
        by_pyiceberg = table.scan().to_arrow()
        by_duckdb = read_iceberg_table(table.metadata_location)
        assert by_pyiceberg.num_rows == by_duckdb.num_rows > 0, identifier
        key = by_pyiceberg.column_names[:3]
        assert sorted(map(str, by_pyiceberg.select(key).to_pylist())) == sorted(
            map(str, by_duckdb.select(key).to_pylist())
        ), identifier
        assert table.spec().fields, f"{identifier} should be partitioned as declared"

    # DLQ records carry payload, stage, rule, reason and coordinates.
    rows = lakegate("query", str(PIPELINE), "SELECT * FROM dlq ORDER BY stream, index", "--format", "json")
    dead = [json.loads(line) for line in rows.stdout.splitlines()]
    assert len(dead) == expected["dlq"]
    assert all(d["payload"] and d["stage"] and d["error"] and d["stream"] and d["index"] is not None for d in dead)
    for group in expected["dlq_reasons"]:
        matching = [
            d for d in dead
            if d["source"] == group["source"] and d["stage"] == group["stage"] and d["rule"] == group["rule"]
            and d["error"].startswith(group["error_prefix"])
        ]  # fmt: skip
        assert len(matching) == group["count"], group


def test_quickstart_rerun_reads_nothing_and_duplicates_nothing(quickstart_env: Path) -> None:
    lakegate("run", str(PIPELINE), "--quiet")
    count_sql = "SELECT (SELECT count(*) FROM bids_lake) AS bids, (SELECT count(*) FROM dlq) AS dead"
    before = lakegate("query", str(PIPELINE), count_sql, "--format", "json").stdout
    report_file = quickstart_env / "again.json"
    lakegate("run", str(PIPELINE), "--quiet", "--report", str(report_file))
    assert json.loads(report_file.read_text())["records_in"] == 0
    assert lakegate("query", str(PIPELINE), count_sql, "--format", "json").stdout == before


def test_quickstart_config_tests_pass(quickstart_env: Path) -> None:
    proc = lakegate("test", str(PIPELINE))
    assert proc.stdout.strip().endswith("10 passed, 0 failed")
