"""Fixtures for integration tests: generated buckets, pipelines on disk, the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PIPELINE = """\
pipeline: orders_e2e
schemas:
  order:
    fields:
      - {{name: order_id, type: long, required: true}}
      - {{name: user_id, type: long}}
      - {{name: amount, type: double}}
      - {{name: status, type: string}}
sources:
  orders:
    type: files
    path: data
    schema: order
    batch_size: {batch_size}
transforms:
  clean:
    source: orders
    rules:
      - {{type: upper, columns: [status]}}
      - {{type: filter, expr: "status <> 'TEST'"}}
      - type: validate
        checks:
          - {{name: positive_amount, range: {{column: amount, min: 0}}}}
      - {{type: derive, column: amount_cents, expr: "CAST(round(amount * 100) AS BIGINT)"}}
    sinks: [lake, files]
sinks:
  lake:
    type: iceberg
    table: shop.orders
    partition_by: ["bucket(4, user_id)"]
    commit: {{every_records: {commit_every}, every_seconds: 60}}
  files:
    type: parquet
    path: out/orders
    commit: {{every_records: {commit_every_files}, every_seconds: 60}}
"""


@dataclass
class Bucket:
    """A generated bucket with the counts every correct run must reproduce."""

    root: Path
    pipeline: Path
    total: int
    malformed: int
    test_rows: int
    negative: int

    @property
    def good(self) -> int:
        return self.total - self.malformed - self.test_rows - self.negative

    @property
    def dlq(self) -> int:
        return self.malformed + self.negative


def write_bucket(
    root: Path, *, files: int, per_file: int, batch_size: int = 5_000, commit_every: int = 20_000,
    commit_every_files: int | None = None, first_file: int = 0,
) -> Bucket:  # fmt: skip
    """NDJSON files with one malformed line in 500, a TEST status in 100, a negative amount in 250."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    malformed = test_rows = negative = 0
    for f in range(first_file, first_file + files):
        lines = []
        for i in range(per_file):
            order_id = f * per_file + i
            if order_id % 500 == 7:
                lines.append(f'{{"order_id": {order_id}, "user_id": ')
                malformed += 1
                continue
            status = "test" if order_id % 100 == 3 else "paid"
            amount = -1.0 if order_id % 250 == 11 else (order_id % 1000) / 10
            test_rows += status == "test"
            negative += amount < 0
            lines.append(json.dumps({"order_id": order_id, "user_id": order_id % 97, "amount": amount, "status": status}))
        (data / f"orders-{f:04d}.jsonl").write_text("\n".join(lines) + "\n")
    pipeline = root / "pipeline.yaml"
    pipeline.write_text(
        PIPELINE.format(batch_size=batch_size, commit_every=commit_every,
                        commit_every_files=commit_every_files or commit_every)
    )  # fmt: skip
    return Bucket(root, pipeline, files * per_file, malformed, test_rows, negative)


def lakegate(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess, as a user would."""
    proc = subprocess.run(
        [sys.executable, "-m", "lakegate.cli.main", *args],
        capture_output=True, text=True, cwd=cwd, env={**os.environ, "PYTHONUNBUFFERED": "1"}, check=False,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(f"lakegate {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def query_one(pipeline: Path, sql: str) -> list[object]:
    """The first row of a `lakegate query` as a list."""
    proc = lakegate("query", str(pipeline), sql, "--format", "json")
    return list(json.loads(proc.stdout.splitlines()[0]).values())


@pytest.fixture
def bucket(tmp_path: Path) -> Bucket:
    return write_bucket(tmp_path, files=6, per_file=5_000)
