"""DuckDB-only spellings of rule expressions (``lakegate.plan.emit.duckdb_shortcuts``) change nothing
but the cost: the same rows and the same dead letters as the expressions the rules build."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

import lakegate.plan.emit as emit
from tests.helpers.pipeline import SINK, TRANSFORM, _connection, compile_rules, feed_records

SAFE = emit.UTC_MICROS_SAFE
EDGES = [0, 1, -1, 1_700_000_000_123, 2**63 - 1, -(2**63) + 1, 10**17, -(10**17), 9_223_372_036_854,
         9_223_372_036_855, -9_223_372_036_855, SAFE // 1000, SAFE // 1000 + 1, -(SAFE // 1000) - 1,
         SAFE // 10**6, SAFE // 10**6 + 1, SAFE, SAFE + 1, -SAFE - 1, None]  # fmt: skip


def _run(fields: str, rule: dict[str, Any], values: list[Any]) -> tuple[list[Any], list[str]]:
    plan = compile_rules(fields, [rule])
    fed = feed_records(plan, TRANSFORM, [{"v": v} for v in values], env={}, con=_connection())
    out = fed.outputs[SINK]
    # As integers: some of these instants are beyond Python's datetime.
    return out.column("t").cast(pa.int64()).to_pylist(), sorted(map(str, fed.dead))


@pytest.mark.parametrize("fields", ["v long", "v double", "v string"])
@pytest.mark.parametrize("fmt", ["epoch_s", "epoch_ms", "epoch_us"])
def test_epochs_parse_alike_with_and_without_the_shortcut(
    fields: str, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    values: list[Any] = list(EDGES)
    if fields == "v double":
        values = [None if v is None else float(v) for v in values] + [1.5, -1.5, 1e300]
    elif fields == "v string":
        values = [None if v is None else str(v) for v in values] + ["1.5", "abc", "1e30"]
    rule = {"type": "parse_timestamp", "column": "v", "format": fmt, "into": "t"}
    plan = compile_rules(fields, [rule])
    if fields != "v string":  # text is parsed by its own pattern first: no shortcut there
        assert "MAKE_TIMESTAMPTZ" in (plan.transforms[TRANSFORM].segments[0].sql or "")
    fast = _run(fields, rule, values)
    monkeypatch.setattr(emit, "duckdb_shortcuts", lambda node: node)
    assert "MAKE_TIMESTAMPTZ" not in (compile_rules(fields, [rule]).transforms[TRANSFORM].segments[0].sql or "")
    assert fast == _run(fields, rule, values)
