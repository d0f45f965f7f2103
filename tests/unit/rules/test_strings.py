"""String rules: trim, lower, upper, regex_replace, regex_extract, split, concat, substring, map_values."""

from __future__ import annotations

from typing import Any

import pytest

from lakegate.errors import SpecError
from tests.helpers.pipeline import compile_error, compile_rules, run_rules

FIELDS = "s string, n long"


def values(rule: dict[str, Any], inputs: list[str | None], column: str = "s") -> list[object]:
    """``column`` after ``rule`` for records whose ``s`` takes each of ``inputs``."""
    out = run_rules(FIELDS, [rule], [{"s": v, "n": i} for i, v in enumerate(inputs)])
    assert out.dlq == [] and out.filtered == 0
    return out.column(column)


# --- trim / lower / upper -------------------------------------------------------------------


def test_trim_removes_every_kind_of_leading_and_trailing_whitespace() -> None:
    inputs = ["  a b  ", "\t\n a\tb \r\n", "\u00a0x\u3000", "\u2003\u2028y\u0085", "", "   ", None, "none"]
    assert values({"type": "trim", "columns": ["s"]}, inputs) == ["a b", "a\tb", "x", "y", "", "", None, "none"]


def test_lower_and_upper_handle_unicode_empty_and_null() -> None:
    inputs = ["ÄÖÜ Straße", "ΣΑΣ", "", None]
    assert values({"type": "lower", "columns": ["s"]}, inputs) == ["äöü straße", "σασ", "", None]  # noqa: RUF001
    assert values({"type": "upper", "columns": ["s"]}, ["abc é", "", None]) == ["ABC É", "", None]


@pytest.mark.parametrize("rule", ["trim", "lower", "upper"])
def test_string_rules_on_a_non_string_column_are_compile_errors(rule: str) -> None:
    err = compile_error(FIELDS, [{"type": rule, "columns": ["s", "n"]}])
    assert err.message == "column 'n' is long, but this rule needs string"
    assert err.hint == "cast it first with a `cast` rule"
    assert err.context["field"] == "n"


# --- regex_replace --------------------------------------------------------------------------


def test_regex_replace_replaces_every_match() -> None:
    rule = {"type": "regex_replace", "column": "s", "pattern": "[^0-9+]", "replacement": ""}
    assert values(rule, ["+1 (555) 123-4567", "no digits", "", None]) == ["+15551234567", "", "", None]


def test_regex_replace_with_capture_groups_into_a_new_column() -> None:
    rule = {"type": "regex_replace", "column": "s", "pattern": r"(\w+)@(\w+)", "replacement": r"\2/\1", "into": "t"}
    out = run_rules(FIELDS, [rule], [{"s": "joe@ex, ann@foo"}, {"s": "nothing here"}])
    assert out.rows == [
        {"s": "joe@ex, ann@foo", "n": None, "t": "ex/joe, foo/ann"},
        {"s": "nothing here", "n": None, "t": "nothing here"},
    ]


def test_regex_replace_invalid_patterns() -> None:
    with pytest.raises(SpecError, match="invalid regular expression"):
        compile_rules(FIELDS, [{"type": "regex_replace", "column": "s", "pattern": "([a-", "replacement": ""}])
    # Valid for Python but not for RE2: the engine rejects it while compiling, not at run time.
    err = compile_error(FIELDS, [{"type": "regex_replace", "column": "s", "pattern": "a(?=b)", "replacement": ""}])
    assert err.message.startswith("does not type-check: Invalid Input Error: invalid perl operator")


# --- regex_extract --------------------------------------------------------------------------


def test_regex_extract_group_or_null_when_nothing_matches() -> None:
    rule = {"type": "regex_extract", "column": "s", "pattern": "@(.+)$", "group": 1, "into": "domain"}
    inputs = ["a@b.com", "nomatch", "", None, "x@ü.de"]
    assert values(rule, inputs, "domain") == ["b.com", None, None, None, "ü.de"]


def test_regex_extract_whole_first_match_by_default() -> None:
    rule = {"type": "regex_extract", "column": "s", "pattern": "[0-9]+"}
    assert values(rule, ["ab12cd345", "x", ""]) == ["12", None, None]


def test_regex_extract_of_a_missing_group_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "regex_extract", "column": "s", "pattern": "a(b)", "group": 2}])
    assert err.message == "the pattern has no capture group 2"


# --- split ----------------------------------------------------------------------------------


def test_split_on_a_literal_separator() -> None:
    rule = {"type": "split", "column": "s", "separator": ",", "into": "parts"}
    inputs = ["a,b,,c", "", ",", "no separator", None]
    assert values(rule, inputs, "parts") == [["a", "b", "", "c"], [""], ["", ""], ["no separator"], None]


def test_split_separator_is_not_a_regex_and_may_be_long() -> None:
    assert values({"type": "split", "column": "s", "separator": "."}, ["a.b.c", "abc"]) == [["a", "b", "c"], ["abc"]]
    assert values({"type": "split", "column": "s", "separator": "::"}, ["a::b:c"]) == [["a", "b:c"]]


