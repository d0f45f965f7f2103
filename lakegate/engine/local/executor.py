"""Run one transform over a decoded batch: SQL segments in DuckDB, Python segments in user code."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from lakegate import records
from lakegate.errors import RecordError
from lakegate.plan.model import Segment, TransformPlan


@dataclass
class TransformResult:
    """What a transform made of one batch."""

    outputs: dict[str, pa.Table] = field(default_factory=dict)
    """Sink name → rows (visible columns plus stream/index coordinates)."""
    dead: pa.Table | None = None
    """Rows for the DLQ: coordinates, row number and stage/rule/reason columns."""
    records_in: int = 0
    records_out: int = 0
    filtered: int = 0
    dlq: int = 0


DATA_ERRORS = (duckdb.ConversionException, duckdb.OutOfRangeException, duckdb.InvalidInputException)
"""Errors a record's values can cause (a strict cast, an overflow); anything else is a bug, not data."""

PARALLEL_MIN_ROWS = 20_000
"""Below this, splitting a batch costs more than it saves."""


class TransformExecutor:
    """Executes a compiled :class:`TransformPlan` batch by batch."""

    def __init__(
        self,
        plan: TransformPlan,
        con: duckdb.DuckDBPyConnection,
        params: Mapping[str, str],
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        self.plan = plan
        self.con = con
        self.params = dict(params)
        self.visible = plan.output_schema.names
        # Pure-SQL transforms evaluate the two halves of a large batch on two cursors in parallel
        # (DuckDB releases the GIL); Python transformers are never called from two threads.
        self.pool = pool if all(s.python is None for s in plan.segments) else None
        self.cursors = [con, con.cursor()] if self.pool is not None else [con]

    def run(self, table: pa.Table) -> TransformResult:
        result = TransformResult(records_in=table.num_rows)
        n = table.num_rows
        if self.pool is not None and n >= PARALLEL_MIN_ROWS:
            halves = [(table.slice(0, n // 2), self.cursors[0]), (table.slice(n // 2), self.cursors[1])]
            first, second = self.pool.map(lambda job: self._evaluate(*job), halves)
            table = pa.concat_tables([first, second.select(first.column_names).cast(first.schema)])
        else:
            table = self._evaluate(table, self.con)
        reason = table.column(records.DLQ_REASON)
        dead_mask = pc.is_valid(reason)
        stages = table.column(records.DLQ_STAGE)
        fatal = pc.fill_null(pc.equal(stages, "fatal"), False)
        if pc.any(fatal).as_py():
            self._raise_fatal(table.filter(fatal))
        alive_mask = pc.and_(pc.invert(dead_mask), pc.invert(table.column(records.FILTERED)))
        dead = table.filter(dead_mask)
        alive = table.filter(alive_mask)
        result.dlq = dead.num_rows
        result.records_out = alive.num_rows
        result.filtered = result.records_in - result.dlq - result.records_out
        result.dead = dead.select([records.ROW, records.DLQ_STAGE, records.DLQ_RULE, records.DLQ_REASON])
        keep = [*self.visible, records.STREAM, records.INDEX, records.ROW]
        if self.plan.routes:
            route = alive.column(records.ROUTE)
            unrouted = alive.filter(pc.is_null(route)).select(keep)
            for sink in self.plan.routes:
                result.outputs[sink] = alive.filter(pc.fill_null(pc.equal(route, sink), False)).select(keep)
        else:
            unrouted = alive.select(keep)
        for sink in self.plan.sinks:
            if sink in result.outputs:
                result.outputs[sink] = pa.concat_tables([result.outputs[sink], unrouted])
            else:
                result.outputs[sink] = unrouted
        return result

    def _evaluate(self, table: pa.Table, con: duckdb.DuckDBPyConnection) -> pa.Table:
        """Every segment of the transform over ``table``."""
        for segment in self.plan.segments:
            table = self._python(segment, table) if segment.python else self._sql(segment, table, con)
        return table

    def _sql(self, segment: Segment, table: pa.Table, con: duckdb.DuckDBPyConnection) -> pa.Table:
        """Evaluate a SQL segment; rows whose evaluation raises go to the DLQ, the rest go on."""
        try:
            return self._query(segment, table, con)
        except DATA_ERRORS as exc:
            if table.num_rows <= 1:
                rule = segment.steps[-1].rule if segment.steps else "?"
                message = f"evaluating rules failed: {exc}"
                return _dead(table, "evaluate", rule, message, segment.output_schema.to_arrow())
        # Bisect to isolate the failing rows: O(bad rows x log(batch)) queries, only on this path.
        half = table.num_rows // 2
        first, second = (
            self._sql(segment, table.slice(0, half), con),
            self._sql(segment, table.slice(half), con),
        )
        return pa.concat_tables([first, second.select(first.column_names).cast(first.schema)])

    def _query(self, segment: Segment, table: pa.Table, con: duckdb.DuckDBPyConnection) -> pa.Table:
        assert segment.sql is not None
        con.register("input", table)
        try:
            used = {k: v for k, v in self.params.items() if f"${k}" in segment.sql}
            return con.execute(segment.sql, used).to_arrow_table()
        finally:
            con.unregister("input")

    def _python(self, segment: Segment, table: pa.Table) -> pa.Table:
        """Call a Python transformer on the live rows (not filtered, not dead-lettered)."""
        call = segment.python
        assert call is not None
        expected = pa.schema([f.with_nullable(True) for f in segment.output_schema.to_arrow()])
        live_mask = _live(table)
        live = table.filter(live_mask)
        rest = table.filter(pc.invert(live_mask))
        hidden = [c for c in table.column_names if records.is_hidden(c)]
        visible = live.select([c for c in table.column_names if not records.is_hidden(c)])
        try:
            batches = visible.combine_chunks().to_batches()
            inputs = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=visible.schema)
            out = call.transformer.transform(inputs)
            if out.num_rows != live.num_rows:
                raise ValueError(f"returned {out.num_rows} rows for {live.num_rows}")
            out_table = pa.Table.from_batches([out]).select(expected.names).cast(expected)
        except Exception as exc:  # user code: the whole batch goes to the DLQ
            message = f"python transformer {call.class_path} failed: {exc!r}"
            return _dead(table, "python", call.rule, message, expected)
        for name in hidden:
            out_table = out_table.append_column(name, live.column(name))
        untouched = pa.table({f.name: pa.nulls(rest.num_rows, f.type) for f in expected})
        for name in hidden:
            untouched = untouched.append_column(name, rest.column(name))
        return pa.concat_tables([out_table, untouched])

    def _raise_fatal(self, rows: pa.Table) -> None:
        first = rows.slice(0, 1).to_pylist()[0]
        raise RecordError(
            f"{first[records.DLQ_REASON]} (on_error: fail stops the pipeline; nothing of this batch "
            "was committed)",
            hint="fix the data or use on_error: dlq to dead-letter such records",
            transform=self.plan.name,
            rule=first[records.DLQ_RULE],
            stream=first[records.STREAM],
            index=first[records.INDEX],
        )


def _live(table: pa.Table) -> pa.Array:
    """Rows neither dead-lettered nor filtered so far."""
    return pc.and_(pc.is_null(table.column(records.DLQ_REASON)), pc.invert(table.column(records.FILTERED)))


def _dead(table: pa.Table, stage: str, rule: str, message: str, schema: pa.Schema) -> pa.Table:
    """``table``'s bookkeeping with its live rows sent to the DLQ, and null columns of ``schema``."""
    live = _live(table)
    out = pa.table({f.name: pa.nulls(table.num_rows, f.type) for f in schema})
    replace = {records.DLQ_STAGE: stage, records.DLQ_RULE: rule, records.DLQ_REASON: message}
    for name in table.column_names:
        if not records.is_hidden(name):
            continue
        column = table.column(name)
        if name in replace:
            column = pc.if_else(live, pa.scalar(replace[name], pa.string()), column)
        out = out.append_column(name, column)
    return out
