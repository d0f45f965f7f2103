"""The ``files`` source: JSON records from local files, resumable, optionally followed.

Positions (one entry per file, keyed by its path relative to the source root)::

    {"next": 120, "bytes": 24576, "size": 24576, "mtime_ns": ..., "done": True}

``next`` is the number of non-blank records passed (record indexes are 0-based and count only
non-blank records), ``bytes`` the offset after the last complete line passed (uncompressed NDJSON
only), ``size`` / ``mtime_ns`` the file's stat when it was read, ``done`` whether its end was reached.
Every chunk carries the whole state of the source, ``start`` entries included.

Formats (``format: auto``): gzip is recognised by its magic bytes and a UTF-8 byte-order mark is
skipped. A file whose first non-blank byte is ``[`` is a JSON array, loaded whole (arrays are not a
streaming format: keep them small), one record per element, re-serialised compactly. A file whose
first two lines are not JSON on their own but whose whole content (up to 64 MiB) is, is one
pretty-printed record. Anything else is NDJSON, streamed in blocks of ``read_chunk_bytes``.

Resuming: a ``done`` file whose size and mtime are unchanged is skipped without being opened; an
uncompressed NDJSON file seeks to ``bytes`` and goes on numbering at ``next`` (files are treated as
append-only: a grown file continues where it stopped); a gzip, array or single-value file is re-read
and its first ``next`` records are skipped.

Error policy: a file that cannot be read (permissions, corrupt or truncated gzip) stops the source
with a :class:`~lakegate.errors.TerminalConnectorError` naming the file, rather than turning a
possibly huge binary file into one dead-letter record. Its records up to the damage may have been
emitted already; that is harmless because positions and indexes stay exact. Malformed JSON, on the
other hand, is data: a malformed line (or a whole-file document that does not parse, as one payload)
is emitted like any record and dead-lettered by the engine's decoder.

One run at a time: from its first read until the end of the run, the source holds an exclusive lock
in the state directory (:mod:`lakegate.connectors.files.lock`), released by :meth:`FilesSource.close`;
a second run of the same pipeline on the same source stops at once instead of fencing the first
one's commits.

Files still being written: in follow mode an unterminated last line is not emitted (nor passed) until
its newline arrives, and neither is a truncated gzip stream or an array file that does not parse yet.
Without follow, an unterminated last line is emitted as a record. Writers should rather write under a
hidden name (``.name``, never listed) and rename the file when it is complete; a pretty-printed file
caught half-written in follow mode would otherwise be read as NDJSON lines.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from lakegate.connectors.base import Capabilities, Delivery, RawChunk, RunContext, Source
from lakegate.connectors.files.config import FilesSourceConfig
from lakegate.connectors.files.discovery import FileSet
from lakegate.connectors.files.lines import LineBuffer
from lakegate.connectors.files.lock import SourceLock, lock_path
from lakegate.connectors.files.reader import FileReader, Piece
from lakegate.records import Position, StreamPosition

logger = logging.getLogger(__name__)


class FilesSource(Source):
    """Read NDJSON / JSON (optionally gzipped) files under a directory or matching a glob.

    Files are read in sorted stream-id order. Chunks pack records of several files up to
    ``batch_size``; ``payloads`` is a string array (one JSON text per record, trimmed, blank lines
    dropped), ``streams`` and ``metadata["file"]`` are dictionary-encoded string arrays (the path
    relative to the source root, and the absolute path), ``indexes`` is int64.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(delivery=Delivery.EXACTLY_ONCE)
    metadata_keys: ClassVar[tuple[str, ...]] = ("file",)

    def __init__(self, name: str, config: FilesSourceConfig, context: RunContext) -> None:
        super().__init__(name, config, context)
        self.config: FilesSourceConfig = config
        self.files = FileSet.from_path(context.resolve(config.path), config.pattern)
        self._stop = threading.Event()
        self._lock = SourceLock(lock_path(context.state_dir, context.pipeline, name), name)

    def finished(self) -> None:
        """Keep the lock until the run has committed what was read (:meth:`close`)."""

    def close(self) -> None:
        """Release the source's lock (see :mod:`lakegate.connectors.files.lock`)."""
        self._lock.release()

    def stop(self) -> None:
        """Ask the iterator to finish after the current chunk (thread-safe)."""
        self._stop.set()

    def chunks(self, start: Position, *, follow: bool = False) -> Iterator[RawChunk]:
        """Yield chunks of the files' records from ``start`` on (see the module docstring).

        Without ``follow`` the iterator ends after the existing files, an unterminated last line
        included; a final chunk (possibly empty) carries the final position whenever it changed.
        With ``follow`` it then polls every ``poll_seconds`` for new files and appended lines,
        yielding an empty chunk after each idle poll, until :meth:`stop` is called.
        """
        self.files.check_root(self.name)
        self._lock.acquire()
        packer = _Packer(self.config.batch_size, start)
        buffer = LineBuffer(self.config.read_chunk_bytes)
        seen: dict[str, tuple[int, int]] = {}
        listed = self.files.list()
        if not listed:
            logger.warning("files source %r: no file matches %s", self.name, self._describe())
        for chunk in self._pass(listed, packer, buffer, seen, follow):
            yield chunk
            if self._stop.is_set():
                return
        if packer.dirty:
            yield packer.emit()
        if not follow:
            return
        while not self._stop.wait(self.config.poll_seconds):
            for chunk in self._pass(self.files.list(), packer, buffer, seen, follow):
                yield chunk
                if self._stop.is_set():
                    return
            yield packer.emit()

    def _describe(self) -> str:
        glob = self.files.glob if self.files.glob is not None else f"**/{self.files.pattern}"
        return str(self.files.root / glob)

    def _pass(
        self,
        listed: list[tuple[str, Path]],
        packer: _Packer,
        buffer: LineBuffer,
        seen: dict[str, tuple[int, int]],
        follow: bool,
    ) -> Iterator[RawChunk]:
        """Read every listed file that may hold new records; yield the chunks that fill up."""
        for stream, path in listed:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            entry = packer.entry(stream)
            if seen.get(stream) == signature:
                continue
            if entry is not None and _unchanged(entry, signature):
                seen[stream] = signature
                continue
            reader = FileReader(
                path, stream, stat, entry, fmt=self.config.format, buffer=buffer, follow=follow
            )
            for piece in reader.pieces():
                yield from packer.add(piece)
            seen[stream] = signature


