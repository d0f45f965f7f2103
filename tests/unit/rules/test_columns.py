"""rename, drop, keep: reshaping the column set."""

from __future__ import annotations

import pytest

from lakegate.errors import SpecError
from tests.helpers.pipeline import compile_error, compile_rules, run_rules

FIELDS = "id long!, name string, amount double"
RECORDS = [{"id": 1, "name": "ann", "amount": 2.5}, {"id": 2, "name": None}, {"id": 3}]


# --- rename ---------------------------------------------------------------------------------


def test_rename_keeps_order_types_required_flags_and_values() -> None:
    out = run_rules(FIELDS, [{"type": "rename", "columns": {"id": "order_id", "amount": "total"}}], RECORDS)
    assert out.fields == [("order_id", "long", True), ("name", "string", False), ("total", "double", False)]
    assert out.rows == [
        {"order_id": 1, "name": "ann", "total": 2.5},
        {"order_id": 2, "name": None, "total": None},
        {"order_id": 3, "name": None, "total": None},
    ]
    assert out.dlq == [] and out.filtered == 0


def test_rename_can_swap_two_names() -> None:
    out = run_rules(FIELDS, [{"type": "rename", "columns": {"name": "amount", "amount": "name"}}], RECORDS[:1])
    assert out.fields == [("id", "long", True), ("amount", "string", False), ("name", "double", False)]
    assert out.rows == [{"id": 1, "amount": "ann", "name": 2.5}]


def test_rename_accepts_unicode_and_quotes_in_names() -> None:
    rules = [
        {"type": "rename", "columns": {"name": 'nom "é"'}},
        {"type": "derive", "column": "shout", "expr": 'upper("nom ""é""")'},
    ]
    out = run_rules(FIELDS, rules, RECORDS[:1])
    assert out.rows == [{"id": 1, 'nom "é"': "ann", "amount": 2.5, "shout": "ANN"}]


def test_rename_onto_an_existing_column_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "rename", "columns": {"name": "amount"}}])
    assert err.message == "renaming would create duplicate columns: amount"
    assert err.context["rule"] == "rename_1"
    assert err.context["transform"] == "t"
    assert isinstance(err.context["line"], int)


def test_rename_of_an_unknown_column_suggests_the_closest_name() -> None:
    err = compile_error(FIELDS, [{"type": "rename", "name": "fix_names", "columns": {"amout": "total"}}])
    assert err.message == "unknown column 'amout' (did you mean 'amount'?)"
    assert err.context["rule"] == "fix_names"
    assert err.context["field"] == "amout"
    assert err.hint == "columns here: id, name, amount"


def test_rename_to_a_reserved_engine_name_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "rename", "columns": {"name": "__lg_filtered"}}])
    assert "reserved" in err.message and "__lg_filtered" in err.message


# --- drop -----------------------------------------------------------------------------------


def test_drop_removes_columns_and_keeps_the_rest_in_order() -> None:
    out = run_rules(FIELDS, [{"type": "drop", "columns": ["name"]}], RECORDS)
    assert out.fields == [("id", "long", True), ("amount", "double", False)]
    assert out.rows == [{"id": 1, "amount": 2.5}, {"id": 2, "amount": None}, {"id": 3, "amount": None}]


def test_drop_of_a_required_column_is_allowed() -> None:
    out = run_rules(FIELDS, [{"type": "drop", "columns": ["id", "amount"]}], RECORDS)
    assert out.fields == [("name", "string", False)]
    assert out.column("name") == ["ann", None, None]


def test_dropping_every_column_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "drop", "columns": ["id", "name", "amount"]}])
    assert err.message == "dropping every column leaves nothing to write"


def test_drop_of_an_unknown_column_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "drop", "columns": ["nme"]}])
    assert err.message == "unknown column 'nme' (did you mean 'name'?)"


# --- keep -----------------------------------------------------------------------------------


def test_keep_selects_and_reorders() -> None:
    out = run_rules(FIELDS, [{"type": "keep", "columns": ["amount", "id"]}], RECORDS)
    assert out.fields == [("amount", "double", False), ("id", "long", True)]
    assert out.rows == [{"amount": 2.5, "id": 1}, {"amount": None, "id": 2}, {"amount": None, "id": 3}]


def test_keep_listing_a_column_twice_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "keep", "columns": ["id", "id"]}])
    assert err.message == "keep lists id more than once"


def test_keep_of_an_unknown_column_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "keep", "columns": ["id", "amont"]}])
    assert err.message == "unknown column 'amont' (did you mean 'amount'?)"


@pytest.mark.parametrize("rule", ["rename", "drop", "keep"])
def test_an_empty_column_list_is_rejected_by_the_spec(rule: str) -> None:
    with pytest.raises(SpecError, match="columns"):
        compile_rules(FIELDS, [{"type": rule, "columns": {} if rule == "rename" else []}])


def test_later_rules_see_the_renamed_columns_only() -> None:
    rules = [
        {"type": "rename", "columns": {"amount": "total"}},
        {"type": "derive", "column": "double_total", "expr": "total * 2"},
    ]
    out = run_rules(FIELDS, rules, RECORDS[:1])
    assert out.rows == [{"id": 1, "name": "ann", "total": 2.5, "double_total": 5.0}]
    err = compile_error(FIELDS, [rules[0], {"type": "derive", "column": "x", "expr": "amount * 2"}])
    assert err.message == "unknown column 'amount'"
    assert err.context["rule"] == "derive_2"
