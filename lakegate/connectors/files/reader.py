"""Reading one file into :class:`Piece` s of undecoded payloads.

NDJSON is streamed block by block and split without per-record Python (see :mod:`.lines`).

Arrays and single pretty-printed values are the exception: they are loaded whole and each record is
re-serialised with orjson.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson
import pyarrow as pa

from lakegate.connectors.files.lines import LineBuffer, LineEnds, split_lines
from lakegate.connectors.undecodable import readable_text
from lakegate.errors import TerminalConnectorError
from lakegate.records import StreamPosition

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_EMPTY = pa.array([], pa.string())
SINGLE_VALUE_LIMIT = 64 << 20
"""Largest file (uncompressed) that ``auto`` will try to read as one multi-line JSON value."""

Format = Literal["auto", "ndjson", "json"]
_Stream = io.RawIOBase | io.BufferedIOBase


@dataclass
class Piece:
    """Consecutive records of one file, and the file's position after the last of them.

    ``ends`` (seekable NDJSON only) can tell the byte offset after any record, whose index in the
    block's records is ``at`` + its index in the piece, so a piece splits with an exact resume offset.
    """

    stream: str
    file: str
    payloads: pa.Array
    first: int
    entry: StreamPosition
    ends: LineEnds | None = None
    at: int = 0

    def __len__(self) -> int:
        return len(self.payloads)

    def split(self, k: int) -> tuple[Piece, Piece]:
        """The first ``k`` records (with the position after them) and the rest."""
        entry: StreamPosition = {**self.entry, "next": self.first + k, "done": False}
        if self.ends is not None:
            entry["bytes"] = self.ends.after(self.at + k - 1)
        left = Piece(self.stream, self.file, self.payloads.slice(0, k), self.first, entry, self.ends, self.at)
        right = Piece(
            self.stream, self.file, self.payloads.slice(k), self.first + k, self.entry, self.ends, self.at + k
        )
        return left, right


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def _value_payloads(data: bytes) -> list[bytes] | None:
    """Records of a whole-file JSON document (array elements, or the value), None when invalid."""
    try:
        value = orjson.loads(data.removeprefix(UTF8_BOM))
    except orjson.JSONDecodeError:
        return None
    if isinstance(value, list):
        return [orjson.dumps(item) for item in value]
    return [orjson.dumps(value)]


class FileReader:
    """Read one file from its stream position ``entry`` (None: from the start) into pieces.

    Uncompressed NDJSON resumes by seeking to ``entry["bytes"]``; anything else is re-read and its
    first ``entry["next"]`` records are skipped. With ``follow`` an unterminated last line (and a
    whole-file document that does not parse yet) is treated as still being written: not emitted and
    not passed.
    """

    def __init__(
        self,
        path: Path,
        stream: str,
        stat: os.stat_result,
        entry: StreamPosition | None,
        *,
        fmt: Format,
        buffer: LineBuffer,
        follow: bool,
    ) -> None:
        self.path = path
        self.stream = stream
        self.file = str(path)
        self.stat = stat
        self.entry = entry or {}
        self.fmt = fmt
        self.buffer = buffer
        self.follow = follow

    def pieces(self) -> Iterator[Piece]:
        """Yield the file's new records in order; the last piece carries the final position."""
        try:
            raw = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return  # removed since it was listed
        except OSError as exc:
            raise self._error(f"cannot open {self.file}: {exc.strerror or exc}") from exc
        with raw:
            try:
                yield from self._read(raw)
            except (OSError, EOFError, zlib.error) as exc:
                raise self._error(f"cannot read {self.file}: {exc}") from exc

    def _error(self, message: str) -> TerminalConnectorError:
        return TerminalConnectorError(
            message,
            file=self.file,
            hint="fix the file's permissions or content, or move it out of the source path",
        )

    def _position(self, next_index: int, offset: int | None, done: bool) -> StreamPosition:
        entry: StreamPosition = {"next": next_index}
        if offset is not None:
            entry["bytes"] = offset
        entry.update(size=self.stat.st_size, mtime_ns=self.stat.st_mtime_ns, done=done)
        return entry

    def _read(self, raw: io.FileIO) -> Iterator[Piece]:
        head = os.pread(raw.fileno(), 3, 0)
        gz = head[:2] == GZIP_MAGIC
        resume_at = self.entry.get("bytes")
        seekable = not gz and self.fmt != "json"
        if seekable and isinstance(resume_at, int) and 0 < resume_at <= self.stat.st_size:
            raw.seek(resume_at)
            yield from self._ndjson(raw, int(self.entry.get("next", 0)), 0, resume_at, gz=False)
            return
        skip = int(self.entry.get("next", 0))
        start = 0
        stream: _Stream
        if gz:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
            if stream.peek(3)[:3] == UTF8_BOM:
                stream.read(3)
        else:
            stream = raw
            if head == UTF8_BOM:
                start = raw.seek(3)
        if self.fmt == "json":
            yield from self._whole(stream.read(), skip)
            return
        yield from self._ndjson(stream, 0, skip, None if gz else start, gz=gz, sniff=self.fmt == "auto")

    def _whole(self, data: bytes, skip: int) -> Iterator[Piece]:
        """One JSON document: an array (one record per element) or a single record."""
        records = _value_payloads(data) if data.strip(_WHITESPACE) else []
        if records is None:
            if self.follow:
                logger.warning("%s is not valid JSON (yet); waiting for it to change", self.file)
                yield self._piece([], 0, self._position(skip, None, False))
                return
            text = readable_text(data).strip()
            records = [text.encode()] if text else []
        first = min(skip, len(records))
        yield self._piece(records[first:], first, self._position(max(skip, len(records)), None, True))

    def _piece(self, records: list[bytes], first: int, entry: StreamPosition) -> Piece:
        payloads = pa.array(records, pa.binary()).cast(pa.string())
        return Piece(self.stream, self.file, payloads, first, entry)

    def _ndjson(
        self,
        stream: _Stream,
        index: int,
        skip: int,
        offset: int | None,
        *,
        gz: bool,
        sniff: bool = False,
    ) -> Iterator[Piece]:
        """Stream NDJSON lines. ``offset`` is the file offset of the first byte (None for gzip)."""
        buf = self.buffer
        used = 0
        withheld = False
        detect_value = sniff
        while True:
            buf.reserve(used)
            try:
                n = stream.readinto(buf.view[used : used + buf.block])
            except EOFError:
                if not (gz and self.follow):
                    raise
                withheld = True  # a gzip file still being written: wait for its end
                break
            if sniff and n:
                first = _first_byte(buf.data, used, used + n)
                if first == b"[":
                    yield from self._whole(bytes(buf.view[: used + n]) + stream.read(), skip)
                    return
                sniff = not first  # keep looking while the file starts with blanks
            if n:
                cut = buf.data.rfind(b"\n", used, used + n) + 1
                used += n
                if cut == 0:
                    continue  # a line longer than the block: read on
            elif used == 0:
                break
            elif self.follow and not gz:
                withheld = True  # unterminated last line of a file still being written
                break
            else:
                cut = used  # the last line has no newline
            block = pa.py_buffer(buf.view[:cut])
            payloads, ends = split_lines(block, offset, terminated=n > 0)
            del block
            if detect_value and len(payloads):
                detect_value = False
                value = self._single_value(payloads, skip)
                if value is not None:
                    yield value
                    return
            if offset is not None:
                offset += cut
            tail = used - cut
            if tail:
                buf.data[:tail] = bytes(buf.view[cut:used])
            used = tail
            count, dropped = len(payloads), 0
            if skip > index:  # resuming a file that cannot seek: drop the records already passed
                dropped = min(count, skip - index)
                payloads = payloads.slice(dropped)
                index += dropped
                count -= dropped
            if count:
                entry = self._position(index + count, offset, False)
                yield Piece(self.stream, self.file, payloads, index, entry, ends, dropped)
                index += count
        final = self._position(max(index, skip), offset, not withheld)
        yield Piece(self.stream, self.file, _EMPTY, index, final)

    def _single_value(self, payloads: pa.Array, skip: int) -> Piece | None:
        """In ``auto`` mode at the start of a file, detect one multi-line (pretty-printed) JSON value.

        Cheap test first: the file's first line, and its second, are not JSON on their own (a
        well-formed NDJSON file fails on neither; a malformed first line is followed by a valid
        one). Only then is the whole file (up to :data:`SINGLE_VALUE_LIMIT`) parsed; when it is one
        JSON value, the piece holding it as a single record is returned.
        """
        if _is_json(payloads[0].as_py()):
            return None
        if len(payloads) > 1 and _is_json(payloads[1].as_py()):
            return None
        data = self._read_all()
        records = _value_payloads(data) if data is not None else None
        if records is None:
            return None
        return self._piece(records[skip:], min(skip, 1), self._position(max(skip, 1), None, True))

    def _read_all(self) -> bytes | None:
        """The whole (uncompressed) content, or None when larger than :data:`SINGLE_VALUE_LIMIT`."""
        with open(self.path, "rb") as f:
            gz = f.read(2) == GZIP_MAGIC
            f.seek(0)
            if not gz and self.stat.st_size > SINGLE_VALUE_LIMIT:
                return None
            stream: _Stream = gzip.GzipFile(fileobj=f, mode="rb") if gz else f
            data = stream.read(SINGLE_VALUE_LIMIT + 1)
        return None if len(data) > SINGLE_VALUE_LIMIT else data


def _first_byte(data: bytearray, start: int, end: int) -> bytes:
    """The first non-whitespace byte of ``data[start:end]`` (empty when there is none)."""
    step = 4096
    for lo in range(start, end, step):
        found = bytes(data[lo : min(lo + step, end)]).lstrip(_WHITESPACE)
        if found:
            return found[:1]
    return b""
