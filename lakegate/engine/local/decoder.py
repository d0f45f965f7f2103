"""Decode raw chunks into typed Arrow tables, vectorised in DuckDB (see :mod:`lakegate.schemas.json_decode`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakegate import records
from lakegate.connectors.base import RawChunk
from lakegate.engine.local.fastjson import FastJsonDecoder
from lakegate.plan.compiler import meta_column
from lakegate.schemas.json_decode import decode_query
from lakegate.schemas.schema import Schema

PAYLOAD = "__lg_payload"
DECODE_ERROR = "__lg_decode_error"


@dataclass
class Decoded:
    """A decoded chunk: good rows (visible + hidden columns) and the positions of the bad ones."""

    table: pa.Table
    bad_rows: pa.Array
    bad_reasons: pa.Array


class Decoder:
    """Decodes the chunks of one source with its schema."""

    def __init__(
        self,
        schema: Schema,
        metadata_keys: tuple[str, ...],
        con: duckdb.DuckDBPyConnection,
        metadata_types: Mapping[str, pa.DataType] | None = None,
    ) -> None:
        self.schema = schema
        self.metadata_keys = metadata_keys
        self.metadata_types = dict(metadata_types or {})
        self.con = con
        passthrough = [records.STREAM, records.INDEX, records.ROW, *(meta_column(k) for k in metadata_keys)]
        self.sql = decode_query(schema, PAYLOAD, passthrough, "__lg_raw")
        self.arrow_schema = schema.to_arrow()
        self.fast = FastJsonDecoder(schema)

    def decode(self, chunk: RawChunk) -> Decoded:
        """Typed rows of the records that decode, and the row numbers and reasons of those that don't."""
        fast = self.fast.decode(chunk.payloads)
        if fast is not None:
            for name, column in self._hidden_columns(chunk, payload=False).items():
                fast = fast.append_column(name, column)
            return Decoded(self._initial(fast), pa.array([], pa.int64()), pa.array([], pa.string()))
        columns = self._hidden_columns(chunk, payload=True)
        self.con.register("__lg_raw", pa.table(columns))
        try:
            result = self.con.execute(self.sql).to_arrow_table()
        finally:
            self.con.unregister("__lg_raw")
        errors = result.column(DECODE_ERROR)
        bad = pc.is_valid(errors)
        good = result.filter(pc.invert(bad)).drop_columns([DECODE_ERROR])
        bad_table = result.filter(bad)
        table = self._initial(good)
        return Decoded(
            table,
            bad_table.column(records.ROW).combine_chunks(),
            bad_table.column(DECODE_ERROR).combine_chunks(),
        )

    def _hidden_columns(self, chunk: RawChunk, *, payload: bool) -> dict[str, pa.Array]:
        """The bookkeeping columns of ``chunk`` (and its payloads, for the general decoder)."""
        n = len(chunk)
        columns = {PAYLOAD: pc.cast(chunk.payloads, pa.string())} if payload else {}
        columns |= {
            records.STREAM: pc.cast(chunk.streams, pa.string()),
            records.INDEX: pc.cast(chunk.indexes, pa.int64()),
            records.ROW: pa.array(np.arange(n, dtype=np.int64)),
        }
        for key in self.metadata_keys:
            values = chunk.metadata.get(key)
            dtype = self.metadata_types.get(key, pa.string())
            columns[meta_column(key)] = pc.cast(values, dtype) if values is not None else pa.nulls(n, dtype)
        return columns

    def _initial(self, good: pa.Table) -> pa.Table:
        """Cast visible columns to the schema's exact Arrow types and add empty bookkeeping columns."""
        n = good.num_rows
        visible = [good.column(f.name).cast(f.type) for f in self.arrow_schema]
        table = pa.table(
            [*visible, *(good.column(c) for c in good.column_names if records.is_hidden(c))],
            names=[*self.arrow_schema.names, *(c for c in good.column_names if records.is_hidden(c))],
        )
        for name, dtype, fill in (
            (records.DLQ_STAGE, pa.string(), None),
            (records.DLQ_RULE, pa.string(), None),
            (records.DLQ_REASON, pa.string(), None),
            (records.FILTERED, pa.bool_(), False),
            (records.ROUTE, pa.string(), None),
        ):  # fmt: skip
            column = pa.array(np.zeros(n, dtype=bool)) if fill is False else pa.nulls(n, dtype)
            table = table.append_column(name, column)
        return table
