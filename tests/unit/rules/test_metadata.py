"""The add_metadata rule: each kind of metadata."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.helpers.pipeline import compile_error, run_rules


def test_each_static_and_positional_kind() -> None:
    rule = {
        "type": "add_metadata",
        "columns": {"src": "source", "pipe": "pipeline", "ver": "version", "stream": "stream", "pos": "index"},
    }
    out = run_rules("id long", [rule], [{"id": 10}, "{not json", {"id": 12}])
    assert out.rows == [
        {"id": 10, "src": "src", "pipe": "p", "ver": "7", "stream": "test", "pos": 0},
        {"id": 12, "src": "src", "pipe": "p", "ver": "7", "stream": "test", "pos": 2},
    ]
    assert out.dlq == [{"stage": "decode", "rule": None, "error": "malformed JSON"}]
    assert out.fields[1:] == [
        ("src", "string", False), ("pipe", "string", False), ("ver", "string", False),
        ("stream", "string", False), ("pos", "long", False),
    ]  # fmt: skip


def test_ingestion_time_is_the_current_instant_shared_by_the_batch() -> None:
    before = datetime.now(UTC)
    out = run_rules("id long", [{"type": "add_metadata", "columns": {"at": "ingestion_time"}}], [{"id": 1}, {"id": 2}])
    after = datetime.now(UTC)
    first, second = out.column("at")
    assert first == second
    assert before <= first <= after
    assert out.fields[-1] == ("at", "timestamp", False)


def test_metadata_columns_can_be_used_by_later_rules() -> None:
    rules = [{"type": "add_metadata", "columns": {"pos": "index"}}, {"type": "filter", "expr": "pos > 0"}]
    out = run_rules("id long", rules, [{"id": 1}, {"id": 2}, {"id": 3}])
    assert out.column("id") == [2, 3]
    assert out.filtered == 1


def test_the_file_of_a_files_source() -> None:
    out = run_rules("id long", [{"type": "add_metadata", "columns": {"path": "file"}}], [{"id": 1}, {"id": 2}])
    assert out.column("path") == ["test", "test"]  # the value the test runner gives every record
    assert out.fields[-1] == ("path", "string", False)


def test_unknown_kind_is_a_compile_error_with_a_suggestion() -> None:
    err = compile_error("id long", [{"type": "add_metadata", "columns": {"pos": "indx"}}])
    assert err.message == "unknown metadata 'indx' (did you mean 'index'?)"
    assert err.hint is not None and err.hint.startswith("available here: ingestion_time, source, pipeline, version")


def test_existing_and_reserved_column_names_are_compile_errors() -> None:
    err = compile_error("id long", [{"type": "add_metadata", "columns": {"id": "index"}}])
    assert err.message == "column 'id' already exists"
    err = compile_error("id long", [{"type": "add_metadata", "columns": {"__lg_index": "index"}}])
    assert err.message.startswith("column name '__lg_index' is reserved")


def test_source_metadata_keeps_its_types() -> None:
    # A Kafka source declares partition (int), offset (long) and timestamp (timestamp) metadata;
    # compiling needs no broker.
    text = """
pipeline: p
schemas:
  s: {fields: [{name: id, type: long}]}
sources:
  k: {type: kafka, bootstrap_servers: "127.0.0.1:1", topics: [t], group_id: g, schema: s}
transforms:
  t:
    source: k
    rules:
      - type: add_metadata
        columns: {part: partition, off: offset, at: timestamp, topic: topic, key: key}
    sinks: [out]
sinks:
  out: {type: parquet, path: out}
"""
    from lakegate.plan.compiler import compile_pipeline
    from lakegate.spec import load_pipeline_text

    plan = compile_pipeline(load_pipeline_text(text))
    kinds = {f.name: str(f.type) for f in plan.transforms["t"].output_schema}
    assert kinds == {"id": "long", "part": "int", "off": "long", "at": "timestamp", "topic": "string", "key": "string"}
