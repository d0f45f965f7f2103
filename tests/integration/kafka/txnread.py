"""Read a topic as a ``read_committed`` consumer must see it, deciding transactions client-side.

Tansu 0.6 hides open transactions from ``read_committed`` fetches (the last stable offset) but
never reports aborted transactions (the Fetch response's ``aborted_transactions`` is always
empty), so librdkafka hands aborted records to ``read_committed`` consumers. The exactly-once tests
therefore read the output with this small Kafka protocol client instead: Fetch v4 (raw record
batches, control batches included), and per producer id, a transaction's records are kept when its
control record is a COMMIT and dropped when it is an ABORT; records of a transaction still open
are not returned. Assumes one broker leading every partition (Tansu), no compression.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field


@dataclass
class Message:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


class _Buf:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(value)

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)
            shift += 7

    def blob(self) -> bytes | None:
        n = self.varint()
        return None if n < 0 else self.raw(n)


def _string(s: str) -> bytes:
    return struct.pack(">h", len(s)) + s.encode()


class CommittedReader:
    """Fetches partitions of one broker and returns only committed records."""

    def __init__(self, bootstrap: str) -> None:
        host, port = bootstrap.split(",")[0].rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.correlation = 0
        self.aborted: list[Message] = []
        """Records of aborted transactions met by :meth:`read` (what Tansu shows to librdkafka)."""

    def close(self) -> None:
        self.sock.close()

    def _call(self, body: bytes) -> _Buf:
        self.correlation += 1
        header = struct.pack(">hhi", 1, 4, self.correlation) + _string("lakegate-test-reader")
        request = header + body
        self.sock.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", self._exactly(4))[0]
        return _Buf(self._exactly(size))

    def _exactly(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = self.sock.recv(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _fetch(self, topic: str, partition: int, offset: int) -> tuple[int, bytes]:
        body = struct.pack(">iiiib", -1, 100, 1, 8 << 20, 0)  # read_uncommitted: control batches too
        body += struct.pack(">i", 1) + _string(topic) + struct.pack(">i", 1)
        body += struct.pack(">iqi", partition, offset, 8 << 20)
        buf = self._call(body)
        buf.take(">i")  # correlation id
        buf.take(">i")  # throttle
        assert buf.take(">i") == 1
        buf.raw(buf.take(">h"))
        assert buf.take(">i") == 1
        buf.take(">i")
        error = buf.take(">h")
        if error:
            raise RuntimeError(f"fetch {topic}/{partition}@{offset}: error code {error}")
        high = buf.take(">q")
        buf.take(">q")  # last stable offset
        aborted = buf.take(">i")
        for _ in range(max(aborted, 0)):
            buf.raw(16)
        size = buf.take(">i")
        return high, buf.raw(size) if size > 0 else b""

    def read(self, topic: str, partition: int) -> list[Message]:
        """Every committed record of ``topic``/``partition``, in offset order."""
        committed: list[Message] = []
        open_txns: dict[int, list[Message]] = {}
        offset, high = 0, 1
        while offset < high:
            high, data = self._fetch(topic, partition, offset)
            buf = _Buf(data)
            progressed = False
            while len(data) - buf.pos >= 12:
                base, length = struct.unpack_from(">qi", data, buf.pos)
                if len(data) - buf.pos < 12 + length:
                    break  # a partial batch at the end of the response
                batch = _Buf(data[buf.pos + 12 : buf.pos + 12 + length])
                buf.pos += 12 + length
                batch.take(">i")  # partition leader epoch
                assert batch.take(">b") == 2, "record batch v2 expected"
                batch.take(">I")  # crc
                attributes = batch.take(">h")
                assert attributes & 0x07 == 0, "compressed batches are not supported"
                last_delta = batch.take(">i")
                batch.raw(16)  # timestamps
                producer = batch.take(">q")
                batch.raw(6)  # epoch, base sequence
                records = [self._record(batch, base, partition) for _ in range(batch.take(">i"))]
                if attributes & 0x20:  # control batch: COMMIT (1) or ABORT (0)
                    kind = struct.unpack(">hh", records[0].key or b"\0\0\0\0")[1]
                    pending = open_txns.pop(producer, [])
                    if kind == 1:
                        committed += pending
                    else:
                        self.aborted += pending
                elif attributes & 0x10:
                    open_txns.setdefault(producer, []).extend(records)
                else:
                    committed += records
                offset = base + last_delta + 1
                progressed = True
            if not progressed and offset < high:
                raise RuntimeError(f"no progress reading {topic}/{partition} at {offset} (high {high})")
        return sorted(committed, key=lambda m: m.offset)

    @staticmethod
    def _record(batch: _Buf, base: int, partition: int) -> Message:
        batch.varint()  # length
        batch.take(">b")  # attributes
        batch.varint()  # timestamp delta
        offset = base + batch.varint()
        key, value = batch.blob(), batch.blob()
        headers = []
        for _ in range(batch.varint()):
            name = batch.blob() or b""
            headers.append((name.decode(), batch.blob()))
        return Message(partition, offset, key, value, headers)


def read_committed(bootstrap: str, topic: str, partitions: int) -> list[Message]:
    """Every committed record of ``topic`` (partitions ``0 .. partitions - 1``)."""
    return read_transactions(bootstrap, topic, partitions)[0]


def read_transactions(bootstrap: str, topic: str, partitions: int) -> tuple[list[Message], list[Message]]:
    """``(committed, aborted)`` records of ``topic`` (partitions ``0 .. partitions - 1``)."""
    reader = CommittedReader(bootstrap)
    try:
        committed = [m for p in range(partitions) for m in reader.read(topic, p)]
        return committed, reader.aborted
    finally:
        reader.close()
