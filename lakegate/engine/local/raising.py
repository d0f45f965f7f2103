"""The rule a record fails in when evaluating a segment raises for that record alone.

A SQL segment runs its rules as one query, so every rule's expressions are evaluated for every row,
also rows an earlier rule has filtered or dead-lettered (they are only marked). When a function raises
for one record (say a strict ``strptime`` of text that does not match; the failures lakegate knows
in advance are guarded at compile time, see :mod:`lakegate.rules.failures`), the executor bisects the
batch down to that record and asks :func:`first_failure`, which runs the segment's steps on it again
one prefix at a time. The first prefix that raises names the rule; the record's state before it says
whether an earlier rule had already filtered or dead-lettered it, in which case it stays filtered
(dead-lettered) rather than failing in a rule it never reaches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from lakegate.plan.emit import SqlEmitter
from lakegate.plan.model import Segment


@dataclass
class Failure:
    """Where evaluating ``segment`` raised for a record."""

    rule: str
    """The rule whose step raised first."""
    before: pa.Table
    """The record as the steps before that one left it (their output, or the segment's input)."""
    error: Exception


def first_failure(
    segment: Segment,
    record: pa.Table,
    con: duckdb.DuckDBPyConnection,
    *,
    hidden: Sequence[str],
    params: Mapping[str, str],
    errors: tuple[type[Exception], ...],
) -> Failure | None:
    """Run ``segment``'s steps on ``record`` (one row) prefix by prefix; the first that raises one of
    ``errors``, or None if none does (the failure depended on other rows)."""
    emitter = SqlEmitter(hidden)
    before = record
    for k in range(1, len(segment.steps) + 1):
        sql = emitter.sql(segment.steps[:k], segment.input_schema.names)
        used = {name: value for name, value in params.items() if f"${name}" in sql}
        con.register("input", record)
        try:
            out = con.execute(sql, used).to_arrow_table()
        except errors as exc:
            return Failure(segment.steps[k - 1].rule, before, exc)
        finally:
            con.unregister("input")
        before = out
    return None
