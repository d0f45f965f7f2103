"""Run lakegate's Flink SQL on a real PyFlink mini-cluster and compare with the embedded engine.

PyFlink pins an old pyarrow (apache-beam needs < 17) that cannot live beside pyiceberg in lakegate's
own environment, so the mini-cluster runs in its own Python environment (``.venv-flink``, made by
``make flink``; or ``LAKEGATE_FLINK_PYTHON``) as a long-lived job server
(:mod:`lakegate.engine.flink.minicluster`): one JVM for the whole test session.

:func:`run_parity` runs many cases (schema, rules, records) as ONE Flink job: one pipeline with a
source, transform and sink per case, its statements executed as one statement set; the embedded
engine (:func:`tests.helpers.pipeline.run_rules`) is the oracle for every case.
"""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Context, Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
import yaml

import lakegate.engine.flink.minicluster as minicluster_module
from lakegate.connectors.files.lines import split_lines
from lakegate.engine.flink.filesystem import FilesystemTables
from lakegate.engine.flink.statements import FlinkStatements, flink_statements
from lakegate.plan.compiler import compile_pipeline
from lakegate.schemas.schema import Schema
from lakegate.schemas.types import LType
from lakegate.spec import load_pipeline_text
from tests.helpers.pipeline import Outcome, parse_fields, run_rules

ROOT = Path(__file__).resolve().parents[2]
STREAM = "test"
"""The stream (and file) every record of :func:`run_rules` comes from."""


def flink_python() -> Path:
    """The Python that has apache-flink installed."""
    return Path(os.environ.get("LAKEGATE_FLINK_PYTHON", ROOT / ".venv-flink" / "bin" / "python"))


class MiniCluster:
    """A PyFlink job server in a subprocess (one JVM), fed JSON requests."""

    def __init__(self) -> None:
        python = flink_python()
        if not python.exists():
            pytest.fail(
                f"no Python with apache-flink at {python}: run `make flink` (creates .venv-flink) "
                "or set LAKEGATE_FLINK_PYTHON to a Python with `pip install 'apache-flink==2.2.1'` (the flink extra)",
                pytrace=False,
            )
        self.process = subprocess.Popen(
            [str(python), "-P", minicluster_module.__file__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the Flink mini-cluster process died")
        answer: dict[str, Any] = json.loads(line)
        if not answer.get("ok"):
            raise RuntimeError(f"Flink: {answer.get('error')}\n{answer.get('trace', '')}")
        return answer

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(payload) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def run(self, statements: FlinkStatements, *, mode: str = "batch") -> None:
        """Run the DDL, then the INSERTs as one statement set; wait for the job to finish."""
        config = dict(statements.config)
        if mode == "streaming":
            config["execution.checkpointing.interval"] = "1 s"
        job = {"mode": mode, "config": config, "ddl": statements.ddl, "inserts": statements.inserts}
        self.last_timings = self.request({"job": job}).get("seconds", {})

    def query(self, sql: str) -> list[list[str | None]]:
        rows: list[list[str | None]] = self.request({"query": sql})["rows"]
        return rows

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        if self.process.stdout is not None:
            self.process.stdout.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- comparing values -------------------------------------------------------------------------


def canonical(value: Any, t: LType) -> Any:
    """A value of type ``t`` (from Arrow or from Flink's JSON) in one comparable form."""
    if value is None:
        return None
    kind = t.kind
    if kind in ("float", "double") and math.isnan(float(value)):
        return "NaN"  # NaN equals nothing, not even NaN
    if kind == "float":
        return struct.unpack("f", struct.pack("f", float(value)))[0]
    if kind == "double":
        return float(value)
    if kind == "decimal":
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-t.scale), context=Context(prec=80))
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(value)
    if kind == "timestamp":
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value.astimezone(UTC).isoformat()
    if kind == "timestamp_ntz":
        return (value if isinstance(value, datetime) else datetime.fromisoformat(value)).isoformat()
    if kind == "struct":
        return tuple((n, canonical(value.get(n), ft)) for n, ft in t.fields)
    if kind == "list":
        assert t.element is not None
        return tuple(canonical(v, t.element) for v in value)
    if kind == "map":
        assert t.key is not None and t.value is not None
        items = value.items() if isinstance(value, dict) else value
        return tuple(sorted((canonical(k, t.key), canonical(v, t.value)) for k, v in items))
    return value


