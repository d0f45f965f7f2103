"""The validate rule: each check kind, null semantics, naming of the first failing check."""

from __future__ import annotations

from typing import Any

import pytest

from lakegate.errors import SpecError
from tests.helpers.pipeline import Outcome, compile_error, compile_rules, run_rules

FIELDS = "id long, amount double, platform string, tags list<string>, day date, at timestamp"


def check(spec: dict[str, Any], records: list[Any]) -> Outcome:
    return run_rules(FIELDS, [{"type": "validate", "checks": [spec]}], records)


def ids(out: Outcome) -> list[Any]:
    return out.column("id")


def test_not_null_single_and_several_columns() -> None:
    records = [{"id": 1, "platform": "ios"}, {"id": 2}, {"platform": "web"}, {"id": 4, "platform": ""}]
    out = check({"name": "has_id", "not_null": "id"}, records)
    assert ids(out) == [1, 2, 4]
    assert out.dlq == [{"stage": "validate", "rule": "validate_1", "error": "check has_id failed"}]
    out = check({"not_null": ["id", "platform"]}, records)
    assert ids(out) == [1, 4]  # an empty string is not null
    assert out.errors == ["check not_null_1 failed", "check not_null_1 failed"]


def test_range_bounds_are_inclusive_and_nulls_pass() -> None:
    records = [{"id": i, "amount": a} for i, a in enumerate([0.0, 50.0, -0.01, 50.01, None])]
    out = check({"name": "sane", "range": {"column": "amount", "min": 0, "max": 50}}, records)
    assert ids(out) == [0, 1, 4]
    assert out.errors == ["check sane failed", "check sane failed"]
    assert ids(check({"range": {"column": "amount", "min": 0}}, records)) == [0, 1, 3, 4]
    assert ids(check({"range": {"column": "amount", "max": 0}}, records)) == [0, 2, 4]


def test_range_on_dates_and_timestamps() -> None:
    records = [
        {"id": 1, "day": "2024-01-01", "at": "2024-06-01T00:00:00Z"},
        {"id": 2, "day": "2023-12-31", "at": "2024-06-01T00:00:00Z"},
        {"id": 3, "day": "2024-01-01", "at": "2025-01-01T00:00:00.000001Z"},
    ]
    spec = {"type": "validate", "checks": [
        {"name": "recent", "range": {"column": "day", "min": "2024-01-01"}},
        {"name": "not_future", "range": {"column": "at", "max": "2025-01-01T00:00:00Z"}},
    ]}  # fmt: skip
    out = run_rules(FIELDS, [spec], records)
    assert ids(out) == [1]
    assert out.errors == ["check recent failed", "check not_future failed"]


def test_regex_must_match_the_whole_value_and_nulls_pass() -> None:
    records = [{"id": i, "platform": p} for i, p in enumerate(["ios", "android", "xios", "IOS", "", None])]
    out = check({"regex": {"column": "platform", "pattern": "ios|android"}}, records)
    assert ids(out) == [0, 1, 5]
    assert out.errors == ["check regex_1 failed"] * 3
    assert ids(check({"regex": {"column": "platform", "pattern": "(?i)ios"}}, records)) == [0, 3, 5]


def test_in_set_is_exact_and_typed() -> None:
    records = [{"id": i, "platform": p} for i, p in enumerate(["ios", "IOS", "web", None])]
    out = check({"in_set": {"column": "platform", "values": ["ios", "android"]}}, records)
    assert ids(out) == [0, 3]
    out = check({"in_set": {"column": "id", "values": [1, "2"]}}, [{"id": i} for i in range(4)])
    assert ids(out) == [1, 2]


def test_length_of_strings_and_lists() -> None:
    records = [
        {"id": 1, "platform": "ios", "tags": ["a"]},
        {"id": 2, "platform": "ab", "tags": []},
        {"id": 3, "platform": "日本語", "tags": ["a", "b", "c"]},
        {"id": 4},
    ]
    spec = {"type": "validate", "checks": [
        {"name": "three_chars", "length": {"column": "platform", "min": 3, "max": 3}},
        {"name": "few_tags", "length": {"column": "tags", "min": 1, "max": 2}},
    ]}  # fmt: skip
    out = run_rules(FIELDS, [spec], records)
    assert ids(out) == [1, 4]
    assert out.errors == ["check three_chars failed", "check few_tags failed"]


