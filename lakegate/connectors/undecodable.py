"""Text for records whose bytes are not valid UTF-8: readable in the DLQ, never decoded as JSON.

Sources hand the engine text. A record that is not valid UTF-8 is not JSON text, so it must fail
decoding (stage ``decode``, ``malformed JSON``) rather than be read with its bad bytes replaced. Its
text shows each bad byte as a backslash escape (``\\xff``), which JSON does not accept — except
after a backslash of the record's own (``\\`` then ``xff`` is a valid escape and text); such a
record is prefixed with :data:`MARK` so that it still fails.
"""

from __future__ import annotations

import orjson

MARK = "(not UTF-8) "
"""Put before the escaped text of a record that would otherwise read as valid JSON."""


def readable_text(raw: bytes) -> str:
    """``raw`` as text: as it is when it is valid UTF-8, else with every byte visible and never
    valid JSON."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", "backslashreplace")
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    return MARK + text