def canonical_rows(rows: list[dict[str, Any]], schema: Schema, skip: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    out = [tuple(canonical(r.get(f.name), f.type) for f in schema if f.name not in skip) for r in rows]
    return sorted(out, key=repr)


def read_json_lines(folder: Path) -> list[dict[str, Any]]:
    """Every row Flink wrote under ``folder`` (committed part files only)."""
    rows: list[dict[str, Any]] = []
    if not folder.exists():
        return rows
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            rows.extend(json.loads(line, parse_float=Decimal) for line in path.read_text().splitlines() if line.strip())
    return rows


# --- parity -----------------------------------------------------------------------------------


@dataclass
class Case:
    """One parity case: records through rules over a schema of ``fields``."""

    name: str
    fields: Any
    rules: list[dict[str, Any]]
    records: list[Any]
    extra_sinks: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    """Output columns not compared by value (e.g. ingestion time); checked to be non-null instead."""


@dataclass
class CaseResult:
    case: Case
    embedded: Outcome
    flink_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    flink_dlq: list[dict[str, Any]] = field(default_factory=list)

    def compare(self) -> list[str]:
        """Every difference between the engines (empty when they agree exactly)."""
        problems: list[str] = []
        schema = self.embedded.schema
        sinks = {"out": self.embedded.rows, **self.embedded.routed}
        for sink, rows in sinks.items():
            expected = canonical_rows(rows, schema, self.case.skip)
            got = canonical_rows(self.flink_rows.get(sink, []), schema, self.case.skip)
            if expected != got:
                problems.append(f"{self.case.name} sink {sink}:\n  embedded {expected}\n  flink    {got}")
            for column in self.case.skip:
                if any(r.get(column) is None for r in self.flink_rows.get(sink, [])):
                    problems.append(f"{self.case.name} sink {sink}: null {column} on Flink")
        expected_dlq = sorted((d["stage"], d["rule"], d["error"]) for d in self.embedded.dlq)
        got_dlq = sorted((d["stage"], d["rule"], d["error"]) for d in self.flink_dlq)
        if expected_dlq != got_dlq:
            problems.append(f"{self.case.name} DLQ:\n  embedded {expected_dlq}\n  flink    {got_dlq}")
        return problems


def combined_yaml(cases: list[Case]) -> str:
    """One pipeline holding every case: source ``src_<case>`` → transform ``<case>`` → sink ``<case>__out``."""
    spec: dict[str, Any] = {"pipeline": "p", "version": "7", "schemas": {}, "sources": {}, "transforms": {}, "sinks": {}}
    for c in cases:
        spec["schemas"][c.name] = {"fields": parse_fields(c.fields)}
        spec["sources"][f"src_{c.name}"] = {"type": "files", "path": "in", "schema": c.name}
        rules = [_rename_route(r, c.name) for r in c.rules]
        spec["transforms"][c.name] = {"source": f"src_{c.name}", "rules": rules, "sinks": [f"{c.name}__out"]}
        for sink in ("out", *c.extra_sinks):
            spec["sinks"][f"{c.name}__{sink}"] = {"type": "stdout"}
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


def _rename_route(rule: dict[str, Any], case: str) -> dict[str, Any]:
    if rule.get("type") == "route":
        return {**rule, "sink": f"{case}__{rule['sink']}"}
    return dict(rule)


def payload_text(record: Any) -> str:
    """The raw text of a record, exactly as :func:`run_rules` feeds it."""
    return record if isinstance(record, str) else orjson.dumps(record, default=str).decode()


def run_parity(
    cluster: MiniCluster,
    cases: list[Case],
    work: Path,
    *,
    env: dict[str, str] | None = None,
    mode: str = "batch",
    raw: bool = False,
) -> list[CaseResult]:
    """Run every case on both engines (one Flink job for all) and return the results to compare.

    ``raw``: each case's records are bytes, one line each, read by both engines' files sources as
    they are (Flink: the ``raw`` format; coordinates are then the file path and NULL). Otherwise the
    records are carried in JSON envelopes with the embedded engine's coordinates.
    """
    env = dict(env or {})
    texts = {c.name: _lines_as_read(c.records) if raw else c.records for c in cases}
    results = [
        CaseResult(c, run_rules(c.fields, _route_rules(c), texts[c.name], env=env, extra_sinks=c.extra_sinks))
        for c in cases
    ]
    plan = compile_pipeline(load_pipeline_text(combined_yaml(cases)), env=env)
    inputs: dict[str, Path] = {}
    for c in cases:
        folder = work / "in" / c.name
        folder.mkdir(parents=True)
        if raw:
            (folder / "records.jsonl").write_bytes(b"\n".join(c.records) + b"\n")
        else:
            lines = [
                json.dumps({"payload": payload_text(r), "stream": STREAM, "index": i, "file": STREAM})
                for i, r in enumerate(c.records)
            ]
            (folder / "records.jsonl").write_text("\n".join(lines) + "\n")
        inputs[f"src_{c.name}"] = folder
    tables = FilesystemTables(work / "out", inputs, envelope=not raw)
    statements = flink_statements(plan, tables)
    (work / "job.sql").write_text(statements.script())  # for reading when a test fails
    cluster.run(statements.bind(env), mode=mode)
    dlq = read_json_lines(work / "out" / "dlq")
    for r in results:
        name = r.case.name
        for sink in ("out", *r.case.extra_sinks):
            r.flink_rows[sink] = read_json_lines(work / "out" / f"sink_{name}__{sink}")
        r.flink_dlq = [d for d in dlq if d["source"] == f"src_{name}"]
    return results


def _lines_as_read(records: list[bytes]) -> list[str]:
    """The payload texts the embedded engine's files source reads from these lines."""
    texts, _ = split_lines(pa.py_buffer(b"\n".join(records) + b"\n"), None)
    return [str(t) for t in texts.to_pylist()]


def _route_rules(c: Case) -> list[dict[str, Any]]:
    return c.rules


def assert_parity(results: list[CaseResult]) -> None:
    problems = [p for r in results for p in r.compare()]
    assert not problems, "Flink and the embedded engine differ:\n" + "\n".join(problems)
