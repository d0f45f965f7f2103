"""The quickstart pipeline (examples/quickstart) on Flink and on the embedded engine: same rows, same DLQ.

Its sources and sinks are swapped for files (Flink's Kafka and Iceberg connectors are not installable
here); every record of the quickstart's data goes through each transform's rules on both engines.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests.helpers.flink import Case, MiniCluster, assert_parity, run_parity

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
ENV = {"LAKEGATE_HASH_SALT": "parity-salt"}


def payloads(folder: Path) -> list[str]:
    """The records of every file in ``folder`` as the files source reads them (NDJSON lines as
    written; a JSON array or a single pretty-printed object re-serialised compactly; gzip opened)."""
    out: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8", errors="replace")
        stripped = text.strip()
        whole: Any = None
        if stripped.startswith(("[", "{")) and "\n" in stripped:
            try:
                whole = json.loads(stripped)
            except ValueError:
                whole = None
        if isinstance(whole, list):
            out.extend(orjson.dumps(v).decode() for v in whole)
        elif isinstance(whole, dict):
            out.append(orjson.dumps(whole).decode())
        else:
            out.extend(line for line in text.splitlines() if line.strip())
    return out


def quickstart_cases() -> list[Case]:
    spec = yaml.safe_load((QUICKSTART / "pipeline.yaml").read_text())
    cases = []
    for name, transform in spec["transforms"].items():
        source = spec["sources"][transform["source"]]
        fields = spec["schemas"][source["schema"]]["fields"]
        routes = tuple(r["sink"] for r in transform["rules"] if r["type"] == "route")
        records = payloads(QUICKSTART / source["path"])
        cases.append(Case(name, fields, transform["rules"], records, extra_sinks=routes, skip=("ingested_at",)))
    return cases


def test_quickstart_gives_the_same_rows_and_dead_letters(flink: MiniCluster, tmp_path: Path) -> None:
    cases = quickstart_cases()
    assert sum(len(c.records) for c in cases) > 1000
    results = run_parity(flink, cases, tmp_path, env=ENV)
    assert all(r.embedded.rows for r in results), "every transform delivers rows"
    assert sum(len(r.embedded.dlq) for r in results) > 0, "the quickstart data has dead letters"
    assert_parity(results)


@pytest.mark.parametrize("name", ["bid_events_raw", "user_events_processed", "order_events_enriched"])
def test_quickstart_transforms_exist(name: str) -> None:
    assert name in [c.name for c in quickstart_cases()]
