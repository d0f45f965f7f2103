"""Exactly-once from a file bucket into Iceberg and Parquet: re-runs, new files, SIGKILL, SIGTERM."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakegate.connectors.iceberg.duckdb_reader import read_iceberg_table
from tests.integration.conftest import Bucket, lakegate, query_one, write_bucket

pytestmark = pytest.mark.integration


def counts(bucket: Bucket) -> dict[str, int]:
    """Rows and distinct ids per sink, and DLQ rows, read through `lakegate query`."""
    lake, lake_ids, files, files_ids, dlq, dlq_ids = query_one(
        bucket.pipeline,
        "SELECT (SELECT count(*) FROM lake), (SELECT count(DISTINCT order_id) FROM lake), "
        "(SELECT count(*) FROM files), (SELECT count(DISTINCT order_id) FROM files), "
        "(SELECT count(*) FROM dlq), (SELECT count(DISTINCT stream || ':' || index) FROM dlq)",
    )
    return dict(lake=lake, lake_ids=lake_ids, files=files, files_ids=files_ids, dlq=dlq, dlq_ids=dlq_ids)  # type: ignore[arg-type]


def assert_exactly_once(bucket: Bucket) -> None:
    c = counts(bucket)
    assert c == dict(
        lake=bucket.good, lake_ids=bucket.good, files=bucket.good, files_ids=bucket.good,
        dlq=bucket.dlq, dlq_ids=bucket.dlq,
    )  # fmt: skip


def test_run_report_accounting_and_independent_reader(bucket: Bucket) -> None:
    report = bucket.root / "report.json"
    lakegate("run", str(bucket.pipeline), "--report", str(report), "--quiet")
    r = json.loads(report.read_text())
    source = r["sources"]["orders"]
    transform = r["transforms"]["clean"]
    assert source == {"records_in": bucket.total, "dlq": bucket.malformed}
    assert transform["records_in"] == bucket.total - bucket.malformed
    assert transform["records_in"] == transform["records_out"] + transform["filtered"] + transform["dlq"]
    assert (transform["records_out"], transform["filtered"], transform["dlq"]) == (
        bucket.good, bucket.test_rows, bucket.negative,
    )  # fmt: skip
    assert r["sinks"]["lake"]["records_written"] == bucket.good
    assert r["sinks"]["files"]["records_written"] == bucket.good
    assert r["dlq"]["records_written"] == bucket.dlq
    assert_exactly_once(bucket)
    # An independent reader (DuckDB's Iceberg extension, no pyiceberg) sees the same rows.
    from pyiceberg.catalog.sql import SqlCatalog

    state = bucket.root / ".lakegate"
    catalog = SqlCatalog("default", uri=f"sqlite:///{state}/catalog.db", warehouse=f"file://{state}/warehouse")
    table = catalog.load_table("shop.orders")
    via_pyiceberg = table.scan().to_arrow()
    via_duckdb = read_iceberg_table(table.metadata_location)
    assert via_pyiceberg.num_rows == via_duckdb.num_rows == bucket.good
    assert sorted(via_pyiceberg.column("order_id").to_pylist()) == sorted(via_duckdb.column("order_id").to_pylist())
    assert table.spec().fields[0].transform.__class__.__name__ == "BucketTransform"


def test_rerun_processes_only_new_files(bucket: Bucket) -> None:
    lakegate("run", str(bucket.pipeline), "--quiet")
    report = bucket.root / "again.json"
    lakegate("run", str(bucket.pipeline), "--quiet", "--report", str(report))
    assert json.loads(report.read_text())["sources"]["orders"]["records_in"] == 0
    assert_exactly_once(bucket)
    more = write_bucket(bucket.root, files=2, per_file=5_000, first_file=6)
    lakegate("run", str(bucket.pipeline), "--quiet", "--report", str(report))
    assert json.loads(report.read_text())["sources"]["orders"]["records_in"] == more.total
    combined = Bucket(bucket.root, bucket.pipeline, bucket.total + more.total, bucket.malformed + more.malformed,
                      bucket.test_rows + more.test_rows, bucket.negative + more.negative)  # fmt: skip
    assert_exactly_once(combined)


def _spawn(pipeline: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lakegate.cli.main", "run", str(pipeline), "--quiet", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def _committed_rows(bucket: Bucket) -> int:
    if not (bucket.root / ".lakegate" / "catalog.db").exists():
        return 0
    proc = lakegate("query", str(bucket.pipeline), "SELECT count(*) AS n FROM lake", "--format", "json", check=False)
    return int(json.loads(proc.stdout.splitlines()[0])["n"]) if proc.returncode == 0 else 0


def _iceberg_commits(bucket: Bucket) -> int:
    """Iceberg commits so far: each writes one new metadata file."""
    return len(list((bucket.root / ".lakegate" / "warehouse").glob("**/metadata/*.metadata.json")))


def test_sigkill_at_random_moments_then_rerun_gives_each_record_once(tmp_path: Path) -> None:
    # Small chunks and frequent commits (Iceberg and Parquet at different cadences) so kills land
    # between a commit of one sink and the other's.
    bucket = write_bucket(tmp_path, files=20, per_file=10_000, batch_size=1_000, commit_every=6_000,
                          commit_every_files=10_000)  # fmt: skip
    rng = random.Random(20261121)
    kills = 0
    for _ in range(6):
        before = _iceberg_commits(bucket)
        wanted = before + rng.randint(1, 4)
        proc = _spawn(bucket.pipeline)
        deadline = time.monotonic() + 60
        while _iceberg_commits(bucket) < wanted and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is not None:
            proc.communicate()
            break
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        kills += 1
    assert kills >= 5, "the kills should land while the run was committing"
    assert 0 < _committed_rows(bucket) < bucket.good
    lakegate("run", str(bucket.pipeline), "--quiet")
    assert_exactly_once(bucket)


def test_sigterm_finishes_the_batch_commits_and_exits_zero(bucket: Bucket) -> None:
    report = bucket.root / "report.json"
    proc = _spawn(bucket.pipeline, "--follow", "--report", str(report))
    deadline = time.monotonic() + 60
    while _committed_rows(bucket) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    # Everything present is processed in follow mode; then SIGTERM must end it cleanly.
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    r = json.loads(report.read_text())
    assert r["stopped_by_signal"] is True
    processed = r["transforms"]["clean"]["records_out"]
    assert r["sinks"]["lake"]["records_written"] == processed
    lakegate("run", str(bucket.pipeline), "--quiet")
    assert_exactly_once(bucket)


def test_follow_picks_up_new_files_and_commits_on_time(tmp_path: Path) -> None:
    # Commit by time only (every_records is far away): a followed bucket becomes visible within seconds.
    bucket = write_bucket(tmp_path, files=2, per_file=1_000, commit_every=1_000_000)
    text = bucket.pipeline.read_text().replace("every_seconds: 60", "every_seconds: 1")
    bucket.pipeline.write_text(text)
    report = bucket.root / "report.json"
    proc = _spawn(bucket.pipeline, "--follow", "--report", str(report))
    deadline = time.monotonic() + 60
    while _committed_rows(bucket) < bucket.good and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _committed_rows(bucket) == bucket.good
    more = write_bucket(tmp_path, files=1, per_file=1_000, first_file=2, commit_every=1_000_000)
    bucket.pipeline.write_text(text)  # write_bucket rewrote it
    total = Bucket(bucket.root, bucket.pipeline, bucket.total + more.total, bucket.malformed + more.malformed,
                   bucket.test_rows + more.test_rows, bucket.negative + more.negative)  # fmt: skip
    while _committed_rows(bucket) < total.good and time.monotonic() < deadline:
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert json.loads(report.read_text())["sources"]["orders"]["records_in"] == total.total
    assert_exactly_once(total)


def test_a_second_run_on_the_same_files_stops_with_a_clear_error(bucket: Bucket) -> None:
    """Two runs of one pipeline on one bucket would fence each other's commits over and over: the
    second stops at once (exit 1), naming the first; once the first ends, a run goes ahead."""
    proc = _spawn(bucket.pipeline, "--follow")
    try:
        deadline = time.monotonic() + 60
        while _committed_rows(bucket) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        second = lakegate("run", str(bucket.pipeline), "--quiet", check=False)
        assert second.returncode == 1, second.stderr
        assert f"files source 'orders' is being read by another lakegate run of this pipeline (pid {proc.pid}" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    lakegate("run", str(bucket.pipeline), "--quiet")
    assert_exactly_once(bucket)
