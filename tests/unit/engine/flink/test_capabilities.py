"""The Flink capability check: what Flink cannot run with the same meaning is a compile error
naming the transform, the rule and the construct — at compile time, with no JVM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakegate.engine.flink import check_flink
from lakegate.engine.flink.deploy import runtime
from lakegate.engine.flink.filesystem import FilesystemTables
from lakegate.engine.flink.statements import FlinkStatements, flink_statements
from lakegate.errors import CompileError
from tests.helpers.pipeline import compile_rules


def flink_error(fields: str, rules: list[dict[str, Any]]) -> CompileError:
    plan = compile_rules(fields, rules)
    with pytest.raises(CompileError) as info:
        check_flink(plan)
    return info.value


@pytest.mark.parametrize(
    ("fields", "rule", "says"),
    [
        ("s string", {"type": "python", "class": "tests.helpers.transformers.UpperWithSchema"}, "python transformer"),
        ("s string", {"type": "cast", "columns": {"s": "long"}, "on_error": "fail"}, "on_error: fail"),
        ("s string", {"type": "regex_replace", "column": "s", "pattern": "(a)", "replacement": "<\\1>"}, "capture group"),
        ("s string", {"type": "derive", "column": "x", "expr": "levenshtein(s, 'a')"}, "LEVENSHTEIN"),
        ("s string", {"type": "derive", "column": "x", "expr": "list_transform([1], x -> x + 1)"}, "no Flink translation"),
        ("s string", {"type": "parse_timestamp", "column": "s", "format": "%d %b %Y"}, "%b"),
        ("s string", {"type": "derive", "column": "x", "expr": "regexp_replace(s, 'a', 'b')"}, "first match"),
    ],
)
def test_unsupported_constructs_are_compile_errors(fields: str, rule: dict[str, Any], says: str) -> None:
    error = flink_error(fields, [{"name": "the_rule", **rule}])
    assert error.context["rule"] == "the_rule"
    assert error.context["transform"] == "t"
    assert says in str(error)
    assert error.hint


def test_a_supported_pipeline_passes() -> None:
    plan = compile_rules("s string, n long", [{"type": "upper", "columns": ["s"]}, {"type": "filter", "expr": "n > 1"}])
    check_flink(plan)


def test_list_fields_other_than_strings_cannot_be_decoded() -> None:
    plan = compile_rules("xs list<long>", [{"type": "keep", "columns": ["xs"]}])
    with pytest.raises(CompileError, match="list<long>"):
        check_flink(plan)


def test_secrets_are_bound_at_submit_time_only() -> None:
    statements = FlinkStatements(["SELECT '${secret:SALT}' || 'x'"], ["INSERT ... '${secret:PW}'"], secrets=["SALT"])
    bound = statements.bind({"SALT": "it's", "PW": "p"})
    assert bound.ddl == ["SELECT 'it''s' || 'x'"]
    assert bound.inserts == ["INSERT ... 'p'"]
    assert "${secret:SALT}" in statements.ddl[0]
    with pytest.raises(KeyError, match="secrets not set: PW"):
        statements.bind({"SALT": "s"})


def test_a_hash_salt_is_a_secret_placeholder_the_job_fills(tmp_path: Path) -> None:
    plan = compile_rules("s string", [{"type": "hash", "columns": ["s"], "salt_env": "MY_SALT"}], env={"MY_SALT": "pepper"})
    statements = flink_statements(plan, FilesystemTables(tmp_path))
    script = statements.script()
    assert statements.secrets == ["MY_SALT"]
    assert "SHA256('${secret:MY_SALT}' || `s`)" in script
    assert "pepper" not in script
    assert runtime.SECRET.findall(script) == [("secret", "MY_SALT")]  # the syntax the job fills in
    assert "SHA256('pepper' || `s`)" in statements.bind({"MY_SALT": "pepper"}).script()
