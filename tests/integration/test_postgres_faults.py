"""PostgreSQL connections killed again and again mid-run: commits are retried, nothing lost or doubled.

The pipeline follows a folder while files keep arriving; the test terminates the pipeline's server
connections at random moments until it has killed at least ``MIN_KILLS`` of them *and* every file
has been written, so the outcome does not depend on how fast the machine is.
"""

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

from tests.helpers.postgres import accounts_pipeline, admin, fetch, pg_dsn, temp_schema, write_accounts

pytestmark = pytest.mark.integration

FILES, PER_FILE = 30, 1_000
MIN_KILLS = 5
DEADLINE_SECONDS = 150


def _pipeline(schema: str) -> str:
    text = accounts_pipeline(schema)
    text = text.replace("    mode: upsert\n    key: [account_id]\n", "    mode: append\n")  # doubles would show
    text = text.replace("every_seconds: 60", "every_seconds: 0.5")
    text = text.replace("    schema: account\n", "    schema: account\n    batch_size: 500\n")
    return text.replace(
        "pipeline: pg_e2e\n",
        "pipeline: pg_e2e\nsettings:\n  retry: {attempts: 30, initial_seconds: 0.05, max_seconds: 0.5}\n",
    )


def _rows(schema: str) -> int:
    exists = fetch("SELECT to_regclass(%s) IS NOT NULL", [f"{schema}.accounts"])[0][0]
    return int(fetch(f"SELECT count(*) FROM {schema}.accounts")[0][0]) if exists else 0


def test_connections_killed_mid_run_lose_and_double_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rng = random.Random(11)
    with temp_schema("lg_faults") as schema:
        pipeline = tmp_path / "pipeline.yaml"
        pipeline.write_text(_pipeline(schema))
        report = tmp_path / "report.json"
        proc = subprocess.Popen(
            [sys.executable, "-m", "lakegate.cli.main", "run", str(pipeline), "--follow", "--quiet",
             "--report", str(report)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "LAKEGATE_E2E_PG_DSN": pg_dsn()},
        )  # fmt: skip
        killed, written = 0, 0
        deadline = time.monotonic() + DEADLINE_SECONDS
        try:
            with admin() as con:
                while proc.poll() is None and time.monotonic() < deadline:
                    if written < FILES:
                        ids = range(written * PER_FILE, (written + 1) * PER_FILE)
                        part = data / f"accounts-{written:03d}.jsonl.part"
                        write_accounts(part, ids, 1)
                        part.rename(data / f"accounts-{written:03d}.jsonl")  # appears whole
                        written += 1
                    elif killed >= MIN_KILLS and _rows(schema) >= FILES * PER_FILE:
                        break
                    time.sleep(rng.uniform(0.05, 0.3))
                    rows = con.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name LIKE 'lakegate pg_e2e/%'"
                    ).fetchall()
                    killed += sum(1 for (ok,) in rows if ok)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        assert killed >= MIN_KILLS, f"only {killed} connections were killed before the deadline"
        assert "retrying in" in stderr  # each retry is logged
        total, distinct = fetch(f"SELECT count(*), count(DISTINCT account_id) FROM {schema}.accounts")[0]
        assert (total, distinct) == (FILES * PER_FILE, FILES * PER_FILE)
        assert json.loads(report.read_text())["sinks"]["accounts_pg"]["records_written"] == FILES * PER_FILE