def test_expr_fails_where_false_and_passes_where_null() -> None:
    records = [{"id": 1, "amount": 10.0}, {"id": 2, "amount": 60.0}, {"id": 3}]
    out = check({"name": "small", "expr": "amount * 2 < 100"}, records)
    assert ids(out) == [1, 3]
    assert out.errors == ["check small failed"]


def test_a_row_is_reported_under_the_first_check_it_fails() -> None:
    rule = {"type": "validate", "name": "quality", "checks": [
        {"name": "first", "not_null": "platform"},
        {"name": "second", "range": {"column": "amount", "min": 0}},
    ]}  # fmt: skip
    records = [{"id": 1, "amount": -1.0}, {"id": 2, "platform": "x", "amount": -1.0}, {"id": 3, "platform": "x"}]
    out = run_rules(FIELDS, [rule], records)
    assert ids(out) == [3]
    assert out.dlq == [
        {"stage": "validate", "rule": "quality", "error": "check first failed"},
        {"stage": "validate", "rule": "quality", "error": "check second failed"},
    ]


def test_an_earlier_validate_rule_wins_over_a_later_one() -> None:
    rules = [
        {"type": "validate", "checks": [{"not_null": "id"}]},
        {"type": "validate", "checks": [{"not_null": "platform"}]},
    ]
    out = run_rules(FIELDS, rules, [{}, {"id": 1}, {"id": 2, "platform": "x"}])
    assert ids(out) == [2]
    assert [(d["rule"], d["error"]) for d in out.dlq] == [
        ("validate_1", "check not_null_1 failed"),
        ("validate_2", "check not_null_1 failed"),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"range": {"column": "amount", "min": "abc"}}, "check range_1: min: 'abc' is not a valid double"),
        ({"range": {"column": "id", "max": 1.5}}, "check range_1: max: 1.5 is not a whole number"),
        ({"range": {"column": "day", "min": 5}}, "check range_1: min: 5 is not a date (write it as a quoted ISO-8601 string)"),
        ({"range": {"column": "amount"}}, "check range_1: a range check needs min, max or both"),
        ({"range": {"column": "amount", "min": 10, "max": 0}}, "check range_1: min 10 is greater than max 0"),
        ({"range": {"column": "platform", "min": 1}}, "column 'platform' is string, but this rule needs int or long"),
        ({"in_set": {"column": "id", "values": [1, "x"]}}, "check in_set_1: value 'x': 'x' is not a valid long"),
        ({"in_set": {"column": "id", "values": [1.5]}}, "check in_set_1: value 1.5: 1.5 is not a whole number"),
        ({"length": {"column": "platform"}}, "check length_1: a length check needs min, max or both"),
        ({"length": {"column": "platform", "min": 5, "max": 2}}, "check length_1: min 5 is greater than max 2"),
        ({"length": {"column": "id", "min": 1}}, "column 'id' is long, but this rule needs string or list"),
        ({"regex": {"column": "id", "pattern": "1"}}, "column 'id' is long, but this rule needs string"),
        ({"regex": {"column": "platform", "pattern": "(a)\\1"}}, "does not type-check: Invalid Input Error: invalid escape"),
        ({"expr": "amount"}, "check expr_1 'amount' must be a boolean expression, but it is double"),
        ({"expr": "amuont > 1"}, "unknown column 'amuont' (did you mean 'amount'?)"),
        ({"not_null": "platfrom"}, "unknown column 'platfrom' (did you mean 'platform'?)"),
    ],
)
def test_check_compile_errors(spec: dict[str, Any], message: str) -> None:
    err = compile_error(FIELDS, [{"type": "validate", "checks": [spec]}])
    assert err.message.startswith(message), err.message


@pytest.mark.parametrize("spec", [{}, {"name": "x"}, {"not_null": "id", "expr": "id > 0"}])
def test_a_check_needs_exactly_one_kind(spec: dict[str, Any]) -> None:
    with pytest.raises(SpecError, match="a check needs exactly one of"):
        compile_rules(FIELDS, [{"type": "validate", "checks": [spec]}])


def test_validate_needs_checks() -> None:
    with pytest.raises(SpecError, match="checks"):
        compile_rules(FIELDS, [{"type": "validate", "checks": []}])
