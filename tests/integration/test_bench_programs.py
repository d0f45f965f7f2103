"""The benchmark's programs do the same work: lakegate, the per-record baseline and the hand-written
DuckDB bound of ``bench/ceiling.py`` write the same rows from the same generated files.

``bench/run.py`` stops with an error when they differ; this runs it on a small data set so that a
change to ``bench/pipeline.yaml`` without the matching change to ``bench/baseline.py`` or to
``bench/ceiling.py``'s ``RULES_SQL`` fails here, not at the next benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import run

RECORDS = 4_000


def test_lakegate_baseline_and_the_duckdb_bound_write_the_same_rows(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    run.main(["--records", str(RECORDS), "--skip-5m", "--skip-flink", "--output", str(output)])

    results = json.loads(output.read_text())
    assert results["output_check"]["ok"], results["output_check"]
    lakegate = results["runs"][f"lakegate {RECORDS:,}"]["report"]["transforms"]["clean_orders"]
    assert lakegate["records_out"] == results["output_check"]["lakegate_rows"] > 0
    assert lakegate["filtered"] > 0 and lakegate["dlq"] > 0  # the data set exercises both

    rules = results["runs"][f"{run.CEILING_LABELS['rules']} {RECORDS:,}"]
    assert rules["report"]["rows"] == lakegate["records_out"]
    copy = results["runs"][f"{run.CEILING_LABELS['copy']} {RECORDS:,}"]
    assert copy["report"]["rows"] == RECORDS
    startup = results["runs"][run.CEILING_LABELS["startup"]]
    assert startup["records"] == 0 and startup["report"]["seconds"] > 0
    assert set(results["ceiling"]) >= {"rules_records_per_s", "copy_records_per_s", "lakegate_rules_ratio"}
