"""UTF-8 decoding that replaces invalid bytes exactly as the JVM does (``new String(bytes, UTF_8)``).

Kafka header values are bytes; lakegate shows them as text. Flink decodes them with Java's UTF-8
decoder, which puts one U+FFFD where Python's ``errors="replace"`` may put several (Java replaces a
surrogate encoded in three bytes, ``ED A0 80``, with one U+FFFD; Python with three). To give the same
text on both engines, invalid input is decoded here by Java's rules (JDK 17, ``String``'s decoder):

- a byte that cannot start a sequence (``80`` to ``C1``, ``F8`` to ``FF``) is one U+FFFD;
- a lead byte followed by a byte that may not follow it (not a continuation byte, or the start of an
  overlong form or of a code point above U+10FFFF) is one U+FFFD for the bytes up to the first that
  does not fit, and decoding resumes there; so is a sequence cut short by the end of the input;
- a complete three-byte sequence encoding a surrogate (``ED A0 80`` to ``ED BF BF``) is one U+FFFD.

Valid UTF-8 takes Python's own decoder. The parity suite compares this with Flink's
``CAST(bytes AS STRING)`` over every sequence of up to three bytes from the boundary values of each
byte class and thousands of longer random ones.
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"


def decode(data: bytes) -> str:
    """``data`` as text, each invalid part replaced by U+FFFD as Java replaces it."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_replacing(data)


def _continuation(b: int) -> bool:
    return b & 0xC0 == 0x80


def _fits_two(lead: int, second: int) -> bool:
    return _continuation(second)


def _fits_three(lead: int, second: int) -> bool:
    """Whether ``second`` may follow the three-byte ``lead`` (rejects overlong E0 80 to 9F)."""
    return _continuation(second) and not (lead == 0xE0 and second < 0xA0)


def _fits_four(lead: int, second: int) -> bool:
    """Whether ``second`` may follow the four-byte ``lead`` (rejects overlong F0 80 to 8F, F4 90 and up)."""
    if lead > 0xF4 or not _continuation(second):
        return False
    return not ((lead == 0xF0 and second < 0x90) or (lead == 0xF4 and second > 0x8F))


_SEQUENCES = [(0xC2, 0xDF, 2, _fits_two), (0xE0, 0xEF, 3, _fits_three), (0xF0, 0xF7, 4, _fits_four)]
"""Lead bytes (first, last), the length of the sequences they start, and which second bytes fit."""


def _decode_replacing(data: bytes) -> str:
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        lead = data[i]
        if lead < 0x80:
            out.append(chr(lead))
            i += 1
            continue
        shape = next((s for s in _SEQUENCES if s[0] <= lead <= s[1]), None)
        if shape is None:  # a byte that cannot start a sequence
            out.append(REPLACEMENT)
            i += 1
            continue
        length, fits = shape[2], shape[3]
        end = i + 1  # the bytes from i that can still be this sequence
        if end < n and fits(lead, data[end]):
            end += 1
            while end < min(i + length, n) and _continuation(data[end]):
                end += 1
        if end == i + length:  # complete; an encoded surrogate (ED A0 to BF) is replaced whole
            out.append(REPLACEMENT if lead == 0xED and data[i + 1] >= 0xA0 else data[i:end].decode("utf-8"))
        else:  # one replacement for the bytes that fit; decoding resumes at the first that does not
            out.append(REPLACEMENT)
        i = end
    return "".join(out)
