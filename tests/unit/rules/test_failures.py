"""Values that would make a rule's expression fail are dead-lettered with a reason (rules/failures)."""

from __future__ import annotations

from datetime import date

import pytest

from lakegate.rules.failures import cast_can_fail
from lakegate.schemas.types import parse_type
from tests.helpers.pipeline import run_rules


def _reasons(out) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(d["stage"], d["rule"], d["error"]) for d in out.dlq]


def test_a_strict_cast_of_text_that_does_not_convert_is_dead_lettered_by_the_rule() -> None:
    records = [{"s": "12"}, {"s": "abc"}, {"s": None}, {"s": "0x10"}, {"s": "1e2"}, {"s": "12.5"}]
    out = run_rules("s string", [{"type": "derive", "name": "to_int", "column": "n", "expr": "CAST(s AS INT)"}], records)
    assert [(r["s"], r["n"]) for r in out.rows] == [("12", 12), (None, None), ("1e2", 100)]
    assert _reasons(out) == [
        ("evaluate", "to_int", "cannot cast s to int: abc"),
        ("evaluate", "to_int", "cannot cast s to int: 0x10"),  # DuckDB alone would read hex
        ("evaluate", "to_int", "cannot cast s to int: 12.5"),  # not a whole number
    ]


def test_try_cast_follows_lakegates_text_rules_and_never_dead_letters() -> None:
    records = [{"s": "1_000"}, {"s": "2024/01/05"}, {"s": "infinity"}, {"s": " 2024-01-05 "}]
    rules = [{"type": "derive", "columns": {"n": "TRY_CAST(s AS BIGINT)", "d": "TRY_CAST(s AS DATE)"}}]
    out = run_rules("s string", rules, records)
    assert [(r["n"], r["d"]) for r in out.rows] == [(None, None), (None, None), (None, None), (None, date(2024, 1, 5))]
    assert out.dlq == []


def test_integer_overflow_is_dead_lettered_instead_of_failing_the_batch() -> None:
    records = [
        {"a": 1, "b": 2, "x": 3, "y": 4},
        {"a": 2147483647, "b": 1, "x": 1, "y": 1},
        {"a": -2147483648, "b": 0, "x": 1, "y": 1},
        {"a": 1, "b": 1, "x": 3037000500, "y": 3037000500},
        {"a": None, "b": 1, "x": None, "y": 1},
    ]
    rules = [{"type": "derive", "name": "math", "columns": {"s": "a + b", "n": "-a", "p": "x * y", "m": "abs(a)"}}]
    out = run_rules("a int, b int, x long, y long", rules, records)
    assert [(r["s"], r["n"], r["p"], r["m"]) for r in out.rows] == [(3, -1, 12, 1), (None, None, None, None)]
    assert _reasons(out) == [
        ("evaluate", "math", "integer overflow in a + b"),
        ("evaluate", "math", "integer overflow in -a"),
        ("evaluate", "math", "integer overflow in x * y"),
    ]


def test_an_epoch_outside_the_years_1_to_9999_is_dead_lettered() -> None:
    records = [{"s": 0}, {"s": 253402300799}, {"s": 253402300800}, {"s": -62135596801}, {"s": None}]
    rules = [{"type": "derive", "name": "t", "column": "at", "expr": "to_timestamp(s)"}]
    out = run_rules("s long", rules, records)
    assert [r["at"].year if r["at"] else None for r in out.rows] == [1970, 9999, None]
    assert [d["error"] for d in out.dlq] == [
        "TO_TIMESTAMP(s) is outside the years 1 to 9999: 253402300800",
        "TO_TIMESTAMP(s) is outside the years 1 to 9999: -62135596801",
    ]


def test_a_decimal_result_beyond_38_digits_is_dead_lettered() -> None:
    records = [{"a": "12345678901234567890123456789012345678"}, {"a": "5"}]
    out = run_rules("a decimal(38,0)", [{"type": "derive", "name": "m", "column": "p", "expr": "a * 10"}], records)
    assert [str(r["p"]) for r in out.rows] == ["50"]
    assert _reasons(out) == [("evaluate", "m", "decimal overflow in a * 10")]


