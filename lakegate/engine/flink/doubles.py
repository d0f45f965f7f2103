"""Doubles as DuckDB prints them, in Flink SQL.

Both engines print the shortest digits that read back as the same double, but Java (Flink) switches
to scientific notation outside [1e-3, 1e7) and spells it ``1.2345678E7``, while DuckDB stays plain in
[1e-4, 1e16) and spells the rest ``1e+16`` / ``1.5e-05``. :func:`double_text` rewrites Java's text.
"""

from __future__ import annotations

from sqlglot import exp

from lakegate.engine.flink.dialect import flink_call, verbatim_type
from lakegate.plan.emit import lit


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    return flink_call(name, *args)


def double_text(e: exp.Expr) -> exp.Expr:
    """DuckDB ``CAST(e AS VARCHAR)`` for a DOUBLE."""
    java = exp.Cast(this=e, to=verbatim_type("STRING"))
    sci = r"^(-?)([0-9])(?:\.([0-9]+))?E(-?[0-9]+)$"

    def part(n: int) -> exp.Expr:
        return _call("REGEXP_EXTRACT", java.copy(), lit(sci), lit(n))

    sign, lead, rest = part(1), part(2), _call("REGEXP_REPLACE", part(3), lit("0+$"), lit(""))
    exponent = exp.Cast(this=part(4), to=verbatim_type("INT"))
    digits = exp.DPipe(this=lead, expression=rest)  # significant digits, no trailing zeros
    n_digits = _call("CHAR_LENGTH", digits.copy())
    # Plain, exponent >= 0: the point moves right (padding with zeros), then ".0" when nothing is left.
    int_part = exp.DPipe(
        this=_call("LEFT", digits.copy(), exp.Add(this=exponent.copy(), expression=lit(1))),
        expression=_call("REPEAT", lit("0"), _call("GREATEST", lit(0), exp.Sub(this=exponent.copy(), expression=exp.Sub(this=n_digits.copy(), expression=lit(1))))),
    )
    frac_part = _call("SUBSTRING", digits.copy(), exp.Add(this=exponent.copy(), expression=lit(2)))
    big_plain = exp.DPipe(
        this=exp.DPipe(this=sign.copy(), expression=int_part),
        expression=exp.DPipe(this=lit("."), expression=exp.func("COALESCE", _call("NULLIF", frac_part, lit("")), lit("0"))),
    )
    # Plain, exponent < 0: "0." then zeros then the digits.
    small_plain = exp.DPipe(
        this=exp.DPipe(this=sign.copy(), expression=lit("0.")),
        expression=exp.DPipe(
            this=_call("REPEAT", lit("0"), exp.Sub(this=exp.Neg(this=exponent.copy()), expression=lit(1))),
            expression=digits.copy(),
        ),
    )
    # Scientific: 1e+16, 1.5e-05.
    mantissa = exp.DPipe(
        this=lead.copy(),
        expression=exp.Case().when(exp.NEQ(this=rest.copy(), expression=lit("")), exp.DPipe(this=lit("."), expression=rest.copy())).else_(lit("")),
    )
    exp_sign = exp.Case().when(exp.LT(this=exponent.copy(), expression=lit(0)), lit("-")).else_(lit("+"))
    exp_digits = _call("LPAD", exp.Cast(this=_call("ABS", exponent.copy()), to=verbatim_type("STRING")), lit(2), lit("0"))
    scientific = exp.DPipe(
        this=exp.DPipe(this=exp.DPipe(this=sign.copy(), expression=mantissa), expression=lit("e")),
        expression=exp.DPipe(this=exp_sign, expression=exp_digits),
    )
    plain_max = 16
    rewritten = (
        exp.Case()
        .when(exp.Between(this=exponent.copy(), low=lit(0), high=lit(plain_max - 1)), big_plain)
        .when(exp.Between(this=exponent.copy(), low=lit(-4), high=lit(-1)), small_plain)
        .else_(scientific)
    )
    special = (
        exp.Case()
        .when(exp.EQ(this=java.copy(), expression=lit("NaN")), lit("nan"))
        .when(exp.EQ(this=java.copy(), expression=lit("Infinity")), lit("inf"))
        .when(exp.EQ(this=java.copy(), expression=lit("-Infinity")), lit("-inf"))
    )
    return (
        exp.Case()
        .when(_call("REGEXP", java.copy(), lit(sci)), rewritten)
        .else_(exp.func("COALESCE", special, java.copy()))
    )

