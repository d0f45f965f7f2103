"""Run one transform over a decoded batch: SQL segments in DuckDB, Python segments in user code."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from lakegate import records
from lakegate.engine.local.passthrough import PassthroughPlan, plan_passthrough
from lakegate.engine.local.raising import first_failure
from lakegate.errors import RecordError
from lakegate.plan.model import Segment, TransformPlan
from lakegate.plan.typecheck import connect


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


DEAD_COLUMNS = [records.ROW, records.DLQ_STAGE, records.DLQ_RULE, records.DLQ_REASON]


@dataclass
class _Split:
    """One evaluated batch (or half of one), split."""

    dead: pa.Table
    alive_rows: int
    unrouted: pa.Table
    routed: dict[str, pa.Table]
    fatal: pa.Table | None = None
    """Rows whose rule said ``on_error: fail`` (the run stops)."""


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
        # (DuckDB releases the GIL); Python transformers are never called from two threads. The
        # halves are the parallelism: their cursors belong to a database of one thread each, as
        # DuckDB's own worker threads on top of them only add scheduling (measured: 9-21% more CPU).
        self.pool = pool if all(s.python is None for s in plan.segments) else None
        self._halves_db = connect(1) if self.pool is not None else None
        self.cursors = [self._halves_db, self._halves_db.cursor()] if self._halves_db is not None else [con]
        self._prepared_cache: dict[tuple[int, pa.Schema], tuple[dict[str, str], PassthroughPlan | None]] = {}

    def close(self) -> None:
        """Release the cursors of the parallel halves (``con`` is the caller's)."""
        if self._halves_db is not None:
            for cursor in self.cursors:
                cursor.close()
            self._halves_db = None

    def run(self, table: pa.Table) -> TransformResult:
        result = TransformResult(records_in=table.num_rows)
        n = table.num_rows
        if self.pool is not None and n >= PARALLEL_MIN_ROWS:
            # Each half is evaluated and split into dead / delivered rows on its own thread (DuckDB
            # and Arrow's kernels release the GIL); only the smaller pieces are joined here.
            halves = [(table.slice(0, n // 2), self.cursors[0]), (table.slice(n // 2), self.cursors[1])]
            parts = list(self.pool.map(lambda job: self._split(self._evaluate(*job)), halves))
        else:
            parts = [self._split(self._evaluate(table, self.con))]
        for part in parts:
            if part.fatal is not None:
                self._raise_fatal(part.fatal)
        dead = _concat([p.dead for p in parts])
        result.dlq = dead.num_rows
        result.records_out = sum(p.alive_rows for p in parts)
        result.filtered = result.records_in - result.dlq - result.records_out
        result.dead = dead
        unrouted = _concat([p.unrouted for p in parts])
        for sink in self.plan.routes:
            result.outputs[sink] = _concat([p.routed[sink] for p in parts])
        for sink in self.plan.sinks:
            if sink in result.outputs:
                result.outputs[sink] = pa.concat_tables([result.outputs[sink], unrouted])
            else:
                result.outputs[sink] = unrouted
        return result

    def _split(self, table: pa.Table) -> _Split:
        """The rows of an evaluated batch (or half) for the DLQ, for each route and for the sinks."""
        reason = table.column(records.DLQ_REASON)
        dead_mask = pc.is_valid(reason)
        fatal = pc.fill_null(pc.equal(table.column(records.DLQ_STAGE), "fatal"), False)
        if pc.any(fatal).as_py():
            return _Split(table.slice(0, 0), 0, table.slice(0, 0), {}, table.filter(fatal))
        alive_mask = pc.and_(pc.invert(dead_mask), pc.invert(table.column(records.FILTERED)))
        dead = table.filter(dead_mask).select(DEAD_COLUMNS)
        keep = [*self.visible, records.STREAM, records.INDEX, records.ROW]
        if not self.plan.routes:
            alive = table.select([*keep]).filter(alive_mask)
            return _Split(dead, alive.num_rows, alive, {})
        alive = table.filter(alive_mask)
        route = alive.column(records.ROUTE)
        routed = {
            sink: alive.filter(pc.fill_null(pc.equal(route, sink), False)).select(keep) for sink in self.plan.routes
        }
        return _Split(dead, alive.num_rows, alive.filter(pc.is_null(route)).select(keep), routed)

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
                return self._dead_letter_raising(segment, table, con, exc)
        # Bisect to isolate the failing rows: O(bad rows x log(batch)) queries, only on this path.
        half = table.num_rows // 2
        first, second = (
            self._sql(segment, table.slice(0, half), con),
            self._sql(segment, table.slice(half), con),
        )
        return pa.concat_tables([first, second.select(first.column_names).cast(first.schema)])

    def _dead_letter_raising(
        self, segment: Segment, record: pa.Table, con: duckdb.DuckDBPyConnection, exc: Exception
    ) -> pa.Table:
        """``record``, whose evaluation raised ``exc``, dead-lettered by the rule it fails in, or left
        as an earlier rule of the segment left it (filtered, dead-lettered): see :mod:`.raising`."""
        failure = first_failure(segment, record, con, hidden=self.plan.hidden, params=self.params, errors=DATA_ERRORS)
        rule, before = (failure.rule, failure.before) if failure else (segment.steps[-1].rule, record)
        message = f"evaluating rules failed: {failure.error if failure else exc}"
        return _dead(before, "evaluate", rule, message, segment.output_schema.to_arrow())

    def _query(self, segment: Segment, table: pa.Table, con: duckdb.DuckDBPyConnection) -> pa.Table:
        assert segment.sql is not None
        used, passthrough = self._prepared(segment, table.schema)
        con.register("input", table)
        try:
            if passthrough is not None:
                out = passthrough.assemble(table, con.execute(passthrough.sql, used).to_arrow_table())
                if out is not None:
                    return out
            return con.execute(segment.sql, used).to_arrow_table()
        finally:
            con.unregister("input")

    def _prepared(self, segment: Segment, schema: pa.Schema) -> tuple[dict[str, str], PassthroughPlan | None]:
        """The parameters ``segment``'s SQL uses, and how to run it over input of ``schema``."""
        key = (id(segment), schema)
        prepared = self._prepared_cache.get(key)
        if prepared is None:
            assert segment.sql is not None
            used = {k: v for k, v in self.params.items() if f"${k}" in segment.sql}
            prepared = used, plan_passthrough(segment, self.plan.hidden, schema)
            self._prepared_cache[key] = prepared
        return prepared

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


def _concat(tables: list[pa.Table]) -> pa.Table:
    """``tables`` as one (the halves of a batch may differ in column order or exact types when one
    of them was dead-lettered whole)."""
    if len(tables) == 1:
        return tables[0]
    first = tables[0]
    return pa.concat_tables([first, *(t.select(first.column_names).cast(first.schema) for t in tables[1:])])


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
