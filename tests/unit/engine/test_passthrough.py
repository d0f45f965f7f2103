"""Columns a SQL segment copies unchanged are taken from its input instead of DuckDB's result."""

from __future__ import annotations

import pyarrow as pa

from lakegate import records
from lakegate.connectors.base import RawChunk
from lakegate.engine.local.decoder import Decoder
from lakegate.engine.local.executor import TransformExecutor
from lakegate.engine.local.passthrough import copied_columns, plan_passthrough
from lakegate.plan.compiler import compile_pipeline
from lakegate.plan.typecheck import connect
from lakegate.spec import load_pipeline_text

PIPELINE = """
pipeline: p
schemas:
  s:
    fields:
      - {name: id, type: long, required: true}
      - {name: code, type: string}
      - {name: name, type: string}
      - {name: tags, type: "list<string>"}
sources:
  src: {type: files, path: data, schema: s}
transforms:
  t:
    source: src
    rules:
      - {type: rename, columns: {code: product}}
      - {type: cast, columns: {id: int}}
      - {type: upper, columns: [name]}
      - {type: filter, expr: "id <> 3"}
      - {type: derive, column: again, expr: "product"}
      - type: add_metadata
        columns: {file: stream, line: index, rules: version}
    sinks: [out]
sinks:
  out: {type: parquet, path: out}
"""


def _decoded(n: int = 50) -> tuple[object, pa.Table]:
    plan = compile_pipeline(load_pipeline_text(PIPELINE))
    payloads = [f'{{"id": {i}, "code": "c{i % 7}", "name": "n{i}", "tags": ["a", "{i}"]}}' for i in range(n)]
    payloads[5] = '{"id": 5, "code": null, "name": null, "tags": null}'
    chunk = RawChunk(pa.array(payloads), pa.array(["f.json"] * n), pa.array(range(n), pa.int64()), {})
    source = plan.sources["src"]
    decoded = Decoder(source.schema, source.metadata_keys, connect()).decode(chunk)
    return plan, decoded.table


def test_copied_columns_follow_renames_and_leave_out_computed_and_nested_ones() -> None:
    plan, table = _decoded()
    transform = plan.transforms["t"]  # type: ignore[attr-defined]
    (segment,) = transform.segments
    copies = copied_columns(segment, transform.hidden)
    assert copies is not None
    assert copies["product"] == "code" and copies["again"] == "code"
    assert copies["file"] == records.STREAM and copies["line"] == records.INDEX
    assert "id" not in copies and "name" not in copies  # cast, upper
    prepared = plan_passthrough(segment, transform.hidden, table.schema)
    assert prepared is not None
    assert "tags" not in prepared.copied  # a list comes back from DuckDB with another field name
    assert records.ROW not in prepared.copied  # kept in the query, to check the rows line up
    assert not set(prepared.copied) & {records.DLQ_REASON, records.FILTERED, records.ROUTE}


def test_the_segment_gives_the_same_table_with_and_without_copied_columns() -> None:
    plan, table = _decoded()
    transform = plan.transforms["t"]  # type: ignore[attr-defined]
    (segment,) = transform.segments
    con = connect()
    executor = TransformExecutor(transform, con, {})
    con.register("input", table)
    try:
        whole = con.execute(segment.sql).to_arrow_table()
    finally:
        con.unregister("input")
    assembled = executor._query(segment, table, con)
    assert executor._prepared(segment, table.schema)[1] is not None  # the passthrough path ran
    assert assembled.schema == whole.schema
    assert assembled.equals(whole)


def test_rows_that_do_not_line_up_fall_back_to_the_whole_query() -> None:
    plan, table = _decoded()
    transform = plan.transforms["t"]  # type: ignore[attr-defined]
    (segment,) = transform.segments
    prepared = plan_passthrough(segment, transform.hidden, table.schema)
    assert prepared is not None
    con = connect()
    con.register("input", table)
    try:
        result = con.execute(prepared.sql).to_arrow_table()
    finally:
        con.unregister("input")
    assert prepared.assemble(table, result) is not None
    assert prepared.assemble(table, result.slice(1)) is None
    shuffled = result.take(pa.array(list(range(len(result) - 1, -1, -1))))
    assert prepared.assemble(table, shuffled) is None
