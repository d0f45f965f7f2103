"""Flink SQL as a sqlglot dialect: how an AST that is already in Flink terms is printed.

sqlglot has no Flink dialect. Flink SQL is Calcite's SQL: backtick-quoted identifiers, ``STRING``,
``TIMESTAMP_LTZ(p)``, ``ROW<...>``, ``ARRAY<...>``. Only the printing lives here; turning the rules'
DuckDB-flavoured expressions into Flink functions with the same meaning is
:mod:`lakegate.engine.flink.functions`.
"""

from __future__ import annotations

import sys

from sqlglot import exp, generator, tokens
from sqlglot.dialects.dialect import Dialect

from lakegate.engine.flink import secrets
from lakegate.rules.privacy import SECRET_PREFIX
from lakegate.schemas.types import LType

_PRIMITIVES = {
    "string": "STRING", "boolean": "BOOLEAN", "int": "INT", "long": "BIGINT", "float": "FLOAT",
    "double": "DOUBLE", "date": "DATE", "timestamp": "TIMESTAMP_LTZ(6)", "timestamp_ntz": "TIMESTAMP(6)",
    "binary": "BYTES",
}  # fmt: skip


def flink_type(t: LType) -> str:
    """The Flink SQL spelling of lakegate type ``t`` (``timestamp`` is an instant: ``TIMESTAMP_LTZ(6)``)."""
    if t.kind in _PRIMITIVES:
        return _PRIMITIVES[t.kind]
    if t.kind == "decimal":
        return f"DECIMAL({t.precision}, {t.scale})"
    if t.kind == "struct":
        return "ROW<" + ", ".join(f"{quote(n)} {flink_type(ft)}" for n, ft in t.fields) + ">"
    if t.kind == "list":
        assert t.element is not None
        return f"ARRAY<{flink_type(t.element)}>"
    assert t.key is not None and t.value is not None
    return f"MAP<{flink_type(t.key)}, {flink_type(t.value)}>"


def quote(name: str) -> str:
    """A Flink identifier: backticks, with backticks doubled."""
    return "`" + name.replace("`", "``") + "`"


def flink_data_type(t: LType) -> exp.DataType:
    """``t`` as a sqlglot type node printed verbatim by the Flink dialect."""
    return verbatim_type(flink_type(t))


def verbatim_type(text: str) -> exp.DataType:
    """A type node printed exactly as ``text`` (sqlglot would re-spell ``TIMESTAMP_LTZ``)."""
    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=text)


def flink_call(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A call of Flink function ``name``, printed as written."""
    return exp.Anonymous(this=name, expressions=list(args))


class Flink(Dialect):
    """Prints sqlglot ASTs as Flink SQL (the translation to Flink functions happens before)."""

    class Tokenizer(tokens.Tokenizer):
        IDENTIFIERS = ["`"]
        QUOTES = ["'"]
        STRING_ESCAPES = ["'"]

    class Generator(generator.Generator):
        TYPE_MAPPING = {
            **generator.Generator.TYPE_MAPPING,
            exp.DataType.Type.VARCHAR: "STRING",
            exp.DataType.Type.TEXT: "STRING",
            exp.DataType.Type.BLOB: "BYTES",
        }

        def placeholder_sql(self, expression: exp.Placeholder) -> str:
            # A rule's $secret_<VAR>: a literal the job fills in when it starts (lakegate.engine.flink.secrets).
            name = expression.name
            if not name.startswith(SECRET_PREFIX):
                raise ValueError(f"placeholder ${name} has no Flink translation")
            return "'" + secrets.placeholder(name.removeprefix(SECRET_PREFIX)) + "'"

        def array_sql(self, expression: exp.Array) -> str:
            return "ARRAY[" + self.expressions(expression, flat=True) + "]"

        def dpipe_sql(self, expression: exp.DPipe) -> str:
            return self.binary(expression, "||")

        def if_sql(self, expression: exp.If) -> str:
            case = exp.Case(ifs=[exp.If(this=expression.this, true=expression.args.get("true"))])
            if expression.args.get("false") is not None:
                case.set("default", expression.args["false"])
            return self.sql(case)


def opaque(e: exp.Expr) -> exp.Expr:
    """``e`` behind a non-deterministic guard (``CASE WHEN RAND() < 2 THEN e END``, always true:
    RAND() is in [0, 1)) that Flink's planner cannot see through. It pushes no filter past it, and
    it does not merge a projection computing ``e`` into the next one that uses the result more than
    once — which would copy ``e`` to every use and evaluate it there again (a JSON field extracted
    once per reference, a rule's expression once per later rule that reads its column)."""
    barrier = exp.LT(this=exp.Anonymous(this="RAND", expressions=[]), expression=exp.Literal.number(2))
    return exp.Case().when(barrier, e)


DEEP_EXPRESSIONS = 20_000
"""Recursion limit while writing SQL: a long chain of ``||`` or ``+`` in a rule nests one level per
operand, and sqlglot writes each level with a few Python frames."""


def to_sql(e: exp.Expr, *, pretty: bool = False) -> str:
    """The Flink SQL text of ``e`` (identifiers always quoted)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, DEEP_EXPRESSIONS))
    try:
        return e.sql(dialect=Flink, pretty=pretty, identify=True)
    finally:
        sys.setrecursionlimit(limit)
