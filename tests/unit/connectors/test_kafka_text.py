"""Kafka bytes as text: Java's UTF-8 replacement and the ``headers`` JSON text (see also the parity
test against Flink, tests/parity/test_kafka_text_parity.py)."""

from __future__ import annotations

import json

import pytest

from lakegate.connectors.kafka.batch import headers_json, utf8_text
from lakegate.connectors.kafka.headers import headers_text, json_string
from lakegate.connectors.kafka.jvm_utf8 import decode
from lakegate.connectors.undecodable import MARK

R = "\ufffd"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"plain \xc3\xa9 \xf0\x9f\x98\x80", "plain é 😀"),  # valid: unchanged
        (b"a\xffb", f"a{R}b"),
        (b"\xed\xa0\x80", R),  # an encoded surrogate: one replacement for three bytes
        (b"\xe0\x80\x80", R * 3),  # overlong: the lead alone, then two stray continuation bytes
        (b"\xf0\x9f\x98", R),  # cut short by the end
        (b"\xf0\x9f(", f"{R}("),  # cut short by a byte that cannot continue it
        (b"\xc3(", f"{R}("),
        (b"\xf4\x90\x80\x80", R * 4),  # above U+10FFFF
        (b"\xc0\xaf", R * 2),
    ],
)
def test_invalid_utf8_is_replaced_as_java_replaces_it(data: bytes, text: str) -> None:
    assert decode(data) == text


def test_headers_are_sorted_by_name_in_utf16_order_and_keep_the_last_repeated_value() -> None:
    pairs = [("b", b"1"), ("\uffff", b"2"), ("\U0001f600", b"3"), ("B", None), ("b", b"4")]
    text = headers_text(pairs)
    assert text == '{"B":null,"b":"4","\U0001f600":"3","\uffff":"2"}'
    assert json.loads(text) == {"B": None, "b": "4", "\U0001f600": "3", "\uffff": "2"}


def test_json_strings_escape_controls_with_upper_case_hex_and_nothing_else() -> None:
    assert (
        json_string('\x01\x1f\t\n\r\b\x0c"\\/\x7f\u2028é')
        == '"\\u0001\\u001F\\t\\n\\r\\b\\f\\"\\\\/\x7f\u2028é"'
    )
    assert json.loads(json_string("".join(map(chr, range(0x80))))) == "".join(map(chr, range(0x80)))


def test_messages_without_headers_have_null_headers() -> None:
    assert headers_json([None, [], [("k", b"\xff")]]).to_pylist() == [None, None, '{"k":"\ufffd"}']


def test_values_that_are_not_utf8_never_decode_as_json_and_keys_are_replaced_as_java_does() -> None:
    values = utf8_text([b'{"a":"\xff"}', b'{"a":"x\\\xff"}', b'{"a":1}'])
    assert values.to_pylist() == ['{"a":"\\xff"}', MARK + '{"a":"x\\\\xff"}', '{"a":1}']
    assert utf8_text([b"k\xff", None], replace=True).to_pylist() == ["k\ufffd", None]
