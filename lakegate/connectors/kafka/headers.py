"""A Kafka message's headers as the JSON object text of the ``headers`` metadata key.

The text is defined so that the embedded engine and the Flink job (whose Kafka connector gives a
``MAP<STRING, BYTES>``, turned into text by ``JSON_STRING``) write the same characters:

- one member per header name; a name that repeats keeps its last value (Flink's map does the same);
- members sorted by name in UTF-16 code unit order (Java's ``String`` order: Flink's ``JSON_STRING``
  sorts a map's keys), not in the order the producer wrote them;
- values are the header bytes as text, invalid UTF-8 replaced as Java replaces it
  (:mod:`lakegate.connectors.kafka.jvm_utf8`); a header without a value is ``null``;
- strings escape ``"``, ``\\``, and the control characters U+0000 to U+001F (``\\b \\f \\n \\r \\t`` by
  their short forms, the others as ``\\u00XX`` with upper-case hex, as Jackson writes them); nothing
  else is escaped.
"""

from __future__ import annotations

from lakegate.connectors.kafka import jvm_utf8

_SHORT = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
_ESCAPES = str.maketrans({**{chr(c): f"\\u{c:04X}" for c in range(0x20)}, **_SHORT})


def json_string(text: str) -> str:
    """``text`` as a JSON string literal, escaped as Jackson (Flink's JSON writer) escapes it."""
    return '"' + text.translate(_ESCAPES) + '"'


def _utf16_order(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")


def headers_text(pairs: list[tuple[str, bytes | None]]) -> str:
    """The JSON object text of one message's headers (``pairs`` as confluent-kafka gives them)."""
    values = dict(pairs)
    members = (
        f"{json_string(name)}:{'null' if value is None else json_string(jvm_utf8.decode(value))}"
        for name, value in sorted(values.items(), key=lambda item: _utf16_order(item[0]))
    )
    return "{" + ",".join(members) + "}"
