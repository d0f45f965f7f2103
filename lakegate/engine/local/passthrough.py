"""Columns a SQL segment passes through unchanged, kept out of DuckDB's result.

A segment's query projects every row of its input to one output row, in order (the emitter's steps
are projections: filters and dead letters only mark rows). A column it copies from its input (renamed
or not) would make the round trip Arrow → DuckDB → Arrow for nothing — for strings that is a copy of
every value — so the engine leaves such columns out of the query's result and takes them from the
input table instead (:class:`PassthroughPlan`). Only types whose Arrow form DuckDB returns unchanged
are taken that way, and the row numbers the query returns are checked against the input's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from lakegate import records
from lakegate.plan.emit import ident
from lakegate.plan.model import Segment
from lakegate.plan.steps import Filter, MarkDeadLetter, Project, Route

UNCHANGED_HIDDEN = (records.STREAM, records.INDEX, records.ROW)
"""Bookkeeping columns no step writes (the metadata columns neither)."""

CHANGED_HIDDEN = (records.DLQ_STAGE, records.DLQ_RULE, records.DLQ_REASON, records.FILTERED, records.ROUTE)


def _same_in_duckdb(t: pa.DataType) -> bool:
    """Types DuckDB returns to Arrow exactly as it received them (nested types are not: list fields
    come back renamed; dictionaries come back decoded)."""
    if pa.types.is_timestamp(t):
        return t.unit == "us" and t.tz in (None, "UTC")  # type: ignore[attr-defined]
    return (
        pa.types.is_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_integer(t)
        or pa.types.is_boolean(t)
        or pa.types.is_floating(t)
        or pa.types.is_date32(t)
        or pa.types.is_decimal128(t)
    )


def copied_columns(segment: Segment, hidden: list[str]) -> dict[str, str] | None:
    """Output column → the input column it is an unchanged copy of; None when the segment has a
    step whose rows or columns cannot be followed (a user's SELECT)."""
    unchanged = {h: h for h in hidden if h not in CHANGED_HIDDEN}
    source: dict[str, str] = {c: c for c in segment.input_schema.names} | unchanged
    for step in segment.steps:
        if isinstance(step, Project):
            following: dict[str, str] = dict(unchanged)
            for name, e in step.columns:
                if isinstance(e, exp.Column) and not e.table and e.name in source:
                    following[name] = source[e.name]
            source = following
        elif not isinstance(step, (MarkDeadLetter, Filter, Route)):
            return None
    return source


@dataclass
class PassthroughPlan:
    """How to run one SQL segment with its copied columns taken from the input."""

    sql: str
    """The segment's query without the copied columns (row numbers kept, to check the order)."""
    names: list[str]
    """Every output column of the segment, in order."""
    copied: dict[str, str]
    """Output column → input column, for the columns taken from the input."""

    def assemble(self, table: pa.Table, result: pa.Table) -> pa.Table | None:
        """The segment's full output: ``result`` plus the copied columns of ``table``; None when the
        rows of ``result`` do not line up with ``table``'s (then run the whole query instead)."""
        if result.num_rows != table.num_rows or len(result.column_names) + len(self.copied) != len(self.names):
            return None
        if not result.column(records.ROW).equals(table.column(records.ROW)):
            return None
        columns = []
        for name in self.names:
            source = self.copied.get(name)
            columns.append(table.column(source) if source is not None else result.column(name))
        return pa.Table.from_arrays(columns, names=self.names)


def plan_passthrough(segment: Segment, hidden: list[str], input_schema: pa.Schema) -> PassthroughPlan | None:
    """A :class:`PassthroughPlan` for ``segment`` over input of ``input_schema``, or None when no
    column can be taken from the input."""
    assert segment.sql is not None
    copies = copied_columns(segment, hidden)
    if copies is None or records.ROW not in input_schema.names:
        return None
    names = [*segment.output_schema.names, *hidden]
    copied = {
        out: src
        for out, src in copies.items()
        if out != records.ROW
        and out in names
        and src in input_schema.names
        and _same_in_duckdb(input_schema.field(src).type)
    }
    if not copied:
        return None
    excluded = ", ".join(ident(c).sql(dialect="duckdb") for c in copied)
    sql = f"SELECT * EXCLUDE ({excluded}) FROM (\n{segment.sql}\n) AS __lg_segment"
    return PassthroughPlan(sql, names, copied)
