"""Structure rules: flatten, parse_json."""

from __future__ import annotations

from typing import Any

import pytest

from lakegate.errors import RecordError, SpecError
from tests.helpers.pipeline import compile_error, compile_rules, run_rules

NESTED: list[dict[str, Any]] = [
    {"name": "id", "type": "long", "required": True},
    {"name": "device", "type": "struct<os: string, ver: struct<major: int, minor: int>>"},
    {"name": "geo", "type": "struct<lat: double>", "required": True},
    {"name": "tags", "type": "list<struct<k: string>>"},
]

# --- flatten --------------------------------------------------------------------------------


def test_flatten_two_levels_into_parent_child_columns() -> None:
    records = [
        {"id": 1, "device": {"os": "ios", "ver": {"major": 17, "minor": 2}}, "geo": {"lat": 1.5}, "tags": [{"k": "a"}]},
        {"id": 2, "device": None, "geo": {"lat": None}},
        {"id": 3, "device": {"os": "android", "ver": None}, "geo": {}},
    ]
    out = run_rules(NESTED, [{"type": "flatten"}], records)
    assert out.fields == [
        ("id", "long", True),
        ("device_os", "string", False),
        ("device_ver_major", "int", False),
        ("device_ver_minor", "int", False),
        ("geo_lat", "double", False),
        ("tags", "list<struct<k: string>>", False),
    ]
    assert out.rows == [
        {"id": 1, "device_os": "ios", "device_ver_major": 17, "device_ver_minor": 2, "geo_lat": 1.5, "tags": [{"k": "a"}]},
        {"id": 2, "device_os": None, "device_ver_major": None, "device_ver_minor": None, "geo_lat": None, "tags": None},
        {"id": 3, "device_os": "android", "device_ver_major": None, "device_ver_minor": None, "geo_lat": None, "tags": None},
    ]


def test_flatten_selected_columns_with_a_separator() -> None:
    rule = {"type": "flatten", "columns": ["geo"], "separator": "."}
    out = run_rules(NESTED, [rule], [{"id": 1, "device": {"os": "ios"}, "geo": {"lat": 2.0}}])
    assert [f[0] for f in out.fields] == ["id", "device", "geo.lat", "tags"]
    assert out.rows[0]["geo.lat"] == 2.0
    assert out.rows[0]["device"] == {"os": "ios", "ver": None}


def test_flatten_name_clash_is_a_compile_error() -> None:
    err = compile_error("device_os string, device struct<os: string>", [{"type": "flatten"}])
    assert err.message == "flattening would create duplicate columns: device_os"
    assert err.context["rule"] == "flatten_1"


def test_flatten_of_a_non_struct_column_is_a_compile_error() -> None:
    err = compile_error(NESTED, [{"type": "flatten", "columns": ["tags"]}])
    assert err.message == "column 'tags' is list<struct<k: string>>, but this rule needs struct"


def test_flatten_without_struct_columns_changes_nothing() -> None:
    out = run_rules("a long, b string", [{"type": "flatten"}], [{"a": 1, "b": "x"}])
    assert out.rows == [{"a": 1, "b": "x"}]


# --- parse_json -----------------------------------------------------------------------------

STRUCT = "struct<os: string, v: int>"


def test_parse_json_into_a_struct() -> None:
    rule = {"type": "parse_json", "column": "j", "schema": STRUCT, "into": "p"}
    texts = ['{"os": "ios", "v": 17}', '{"os": "ios"}', '{"os": "a", "v": "3", "extra": [1]}', "null", None, '{"os": "ü"}']
    out = run_rules("j string", [rule], [{"j": t} for t in texts])
    assert out.column("p") == [
        {"os": "ios", "v": 17}, {"os": "ios", "v": None}, {"os": "a", "v": 3}, None, None, {"os": "ü", "v": None},
    ]  # fmt: skip
    assert out.column("j") == texts  # `into` keeps the text
    assert out.fields[-1] == ("p", STRUCT, False)


def test_parse_json_into_lists_maps_and_nested_types() -> None:
    out = run_rules("j string", [{"type": "parse_json", "column": "j", "schema": "list<long>"}], [{"j": "[1, 2, 3]"}, {"j": "[]"}, {"j": "[null]"}])
    assert out.column("j") == [[1, 2, 3], [], [None]]
    assert out.fields == [("j", "list<long>", False)]
    out = run_rules("j string", [{"type": "parse_json", "column": "j", "schema": "map<string, double>"}], [{"j": '{"a": 1, "b": 2.5}'}])
    assert out.column("j") == [[("a", 1.0), ("b", 2.5)]]
    schema = "struct<a: struct<b: list<int>>>"
    out = run_rules("j string", [{"type": "parse_json", "column": "j", "schema": schema}], [{"j": '{"a": {"b": [1, 2]}}'}])
    assert out.column("j") == [{"a": {"b": [1, 2]}}]


def test_malformed_or_mistyped_json_goes_to_the_dlq_with_the_text() -> None:
    rule = {"type": "parse_json", "column": "j", "schema": STRUCT}
    texts = ['{"os": "ios", "v": 1}', "{bad", "", "[1]", '{"os": "ios", "v": "x"}', '{"v": 1.5}', '"text"']
    out = run_rules("j string", [rule], [{"j": t} for t in texts])
    assert out.column("j") == [{"os": "ios", "v": 1}]
    prefix = f"j is not JSON of type {STRUCT}: "
    assert out.dlq == [{"stage": "convert", "rule": "parse_json_1", "error": prefix + t} for t in texts[1:]]


def test_malformed_json_in_a_list() -> None:
    rule = {"type": "parse_json", "column": "j", "schema": "list<long>"}
    out = run_rules("j string", [rule], [{"j": '[1, "x"]'}, {"j": "[1.5]"}, {"j": '{"a": 1}'}, {"j": "[2]"}])
    assert out.column("j") == [[2]]
    assert len(out.errors) == 3


def test_parse_json_on_error_null_gives_a_null_for_partly_valid_values() -> None:
    rule = {"type": "parse_json", "column": "j", "schema": "list<long>", "on_error": "null"}
    out = run_rules("j string", [rule], [{"j": '[1, "x"]'}, {"j": "nope"}, {"j": "[1, 2]"}])
    assert out.column("j") == [None, None, [1, 2]]
    rule = {"type": "parse_json", "column": "j", "schema": STRUCT, "on_error": "null"}
    out = run_rules("j string", [rule], [{"j": '{"os": "ios", "v": "x"}'}])
    assert out.column("j") == [None]


def test_parse_json_on_error_fail_raises() -> None:
    rule = {"type": "parse_json", "column": "j", "schema": "list<long>", "on_error": "fail"}
    with pytest.raises(RecordError, match=r"j is not JSON of type list<long>: nope \(on_error: fail"):
        run_rules("j string", [rule], [{"j": "[1]"}, {"j": "nope"}])


def test_parse_json_compile_errors() -> None:
    err = compile_error("j long", [{"type": "parse_json", "column": "j", "schema": "list<long>"}])
    assert err.message == "column 'j' is long, but this rule needs string"
    with pytest.raises(SpecError, match="invalid type 'lst<long>'"):
        compile_rules("j string", [{"type": "parse_json", "column": "j", "schema": "lst<long>"}])
    err = compile_error("j string", [{"type": "parse_json", "column": "j", "schema": "long", "into": "__lg_x"}])
    assert err.message.startswith("column name '__lg_x' is reserved")
