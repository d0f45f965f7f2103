"""Values that make an expression fail become dead letters with a reason, on every engine.

A strict ``CAST`` of a value that does not convert, integer arithmetic that overflows and padding
with ``''`` would stop a query. In rule expressions (``derive``, ``filter``, ``route``, ``validate`` checks, the ``sql``
rule) :func:`guard` rewrites each such node into a form that cannot fail, and returns a
:class:`~lakegate.plan.steps.Check` per node saying when it *would* have failed; the compiler puts
those checks in front of the rule, so the record goes to the DLQ (stage ``evaluate``, the rule's
name, ``cannot cast <expression> to <type>: <value>``, ``integer overflow in <expression>``,
``decimal overflow in <expression>`` for a result beyond 38 digits, or ``<lpad(...)> must add
characters and its padding is ''``).

A node is only evaluated where the expression around it evaluates it: inside ``CASE``/``IF`` the
branch must be taken, in ``COALESCE`` the arguments before it must be NULL, and the right side of
``AND`` (``OR``) counts only when the left side is not FALSE (not TRUE). So
``s SIMILAR TO '[0-9]+' AND CAST(s AS INT) > 5`` never dead-letters ``'abc'``.

Text conversions (``CAST(s AS INT)`` and ``TRY_CAST`` of a string) follow
:mod:`lakegate.rules.conversions` rather than DuckDB's lenient parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from lakegate.plan.emit import lit
from lakegate.plan.steps import Check
from lakegate.rules.conversions import cast_target, convert_text
from lakegate.schemas.types import LType, to_duckdb

STAGE = "evaluate"
DIALECT = "duckdb"

_INTEGER_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_WIDER = {"int": "BIGINT", "long": "DECIMAL(38,0)"}
"""A type holding every result of +, -, * of two values of the key type."""

EPOCH_SECONDS = (-62135596800, 253402300799)
"""Epoch seconds of 0001-01-01 00:00:00 and 9999-12-31 23:59:59 UTC: the timestamps every engine holds."""

TypeOf = Callable[[exp.Expr], LType | None]
"""The type of an expression over the rule's input (None if it has no lakegate type)."""


def _is_true(e: exp.Expr) -> exp.Expr:
    return exp.func("COALESCE", e.copy(), exp.false())


def _not_false(e: exp.Expr) -> exp.Expr:
    return exp.func("COALESCE", e.copy(), exp.true())


def _is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=e.copy(), expression=exp.null())


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=_is_null(e))


OVERFLOW_NULL = "lakegate.overflow_null"
"""Meta key: a ``TRY(arithmetic)`` whose NULL means an overflow, for emitters whose planners assume
arithmetic is NULL only when an operand is (Flink's folds ``(a * b) IS NULL`` into ``a IS NULL OR ...``)."""


def _overflowed(arithmetic: exp.Expr) -> exp.Expr:
    node = exp.func("TRY", arithmetic.copy())
    node.meta[OVERFLOW_NULL] = True
    return node


def shown(e: exp.Expr) -> str:
    """``e`` as the user would write it (column names quoted only where they must be)."""
    plain = e.copy()
    for identifier in plain.find_all(exp.Identifier):
        if identifier.name.isidentifier() and identifier.name.lower() == identifier.name:
            identifier.set("quoted", False)
    return plain.sql(dialect=DIALECT)


def cast_can_fail(source: LType, target: LType) -> bool:
    """Whether a strict cast from ``source`` to ``target`` can fail on some value."""
    if source == target or target.kind == "string":
        return False
    if source.kind == "string":
        return True
    if target.kind in ("double",) and source.is_numeric:
        return False
    if target.kind == "float":
        return not (source.is_integer or source.kind in ("float", "decimal", "boolean"))
    if target.is_integer:
        if source.kind == "boolean" or (source.is_integer and (target.kind == "long" or source.kind == "int")):
            return False
        if source.kind == "decimal":
            return source.precision - source.scale > (9 if target.kind == "int" else 18)
        return True
    if target.kind == "decimal":
        whole = target.precision - target.scale
        if source.is_integer:
            return whole < (10 if source.kind == "int" else 19)
        if source.kind == "decimal":
            return whole < source.precision - source.scale + (1 if target.scale < source.scale else 0)
        return True
    if target.kind == "boolean":
        return not source.is_numeric
    if target.kind == "date":
        return source.kind not in ("timestamp", "timestamp_ntz")
    if target.kind in ("timestamp", "timestamp_ntz"):
        return source.kind not in ("date", "timestamp", "timestamp_ntz")
    return True


