"""Bytes shown as text on both engines: Kafka ``headers`` and keys, and records that are not UTF-8.

Flink's Kafka connector is not installable here, so these tests run the exact expression the job
uses for the ``headers`` metadata key (``HEADERS_JSON``) over ``MAP<STRING, BYTES>`` values built in
SQL, and Flink's ``CAST(bytes AS STRING)`` — how the connector's header values and raw keys become
text — over byte sequences, and compare both with the embedded engine's functions.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from lakegate.connectors.kafka.headers import headers_text
from lakegate.connectors.kafka.jvm_utf8 import decode
from lakegate.engine.flink.deploy.metadata import HEADERS_JSON
from lakegate.engine.flink.deploy.sqltext import literal
from tests.helpers.flink import Case, MiniCluster, assert_parity, run_parity

EDGES = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC,
         0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF]  # fmt: skip
"""The boundary values of each class of UTF-8 byte (lead bytes of each length, continuation ranges)."""


def _byte_sequences() -> list[bytes]:
    sequences = [bytes(p) for k in (1, 2, 3) for p in itertools.product(EDGES, repeat=k)]
    rnd = random.Random(7)
    pool = EDGES + [0x80, 0x81, 0xBF, 0xA5] * 3  # more continuation bytes: longer valid runs
    sequences += [bytes(rnd.choice(pool) for _ in range(rnd.randint(4, 9))) for _ in range(4000)]
    return sequences


def _hex(value: bytes | None) -> str:
    return "CAST(NULL AS BYTES)" if value is None else f"X'{value.hex().upper()}'"


def test_invalid_utf8_is_replaced_as_flink_replaces_it(flink: MiniCluster) -> None:
    sequences = _byte_sequences()
    flink_text: dict[int, str | None] = {}
    for start in range(0, len(sequences), 1500):
        values = ", ".join(f"({start + i}, {_hex(s)})" for i, s in enumerate(sequences[start : start + 1500]))
        for k, text in flink.query(f"SELECT k, CAST(b AS STRING) FROM (VALUES {values}) AS t(k, b)"):
            assert k is not None
            flink_text[int(k)] = text
    assert len(flink_text) == len(sequences)
    different = [
        (s.hex(), flink_text[i], decode(s)) for i, s in enumerate(sequences) if flink_text[i] != decode(s)
    ]
    assert different == []
    assert sum("\ufffd" in decode(s) for s in sequences) > 20_000  # the corpus is mostly invalid
    assert (
        decode(b"\xed\xa0\x80") == "\ufffd"
    )  # a surrogate: one replacement (Python's "replace" gives three)


HEADERS: list[list[tuple[str, bytes | None]]] = [
    [("zeta", b"a"), ("alpha", b"b"), ("Mid", b"\xff"), ("10", b"\x00"), ("9", b"\x1f\n\x7f\t\r\b\x0c")],
    [
        ("\U0001f600", b"x"),
        ("\uffff", b"y"),
        ("é", "\u2028 ü".encode()),
        ("k", None),
    ],  # UTF-16 order: 😀 < U+FFFF
    [("quote", b'say "hi" \\ back'), ("slash", b"a/b<c>&d'e"), ("bad", b"\xed\xa0\x80\xc3(\xf0\x9f\x98")],
    [("k", b"1"), ("k", b"2")],  # a repeated name keeps its last value
    [("one", b"")],
    [],  # no headers: NULL
]


def test_headers_text_is_the_flink_jobs_text(flink: MiniCluster) -> None:
    rows = []
    for k, pairs in enumerate(HEADERS):
        if pairs:
            entries = ", ".join(f"{literal(name)}, {_hex(value)}" for name, value in pairs)
            rows.append(f"({k}, MAP[{entries}])")
        else:  # an empty map, typed
            rows.append(
                f"({k}, MAP_FROM_ARRAYS(ARRAY_REMOVE(ARRAY['x'], 'x'), ARRAY_REMOVE(ARRAY[X'00'], X'00')))"
            )
    expression = HEADERS_JSON.replace("{headers}", "h")
    got = dict(flink.query(f"SELECT k, {expression} FROM (VALUES {', '.join(rows)}) AS t(k, h)"))
    expected = {str(k): headers_text(pairs) if pairs else None for k, pairs in enumerate(HEADERS)}
    assert got == expected
    assert expected["3"] == '{"k":"2"}'
    assert (
        expected["0"]
        == '{"10":"\\u0000","9":"\\u001F\\n\x7f\\t\\r\\b\\f","Mid":"\ufffd","alpha":"b","zeta":"a"}'
    )


BYTES_CASE = Case("record_bytes", "id long, s string", [
    {"type": "derive", "columns": {"n": "length(s)", "u": "upper(s)"}},
], [
    b'{"id": 1, "s": "plain"}',
    b'{"id": 2, "s": "caf\xc3\xa9 \xf0\x9f\x98\x80"}',  # valid UTF-8 beyond ASCII
    b'{"id": 3, "s": "a\xffb"}',  # an invalid byte inside a string
    b'{"id": 4, "s": "\xed\xa0\x80"}',  # an encoded surrogate
    b'{"id": 5, "s": "\xc0\xaf"}',  # an overlong form
    b'{"id": 6, "s": "cut \xf0\x9f\x98"}',  # a sequence cut short
    b'{"id": 7, "s": "x"}\xff',  # after the object
    b'{"id": 8, "s": "\xef\xbf\xbd"}',  # U+FFFD itself, valid
])  # fmt: skip


def test_records_that_are_not_valid_utf8_are_dead_lettered_on_both_engines(flink: MiniCluster, tmp_path: Path) -> None:
    """Flink reads bytes that are not UTF-8 with U+FFFD in their place; the job dead-letters them as
    malformed JSON instead, as the embedded engine does (which never alters a payload silently)."""
    (result,) = run_parity(flink, [BYTES_CASE], tmp_path, raw=True)
    assert [r["id"] for r in result.embedded.rows] == [1, 2, 8]
    assert [(d["stage"], d["error"]) for d in result.embedded.dlq] == [("decode", "malformed JSON")] * 5
    assert_parity([result])
