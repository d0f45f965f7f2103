"""derive, filter, route and the `sql` escape hatch."""

from __future__ import annotations

from typing import Any

import pytest

from lakegate.errors import SpecError
from tests.helpers.pipeline import compile_error, compile_rules, one, run_rules

FIELDS = "id long, amount double, platform string, device struct<os: string, version: int>, tags list<string>"
RECORDS = [
    {"id": 1, "amount": 2.5, "platform": "IOS", "device": {"os": "ios", "version": 17}, "tags": ["a", "b"]},
    {"id": 2, "amount": None, "platform": "web"},
    {"id": 3, "amount": 2000.0, "platform": None, "device": {"os": "android"}},
]

# --- derive ---------------------------------------------------------------------------------


def test_derive_adds_a_typed_column_and_propagates_nulls() -> None:
    out = run_rules(FIELDS, [{"type": "derive", "column": "twice", "expr": "amount * 2"}], RECORDS)
    assert out.column("twice") == [5.0, None, 4000.0]
    assert out.fields[-1] == ("twice", "double", False)


def test_derive_several_columns_see_the_same_input() -> None:
    rule = {"type": "derive", "columns": {"id": "id + 100", "old_id": "id", "mobile": "lower(platform) IN ('ios', 'android')"}}
    out = run_rules(FIELDS, [rule], RECORDS)
    assert [(r["id"], r["old_id"], r["mobile"]) for r in out.rows] == [(101, 1, True), (102, 2, False), (103, 3, None)]
    assert out.fields[0] == ("id", "long", False)
    assert [f[0] for f in out.fields] == ["id", "amount", "platform", "device", "tags", "old_id", "mobile"]


def test_derive_reads_struct_fields_lambdas_and_input_qualified_columns() -> None:
    rule = {
        "type": "derive",
        "columns": {
            "os": "device.os",
            "n_tags": "len(list_filter(tags, t -> t <> 'a'))",
            "plus": "input.id + 1",
        },
    }
    out = run_rules(FIELDS, [{"type": "drop", "columns": ["platform"]}, rule], RECORDS[:2])
    assert [(r["os"], r["n_tags"], r["plus"]) for r in out.rows] == [("ios", 1, 2), (None, None, 3)]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("amount * 2 +", "cannot parse expression for 'x' 'amount * 2 +'"),
        ("SELECT 1", "expression for 'x' 'SELECT 1' must be an expression, not a statement"),
        ("amout * 2", "unknown column 'amout' (did you mean 'amount'?)"),
        ("nosuchfn(amount)", "does not type-check: Catalog Error: Scalar Function with name nosuchfn does not exist!"),
        ("sum(amount)", "expression for 'x' 'sum(amount)' uses an aggregate (SUM(amount)), which is not per-record"),
        ("row_number() OVER ()", "expression for 'x' 'row_number() OVER ()' uses a window function"),
        ("(SELECT max(id) FROM input)", "expression for 'x' '(SELECT max(id) FROM input)' uses a subquery"),
        ("id IN (SELECT id FROM input)", "expression for 'x' 'id IN (SELECT id FROM input)' uses a subquery"),
        ("unnest(tags)", "expression for 'x' 'unnest(tags)' uses UNNEST"),
        ("__lg_row + 1", "unknown column '__lg_row'"),
        ("other.id", "unknown column 'other'"),
    ],
)
def test_derive_compile_errors(expr: str, message: str) -> None:
    err = compile_error(FIELDS, [{"type": "derive", "column": "x", "expr": expr}])
    assert err.message.startswith(message), err.message
    assert err.context["rule"] == "derive_1"


def test_derive_into_a_reserved_name_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "derive", "column": "__lg_route", "expr": "'elsewhere'"}])
    assert err.message.startswith("column name '__lg_route' is reserved")


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "derive", "column": "x"},
        {"type": "derive", "expr": "1"},
        {"type": "derive", "column": "x", "expr": "1", "columns": {"y": "2"}},
    ],
)
def test_derive_needs_exactly_one_form(rule: dict[str, Any]) -> None:
    with pytest.raises(SpecError, match="give either `column` and `expr`, or `columns`"):
        compile_rules(FIELDS, [rule])


# --- filter ---------------------------------------------------------------------------------


def test_filter_keeps_true_rows_and_counts_the_rest_including_null_predicates() -> None:
    out = run_rules(FIELDS, [{"type": "filter", "expr": "amount < 100"}], RECORDS)
    assert out.column("id") == [1]
    assert out.filtered == 2  # amount 2000 (false) and amount null (null is not true)
    assert out.dlq == []


