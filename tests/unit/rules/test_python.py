"""The python rule: user transformers on Arrow batches (see tests/helpers/transformers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.pipeline import compile_error, compile_rules, run_rules

T = "tests.helpers.transformers."
FIELDS = "name string, amount double"
RECORDS = [{"name": "a", "amount": 5.0}, {"name": "b", "amount": 20.0}, {"name": None, "amount": None}]


def test_transformer_with_options_and_inferred_output_schema() -> None:
    out = run_rules(FIELDS, [{"type": "python", "class": T + "ScoreBids", "options": {"factor": 3}}], RECORDS)
    assert out.rows == [
        {"name": "a", "amount": 5.0, "score": 15.0, "big": False},
        {"name": "b", "amount": 20.0, "score": 60.0, "big": True},
        {"name": None, "amount": None, "score": None, "big": None},
    ]
    assert out.fields[2:] == [("score", "double", False), ("big", "boolean", False)]


def test_later_rules_use_the_transformer_columns() -> None:
    rules = [
        {"type": "python", "class": T + "ScoreBids"},
        {"type": "filter", "expr": "big"},
        {"type": "derive", "column": "s2", "expr": "score + 1"},
    ]
    out = run_rules(FIELDS, rules, RECORDS)
    assert out.rows == [{"name": "b", "amount": 20.0, "score": 40.0, "big": True, "s2": 41.0}]
    assert out.filtered == 2


def test_declared_output_schema_is_used_without_calling_transform_at_compile_time() -> None:
    rule = {"type": "python", "class": T + "UpperWithSchema"}
    plan = compile_rules(FIELDS, [rule])
    segment = plan.transforms["t"].segments[0]
    assert segment.python is not None and segment.python.transformer.transform_calls == 0
    assert [f.name for f in plan.transforms["t"].output_schema] == ["name", "amount", "name_upper"]
    out = run_rules(FIELDS, [rule], RECORDS)
    assert out.column("name_upper") == ["A", "B", None]
    assert out.fields[-1] == ("name_upper", "string", False)


def test_a_raising_transformer_sends_the_whole_batch_to_the_dlq() -> None:
    out = run_rules(FIELDS, [{"type": "python", "name": "score", "class": T + "Explode"}], RECORDS)
    assert out.rows == []
    message = f"python transformer {T}Explode failed: ValueError('boom')"
    assert out.dlq == [{"stage": "python", "rule": "score", "error": message}] * 3


def test_rows_already_rejected_keep_their_reason_when_a_transformer_fails() -> None:
    rules = [
        {"type": "validate", "checks": [{"name": "has_name", "not_null": "name"}]},
        {"type": "filter", "expr": "amount < 10"},
        {"type": "python", "class": T + "Explode"},
    ]
    out = run_rules(FIELDS, rules, RECORDS)
    assert out.rows == []
    assert out.filtered == 1  # amount 20: filtered before the transformer
    assert sorted((d["stage"], d["rule"]) for d in out.dlq) == [("python", "python_3"), ("validate", "validate_1")]


def test_a_transformer_returning_another_row_count_sends_the_batch_to_the_dlq() -> None:
    out = run_rules(FIELDS, [{"type": "python", "class": T + "DropsFirstRow"}], RECORDS)
    assert out.rows == []
    assert out.errors == [f"python transformer {T}DropsFirstRow failed: ValueError('returned 2 rows for 3')"] * 3


def test_transformer_on_an_empty_batch() -> None:
    out = run_rules(FIELDS, [{"type": "python", "class": T + "ScoreBids"}], [])
    assert out.rows == [] and out.dlq == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"class": T + "NeedsOption"}, "cannot load transformer 'tests.helpers.transformers.NeedsOption': "
         "NeedsOption.__init__() missing 1 required positional argument: 'suffix'"),
        ({"class": T + "Nope"}, "cannot load transformer 'tests.helpers.transformers.Nope': "
         "module 'tests.helpers.transformers' has no attribute 'Nope'"),
        ({"class": "no_such_module.X"}, "cannot load transformer 'no_such_module.X': No module named 'no_such_module'"),
        ({"class": "X"}, "cannot load transformer 'X': 'X' is not a dotted path"),
        ({"class": T + "NoTransform"}, "'tests.helpers.transformers.NoTransform' has no transform(batch) method"),
        ({"class": T + "ReservedColumn"}, "column names starting with __lg_ are reserved: ['__lg_mine']"),
    ],
)
def test_transformer_compile_errors(rule: dict[str, Any], message: str) -> None:
    err = compile_error(FIELDS, [{"type": "python", **rule}])
    assert err.message.startswith(message), err.message
    assert err.context["rule"] == "python_1"


def test_transformer_options_reach_the_constructor() -> None:
    out = run_rules(FIELDS, [{"type": "python", "class": T + "NeedsOption", "options": {"suffix": "!"}}], RECORDS)
    assert out.column("name") == ["a!", "b!", None]


def test_transformer_sees_only_rows_still_alive() -> None:
    rules = [
        {"type": "validate", "checks": [{"name": "has_name", "not_null": "name"}]},
        {"type": "filter", "expr": "amount < 10"},
        {"type": "python", "class": T + "RecordsSeen"},
    ]
    out = run_rules(FIELDS, rules, RECORDS)
    assert out.rows == [{"name": "a", "amount": 5.0, "seen": 1}]
    assert out.filtered == 1 and [d["rule"] for d in out.dlq] == ["validate_1"]
