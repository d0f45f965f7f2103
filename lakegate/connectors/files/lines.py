"""Splitting blocks of NDJSON bytes into payloads, vectorised.

A block of whole lines is wrapped in a one-element Arrow binary array and cut with
``pyarrow.compute.split_pattern``; blank lines are dropped with a vectorised trim and filter, and the
trimming copy is skipped for large blocks whose lines need none. The read buffer is reused across
blocks and files, so reading does not allocate (and page-fault) a fresh block each time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from lakegate.connectors.undecodable import readable_text

_MAX_INT32 = (1 << 31) - 1
_ALWAYS_TRIM_BELOW = 1 << 20
_SPACES = pa.array([b" ", b"\t", b"\r", b"\n", b"\x0b", b"\x0c"], pa.binary())


@dataclass(frozen=True)
class LineEnds:
    """Byte offsets after the lines of one NDJSON block, computed only when a piece is split."""

    lines: pa.Array
    """The block's lines without their newline, blank ones included (binary)."""
    kept: pa.Array | None
    """Indices of the non-blank lines in ``lines`` (None: all of them)."""
    base: int
    """File offset of the block."""

    def after(self, record: int) -> int:
        """File offset just after the line of the block's ``record``-th non-blank record."""
        line = record if self.kept is None else self.kept[record].as_py()
        text_bytes = pc.sum(pc.binary_length(self.lines.slice(0, line + 1))).as_py() or 0
        return self.base + text_bytes + line + 1  # + one newline per line


class LineBuffer:
    """A reusable read buffer (shared by the files one source reads in turn)."""

    def __init__(self, block: int) -> None:
        self.block = block
        self.data = bytearray(0)
        self.view = memoryview(self.data)

    def reserve(self, used: int) -> None:
        """Make room for one more block after the first ``used`` bytes (keeping them)."""
        need = used + self.block
        if len(self.data) >= need:
            return
        grown = bytearray(max(need, 2 * len(self.data), 2 * self.block))
        grown[:used] = self.view[:used]
        self.view.release()
        self.data, self.view = grown, memoryview(grown)


def split_lines(
    block: pa.Buffer, base: int | None, *, terminated: bool = True
) -> tuple[pa.Array, LineEnds | None]:
    """Split ``block`` (whole lines, the last one ending with a newline when ``terminated``) into
    trimmed non-blank payloads, plus their line ends when ``base`` (the block's file offset) is given.

    Invalid UTF-8 is rendered with backslash escapes, which keeps the payload readable in the DLQ and
    guarantees it fails JSON decoding there instead of being silently altered (:mod:`lakegate.connectors.undecodable`).
    """
    large = block.size > _MAX_INT32
    offsets = pa.py_buffer(struct.pack("<qq" if large else "<ii", 0, block.size))
    wrapper = pa.Array.from_buffers(pa.large_binary() if large else pa.binary(), 1, [None, offsets, block])
    lines = pc.split_pattern(wrapper, "\n").values  # one list holding every line
    if terminated:
        lines = lines.slice(0, len(lines) - 1)
    string_type = pa.large_string() if large else pa.string()
    try:
        text = lines.cast(string_type)
    except pa.ArrowInvalid:
        text = pa.array([readable_text(raw) for raw in lines.to_pylist()], string_type)
    kept = None
    if block.size < _ALWAYS_TRIM_BELOW or _needs_trim(lines):
        text = pc.ascii_trim_whitespace(text)
        lengths = pc.binary_length(text)
        if len(text) and pc.min(lengths).as_py() == 0:
            keep = pc.greater(lengths, 0)
            text = text.filter(keep)
            kept = pc.indices_nonzero(keep) if base is not None else None
    return text, (LineEnds(lines, kept, base) if base is not None else None)


def _needs_trim(lines: pa.Array) -> bool:
    """Whether any line is empty or starts or ends with whitespace (checks only the edge bytes:
    cheaper than trimming, which copies, for large blocks)."""
    if not len(lines):
        return False
    if pc.min(pc.binary_length(lines)).as_py() == 0:
        return True
    for edge in (pc.binary_slice(lines, 0, 1), pc.binary_slice(lines, -1)):
        if pc.any(pc.is_in(edge, value_set=_SPACES)).as_py():
            return True
    return False