def test_filtered_rows_are_not_seen_by_later_checks() -> None:
    rules = [
        {"type": "filter", "expr": "platform IS NOT NULL"},
        {"type": "validate", "checks": [{"name": "has_amount", "not_null": "amount"}]},
    ]
    out = run_rules(FIELDS, rules, RECORDS)
    assert out.column("id") == [1]
    assert out.filtered == 1
    assert out.errors == ["check has_amount failed"]


@pytest.mark.parametrize(
    ("expr", "kind"),
    [("amount", "double"), ("id + 1", "long"), ("platform", "string"), ("'true'", "string"), ("NULL", "int")],
)
def test_filter_that_is_not_boolean_is_a_compile_error(expr: str, kind: str) -> None:
    err = compile_error(FIELDS, [{"type": "filter", "expr": expr}])
    assert err.message == f"filter {expr!r} must be a boolean expression, but it is {kind}"
    assert err.hint is not None and "amount > 0" in err.hint


def test_filter_on_an_unknown_column_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "filter", "expr": "platfrom = 'web'"}])
    assert err.message == "unknown column 'platfrom' (did you mean 'platform'?)"


def test_filter_on_a_boolean_column_works() -> None:
    out = run_rules("ok boolean, n long", [{"type": "filter", "expr": "ok"}], [{"ok": True, "n": 1}, {"ok": False}, {}])
    assert out.column("n") == [1]
    assert out.filtered == 2


# --- route ----------------------------------------------------------------------------------


def test_route_first_matching_route_wins_and_the_rest_reach_the_transform_sinks() -> None:
    rules = [
        {"type": "route", "expr": "amount > 1000", "sink": "huge"},
        {"type": "route", "expr": "amount > 1", "sink": "big"},
    ]
    out = run_rules(FIELDS, rules, RECORDS, extra_sinks=["huge", "big"])
    assert [r["id"] for r in out.routed["huge"]] == [3]
    assert [r["id"] for r in out.routed["big"]] == [1]
    assert out.column("id") == [2]  # amount null: no route matches


def test_routed_rows_still_go_through_later_rules() -> None:
    rules = [
        {"type": "route", "expr": "amount > 1000", "sink": "huge"},
        {"type": "derive", "column": "cents", "expr": "CAST(amount * 100 AS BIGINT)"},
        {"type": "filter", "expr": "id <> 1"},
    ]
    out = run_rules(FIELDS, rules, RECORDS, extra_sinks=["huge"])
    assert [(r["id"], r["cents"]) for r in out.routed["huge"]] == [(3, 200000)]
    assert out.column("id") == [2]
    assert out.filtered == 1


def test_route_to_an_undeclared_sink_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="unknown sink 'hug'"):
        compile_rules(FIELDS, [{"type": "route", "expr": "amount > 1", "sink": "hug"}], extra_sinks=["huge"])


def test_route_predicate_must_be_boolean() -> None:
    err = compile_error(FIELDS, [{"type": "route", "expr": "amount", "sink": "big"}], extra_sinks=["big"])
    assert err.message == "route predicate 'amount' must be a boolean expression, but it is double"


# --- sql ------------------------------------------------------------------------------------


def test_sql_where_filters_and_star_keeps_every_column() -> None:
    rule = {"type": "sql", "query": "SELECT *, amount * 2 AS twice FROM input WHERE amount < 100"}
    out = run_rules(FIELDS, [rule], RECORDS)
    assert out.column("id") == [1]
    assert out.column("twice") == [5.0]
    assert out.filtered == 2
    assert [f[0] for f in out.fields] == ["id", "amount", "platform", "device", "tags", "twice"]


def test_sql_input_qualified_columns_and_renames() -> None:
    rule = {"type": "sql", "query": "SELECT input.id, upper(input.platform) AS p, device.os AS os FROM input"}
    out = run_rules(FIELDS, [rule], RECORDS)
    assert out.rows == [{"id": 1, "p": "IOS", "os": "ios"}, {"id": 2, "p": "WEB", "os": None}, {"id": 3, "p": None, "os": "android"}]
    assert out.fields == [("id", "long", False), ("p", "string", False), ("os", "string", False)]


def test_sql_star_modifiers_exclude_replace_rename_and_input_star() -> None:
    query = "SELECT * EXCLUDE (device, tags) REPLACE (id * 10 AS id) RENAME (platform AS p) FROM input"
    out = run_rules(FIELDS, [{"type": "sql", "query": query}], RECORDS[:1])
    assert out.rows == [{"id": 10, "amount": 2.5, "p": "IOS"}]
    out = run_rules(FIELDS, [{"type": "sql", "query": "SELECT input.* FROM input"}], RECORDS[:1])
    assert out.rows == [RECORDS[0]]