@dataclass
class Guarded:
    """An expression that cannot fail, and the checks that say when its original would have."""

    tree: exp.Expr
    checks: list[Check] = field(default_factory=list)


@dataclass
class _Guard:
    type_of: TypeOf
    checks: list[Check] = field(default_factory=list)

    def node(self, node: exp.Expr, when: list[exp.Expr]) -> exp.Expr:
        """A copy of ``node`` that cannot fail; ``when``: the conditions under which it is evaluated."""
        if isinstance(node, exp.Case):
            return self._case(node, when)
        if isinstance(node, exp.If):
            cond = self.node(node.this, when)
            true = self.node(node.args["true"], [*when, _is_true(cond)])
            false = node.args.get("false")
            out = exp.If(this=cond, true=true)
            if false is not None:
                out.set("false", self.node(false, [*when, exp.Not(this=_is_true(cond))]))
            return out
        if isinstance(node, exp.Coalesce):
            first = self.node(node.this, when)
            before, rest = [first], []
            for arg in node.expressions:
                rest.append(self.node(arg, [*when, *(_is_null(b) for b in before)]))
                before.append(rest[-1])
            return exp.Coalesce(this=first, expressions=rest)
        if isinstance(node, exp.And | exp.Or):
            left = self.node(node.this, when)
            guard = _not_false(left) if isinstance(node, exp.And) else exp.Not(this=_is_true(left))
            return type(node)(this=left, expression=self.node(node.expression, [*when, guard]))
        safe = self._children(node, when)
        if isinstance(node, exp.Cast | exp.TryCast):
            return self._cast(node, safe, when)
        if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Neg | exp.Abs):
            return self._arithmetic(node, safe, when)
        if isinstance(node, exp.UnixToTime):
            return self._epoch(node, safe, when)
        if isinstance(node, exp.Pad):
            return self._pad(node, safe, when)
        return safe

    def _pad(self, original: exp.Expr, safe: exp.Expr, when: list[exp.Expr]) -> exp.Expr:
        """``lpad``/``rpad`` that must add characters and has only ``''`` to add them with (DuckDB
        fails, Flink would pad nothing)."""
        fill = safe.args.get("fill_pattern")
        if fill is None or (isinstance(fill, exp.Literal) and fill.is_string and fill.name):
            return safe
        text, width = safe.this, safe.expression
        cannot = exp.and_(
            exp.EQ(this=fill.copy(), expression=lit("")),
            exp.LT(this=exp.Length(this=text.copy()), expression=width.copy()),
        )
        reason = lit(f"{shown(original)} must add characters and its padding is ''")
        self.checks.append(Check(exp.and_(*when, _is_true(cannot)), STAGE, reason))
        return exp.Case().when(exp.Not(this=_is_true(cannot)), safe)

    def _epoch(self, original: exp.Expr, safe: exp.Expr, when: list[exp.Expr]) -> exp.Expr:
        """``to_timestamp``/``epoch_ms``/``make_timestamp``: years 1 to 9999 (DuckDB fails further out)."""
        scale = safe.args.get("scale")
        digits = int(scale.name) if isinstance(scale, exp.Literal) else 0
        number = safe.this
        low, high = (exp.Literal.number(f"{bound * 10**digits:.0f}") for bound in EPOCH_SECONDS)
        in_range = exp.Between(this=number.copy(), low=low, high=high)
        reason = exp.DPipe(
            this=lit(f"{shown(original)} is outside the years 1 to 9999: "),
            expression=exp.Cast(this=number.copy(), to=exp.DataType.build("VARCHAR")),
        )
        self.checks.append(Check(exp.and_(*when, _not_null(number), exp.Not(this=in_range)), STAGE, reason))
        return exp.Case().when(in_range.copy(), safe)

    def _children(self, node: exp.Expr, when: list[exp.Expr]) -> exp.Expr:
        args: dict[str, object] = {}
        for key, value in node.args.items():
            if isinstance(value, exp.Expr):
                args[key] = self.node(value, when)
            elif isinstance(value, list):
                args[key] = [self.node(v, when) if isinstance(v, exp.Expr) else v for v in value]
            else:
                args[key] = value
        out = type(node)(**args)
        out.meta.update(node.meta)
        return out

    def _case(self, node: exp.Case, when: list[exp.Expr]) -> exp.Expr:
        operand = node.args.get("this")
        safe_operand = self.node(operand, when) if operand is not None else None
        out = exp.Case(this=safe_operand) if safe_operand is not None else exp.Case()
        not_taken: list[exp.Expr] = []
        for branch in node.args.get("ifs") or []:
            cond = self.node(branch.this, [*when, *not_taken])
            taken = cond if safe_operand is None else exp.EQ(this=safe_operand.copy(), expression=cond.copy())
            value = self.node(branch.args["true"], [*when, *not_taken, _is_true(taken)])
            out.append("ifs", exp.If(this=cond, true=value))
            not_taken.append(exp.Not(this=_is_true(taken)))
        default = node.args.get("default")
        if default is not None:
            out.set("default", self.node(default, [*when, *not_taken]))
        return out

    def _cast(self, original: exp.Expr, safe: exp.Expr, when: list[exp.Expr]) -> exp.Expr:
        operand = safe.this
        source = self.type_of(operand)
        assert isinstance(original, exp.Cast)
        target = cast_target(original)
        if source is None or target is None:
            return safe
        if source.kind == "string" and target.kind != "string":
            converted = convert_text(operand, target)
        elif isinstance(original, exp.TryCast) or not cast_can_fail(source, target):
            return safe
        else:
            converted = exp.TryCast(this=operand.copy(), to=exp.DataType.build(to_duckdb(target), dialect=DIALECT))
        if isinstance(original, exp.Cast) and not isinstance(original, exp.TryCast):
            text = exp.Cast(this=operand.copy(), to=exp.DataType.build("VARCHAR"))
            reason = exp.DPipe(
                this=lit(f"cannot cast {shown(original.this)} to {target}: "),
                expression=exp.func("COALESCE", text, lit("?")),
            )
            failed = [*when, _not_null(operand), _is_null(converted)]
            self.checks.append(Check(exp.and_(*failed), STAGE, reason))
        return converted

    def _arithmetic(self, original: exp.Expr, safe: exp.Expr, when: list[exp.Expr]) -> exp.Expr:
        if not list(safe.find_all(exp.Column)):
            return safe  # a constant: DuckDB folds it at compile time
        operands = [safe.this] if isinstance(safe, exp.Neg | exp.Abs) else [safe.this, safe.expression]
        result = self.type_of(safe)
        if result is not None and result.kind == "decimal" and result.precision == 38:
            # DuckDB fails beyond 38 digits, Flink gives NULL: NULL from operands that are set is the failure.
            failed = [*when, *(_not_null(o) for o in operands), _is_null(_overflowed(safe))]
            self.checks.append(Check(exp.and_(*failed), STAGE, lit(f"decimal overflow in {shown(original)}")))
            return exp.func("TRY", safe)
        if result is None or result.kind not in _INTEGER_RANGES:
            return safe
        if not all((t := self.type_of(o)) is not None and t.is_integer for o in operands):
            return safe
        wider = exp.DataType.build(_WIDER[result.kind], dialect=DIALECT)
        widened = [exp.Cast(this=o.copy(), to=wider.copy()) for o in operands]
        exact = type(safe)(this=widened[0]) if len(widened) == 1 else type(safe)(this=widened[0], expression=widened[1])
        low, high = _INTEGER_RANGES[result.kind]
        in_range = exp.Between(this=exact, low=exp.Literal.number(low), high=exp.Literal.number(high))
        failed = [*when, *(_not_null(o) for o in operands), exp.Not(this=in_range)]
        reason = lit(f"integer overflow in {shown(original)}")
        self.checks.append(Check(exp.and_(*failed), STAGE, reason))
        return exp.func("TRY", safe)


def guard(tree: exp.Expr, type_of: TypeOf, *, when: exp.Expr | None = None) -> Guarded:
    """``tree`` rewritten so that no value makes it fail, with a check per node that could have.

    ``when``: the rows on which ``tree`` is evaluated at all (e.g. a ``sql`` rule's WHERE).
    """
    g = _Guard(type_of)
    safe = g.node(tree, [] if when is None else [_is_true(when)])
    return Guarded(safe, g.checks)