@pytest.mark.parametrize(
    ("expr", "dead"),
    [
        ("CASE WHEN s SIMILAR TO '[0-9]+' THEN CAST(s AS INT) ELSE 0 END", []),
        ("CASE WHEN s = 'x' THEN 0 ELSE CAST(s AS INT) END", ["y"]),  # the ELSE branch is taken for 'y'
        ("CASE s WHEN 'x' THEN 0 WHEN 'y' THEN 1 ELSE CAST(s AS INT) END", []),
        ("IF(s IN ('x', 'y'), 0, CAST(s AS INT))", []),
        ("COALESCE(TRY_CAST(s AS INT), CAST(s AS INT))", ["x", "y"]),
        ("COALESCE(TRY_CAST(s AS INT), 0, CAST(s AS INT))", []),
        ("s = 'x' OR CAST(s AS INT) > 0", ["y"]),  # OR: the right side only where the left is not TRUE
        ("s <> 'x' AND CAST(s AS INT) > 0", ["y"]),  # AND: the right side only where the left is not FALSE
    ],
)
def test_a_cast_is_checked_only_where_the_expression_evaluates_it(expr: str, dead: list[str]) -> None:
    records = [{"s": "1"}, {"s": "x"}, {"s": "y"}, {"s": None}]
    out = run_rules("s string", [{"type": "derive", "column": "v", "expr": f"({expr}) IS NOT NULL"}], records)
    assert [d["error"].rsplit(": ", 1)[1] for d in out.dlq] == dead
    assert len(out.rows) + len(out.dlq) == len(records)


def test_filter_route_validate_and_sql_rules_dead_letter_too() -> None:
    records = [{"k": 1, "s": "5"}, {"k": 2, "s": "bad"}, {"k": 3, "s": "7"}, {"k": 4, "s": "oops"}]
    rules = [
        {"type": "filter", "name": "f", "expr": "k <> 2 OR CAST(s AS INT) > 0"},
        {"type": "validate", "name": "v", "checks": [{"name": "pos", "expr": "k < 4 OR CAST(s AS INT) > 0"}]},
        {"type": "sql", "name": "q", "query": "SELECT k, CAST(s AS INT) AS n FROM input WHERE k <> 1"},
    ]
    out = run_rules("k long, s string", rules, records)
    assert out.rows == [{"k": 3, "n": 7}]
    assert _reasons(out) == [
        ("evaluate", "f", "cannot cast s to int: bad"),
        ("evaluate", "v", "cannot cast s to int: oops"),
    ]


def test_a_cast_of_a_wall_clock_timestamp_keeps_its_type() -> None:
    rules = [{"type": "derive", "column": "t", "expr": "CAST(s AS TIMESTAMP)"}]
    out = run_rules("s string", rules, [{"s": "2024-01-05 10:00:00"}, {"s": "2024-01-05 10:00:00 Europe/Paris"}])
    assert str(out.schema.field("t").type) == "timestamp_ntz"
    assert [d["error"] for d in out.dlq] == ["cannot cast s to timestamp_ntz: 2024-01-05 10:00:00 Europe/Paris"]


@pytest.mark.parametrize(
    ("source", "target", "can_fail"),
    [
        ("int", "long", False), ("long", "int", True), ("int", "double", False), ("double", "int", True),
        ("decimal(9,2)", "int", False), ("decimal(12,2)", "int", True), ("int", "decimal(12,2)", False),
        ("int", "decimal(10,2)", True), ("decimal(10,2)", "decimal(12,2)", False),
        ("decimal(10,2)", "decimal(10,3)", True), ("decimal(10,3)", "decimal(9,2)", True),
        ("decimal(10,3)", "decimal(10,2)", False),
        ("timestamp", "date", False), ("string", "int", True), ("int", "string", False),
        ("double", "float", True), ("boolean", "int", False), ("string", "string", False),
    ],
)  # fmt: skip
def test_which_casts_can_fail(source: str, target: str, can_fail: bool) -> None:
    assert cast_can_fail(parse_type(source), parse_type(target)) is can_fail


def test_padding_that_must_add_characters_with_an_empty_fill_is_dead_lettered() -> None:
    records = [
        {"s": "abc", "w": 5, "f": "*"},
        {"s": "abc", "w": 5, "f": ""},  # must add two characters: nothing to add them with
        {"s": "abc", "w": 2, "f": ""},  # cuts: needs no padding
        {"s": "abc", "w": 3, "f": ""},
        {"s": "abc", "w": 5, "f": None},
        {"s": None, "w": 5, "f": ""},
    ]
    rules = [{"type": "derive", "name": "pad", "columns": {"l": "lpad(s, w, f)", "r": "rpad(s, 4, '')"}}]
    out = run_rules("s string, w int, f string", rules, records)
    assert [(r["l"], r["r"]) for r in out.rows] == [(None, None)]
    rpad, lpad = (f"{call} must add characters and its padding is ''" for call in ("RPAD(s, 4, '')", "LPAD(s, w, f)"))
    assert [error for _, _, error in _reasons(out)] == [rpad, lpad, rpad, rpad, rpad]  # a record's first failure
    out = run_rules("s string, w int, f string", [{"type": "derive", "name": "pad", "column": "l", "expr": "lpad(s, w, f)"}], records)
    assert [r["l"] for r in out.rows] == ["**abc", "ab", "abc", None, None]
    assert _reasons(out) == [("evaluate", "pad", lpad)]
