"""UTF-8 decoding that replaces invalid bytes exactly as the JVM does (``new String(bytes, UTF_8)``).

Kafka header values are bytes; lakegate shows them as text. Flink decodes them with Java's UTF-8
decoder, which puts one U+FFFD where Python's ``errors="replace"`` may put several (Java replaces a
surrogate encoded in three bytes, ``ED A0 80``, with one U+FFFD; Python with three). To give the same
text on both engines, invalid input is decoded here by Java's rules (JDK 17, ``String``'s decoder):

- a byte that cannot start a sequence (``80`` to ``C1``, ``F8`` to ``FF``) is one U+FFFD;
- a lead byte followed by a byte that may not follow it (not a continuation byte, an overlong form,
  a surrogate or a code point above U+10FFFF) is one U+FFFD for the bytes up to the first that does
  not fit, and decoding resumes there; a well-formed three-byte surrogate is one U+FFFD for all three;
- a sequence cut short by the end of the input is one U+FFFD.

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


def _second_fits_three(lead: int, second: int) -> bool:
    """Whether ``second`` may follow the three-byte ``lead`` (rejects overlong E0 80 to 9F)."""
    return _continuation(second) and not (lead == 0xE0 and second < 0xA0)


def _second_fits_four(lead: int, second: int) -> bool:
    """Whether ``second`` may follow the four-byte ``lead`` (rejects overlong F0 80 to 8F and F4 90+)."""
    if lead > 0xF4 or not _continuation(second):
        return False
    return not ((lead == 0xF0 and second < 0x90) or (lead == 0xF4 and second > 0x8F))


def _decode_replacing(data: bytes) -> str:
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        lead = data[i]
        if lead < 0x80:
            out.append(chr(lead))
            i += 1
        elif 0xC2 <= lead <= 0xDF:
            if i + 1 < n and _continuation(data[i + 1]):
                out.append(data[i : i + 2].decode("utf-8"))
                i += 2
            else:
                out.append(REPLACEMENT)
                i += 1
        elif 0xE0 <= lead <= 0xEF:
            i = _three(data, i, n, out)
        elif 0xF0 <= lead <= 0xF7:
            i = _four(data, i, n, out)
        else:
            out.append(REPLACEMENT)
            i += 1
    return "".join(out)


def _three(data: bytes, i: int, n: int, out: list[str]) -> int:
    """Decode the three-byte sequence led by ``data[i]``; return where decoding resumes."""
    lead = data[i]
    if i + 2 < n:
        second, third = data[i + 1], data[i + 2]
        if not _second_fits_three(lead, second):
            out.append(REPLACEMENT)
            return i + 1
        if not _continuation(third):
            out.append(REPLACEMENT)
            return i + 2
        code = ((lead & 0x0F) << 12) | ((second & 0x3F) << 6) | (third & 0x3F)
        out.append(REPLACEMENT if 0xD800 <= code <= 0xDFFF else chr(code))
        return i + 3
    # cut short by the end: one replacement, unless the next byte cannot belong to this sequence
    if i + 1 < n and not _second_fits_three(lead, data[i + 1]):
        out.append(REPLACEMENT)
        return i + 1
    out.append(REPLACEMENT)
    return n


def _four(data: bytes, i: int, n: int, out: list[str]) -> int:
    """Decode the four-byte sequence led by ``data[i]``; return where decoding resumes."""
    lead = data[i]
    if i + 3 < n:
        second, third, fourth = data[i + 1], data[i + 2], data[i + 3]
        if not _second_fits_four(lead, second):
            out.append(REPLACEMENT)
            return i + 1
        if not _continuation(third):
            out.append(REPLACEMENT)
            return i + 2
        if not _continuation(fourth):
            out.append(REPLACEMENT)
            return i + 3
        out.append(data[i : i + 4].decode("utf-8"))
        return i + 4
    out.append(REPLACEMENT)
    if i + 1 >= n or not _second_fits_four(lead, data[i + 1]):
        return i + 1
    if i + 2 < n and not _continuation(data[i + 2]):
        return i + 2
    return n
