"""Small Python transformers used by the `python` rule tests (loaded by dotted path)."""

from __future__ import annotations

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql


class ScoreBids:
    """Adds ``score = amount * factor`` and ``big = amount > threshold`` (schema inferred)."""

    def __init__(self, factor: float = 2.0, threshold: float = 10.0) -> None:
        self.factor = factor
        self.threshold = threshold

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        amount = batch.column("amount")
        score = pc.multiply(amount, pa.scalar(self.factor, pa.float64()))
        big = pc.greater(amount, pa.scalar(self.threshold, pa.float64()))
        return pa.RecordBatch.from_arrays(
            [*batch.columns, score, big], names=[*batch.schema.names, "score", "big"]
        )


class UpperWithSchema:
    """Upper-cases ``name`` into ``name_upper`` and declares its output schema explicitly."""

    def __init__(self) -> None:
        self.transform_calls = 0

    def output_schema(self, input_schema: pa.Schema) -> pa.Schema:
        return pa.schema([*input_schema, pa.field("name_upper", pa.large_string())])

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        self.transform_calls += 1
        upper = pc.utf8_upper(batch.column("name")).cast(pa.large_string())
        return pa.RecordBatch.from_arrays([*batch.columns, upper], names=[*batch.schema.names, "name_upper"])


class Explode:
    """Raises on any non-empty batch (an empty one reports the output schema)."""

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if batch.num_rows:
            raise ValueError("boom")
        return batch


class DropsFirstRow:
    """Wrongly returns one row fewer than it received."""

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        return batch.slice(1) if batch.num_rows else batch


class ReservedColumn:
    """Declares an output column with the reserved ``__lg_`` prefix."""

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays(
            [*batch.columns, pa.nulls(batch.num_rows, pa.int64())],
            names=[*batch.schema.names, "__lg_mine"],
        )


class NeedsOption:
    """Requires a constructor argument (``lower`` fails to load it without ``options``)."""

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        i = batch.schema.get_field_index("name")
        tagged = pc.binary_join_element_wise(batch.column(i), pa.scalar(self.suffix), "")
        return batch.set_column(i, "name", tagged)


class NoTransform:
    """Not a transformer: it has no ``transform`` method."""

    def run(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        return batch


class RecordsSeen:
    """Adds ``seen``: how many rows the batch it received had (to check what it is given)."""

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        seen = pa.array([batch.num_rows] * batch.num_rows, pa.int64())
        return pa.RecordBatch.from_arrays([*batch.columns, seen], names=[*batch.schema.names, "seen"])


class CommitsAsAnotherProcess:
    """On its first batch, plays another process of the pipeline that took the streams over: it
    stores ``positions`` (JSON) as the ``postgres`` sink's positions, so the running process's next
    commit must be refused (fenced). Passes the batch through."""

    def __init__(self, dsn: str, schema: str, pipeline: str, sink: str, positions: str) -> None:
        self.dsn, self.schema, self.pipeline, self.sink, self.positions = dsn, schema, pipeline, sink, positions
        self.done = False

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if batch.num_rows and not self.done:  # (compiling calls it on an empty batch)
            self.done = True
            upsert = sql.SQL(
                "INSERT INTO {} (pipeline, sink, positions, committed_at) VALUES (%s, %s, %s::jsonb, now()) "
                "ON CONFLICT (pipeline, sink) DO UPDATE SET positions = EXCLUDED.positions"
            ).format(sql.Identifier(self.schema, "lakegate_offsets"))
            with psycopg.connect(self.dsn, autocommit=True) as con:
                con.execute(upsert, [self.pipeline, self.sink, self.positions])
        return batch
