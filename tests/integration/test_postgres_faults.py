"""PostgreSQL connections killed again and again mid-run: commits are retried, nothing lost or doubled."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.postgres import accounts_pipeline, admin, fetch, pg_dsn, temp_schema, write_accounts

pytestmark = pytest.mark.integration

FILES, PER_FILE = 30, 1_000


def _pipeline(schema: str) -> str:
    text = accounts_pipeline(schema)
    text = text.replace("    mode: upsert\n    key: [account_id]\n", "    mode: append\n")  # doubles would show
    text = text.replace("    schema: account\n", "    schema: account\n    batch_size: 500\n")
    return text.replace(
        "pipeline: pg_e2e\n",
        "pipeline: pg_e2e\nsettings:\n  retry: {attempts: 30, initial_seconds: 0.05, max_seconds: 0.5}\n",
    )


def test_connections_killed_mid_run_lose_and_double_nothing(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    for f in range(FILES):
        write_accounts(tmp_path / "data" / f"accounts-{f:03d}.jsonl", range(f * PER_FILE, (f + 1) * PER_FILE), 1)
    rng = random.Random(11)
    with temp_schema("lg_faults") as schema:
        pipeline = tmp_path / "pipeline.yaml"
        pipeline.write_text(_pipeline(schema))
        report = tmp_path / "report.json"
        proc = subprocess.Popen(
            [sys.executable, "-m", "lakegate.cli.main", "run", str(pipeline), "--quiet", "--report", str(report)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "LAKEGATE_E2E_PG_DSN": pg_dsn()},
        )  # fmt: skip
        killed = 0
        deadline = time.monotonic() + 120
        with admin() as con:
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(rng.uniform(0.05, 0.4))
                rows = con.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name LIKE 'lakegate pg_e2e/%'"
                ).fetchall()
                killed += sum(1 for (ok,) in rows if ok)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        assert killed >= 3, "the connection should have been killed several times during the run"
        assert "retrying in" in stderr  # each retry is logged
        total, distinct = fetch(f"SELECT count(*), count(DISTINCT account_id) FROM {schema}.accounts")[0]
        assert (total, distinct) == (FILES * PER_FILE, FILES * PER_FILE)
        assert json.loads(report.read_text())["sinks"]["accounts_pg"]["records_written"] == FILES * PER_FILE
