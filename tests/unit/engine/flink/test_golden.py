"""Golden tests of the Flink emitter: a pipeline in, the Flink SQL job out.

Regenerate after an intended change with ``LAKEGATE_UPDATE_GOLDEN=1 pytest tests/unit/engine/flink``
and review the diff. (Whether the SQL means the same as the embedded engine is what ``tests/parity``
checks, on a real Flink.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakegate.engine.flink.filesystem import FilesystemTables
from lakegate.engine.flink.statements import flink_statements
from lakegate.plan.compiler import compile_pipeline
from lakegate.spec import load_pipeline

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))


@pytest.mark.parametrize("spec", CASES, ids=[c.stem for c in CASES])
def test_flink_sql_matches_golden(spec: Path) -> None:
    plan = compile_pipeline(load_pipeline(spec), env={"GOLDEN_SALT": "not-in-the-sql"})
    text = flink_statements(plan, FilesystemTables(Path("/data/flink"))).script()
    expected = spec.with_suffix(".expected.sql")
    if os.environ.get("LAKEGATE_UPDATE_GOLDEN"):
        expected.write_text(text)
    assert expected.exists(), f"run with LAKEGATE_UPDATE_GOLDEN=1 to create {expected.name}"
    assert text == expected.read_text()
    assert "not-in-the-sql" not in text  # secrets are bound at submit time only
    assert "-- rule quality (validate)" in text
