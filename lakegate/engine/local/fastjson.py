"""A fast path for decoding chunks in which every record is well-formed: Arrow's JSON reader.

Arrow's reader is several times faster than the general decoder (:mod:`lakegate.schemas.json_decode`)
but stricter: it rejects a number given as a string, a fraction in an integer, a type changing from
record to record. So it is only a fast path: it either decodes the whole chunk to exactly what the
general decoder would produce, or returns None and the chunk takes the general path. Guards:

- only schemas of string, boolean, int, long, double (and structs / lists of the non-float ones);
- every payload must start with ``{`` and end with ``}``: joined by newlines (which JSON strings
  cannot contain raw), such payloads cannot merge into or split across parsed values, and Arrow's
  reader never sees a leading non-object (it crashes on a bare ``null``);
- exactly one row per payload;
- no null in a required or defaulted field, no NaN or infinity (the general path decides those).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from lakegate.schemas.schema import Schema
from lakegate.schemas.types import LType

_SCALARS = ("string", "boolean", "int", "long")
_MIN_BLOCK = 1 << 20
_MAX_BLOCK = 1 << 30
"""Arrow's reader parses a piece as one block (so its columns come out as one chunk) up to this size."""


def _eligible(t: LType, nested: bool = False) -> bool:
    if t.kind in _SCALARS or (t.kind == "double" and not nested):
        return True
    if t.kind == "struct":
        return all(_eligible(ft, True) for _, ft in t.fields)
    if t.kind == "list":
        return t.element is not None and _eligible(t.element, True)
    return False


class FastJsonDecoder:
    """Decodes well-formed chunks with Arrow's JSON reader, or declines (returns None)."""

    def __init__(self, schema: Schema, threads: int = 2) -> None:
        self.enabled = all(_eligible(f.type) for f in schema)
        self.arrow_schema = schema.to_arrow()
        self.parse_options = pj.ParseOptions(
            explicit_schema=pa.schema([f.with_nullable(True) for f in self.arrow_schema]),
            unexpected_field_behavior="ignore",
        )
        self.strict = [f.name for f in schema if f.required or f.default is not None]
        self.doubles = [f.name for f in schema if f.type.kind == "double"]
        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def decode(self, payloads: pa.Array | pa.ChunkedArray) -> pa.Table | None:
        """The decoded columns of ``payloads``, or None when the general decoder must decide."""
        n = len(payloads)
        if not self.enabled or n == 0:
            return None
        if not (
            pc.all(pc.starts_with(payloads, pattern="{")).as_py()
            and pc.all(pc.ends_with(payloads, pattern="}")).as_py()
        ):
            return None
        pieces = payloads.chunks if isinstance(payloads, pa.ChunkedArray) else [payloads]
        if len(pieces) == 1 and self.pool is not None and n >= 1000:
            pieces = [pieces[0].slice(0, n // 2), pieces[0].slice(n // 2)]
        try:
            if self.pool is not None and len(pieces) > 1:
                parts = list(self.pool.map(self._parse, pieces))
            else:
                parts = [self._parse(piece) for piece in pieces]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        table = pa.concat_tables(parts)
        if table.num_rows != n:
            return None
        for name in self.strict:
            if table.column(name).null_count:
                return None
        for name in self.doubles:
            column = table.column(name)
            if pc.any(pc.is_nan(column)).as_py() or pc.any(pc.is_inf(column)).as_py():
                return None
        return table

    def _parse(self, text: pa.Array) -> pa.Table:
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(text)], pa.int32()), text), "\n")
        buffer = joined.buffers()[2].slice(0, pc.binary_length(joined)[0].as_py())
        # One block for the whole piece: its columns come out as one chunk instead of one per MiB,
        # and everything downstream (filters, casts, the sinks' writers) works per chunk.
        block = min(max(buffer.size + 1, _MIN_BLOCK), _MAX_BLOCK)
        return pj.read_json(
            pa.BufferReader(buffer),
            read_options=pj.ReadOptions(use_threads=False, block_size=block),
            parse_options=self.parse_options,
        )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
