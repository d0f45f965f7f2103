"""cast, default, coalesce: types and missing values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lakegate.errors import RecordError, SpecError
from tests.helpers.pipeline import compile_error, compile_rules, one, run_rules

# --- cast -----------------------------------------------------------------------------------


def test_cast_converts_strings_to_each_primitive_type() -> None:
    fields = "i string, l string, d string, m string, b string, day string, ts string, n long"
    rule = {
        "type": "cast",
        "columns": {
            "i": "int", "l": "long", "d": "double", "m": "decimal(10,2)", "b": "boolean",
            "day": "date", "ts": "timestamp", "n": "string",
        },
    }  # fmt: skip
    record = {
        "i": "12", "l": "-9007199254740993", "d": "2.5e3", "m": "3.456", "b": "false",
        "day": "2024-02-29", "ts": "2024-01-02T03:04:05+02:00", "n": 42,
    }  # fmt: skip
    out = run_rules(fields, [rule], [record])
    assert out.fields == [
        ("i", "int", False), ("l", "long", False), ("d", "double", False), ("m", "decimal(10,2)", False),
        ("b", "boolean", False), ("day", "date", False), ("ts", "timestamp", False), ("n", "string", False),
    ]  # fmt: skip
    assert out.rows == [
        {
            "i": 12, "l": -9007199254740993, "d": 2500.0, "m": Decimal("3.46"), "b": False,
            "day": date(2024, 2, 29), "ts": datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC), "n": "42",
        }
    ]  # fmt: skip


def test_cast_keeps_nulls_and_missing_values_as_null_without_dlq() -> None:
    out = run_rules("a string, b string", [{"type": "cast", "columns": {"a": "int", "b": "date"}}], [{"a": None}, {}])
    assert out.rows == [{"a": None, "b": None}, {"a": None, "b": None}]
    assert out.dlq == []


@pytest.mark.parametrize("bad", ["x", "", " ", "12abc", "١٢"])
def test_cast_failure_goes_to_the_dlq_with_the_value(bad: str) -> None:
    out = run_rules("a string", [{"type": "cast", "columns": {"a": "int"}}], [{"a": "7"}, {"a": bad}])
    assert out.rows == [{"a": 7}]
    assert out.dlq == [{"stage": "convert", "rule": "cast_1", "error": f"cannot cast a to int: {bad}"}]


def test_cast_on_error_null_keeps_the_row_with_a_null() -> None:
    rule = {"type": "cast", "columns": {"a": "int"}, "on_error": "null"}
    out = run_rules("a string", [rule], [{"a": "7"}, {"a": "x"}, {"a": None}])
    assert out.rows == [{"a": 7}, {"a": None}, {"a": None}]
    assert out.dlq == []


def test_cast_on_error_fail_raises_a_record_error_naming_rule_and_record() -> None:
    rule = {"type": "cast", "name": "to_int", "columns": {"a": "int"}, "on_error": "fail"}
    with pytest.raises(RecordError) as info:
        run_rules("a string", [rule], [{"a": "7"}, {"a": "x"}])
    assert info.value.message.startswith("cannot cast a to int: x (on_error: fail stops the pipeline")
    assert info.value.context["rule"] == "to_int"
    assert info.value.context["index"] == 1


def test_cast_on_error_fail_passes_convertible_batches() -> None:
    rule = {"type": "cast", "columns": {"a": "int"}, "on_error": "fail"}
    assert run_rules("a string", [rule], [{"a": "7"}, {"a": None}]).rows == [{"a": 7}, {"a": None}]


def test_cast_never_rounds_a_fraction_into_a_whole_number() -> None:
    fields = "d double, s string, m decimal(5,2)"
    rule = {"type": "cast", "columns": {"d": "long", "s": "int", "m": "long"}}
    out = run_rules(
        fields,
        [rule],
        [
            {"d": 2.0, "s": "3.0", "m": 4},
            {"d": 2.5, "s": "3", "m": 4},
            {"d": 2.0, "s": "2.6", "m": 4},
            {"d": -2.0, "s": "1e3", "m": "4.01"},
        ],
    )
    assert out.rows == [{"d": 2, "s": 3, "m": 4}]
    assert out.errors == [
        "cannot cast d to long: 2.5",
        "cannot cast s to int: 2.6",
        "cannot cast m to long: 4.01",
    ]


def test_cast_out_of_range_goes_to_the_dlq() -> None:
    out = run_rules("a long", [{"type": "cast", "columns": {"a": "int"}}], [{"a": 2**31}, {"a": 2**31 - 1}])
    assert out.rows == [{"a": 2**31 - 1}]
    assert out.errors == ["cannot cast a to int: 2147483648"]


def test_cast_reports_the_first_column_that_fails() -> None:
    rule = {"type": "cast", "columns": {"a": "int", "b": "int"}}
    out = run_rules("a string, b string", [rule], [{"a": "x", "b": "y"}, {"a": "1", "b": "y"}])
    assert out.errors == ["cannot cast a to int: x", "cannot cast b to int: y"]


def test_cast_number_to_string() -> None:
    row = one("a double, b long, c boolean", {"type": "cast", "columns": {"a": "string", "b": "string", "c": "string"}},
              {"a": 2.5, "b": -3, "c": True})  # fmt: skip
    assert row == {"a": "2.5", "b": "-3", "c": "true"}


def test_cast_string_to_a_nested_type_is_a_compile_error_pointing_to_parse_json() -> None:
    err = compile_error("j string", [{"type": "cast", "columns": {"j": "struct<a: int>"}}])
    assert err.message == "cannot cast string column 'j' to struct<a: int>"
    assert err.hint is not None and "parse_json" in err.hint


def test_cast_to_an_unknown_type_is_rejected_by_the_spec() -> None:
    with pytest.raises(SpecError, match="unknown type 'integr'"):
        compile_rules("a string", [{"type": "cast", "columns": {"a": "integr"}}])


def test_cast_of_an_unknown_column_is_a_compile_error() -> None:
    err = compile_error("price string", [{"type": "cast", "columns": {"prize": "double"}}])
    assert err.message == "unknown column 'prize' (did you mean 'price'?)"


# --- default --------------------------------------------------------------------------------


def test_default_fills_nulls_and_missing_values_only() -> None:
    rule = {"type": "default", "values": {"country": "unknown", "qty": 1, "ok": False}}
    out = run_rules(
        "country string, qty long, ok boolean, note string",
        [rule],
        [{"country": None, "qty": None}, {"country": "", "qty": 0, "ok": True}, {}],
    )
    assert out.rows == [
        {"country": "unknown", "qty": 1, "ok": False, "note": None},
        {"country": "", "qty": 0, "ok": True, "note": None},
        {"country": "unknown", "qty": 1, "ok": False, "note": None},
    ]
    assert out.fields == [
        ("country", "string", True), ("qty", "long", True), ("ok", "boolean", True), ("note", "string", False),
    ]  # fmt: skip


def test_default_values_are_converted_to_the_column_type() -> None:
    rule = {"type": "default", "values": {"qty": "5", "day": "2024-01-01", "ts": "2024-01-01T10:00:00Z"}}
    row = one("qty long, day date, ts timestamp", rule, {})
    assert row == {"qty": 5, "day": date(2024, 1, 1), "ts": datetime(2024, 1, 1, 10, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("many", "'many' is not a valid long"),
        (1.5, "1.5 is not a whole number"),
        (True, "True is a boolean, not a long"),
        ([1], "[1] is not a single value"),
    ],
)
def test_default_that_is_not_a_value_of_the_column_type_is_a_compile_error(value: object, problem: str) -> None:
    err = compile_error("qty long", [{"type": "default", "values": {"qty": value}}])
    assert err.message == f"default for 'qty': {problem}"


def test_default_for_an_unknown_column_is_a_compile_error() -> None:
    err = compile_error("qty long", [{"type": "default", "values": {"qyt": 1}}])
    assert err.message == "unknown column 'qyt' (did you mean 'qty'?)"


# --- coalesce -------------------------------------------------------------------------------


def test_coalesce_takes_the_first_non_null_value() -> None:
    rule = {"type": "coalesce", "columns": ["mobile", "home"], "into": "phone"}
    out = run_rules("mobile string, home string", [rule], [
        {"mobile": "1", "home": "2"}, {"mobile": None, "home": "2"}, {"mobile": "", "home": "2"}, {},
    ])  # fmt: skip
    assert out.column("phone") == ["1", "2", "", None]
    assert out.fields[-1] == ("phone", "string", False)


def test_coalesce_all_null_uses_the_default_and_the_result_is_required() -> None:
    rule = {"type": "coalesce", "columns": ["a", "b"], "into": "c", "default": 0}
    out = run_rules("a long, b long", [rule], [{}, {"b": 5}])
    assert out.column("c") == [0, 5]
    assert out.fields[-1] == ("c", "long", True)


def test_coalesce_into_an_existing_column_replaces_it() -> None:
    rule = {"type": "coalesce", "columns": ["b", "a"], "into": "a", "default": "none"}
    out = run_rules("a string, b string", [rule], [{"a": "x", "b": "y"}, {"a": "x"}, {}])
    assert out.rows == [{"a": "y", "b": "y"}, {"a": "x", "b": None}, {"a": "none", "b": None}]


def test_coalesce_widens_numeric_types() -> None:
    rule = {"type": "coalesce", "columns": ["i", "d"], "into": "x", "default": 2}
    out = run_rules("i int, d double", [rule], [{"d": 1.5}, {}])
    assert out.column("x") == [1.5, 2.0]
    assert out.fields[-1][1] == "double"


def test_coalesce_default_of_the_wrong_type_is_a_compile_error() -> None:
    err = compile_error("a long, b long", [{"type": "coalesce", "columns": ["a", "b"], "into": "c", "default": "x"}])
    assert err.message == "default (for column 'a'): 'x' is not a valid long"


def test_coalesce_of_incompatible_columns_is_a_compile_error() -> None:
    err = compile_error("a long, b string", [{"type": "coalesce", "columns": ["a", "b"], "into": "c"}])
    assert err.message.startswith("does not type-check: Binder Error: Cannot mix values of type BIGINT and VARCHAR")
    assert err.context["rule"] == "coalesce_1"
