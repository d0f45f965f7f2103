"""Dead-letter records: the original payload with the stage, rule, reason and coordinates."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DLQ_SCHEMA = pa.schema(
    [
        pa.field("payload", pa.string()),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("rule", pa.string()),
        pa.field("error", pa.string(), nullable=False),
        pa.field("pipeline", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("transform", pa.string()),
        pa.field("stream", pa.string()),
        pa.field("index", pa.int64()),
        pa.field("failed_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
"""Columns of every DLQ record. ``stage`` is one of decode, convert, validate, evaluate, python, sink."""


def take(values: pa.Array | pa.ChunkedArray, rows: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``values[rows]``; for a chunked array, without first concatenating every chunk (Arrow's
    ``take`` does, which copies a whole batch of payloads to pick out a few dead letters)."""
    if not isinstance(values, pa.ChunkedArray):
        return pc.take(values, rows)
    wanted = np.asarray(pc.cast(rows, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    starts = np.cumsum([0] + [len(c) for c in values.chunks])
    owner = np.searchsorted(starts, wanted, side="right") - 1
    order = np.argsort(owner, kind="stable")
    parts = []
    for chunk_id in np.unique(owner):
        local = wanted[order][owner[order] == chunk_id] - starts[chunk_id]
        parts.append(pc.take(values.chunks[chunk_id], pa.array(local)).cast(pa.large_string()))
    if not parts:
        return pa.array([], pa.string())
    taken = pa.concat_arrays(parts)
    return pc.take(taken, pa.array(np.argsort(order, kind="stable")))


def dead_letters(
    *,
    payloads: pa.Array,
    rows: pa.Array,
    streams: pa.Array,
    indexes: pa.Array,
    stage: pa.Array | str,
    rule: pa.Array | str | None,
    error: pa.Array | str,
    pipeline: str,
    source: str,
    transform: str | None,
) -> pa.Table:
    """A DLQ table for the records at positions ``rows`` of the chunk (payloads, streams, indexes)."""
    n = len(rows)
    now = datetime.now(UTC)

    def column(value: pa.Array | str | None, dtype: pa.DataType) -> pa.Array:
        if isinstance(value, pa.Array | pa.ChunkedArray):
            return pc.cast(value, dtype)
        return pa.repeat(pa.scalar(value, dtype), n)

    return pa.table(
        [
            pc.cast(take(payloads, rows), pa.string()),
            column(stage, pa.string()),
            column(rule, pa.string()),
            column(error, pa.string()),
            column(pipeline, pa.string()),
            column(source, pa.string()),
            column(transform, pa.string()),
            pc.cast(pc.take(streams, rows), pa.string()),
            pc.cast(pc.take(indexes, rows), pa.int64()),
            pa.repeat(pa.scalar(now, pa.timestamp("us", tz="UTC")), n),
        ],
        schema=DLQ_SCHEMA,
    )