def test_sql_after_other_rules_reads_their_output() -> None:
    rules = [
        {"type": "derive", "column": "x", "expr": "id * 2"},
        {"type": "sql", "query": "SELECT id, x + 1 AS y FROM input WHERE x > 2"},
    ]
    out = run_rules(FIELDS, rules, RECORDS)
    assert out.rows == [{"id": 2, "y": 5}, {"id": 3, "y": 7}]
    assert out.filtered == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT platform, count(*) AS n FROM input GROUP BY platform", "the query uses GROUP, which is not per-record"),
        ("SELECT count(*) AS n FROM input", "the query uses an aggregate (COUNT(*)), which is not per-record"),
        ("SELECT max(amount) AS m FROM input", "the query uses an aggregate (MAX(amount))"),
        ("SELECT a.id FROM input AS a JOIN input AS b ON a.id = b.id", "the query must read `FROM input`"),
        ("SELECT input.id FROM input, input AS b", "the query must read `FROM input`"),
        ("SELECT id FROM orders", "the query must read `FROM input`"),
        ("WITH x AS (SELECT 1) SELECT id FROM input", "the query must read `FROM input`"),
        ("SELECT id FROM input ORDER BY id", "the query uses ORDER, which is not per-record"),
        ("SELECT id FROM input LIMIT 1", "the query uses LIMIT, which is not per-record"),
        ("SELECT DISTINCT id FROM input", "SELECT DISTINCT is not per-record"),
        ("SELECT id, row_number() OVER () AS r FROM input", "the query uses a window function"),
        ("SELECT id FROM input WHERE id IN (SELECT id FROM input)", "the query uses a subquery"),
        ("SELECT id, unnest(tags) AS tag FROM input", "the query uses UNNEST"),
        ("SELECT id + 1 FROM input", "give the computed column '\"id\" + 1' a name with `AS name`"),
        ("SELECT *, id FROM input", "the query produces duplicate columns: id"),
        ("SELECT id AS __lg_dlq_reason FROM input", "column name '__lg_dlq_reason' is reserved"),
        ("SELECT * FROM input WHERE amount", "the WHERE clause 'amount' must be a boolean expression"),
        ("SELECT idd FROM input", "unknown column 'idd' (did you mean 'id'?)"),
        ("SELECT 1 AS one FROM input UNION ALL SELECT 2 AS one FROM input", "the query must be a single SELECT"),
        ("SELECT FROM WHERE", "cannot parse the query"),
    ],
)
def test_sql_rejects_queries_that_are_not_per_record_or_ambiguous(query: str, message: str) -> None:
    err = compile_error(FIELDS, [{"type": "sql", "query": query}])
    assert err.message.startswith(message), err.message
    assert err.context["rule"] == "sql_1"


def test_one_record_through_derive_with_unicode() -> None:
    row = one("s string", {"type": "derive", "column": "n", "expr": "length(s)"}, {"s": "ñandú😀"})
    assert row == {"s": "ñandú😀", "n": 6}


def test_a_runtime_error_dead_letters_only_the_rows_that_raise() -> None:
    # strptime raises in DuckDB for 'x' only; the batch is bisected to isolate that row.
    records = [{"code": str(i % 60)} for i in range(37)]
    records[5] = {"code": "x"}
    records[30] = {"code": "y"}
    rules = [{"type": "derive", "column": "n", "expr": "second(strptime(code, '%S'))"}]
    out = run_rules("code string", rules, records)
    assert [r["n"] for r in out.rows] == [i for i in range(37) if i not in (5, 30)]
    assert [d["stage"] for d in out.dlq] == ["evaluate", "evaluate"]
    assert all("evaluating rules failed" in d["error"] and "Invalid Input Error" in d["error"] for d in out.dlq)


def test_a_raising_record_is_dead_lettered_by_its_rule_unless_an_earlier_rule_filtered_it() -> None:
    # The three rules run as one query: strptime raises for 'abc' and 'xyz' although the filter
    # removed 'abc' before the parse; only 'xyz' fails, in the rule that parses, not the last one.
    rules = [
        {"type": "filter", "name": "no_abc", "expr": "s <> 'abc'"},
        {"type": "derive", "name": "parse", "column": "t", "expr": "strptime(s, '%Y')"},
        {"type": "derive", "name": "year", "column": "y", "expr": "year(t)"},
        {"type": "validate", "name": "recent", "checks": [{"name": "after_2000", "expr": "y > 2000"}]},
    ]
    out = run_rules("s string", rules, [{"s": "2012"}, {"s": "abc"}, {"s": "xyz"}, {"s": "1990"}])
    assert [(r["s"], r["y"]) for r in out.rows] == [("2012", 2012)]
    assert out.filtered == 1
    assert [(d["stage"], d["rule"]) for d in out.dlq] == [("evaluate", "parse"), ("validate", "recent")]
    assert 'Could not parse string "xyz"' in out.dlq[0]["error"]
