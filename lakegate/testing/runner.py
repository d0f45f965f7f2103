"""Run config-test cases through the real decoder and transform executor (no sinks involved)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import yaml
from pydantic import ValidationError

from lakegate.connectors.base import RawChunk
from lakegate.engine.local.decoder import Decoder
from lakegate.engine.local.executor import TransformExecutor
from lakegate.errors import SpecError
from lakegate.plan.compiler import compile_pipeline
from lakegate.plan.model import Plan, TransformPlan
from lakegate.plan.typecheck import connect
from lakegate.rules.privacy import SECRET_PREFIX
from lakegate.spec import load_pipeline
from lakegate.spec.diagnostics import spec_error
from lakegate.spec.loader import load_yaml
from lakegate.suggest import did_you_mean
from lakegate.testing.cases import Case, CaseFile


@dataclass
class CaseResult:
    name: str
    passed: bool
    problems: list[str] = field(default_factory=list)


def load_cases(path: Path) -> CaseFile:
    data, source_map = load_yaml(path)
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        raise spec_error(exc, CaseFile, data, source_map) from None


def default_case_file(pipeline: Path) -> Path:
    stem = pipeline.name.removesuffix(".yaml").removesuffix(".yml")
    return pipeline.with_name(f"{stem}.tests.yaml")


def _plain(value: Any) -> Any:
    """Values as they read in YAML: timestamps in ISO-8601, decimals as numbers."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and isinstance(value[0], tuple):  # an Arrow map
            return {k: _plain(v) for k, v in value}
        return [_plain(v) for v in value]
    return value


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float | int) and isinstance(actual, float | int) and not isinstance(expected, bool):
        return abs(expected - actual) <= 1e-9 * max(1.0, abs(expected))
    if isinstance(expected, datetime | date):
        return _plain(expected) == actual
    return bool(expected == actual)


def _diff(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> str:
    a = yaml.safe_dump(expected, sort_keys=False).splitlines()
    b = yaml.safe_dump(actual, sort_keys=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "expected", "actual", lineterm=""))


@dataclass
class FedRecords:
    """What one transform made of some records: rows per sink, DLQ records, filtered count."""

    transform: TransformPlan
    outputs: dict[str, pa.Table]
    """Sink name → delivered rows (the transform's visible output columns only)."""
    dead: list[dict[str, Any]]
    """DLQ records as ``{stage, rule, error}``: decode failures first, then the transform's."""
    filtered: int
    decoded: int
    """Records that decoded (and so entered the transform)."""


def _test_metadata(dtype: pa.DataType | None, n: int) -> pa.Array:
    """Source metadata for config-test records: ``"test"`` for text, null for other types."""
    return pa.array(["test"] * n, pa.string()) if dtype is None else pa.nulls(n, dtype)


def feed_records(
    plan: Plan,
    transform_name: str,
    inputs: list[Any],
    env: Mapping[str, str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> FedRecords:
    """Run ``inputs`` (dicts, or strings taken as raw payloads) through the real decoder and executor.

    ``env`` binds ``$secret_<VAR>`` placeholders (default: ``os.environ``); ``con`` is a connection
    from :func:`~lakegate.plan.typecheck.connect` to reuse (default: a new one, closed afterwards).
    """
    transform = plan.transforms[transform_name]
    source = plan.sources[transform.source]
    payloads = [r if isinstance(r, str) else orjson.dumps(r, default=str).decode() for r in inputs]
    n = len(payloads)
    chunk = RawChunk(
        payloads=pa.array(payloads, pa.string()),
        streams=pa.array(["test"] * n, pa.string()),
        indexes=pa.array(range(n), pa.int64()),
        position={},
        metadata={k: _test_metadata(source.metadata_types.get(k), n) for k in source.metadata_keys},
    )
    environ = os.environ if env is None else env
    params = {f"{SECRET_PREFIX}{k}": v for k, v in environ.items()}
    own = con is None
    con = connect() if con is None else con
    try:
        decoded = Decoder(source.schema, source.metadata_keys, con, source.metadata_types).decode(chunk)
        out = TransformExecutor(transform, con, params).run(decoded.table)
    finally:
        if own:
            con.close()
    dead = [{"stage": "decode", "rule": None, "error": e} for e in decoded.bad_reasons.to_pylist()]
    if out.dead is not None:
        dead += [
            {"stage": s, "rule": r, "error": e}
            for s, r, e in zip(
                out.dead.column("__lg_dlq_stage").to_pylist(),
                out.dead.column("__lg_dlq_rule").to_pylist(),
                out.dead.column("__lg_dlq_reason").to_pylist(),
                strict=True,
            )
        ]
    names = transform.output_schema.names
    outputs = {sink: table.select(names) for sink, table in out.outputs.items()}
    return FedRecords(transform, outputs, dead, out.filtered, decoded.table.num_rows)


def run_case(plan: Plan, case: Case, env: Mapping[str, str] | None = None) -> CaseResult:
    """Feed ``case.input`` to its transform and compare with ``case.expect``."""
    result = CaseResult(case.name, True)
    if case.transform not in plan.transforms:
        result.passed = False
        result.problems.append(
            f"unknown transform {case.transform!r}{did_you_mean(case.transform, plan.transforms)}"
        )
        return result
    fed = feed_records(plan, case.transform, case.input, env=env)
    transform, out, dead = fed.transform, fed, fed.dead
    expect = case.expect
    if expect.rows is not None:
        sink = expect.sink or transform.sinks[0]
        table = out.outputs.get(sink)
        rows = [] if table is None else [_plain(r) for r in table.to_pylist()]
        keys = [list(e) for e in expect.rows]
        shown = [{k: r.get(k) for k in (keys[i] if i < len(keys) else r)} for i, r in enumerate(rows)]
        same = len(rows) == len(expect.rows) and all(
            all(k in r and _matches(v, r[k]) for k, v in e.items()) for e, r in zip(expect.rows, rows, strict=True)
        )
        if not same:
            result.problems.append(f"rows of sink {sink} differ:\n" + _diff(expect.rows, shown))
    if expect.filtered is not None and expect.filtered != out.filtered:
        result.problems.append(f"expected {expect.filtered} filtered, got {out.filtered}")
    if expect.dlq is not None:
        wanted = [e.model_dump(exclude_none=True) for e in expect.dlq]
        ok = len(wanted) == len(dead) and all(
            all((str(d.get(k) or "").startswith(v) if k == "error" else d.get(k) == v) for k, v in w.items())
            for w, d in zip(wanted, dead, strict=True)
        )
        if not ok:
            result.problems.append("DLQ records differ:\n" + _diff(wanted, dead))
    result.passed = not result.problems
    return result


def test_environment(cases: CaseFile) -> dict[str, str]:
    """The environment config tests run with: the process's, overridden by the file's ``env``."""
    return {**os.environ, **cases.env}


def run_cases(pipeline: Path, path: Path) -> list[CaseResult]:
    """Compile ``pipeline`` with the environment of the cases file ``path`` and run every case."""
    if not path.exists():
        raise SpecError(
            f"no config tests at {path}",
            hint="write cases there (see `lakegate test --help`) or pass --cases FILE",
        )
    cases = load_cases(path)
    env = test_environment(cases)
    plan = compile_pipeline(load_pipeline(pipeline), env=env)
    return [run_case(plan, case, env) for case in cases.cases]
