"""The job's entry point (``streaming_job.py``): statement splitting, secrets, partition spec decisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakegate.engine.flink.deploy import runtime


def test_split_statements_respects_quotes_comments_and_backticks() -> None:
    script = """
-- header comment; with a semicolon and a quote: don't
CREATE TABLE `a;b` (x STRING) WITH ('k' = 'v;w', 'q' = 'it''s;');

/* block; comment */
INSERT INTO `a;b` SELECT 'x;y' -- trailing; comment
;
-- only a comment;
"""
    statements = runtime.split_statements(script)
    assert len(statements) == 2
    assert statements[0].startswith("-- header comment")
    assert statements[0].endswith("WITH ('k' = 'v;w', 'q' = 'it''s;')")
    assert statements[1].startswith("/* block; comment */\nINSERT INTO `a;b` SELECT 'x;y'")


def test_is_insert_skips_leading_comments() -> None:
    assert runtime.is_insert("-- rule filter_1\n-- more\ninsert into t select 1")
    assert not runtime.is_insert("-- INSERT mentioned\nCREATE TABLE t (x INT)")


def test_fill_secrets_quotes_for_sql_and_jaas() -> None:
    sql = "'a' = 'x=\"${jaas-secret:P}\"', 'b' = '${secret:P}'"
    filled = runtime.fill_secrets(sql, {"P": 'it\'s "q" \\'})
    assert filled == "'a' = 'x=\"it''s \\\"q\\\" \\\\\"', 'b' = 'it''s \"q\" \\'"


def test_missing_secrets_stop_the_job_with_their_names() -> None:
    with pytest.raises(SystemExit, match="missing secrets: A, B"):
        runtime.fill_secrets("${secret:B} ${jaas-secret:A} ${secret:C}", {"C": "c"})


def test_in_memory_catalog_for_validation() -> None:
    stmt = "-- Iceberg catalog\nCREATE CATALOG `my``cat`\nWITH ('type' = 'iceberg')"
    assert runtime.in_memory_catalog(stmt) == "CREATE CATALOG `my``cat` WITH ('type' = 'generic_in_memory')"
    assert runtime.in_memory_catalog("CREATE TABLE t (x INT)") is None


DECLARED = [
    {"name": "ts_day", "transform": "day", "column": "ts", "param": None},
    {"name": "id_bucket_16", "transform": "bucket[16]", "column": "id", "param": 16},
]


def test_spec_action() -> None:
    current = [("ts_day", "day", "ts"), ("id_bucket_16", "bucket[16]", "id")]
    assert runtime.spec_action(current, DECLARED, has_data=True) == "ok"
    assert runtime.spec_action([], DECLARED, has_data=False) == "apply"
    message = runtime.spec_action([], DECLARED, has_data=True)
    assert "unpartitioned" in message and "day(ts), bucket[16](id)" in message
    assert "holds data" in runtime.spec_action([("ts_day", "day", "ts")], DECLARED, has_data=True)


def test_property_groups_and_managed_flink_detection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    props = tmp_path / "props.json"
    props.write_text(json.dumps([{"PropertyGroupId": "lakegate.secrets", "PropertyMap": {"A": "1"}}]))
    monkeypatch.setattr(runtime, "MANAGED_FLINK_PROPERTIES", str(tmp_path / "absent.json"))
    groups, managed = runtime.load_properties(str(props))
    assert not managed
    assert runtime.property_group(groups, "lakegate.secrets") == {"A": "1"}
    assert runtime.property_group(groups, "other") == {}
    monkeypatch.setattr(runtime, "MANAGED_FLINK_PROPERTIES", str(props))
    assert runtime.load_properties(None)[1] is True


def test_entry_point_needs_only_the_standard_library_at_import() -> None:
    source = Path(runtime.__file__).read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all("lakegate" not in line and "pyflink" not in line for line in imports), imports
    compile(source, "streaming_job.py", "exec")
