"""The ``stdout`` sink: JSON lines on standard output, nothing stored, so at-least-once at best."""

from __future__ import annotations

import base64
import sys
from decimal import Decimal
from typing import Any, ClassVar

import orjson
import pyarrow as pa

from lakegate.connectors.base import BufferedSink, Capabilities, Delivery, RunContext
from lakegate.records import SourcePositions

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot print a value of type {type(value).__name__}")


class StdoutSink(BufferedSink):
    """Print each committed row as one JSON object per line.

    Decimals print as strings, binaries as base64, timestamps as ISO-8601 (``Z`` for UTC), maps as
    objects. Positions are not stored, so a restarted pipeline prints everything again.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(delivery=Delivery.AT_LEAST_ONCE, queryable=False)

    def __init__(self, name: str, config: Any, context: RunContext) -> None:
        super().__init__(name, config, context)

    def open(self, schema: pa.Schema) -> None:
        """Nothing to prepare."""

    def committed_positions(self) -> SourcePositions:
        """Always ``{}``: standard output keeps no state."""
        return {}

    def commit(self, positions: SourcePositions) -> None:
        """Print the buffered rows (``positions`` are ignored)."""
        out = sys.stdout
        for table in self._buffer:
            for batch in table.to_batches():
                lines = [
                    orjson.dumps(row, default=_default, option=_OPTIONS)
                    for row in batch.to_pylist(maps_as_pydicts="lossy")
                ]
                if lines:
                    out.write(b"\n".join(lines).decode("utf-8") + "\n")
        out.flush()
        self.clear_buffer()

    def close(self) -> None:
        """Drop unprinted rows."""
        self.clear_buffer()
