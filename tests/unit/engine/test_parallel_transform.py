"""Large batches are evaluated as two halves in parallel: the result is the serial result."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from lakegate.connectors.base import RawChunk
from lakegate.engine.local.decoder import Decoder
from lakegate.engine.local.executor import PARALLEL_MIN_ROWS, TransformExecutor
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
sources:
  src: {type: files, path: data, schema: s}
transforms:
  t:
    source: src
    rules:
      - {type: filter, expr: "id % 7 <> 0"}
      - type: validate
        checks: [{name: small, range: {column: id, max: 50000}}]
      - {type: derive, column: n, expr: "CAST(code AS INTEGER)"}   # 'x' is dead-lettered
      - {type: derive, column: d, expr: "CASE WHEN id = 12 THEN error('boom') END"}   # raises: bisected
      - {type: route, expr: "id % 5 = 0", sink: fives}
    sinks: [out]
sinks:
  out: {type: parquet, path: out}
  fives: {type: parquet, path: fives}
"""


def test_parallel_halves_give_the_serial_result() -> None:
    plan = compile_pipeline(load_pipeline_text(PIPELINE))
    n = 3 * PARALLEL_MIN_ROWS
    payloads = [f'{{"id": {i}, "code": "{"x" if i in (11, n - 3) else i}"}}' for i in range(n)]
    chunk = RawChunk(pa.array(payloads), pa.array(["f"] * n), pa.array(range(n), pa.int64()), {})
    con = connect()
    source = plan.sources["src"]
    decoded = Decoder(source.schema, source.metadata_keys, con).decode(chunk)
    serial = TransformExecutor(plan.transforms["t"], con, {}).run(decoded.table)
    with ThreadPoolExecutor(2) as pool:
        executor = TransformExecutor(plan.transforms["t"], con, {}, pool)
        assert executor.pool is not None
        parallel = executor.run(decoded.table)
    assert (parallel.records_out, parallel.filtered, parallel.dlq) == (serial.records_out, serial.filtered, serial.dlq)
    too_big = sum(1 for i in range(50_001, n) if i % 7)
    # The first 'x' cannot be cast (id n - 3 is filtered first), id 12 raises, and every id above
    # 50000 is out of range.
    assert serial.dlq == 2 + too_big
    for sink in ("out", "fives"):
        assert parallel.outputs[sink].to_pylist() == serial.outputs[sink].to_pylist()
    assert parallel.dead is not None and serial.dead is not None
    assert parallel.dead.to_pylist() == serial.dead.to_pylist()
