"""Turning a list of confluent-kafka messages into a :class:`RawChunk`.

confluent-kafka hands out one ``Message`` object per record, so each column is gathered with one
list comprehension and converted to Arrow at once; everything else (UTF-8 validation, stream ids,
null timestamps) is vectorised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lakegate.connectors.base import RawChunk
from lakegate.connectors.kafka import jvm_utf8
from lakegate.connectors.kafka.headers import headers_text
from lakegate.connectors.undecodable import readable_text
from lakegate.records import Position

TOMBSTONE = b"null"
"""Payload of a message with a null value: valid JSON that is not an object, so it is dead-lettered."""

METADATA_KEYS = ("topic", "partition", "offset", "key", "timestamp", "headers")


def utf8_text(values: list[bytes | None], *, null_as: bytes | None = None, replace: bool = False) -> pa.Array:
    """``values`` as a string array, None staying null unless ``null_as`` is given. Invalid UTF-8 is
    rendered with backslash escapes (a payload then fails JSON decoding and reaches the DLQ readable:
    :func:`~lakegate.connectors.undecodable.readable_text`),
    or with ``replace`` as Java replaces it (the key: the text Flink's raw key format gives)."""
    raw = pa.array(values, pa.binary())
    if null_as is not None and raw.null_count:
        raw = pc.fill_null(raw, pa.scalar(null_as, pa.binary()))
    try:
        return raw.cast(pa.string())
    except pa.ArrowInvalid:
        decode: Callable[[bytes], str] = jvm_utf8.decode if replace else readable_text
        return pa.array([None if v is None else decode(v) for v in raw.to_pylist()], pa.string())


def headers_json(headers: list[list[tuple[str, bytes | None]] | None]) -> pa.Array:
    """Each message's headers as a JSON object text (null without headers), the same text as the
    Flink job's: see :mod:`lakegate.connectors.kafka.headers`."""
    return pa.array([headers_text(pairs) if pairs else None for pairs in headers], pa.string())


def empty_chunk(position: Position) -> RawChunk:
    """A chunk without records that carries ``position``."""
    streams = pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
    return RawChunk(
        payloads=pa.array([], pa.string()),
        streams=streams,
        indexes=pa.array([], pa.int64()),
        position=position,
        metadata={
            "topic": pa.array([], pa.string()),
            "partition": pa.array([], pa.int32()),
            "offset": pa.array([], pa.int64()),
            "key": pa.array([], pa.string()),
            "timestamp": pa.array([], pa.int64()),
            "headers": pa.array([], pa.string()),
        },
    )


def build_chunk(messages: list[Any], position: Position) -> RawChunk:
    """A chunk of ``messages`` (data messages, no error events) ending at ``position``.

    ``payloads``: values as text (a null value → ``null``); ``streams``: ``<topic>/<partition>``,
    dictionary-encoded; ``indexes``: offsets. Metadata: ``topic``, ``partition`` (int32),
    ``offset`` (int64), ``key`` (text), ``timestamp`` (int64 ms since the epoch, null when the
    broker has none), ``headers`` (JSON text).
    """
    if not messages:
        return empty_chunk(position)
    topics = pa.array([m.topic() for m in messages], pa.string())
    partitions = pa.array([m.partition() for m in messages], pa.int32())
    offsets = pa.array([m.offset() for m in messages], pa.int64())
    timestamps = pa.array([m.timestamp()[1] for m in messages], pa.int64())
    if pc.min(timestamps).as_py() < 0:  # TIMESTAMP_NOT_AVAILABLE
        timestamps = pc.if_else(pc.less(timestamps, 0), pa.scalar(None, pa.int64()), timestamps)
    streams = pc.binary_join_element_wise(topics, pc.cast(partitions, pa.string()), "/")
    return RawChunk(
        payloads=utf8_text([m.value() for m in messages], null_as=TOMBSTONE),
        streams=streams.dictionary_encode(),
        indexes=offsets,
        position=position,
        metadata={
            "topic": topics.dictionary_encode(),
            "partition": partitions,
            "offset": offsets,
            "key": utf8_text([m.key() for m in messages], replace=True),
            "timestamp": timestamps,
            "headers": headers_json([m.headers() for m in messages]),
        },
    )
