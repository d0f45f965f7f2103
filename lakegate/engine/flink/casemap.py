"""DuckDB's upper() and lower() in Flink SQL, for the characters where Java's case mapping differs.

Flink's UPPER/LOWER are Java's ``String.toUpperCase``/``toLowerCase``: full case mapping (``ß`` →
``SS``, ``İ`` → ``i̇``, a final ``Σ`` → ``ς``) and Java 17's Unicode version. DuckDB maps one code
point to one code point (``ß`` → ``ẞ``, ``Σ`` → lower-case sigma everywhere) with a newer Unicode. The tables
below list every character whose mapping differs, with DuckDB's result; they were read off both
engines over every code point that has a case mapping, and the parity suite checks them again (case
``case_mapping``). :func:`case_map` protects those characters from Flink's mapping (``TRANSLATE3``
turns each into a private-use stand-in, see :data:`PLACEHOLDERS`) and puts DuckDB's mapping in their
place afterwards; texts without them take the plain path.
"""

from __future__ import annotations

from sqlglot import exp

from lakegate.engine.flink.dialect import flink_call
from lakegate.plan.emit import lit

UPPER_DIFFERENCES = {
    "\u00df": "\u1e9e", "\u0149": "\u0149", "\u01f0": "\u01f0", "\u0390": "\u0390", "\u03b0": "\u03b0",
    "\u0587": "\u0587", "\u1e96": "\u1e96", "\u1e97": "\u1e97", "\u1e98": "\u1e98", "\u1e99": "\u1e99",
    "\u1e9a": "\u1e9a", "\u1f50": "\u1f50", "\u1f52": "\u1f52", "\u1f54": "\u1f54", "\u1f56": "\u1f56",
    "\u1f80": "\u1f88", "\u1f81": "\u1f89", "\u1f82": "\u1f8a", "\u1f83": "\u1f8b", "\u1f84": "\u1f8c",
    "\u1f85": "\u1f8d", "\u1f86": "\u1f8e", "\u1f87": "\u1f8f", "\u1f88": "\u1f88", "\u1f89": "\u1f89",
    "\u1f8a": "\u1f8a", "\u1f8b": "\u1f8b", "\u1f8c": "\u1f8c", "\u1f8d": "\u1f8d", "\u1f8e": "\u1f8e",
    "\u1f8f": "\u1f8f", "\u1f90": "\u1f98", "\u1f91": "\u1f99", "\u1f92": "\u1f9a", "\u1f93": "\u1f9b",
    "\u1f94": "\u1f9c", "\u1f95": "\u1f9d", "\u1f96": "\u1f9e", "\u1f97": "\u1f9f", "\u1f98": "\u1f98",
    "\u1f99": "\u1f99", "\u1f9a": "\u1f9a", "\u1f9b": "\u1f9b", "\u1f9c": "\u1f9c", "\u1f9d": "\u1f9d",
    "\u1f9e": "\u1f9e", "\u1f9f": "\u1f9f", "\u1fa0": "\u1fa8", "\u1fa1": "\u1fa9", "\u1fa2": "\u1faa",
    "\u1fa3": "\u1fab", "\u1fa4": "\u1fac", "\u1fa5": "\u1fad", "\u1fa6": "\u1fae", "\u1fa7": "\u1faf",
    "\u1fa8": "\u1fa8", "\u1fa9": "\u1fa9", "\u1faa": "\u1faa", "\u1fab": "\u1fab", "\u1fac": "\u1fac",
    "\u1fad": "\u1fad", "\u1fae": "\u1fae", "\u1faf": "\u1faf", "\u1fb2": "\u1fb2", "\u1fb3": "\u1fbc",
    "\u1fb4": "\u1fb4", "\u1fb6": "\u1fb6", "\u1fb7": "\u1fb7", "\u1fbc": "\u1fbc", "\u1fc2": "\u1fc2",
    "\u1fc3": "\u1fcc", "\u1fc4": "\u1fc4", "\u1fc6": "\u1fc6", "\u1fc7": "\u1fc7", "\u1fcc": "\u1fcc",
    "\u1fd2": "\u1fd2", "\u1fd3": "\u1fd3", "\u1fd6": "\u1fd6", "\u1fd7": "\u1fd7", "\u1fe2": "\u1fe2",
    "\u1fe3": "\u1fe3", "\u1fe4": "\u1fe4", "\u1fe6": "\u1fe6", "\u1fe7": "\u1fe7", "\u1ff2": "\u1ff2",
    "\u1ff3": "\u1ffc", "\u1ff4": "\u1ff4", "\u1ff6": "\u1ff6", "\u1ff7": "\u1ff7", "\u1ffc": "\u1ffc",
    "\u2c5f": "\u2c2f", "\ua7c1": "\ua7c0", "\ua7d1": "\ua7d0", "\ua7d7": "\ua7d6", "\ua7d9": "\ua7d8",
    "\ufb00": "\ufb00", "\ufb01": "\ufb01", "\ufb02": "\ufb02", "\ufb03": "\ufb03", "\ufb04": "\ufb04",
    "\ufb05": "\ufb05", "\ufb06": "\ufb06", "\ufb13": "\ufb13", "\ufb14": "\ufb14", "\ufb15": "\ufb15",
    "\ufb16": "\ufb16", "\ufb17": "\ufb17", "\U00010597": "\U00010570", "\U00010598": "\U00010571",
    "\U00010599": "\U00010572", "\U0001059a": "\U00010573", "\U0001059b": "\U00010574",
    "\U0001059c": "\U00010575", "\U0001059d": "\U00010576", "\U0001059e": "\U00010577",
    "\U0001059f": "\U00010578", "\U000105a0": "\U00010579", "\U000105a1": "\U0001057a",
    "\U000105a3": "\U0001057c", "\U000105a4": "\U0001057d", "\U000105a5": "\U0001057e",
    "\U000105a6": "\U0001057f", "\U000105a7": "\U00010580", "\U000105a8": "\U00010581",
    "\U000105a9": "\U00010582", "\U000105aa": "\U00010583", "\U000105ab": "\U00010584",
    "\U000105ac": "\U00010585", "\U000105ad": "\U00010586", "\U000105ae": "\U00010587",
    "\U000105af": "\U00010588", "\U000105b0": "\U00010589", "\U000105b1": "\U0001058a",
    "\U000105b3": "\U0001058c", "\U000105b4": "\U0001058d", "\U000105b5": "\U0001058e",
    "\U000105b6": "\U0001058f", "\U000105b7": "\U00010590", "\U000105b8": "\U00010591",
    "\U000105b9": "\U00010592", "\U000105bb": "\U00010594", "\U000105bc": "\U00010595",
}
"""Character → DuckDB's upper(); Flink's UPPER gives something else."""