def test_split_changes_the_column_type() -> None:
    out = run_rules(FIELDS, [{"type": "split", "column": "s", "separator": ","}], [{"s": "x,y"}])
    assert out.fields[0] == ("s", "list<string>", False)


def test_split_needs_a_separator() -> None:
    with pytest.raises(SpecError, match="separator"):
        compile_rules(FIELDS, [{"type": "split", "column": "s", "separator": ""}])


# --- concat ---------------------------------------------------------------------------------


def test_concat_skips_nulls_by_default() -> None:
    rule = {"type": "concat", "columns": ["first", "last", "n"], "separator": " ", "into": "full"}
    out = run_rules(
        "first string, last string, n long",
        [rule],
        [{"first": "Ann", "last": "Lee", "n": 7}, {"first": None, "last": "Lee"}, {}, {"first": "", "last": "x"}],
    )
    assert out.column("full") == ["Ann Lee 7", "Lee", "", " x"]


def test_concat_without_skipping_nulls_is_null_when_any_input_is() -> None:
    rule = {"type": "concat", "columns": ["s", "n"], "separator": "-", "into": "c", "skip_nulls": False}
    out = run_rules(FIELDS, [rule], [{"s": "a", "n": 1}, {"s": None, "n": 2}, {"s": "", "n": 3}])
    assert out.column("c") == ["a-1", None, "-3"]


def test_concat_renders_other_types_as_text() -> None:
    rule = {"type": "concat", "columns": ["d", "b", "m"], "separator": "|", "into": "c"}
    out = run_rules("d double, b boolean, m decimal(5,2)", [rule], [{"d": 1.5, "b": True, "m": 1.5}])
    assert out.column("c") == ["1.5|true|1.50"]


# --- substring ------------------------------------------------------------------------------


def test_substring_counts_characters_from_one() -> None:
    rule = {"type": "substring", "column": "s", "start": 2, "length": 3, "into": "part"}
    inputs = ["abcdef", "ab", "", None, "héllo😀", "a"]
    assert values(rule, inputs, "part") == ["bcd", "b", "", None, "éll", ""]


def test_substring_to_the_end_and_past_the_end() -> None:
    assert values({"type": "substring", "column": "s", "start": 3}, ["abcdef", "ab", "😀ab😀"]) == ["cdef", "", "b😀"]
    assert values({"type": "substring", "column": "s", "start": 10, "length": 2}, ["abc"]) == [""]
    assert values({"type": "substring", "column": "s", "start": 1, "length": 0}, ["abc"]) == [""]


def test_substring_start_must_be_positive() -> None:
    with pytest.raises(SpecError, match="start"):
        compile_rules(FIELDS, [{"type": "substring", "column": "s", "start": 0}])


# --- map_values -----------------------------------------------------------------------------

MAPPING = {"ios": "mobile", "android": "mobile", "web": "desktop"}


def test_map_values_with_a_default_for_unmapped_values_and_nulls() -> None:
    rule = {"type": "map_values", "column": "s", "mapping": MAPPING, "default": "other", "into": "kind"}
    assert values(rule, ["ios", "web", "tv", "", None, "IOS"], "kind") == [
        "mobile", "desktop", "other", "other", "other", "other",
    ]  # fmt: skip


def test_map_values_without_a_default_keeps_unmapped_values_and_nulls() -> None:
    rule = {"type": "map_values", "column": "s", "mapping": MAPPING}
    assert values(rule, ["android", "tv", None]) == ["mobile", "tv", None]


def test_map_values_with_an_explicit_null_default() -> None:
    rule = {"type": "map_values", "column": "s", "mapping": MAPPING, "default": None}
    assert values(rule, ["web", "tv"]) == ["desktop", None]


def test_map_values_on_a_numeric_column() -> None:
    rule = {"type": "map_values", "column": "n", "mapping": {"1": 10, "2": 20}, "into": "m"}
    out = run_rules(FIELDS, [rule], [{"n": 1}, {"n": 3}, {}])
    assert out.column("m") == [10, 3, None]
    assert out.fields[-1] == ("m", "long", False)
    rule = {"type": "map_values", "column": "n", "mapping": {"1": "one"}, "default": "many", "into": "w"}
    out = run_rules(FIELDS, [rule], [{"n": 1}, {"n": 3}])
    assert out.column("w") == ["one", "many"]
    assert out.fields[-1] == ("w", "string", False)


def test_map_values_key_that_is_not_a_value_of_the_column_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "map_values", "column": "n", "mapping": {"x": 1}}])
    assert err.message == "mapping key 'x': 'x' is not a valid long"


def test_map_values_without_default_needs_values_of_the_column_type() -> None:
    err = compile_error(FIELDS, [{"type": "map_values", "column": "n", "mapping": {"1": "one"}}])
    assert err.message.startswith("mapping value 'one' (without a `default`, unmapped values keep the column's type long)")


def test_map_values_of_an_unknown_column_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "map_values", "column": "platform", "mapping": MAPPING}])
    assert err.message == "unknown column 'platform'"