def _unchanged(entry: StreamPosition, signature: tuple[int, int]) -> bool:
    return bool(entry.get("done")) and (entry.get("size"), entry.get("mtime_ns")) == signature


class _Packer:
    """Packs pieces into chunks of at most ``batch_size`` records and tracks the position.

    ``state`` is the position as of the last emitted chunk; pending pieces carry the entries that
    become part of it when they are emitted.
    """

    def __init__(self, batch_size: int, start: Position) -> None:
        self.batch_size = batch_size
        self.state: Position = {stream: dict(entry) for stream, entry in start.items()}
        self.latest: Position = dict(self.state)
        self.pending: list[Piece] = []
        self.count = 0
        self._arange = pc.subtract(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), batch_size)), 1)

    @property
    def dirty(self) -> bool:
        """True when pending pieces hold records or position changes."""
        return bool(self.pending)

    def entry(self, stream: str) -> StreamPosition | None:
        """The latest known entry of ``stream``, pending pieces included."""
        return self.latest.get(stream)

    def add(self, piece: Piece) -> Iterator[RawChunk]:
        """Queue ``piece``; yield a chunk each time ``batch_size`` records are queued.

        Small pieces (small files) are packed to exactly ``batch_size``. A large piece that would
        overflow a chunk already half full is not split to top it up: the chunk goes out first, so
        large pieces travel alone as zero-copy slices (chunks of big files hold ``batch_size / 2``
        to ``batch_size`` records).
        """
        large = 2 * len(piece) >= self.batch_size
        if large and self.count + len(piece) > self.batch_size and 2 * self.count >= self.batch_size:
            yield self.emit()
        while len(piece) and self.count + len(piece) >= self.batch_size:
            room = self.batch_size - self.count
            if room == len(piece):
                self._push(piece)
                yield self.emit()
                return
            left, piece = piece.split(room)
            self._push(left)
            yield self.emit()
        self._push(piece)

    def _push(self, piece: Piece) -> None:
        self.pending.append(piece)
        self.latest[piece.stream] = piece.entry
        self.count += len(piece)

    def emit(self) -> RawChunk:
        """A chunk of every pending record (possibly none) with the position after them."""
        pieces = [piece for piece in self.pending if len(piece)]
        for piece in self.pending:
            self.state[piece.stream] = piece.entry
        self.pending, self.count = [], 0
        position = {stream: dict(entry) for stream, entry in self.state.items()}
        if not pieces:
            empty = pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
            return RawChunk(
                payloads=pa.array([], pa.string()),
                streams=empty,
                indexes=pa.array([], pa.int64()),
                position=position,
                metadata={"file": empty},
            )
        codes: dict[str, int] = {}
        files: list[str] = []
        for piece in pieces:
            if piece.stream not in codes:
                codes[piece.stream] = len(codes)
                files.append(piece.file)
        # Per-piece values expanded to per-record arrays by run-end decoding (no per-record Python).
        run_ends = pa.array(list(accumulate(len(piece) for piece in pieces)), pa.int32())
        starts = [0, *run_ends.to_pylist()[:-1]]
        code_array = _expand(run_ends, pa.array([codes[p.stream] for p in pieces], pa.int32()))
        shift = _expand(
            run_ends, pa.array([p.first - s for p, s in zip(pieces, starts, strict=True)], pa.int64())
        )
        total = run_ends[-1].as_py()
        return RawChunk(
            payloads=_concat_text([piece.payloads for piece in pieces]),
            streams=pa.DictionaryArray.from_arrays(code_array, pa.array(list(codes), pa.string())),
            indexes=pc.add(self._arange.slice(0, total), shift),
            position=position,
            metadata={"file": pa.DictionaryArray.from_arrays(code_array, pa.array(files, pa.string()))},
        )


def _expand(run_ends: pa.Array, values: pa.Array) -> pa.Array:
    if len(values) == 1:
        return pa.repeat(values[0], run_ends[0].as_py())
    return pc.run_end_decode(pa.RunEndEncodedArray.from_arrays(run_ends, values))


def _concat_text(arrays: list[pa.Array]) -> pa.Array | pa.ChunkedArray:
    """The payloads of several pieces, without copying the text (one chunk per piece)."""
    if len(arrays) == 1:
        return arrays[0]
    if len({array.type for array in arrays}) > 1:
        arrays = [array.cast(pa.large_string()) for array in arrays]
    return pa.chunked_array(arrays)
