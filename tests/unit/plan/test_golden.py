"""Golden tests: a pipeline in, the compiled plan and its DuckDB SQL out.

Regenerate after an intended change with ``LAKEGATE_UPDATE_GOLDEN=1 pytest tests/unit/plan`` and
review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakegate.plan.compiler import compile_pipeline
from lakegate.plan.explain import explain_plan
from lakegate.spec import load_pipeline

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))


@pytest.mark.parametrize("spec", CASES, ids=[c.stem for c in CASES])
def test_compiled_plan_matches_golden(spec: Path) -> None:
    plan = compile_pipeline(load_pipeline(spec), env={"GOLDEN_SALT": "not-in-the-sql"})
    text = explain_plan(plan)
    expected = spec.with_suffix(".expected")
    if os.environ.get("LAKEGATE_UPDATE_GOLDEN"):
        expected.write_text(text + "\n")
    assert expected.exists(), f"run with LAKEGATE_UPDATE_GOLDEN=1 to create {expected.name}"
    assert text + "\n" == expected.read_text()
    assert "not-in-the-sql" not in text  # secrets stay out of emitted SQL


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 2