LOWER_DIFFERENCES = {
    "\u0130": "\u0069", "\u03a3": "\u03c3", "\u2c2f": "\u2c5f", "\ua7c0": "\ua7c1", "\ua7d0": "\ua7d1",
    "\ua7d6": "\ua7d7", "\ua7d8": "\ua7d9", "\U00010570": "\U00010597", "\U00010571": "\U00010598",
    "\U00010572": "\U00010599", "\U00010573": "\U0001059a", "\U00010574": "\U0001059b",
    "\U00010575": "\U0001059c", "\U00010576": "\U0001059d", "\U00010577": "\U0001059e",
    "\U00010578": "\U0001059f", "\U00010579": "\U000105a0", "\U0001057a": "\U000105a1",
    "\U0001057c": "\U000105a3", "\U0001057d": "\U000105a4", "\U0001057e": "\U000105a5",
    "\U0001057f": "\U000105a6", "\U00010580": "\U000105a7", "\U00010581": "\U000105a8",
    "\U00010582": "\U000105a9", "\U00010583": "\U000105aa", "\U00010584": "\U000105ab",
    "\U00010585": "\U000105ac", "\U00010586": "\U000105ad", "\U00010587": "\U000105ae",
    "\U00010588": "\U000105af", "\U00010589": "\U000105b0", "\U0001058a": "\U000105b1",
    "\U0001058c": "\U000105b3", "\U0001058d": "\U000105b4", "\U0001058e": "\U000105b5",
    "\U0001058f": "\U000105b6", "\U00010590": "\U000105b7", "\U00010591": "\U000105b8",
    "\U00010592": "\U000105b9", "\U00010594": "\U000105bb", "\U00010595": "\U000105bc",
}
"""Character → DuckDB's lower(); Flink's LOWER gives something else (``Σ``: at the end of a word)."""


PLACEHOLDERS = 0x10FF00
"""First of the code points standing in for the protected characters during Flink's mapping: one
each, from the end of Supplementary Private Use Area-B (U+10FF00 on), which case mapping leaves alone."""


def _placeholders(count: int) -> str:
    return "".join(chr(PLACEHOLDERS + i) for i in range(count))


def case_map(text: exp.Expr, *, upper: bool) -> exp.Expr:
    """DuckDB's ``upper(text)`` (or ``lower``) as a Flink expression."""
    table = UPPER_DIFFERENCES if upper else LOWER_DIFFERENCES
    function = "UPPER" if upper else "LOWER"
    chars = "".join(sorted(table))
    stand_ins = _placeholders(len(chars))
    protected = flink_call("TRANSLATE3", text.copy(), lit(chars), lit(stand_ins))
    mapped = flink_call(function, protected)
    restored = flink_call("TRANSLATE3", mapped, lit(stand_ins), lit("".join(table[c] for c in chars)))
    special = flink_call("REGEXP", text.copy(), lit("[" + chars + "]"))
    return exp.Case().when(special, restored).else_(flink_call(function, text.copy()))
