"""The installed `lakegate` console script (which exits without interpreter teardown) loses no output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import Bucket

pytestmark = pytest.mark.integration

SCRIPT = Path(sys.executable).with_name("lakegate")


def test_console_script_flushes_output_and_keeps_exit_codes(bucket: Bucket) -> None:
    assert SCRIPT.exists(), "the package is not installed in this environment (make install)"
    report = bucket.root / "report.json"
    ran = subprocess.run(
        [str(SCRIPT), "run", str(bucket.pipeline), "--report", str(report)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert f"{bucket.total:,} records in" in ran.stderr  # the summary, printed last, is complete
    assert json.loads(report.read_text())["sinks"]["lake"]["records_written"] == bucket.good
    queried = subprocess.run(
        [str(SCRIPT), "query", str(bucket.pipeline), "SELECT count(*) AS n FROM lake", "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert queried.returncode == 0 and json.loads(queried.stdout) == {"n": bucket.good}
    failed = subprocess.run([str(SCRIPT), "rules", "maks"], capture_output=True, text=True, check=False)
    assert failed.returncode == 2 and "did you mean 'mask'" in failed.stderr
