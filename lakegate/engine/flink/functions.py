"""Translate the rules' DuckDB-flavoured expressions into Flink SQL expressions with the same meaning.

:class:`FlinkTranslator` walks an expression top-down. Operators and functions that mean the same in
both engines are copied; the others are rewritten (:mod:`casts`, :mod:`timefuncs`); anything else is
:class:`~lakegate.engine.flink.timefuncs.Unsupported`, which the capability check turns into a compile
error naming the rule. Types come from the step's input schema: columns directly, anything else by
asking DuckDB's binder (compile time only, no data).
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
from sqlglot import exp

from lakegate import records
from lakegate.engine.flink import casemap, casts, timefuncs
from lakegate.engine.flink.dialect import flink_call, flink_data_type
from lakegate.engine.flink.timefuncs import NTZ, TS, Unsupported
from lakegate.plan.emit import lit
from lakegate.rules import binding
from lakegate.rules.conversions import TEXT_CONVERSION, cast_target
from lakegate.rules.failures import OVERFLOW_NULL
from lakegate.rules.structure import PARSE_JSON
from lakegate.rules.time import UTC_OFFSET
from lakegate.schemas.schema import Schema
from lakegate.schemas.types import LType, from_arrow, parse_type

SAME_MEANING: tuple[type[exp.Expr], ...] = (
    exp.Paren, exp.And, exp.Or, exp.Not, exp.Is, exp.In, exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT,
    exp.GTE, exp.Add, exp.Sub, exp.Mul, exp.Neg, exp.Case, exp.If, exp.Coalesce, exp.Between,
    exp.Like, exp.Literal, exp.Boolean, exp.Null, exp.Placeholder, exp.Identifier, exp.Alias, exp.Star,
    exp.Abs, exp.Ceil, exp.Floor, exp.Left, exp.Right, exp.Repeat, exp.Nullif,
    exp.Greatest, exp.Least, exp.Replace, exp.MD5, exp.Tuple, exp.DPipe, exp.Var,
    exp.TableAlias, exp.Table, exp.From, exp.Select,
)  # fmt: skip
"""Nodes whose Flink spelling and meaning are DuckDB's (children are translated)."""

_EXTRACTS = {exp.Year: "YEAR", exp.Month: "MONTH", exp.Day: "DAYOFMONTH", exp.Hour: "HOUR", exp.Minute: "MINUTE"}


class FlinkTranslator:
    """Translates expressions over the visible columns ``schema`` of one step's input."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.handlers: dict[type[exp.Expr], Callable[[exp.Expr], exp.Expr]] = {
            exp.Column: self._column, exp.Cast: self._cast, exp.TryCast: self._cast, exp.Div: self._div,
            exp.IntDiv: self._int_div, exp.Mod: self._mod, exp.Length: self._length, exp.Concat: self._concat,
            exp.ConcatWs: self._concat_ws, exp.SHA2: self._sha2, exp.RegexpLike: self._regexp_like,
            exp.RegexpExtract: self._regexp_extract, exp.RegexpReplace: self._regexp_replace,
            exp.Split: self._split, exp.Substring: self._substring, exp.Pad: self._pad, exp.Trim: self._trim,
            exp.Round: self._round, exp.StructExtract: self._struct_extract, exp.Try: self._try,
            exp.Anonymous: self._anonymous, exp.UnixToTime: self._unix_to_time,
            exp.TimeToStr: self._strftime, exp.TimeToUnix: self._epoch, exp.CurrentTimestamp: self._now,
            exp.Dot: self._dot, exp.Upper: self._upper, exp.Lower: self._lower,
            exp.Reverse: self._reverse,
        }  # fmt: skip

    # --- entry points ---------------------------------------------------------------------

    def translate(self, node: exp.Expr) -> exp.Expr:
        """``node`` (DuckDB flavour, never modified) as a Flink expression."""
        if UTC_OFFSET in node.meta:
            meaning = node.meta[UTC_OFFSET]
            return timefuncs.utc_offset(self.translate(meaning["instant"]), meaning["zone"])
        if TEXT_CONVERSION in node.meta:
            meaning = node.meta[TEXT_CONVERSION]
            return casts.convert(self.translate(meaning["text"]), casts.STRING, meaning["target"])
        if PARSE_JSON in node.meta:  # DuckDB's JSON functions: translate what the rule means instead
            return self._parse_json(node.meta[PARSE_JSON])
        for kind in type(node).__mro__:
            handler = self.handlers.get(kind)  # type: ignore[arg-type]
            if handler is not None:
                return handler(node)
        for kind, unit in _EXTRACTS.items():
            if isinstance(node, kind):
                return exp.Extract(this=exp.var(unit), expression=self.wall(node.this))
        if isinstance(node, SAME_MEANING):
            return self.copy(node)
        name = node.sql_name() if isinstance(node, exp.Func) else type(node).__name__
        raise Unsupported(f"{name} ({node.sql(dialect='duckdb')[:60]}) has no Flink translation")

    def type_of(self, node: exp.Expr) -> LType:
        """The lakegate type of ``node`` (DuckDB flavour) over the step's input."""
        if isinstance(node, exp.Column) and len(node.parts) == 1 and node.name in self.schema:
            return self.schema.field(node.name).type
        if isinstance(node, exp.Column) and records.is_hidden(node.name):  # add_metadata's sources
            return LType("long") if node.name in (records.INDEX, records.ROW) else LType("string")
        if isinstance(node, exp.Cast) and (target := cast_target(node)) is not None:
            return target  # else (e.g. HUGEINT) ask the binder
        bindable = node.copy().transform(lambda n: lit("") if isinstance(n, exp.Placeholder) else n)
        arrow = binding.expression_type(bindable, self.schema, rule="")
        if pa.types.is_null(arrow):
            return LType("string")
        return from_arrow(arrow)

    def copy(self, node: exp.Expr) -> exp.Expr:
        """``node`` with every child translated."""
        args: dict[str, object] = {}
        for key, value in node.args.items():
            if isinstance(value, exp.Expr):
                args[key] = self.translate(value)
            elif isinstance(value, list):
                args[key] = [self.translate(v) if isinstance(v, exp.Expr) else v for v in value]
            else:
                args[key] = value
        return type(node)(**args)

    def args(self, node: exp.Expr) -> list[exp.Expr]:
        return [self.translate(a) for a in node.expressions]

    def wall(self, node: exp.Expr) -> exp.Expr:
        """``node`` as a wall-clock TIMESTAMP(6) (an instant in UTC, a date at midnight)."""
        kind = self.type_of(node).kind
        value = self.translate(node)
        if kind == "timestamp":
            return timefuncs.wall_utc(value)
        if kind == "date":
            return timefuncs.cast(value, NTZ)
        return value

    # --- columns, casts, arithmetic ----------------------------------------------------------

    def _column(self, node: exp.Expr) -> exp.Expr:
        assert isinstance(node, exp.Column)
        parts = [p.name for p in node.parts]
        out: exp.Expr = exp.column(parts[0], quoted=True)
        for field in parts[1:]:  # s.field reads a struct field
            out = exp.Dot(this=out, expression=exp.to_identifier(field, quoted=True))
        return out

    def _dot(self, node: exp.Expr) -> exp.Expr:
        return exp.Dot(this=self.translate(node.this), expression=exp.to_identifier(node.expression.name, quoted=True))

    def _cast(self, node: exp.Expr) -> exp.Expr:
        target = self.type_of(node)
        operand = node.this
        if isinstance(operand, exp.Literal | exp.Neg) and not target.is_nested and target.kind != "binary":
            # Folded now (a TRY_CAST of a constant also trips Flink's code generator).
            return constant(node, target)
        if isinstance(operand, exp.CurrentTimestamp):
            return self._now(operand)
        return casts.convert(self.translate(operand), self.type_of(operand), target)

    def _div(self, node: exp.Expr) -> exp.Expr:
        left, right = self.type_of(node.this), self.type_of(node.expression)
        out = self.copy(node)
        if not {left.kind, right.kind} & {"double", "float"}:  # DuckDB's `/` is a double division
            out.set("this", timefuncs.cast(out.this, LType("double")))
        return out

    def _divisor(self, node: exp.Expr) -> exp.Expr:
        """The right operand, NULL where it is zero (DuckDB's `//` and `%` give NULL; Flink throws)."""
        return exp.Nullif(this=self.translate(node.expression), expression=lit(0))

    def _int_div(self, node: exp.Expr) -> exp.Expr:
        whole = [t.is_integer or (t.kind == "decimal" and t.scale == 0) for t in map(self.type_of, (node.this, node.expression))]
        if not all(whole):  # DuckDB's `//` of fractions is a plain division
            raise Unsupported("`//` of non-integers has no Flink translation", hint="use `/` (a double division)")
        quotient = exp.Div(this=self.translate(node.this), expression=self._divisor(node))
        return flink_call("TRUNCATE", quotient, lit(0))

    def _mod(self, node: exp.Expr) -> exp.Expr:
        if {self.type_of(node.this).kind, self.type_of(node.expression).kind} & {"double", "float"}:
            raise Unsupported("`%` of a double has no Flink translation", hint="cast the operands to decimal first")
        return exp.Mod(this=self.translate(node.this), expression=self._divisor(node))

    def _round(self, node: exp.Expr) -> exp.Expr:
        if self.type_of(node.this).kind not in ("double", "float"):
            return self.copy(node)
        if node.args.get("decimals") is not None:
            raise Unsupported("ROUND of a double to digits has no Flink translation", hint="cast it to a decimal first")
        # DuckDB rounds a double half away from zero.
        x = self.translate(node.this)
        up = flink_call("FLOOR", exp.Add(this=x.copy(), expression=exp.Literal.number("0.5")))
        down = exp.Neg(this=flink_call("FLOOR", exp.Add(this=exp.Neg(this=x.copy()), expression=exp.Literal.number("0.5"))))
        return exp.Case().when(exp.LT(this=x, expression=lit(0)), down).else_(up)

    def _try(self, node: exp.Expr) -> exp.Expr:
        value = self.translate(node.this)
        if OVERFLOW_NULL in node.meta:  # Flink's NULL of an overflow, hidden from the planner's folding
            return exp.Nullif(this=flink_call("CONCAT_WS", lit(""), timefuncs.cast(value, LType("string"))), expression=lit(""))
        return value

    def _now(self, node: exp.Expr) -> exp.Expr:
        return timefuncs.cast(exp.CurrentTimestamp(), TS)

    # --- strings ----------------------------------------------------------------------------

    def _length(self, node: exp.Expr) -> exp.Expr:
        kind = self.type_of(node.this).kind
        name = "CARDINALITY" if kind in ("list", "map") else "CHAR_LENGTH"
        return flink_call(name, self.translate(node.this))

    def _upper(self, node: exp.Expr) -> exp.Expr:
        return casemap.case_map(self.translate(node.this), upper=True)

    def _lower(self, node: exp.Expr) -> exp.Expr:
        return casemap.case_map(self.translate(node.this), upper=False)

    def _concat(self, node: exp.Expr) -> exp.Expr:
        # DuckDB's concat() skips NULLs; Flink's CONCAT is NULL when any argument is.
        return flink_call("CONCAT_WS", lit(""), *(self._text(a) for a in node.expressions))

    def _concat_ws(self, node: exp.Expr) -> exp.Expr:
        separator, *values = node.expressions
        return flink_call("CONCAT_WS", self.translate(separator), *(self._text(a) for a in values))

    def _text(self, node: exp.Expr) -> exp.Expr:
        return casts.to_string(self.translate(node), self.type_of(node))

    def _sha2(self, node: exp.Expr) -> exp.Expr:
        length = node.args.get("length")
        bits = int(length.name) if length is not None else 256
        return flink_call("SHA256" if bits == 256 else f"SHA{bits}", self.translate(node.this))

    def _substring(self, node: exp.Expr) -> exp.Expr:
        start, length = node.args.get("start"), node.args.get("length")
        if start is None or not _positive_literal(start):
            raise Unsupported("SUBSTRING needs a literal start >= 1 on Flink")
        args = [self.translate(node.this), self.translate(start)]
        if length is not None:
            args.append(self.translate(length))
        return flink_call("SUBSTRING", *args)

    def _pad(self, node: exp.Expr) -> exp.Expr:
        """DuckDB's lpad/rpad, counting code points (Flink's LPAD/RPAD count UTF-16 units)."""
        fill = node.args.get("fill_pattern")  # padding with '' is a dead letter (rules.failures)
        text, width = self.translate(node.this), self.translate(node.expression)
        filler = self.translate(fill) if fill is not None else lit(" ")
        length = flink_call("CHAR_LENGTH", text.copy())
        missing = exp.Sub(this=width.copy(), expression=length.copy())
        padding = flink_call("SUBSTRING", flink_call("REPEAT", filler, width.copy()), lit(1), missing)
        padded = flink_call("CONCAT", *((padding, text.copy()) if node.args.get("is_left") else (text.copy(), padding)))
        cut = flink_call("SUBSTRING", text.copy(), lit(1), flink_call("GREATEST", width.copy(), lit(0)))
        return exp.Case().when(exp.GTE(this=length, expression=width), cut).else_(padded)

    def _reverse(self, node: exp.Expr) -> exp.Expr:
        """DuckDB reverses grapheme clusters (a letter with its accents, a flag), Flink code points."""
        clusters = flink_call("REGEXP_EXTRACT_ALL", self.translate(node.this), lit(r"(\X)"), lit(1))
        return flink_call("ARRAY_JOIN", flink_call("ARRAY_REVERSE", clusters), lit(""))

    def _trim(self, node: exp.Expr) -> exp.Expr:
        if node.args.get("expression") is not None or node.args.get("position"):
            raise Unsupported("TRIM with characters or a side has no Flink translation here; use the trim rule")
        return exp.Trim(this=self.translate(node.this))

    def _split(self, node: exp.Expr) -> exp.Expr:
        text = self.translate(node.this)
        # DuckDB splits '' into [''], Flink into [].
        empty = exp.Cast(this=exp.Array(expressions=[lit("")]), to=flink_data_type(parse_type("list<string>")))
        return (
            exp.Case()
            .when(exp.EQ(this=text, expression=lit("")), empty)
            .else_(flink_call("SPLIT", text.copy(), self.translate(node.expression)))
        )

    def _struct_extract(self, node: exp.Expr) -> exp.Expr:
        return exp.Dot(this=self.translate(node.this), expression=exp.to_identifier(node.expression.name, quoted=True))

    # --- regular expressions ------------------------------------------------------------------

    def _regexp_like(self, node: exp.Expr) -> exp.Expr:
        return flink_call("REGEXP", self.translate(node.this), _java_regex(node.expression))

    def _regexp_extract(self, node: exp.Expr) -> exp.Expr:
        group = node.args.get("group")
        text = self.translate(node.this)
        found = flink_call("REGEXP_EXTRACT", text, _java_regex(node.expression), self.translate(group) if group is not None else lit(0))
        # DuckDB gives '' when nothing matches (or the group took no part); Flink gives NULL.
        return exp.Case().when(exp.Not(this=exp.Is(this=text.copy(), expression=exp.null())), exp.func("COALESCE", found, lit("")))

    def _regexp_replace(self, node: exp.Expr) -> exp.Expr:
        modifiers = node.args.get("modifiers")
        if modifiers is None or "g" not in modifiers.name:
            raise Unsupported("REGEXP_REPLACE of the first match only has no Flink translation", hint="pass 'g'")
        replacement = node.args["replacement"]
        if not isinstance(replacement, exp.Literal) or not replacement.is_string:
            raise Unsupported("REGEXP_REPLACE needs a literal replacement on Flink")
        return flink_call(
            "REGEXP_REPLACE", self.translate(node.this), _java_regex(node.expression), lit(literal_replacement(replacement.name))
        )

    def _parse_json(self, meaning: dict[str, object]) -> exp.Expr:
        """The `parse_json` rule: its value, or its "cannot be parsed" condition."""
        from lakegate.engine.flink.decode import JsonValue, decode_value

        text = exp.column(str(meaning["column"]), quoted=True)
        decoded = decode_value(JsonValue(text, "$"), parse_type(str(meaning["type"])), f"parse_json {meaning['column']}")
        if meaning["part"] == "failed":
            malformed = exp.Not(this=exp.var(f"{self._sql(text)} IS JSON"))
            return exp.and_(exp.Not(this=exp.Is(this=text.copy(), expression=exp.null())), exp.paren(exp.or_(malformed, decoded.invalid)))
        if meaning["null_if_invalid"]:
            return exp.Case().when(exp.Not(this=exp.func("COALESCE", decoded.invalid, exp.false())), decoded.value)
        return decoded.value

    @staticmethod
    def _sql(e: exp.Expr) -> str:
        from lakegate.engine.flink.dialect import to_sql

        return to_sql(e)

    # --- time --------------------------------------------------------------------------------

    def _anonymous(self, node: exp.Expr) -> exp.Expr:
        name = node.name.upper()
        args = node.expressions
        if name == "TIMEZONE" and len(args) == 2 and isinstance(args[0], exp.Literal):
            zone = args[0].name
            if self.type_of(args[1]).kind == "timestamp":
                return timefuncs.to_wall(self.translate(args[1]), zone)
            return timefuncs.from_wall(self.wall(args[1]), zone)
        if name == "TRY_STRPTIME" and len(args) == 2 and isinstance(args[1], exp.Literal):
            return timefuncs.parse_strptime(self.translate(args[0]), args[1].name)
        raise Unsupported(f"the function {name} has no Flink translation")

    def _unix_to_time(self, node: exp.Expr) -> exp.Expr:
        scale = node.args.get("scale")
        digits = int(scale.name) if isinstance(scale, exp.Literal) else 0
        if digits not in (0, 3, 6):
            raise Unsupported("this epoch conversion has no Flink translation")
        # MAKE_TIMESTAMP(micros) / epoch_ms(ms) / to_timestamp(s) are UTC wall-clock times.
        factor = 10 ** (6 - digits)
        value = self.translate(node.this)
        micros = value if factor == 1 else exp.Mul(this=exp.paren(value), expression=lit(factor))
        instant = timefuncs.micros_to_instant(timefuncs.cast(micros, LType("long")))
        return instant if digits == 0 else timefuncs.wall_utc(instant)

    def _strftime(self, node: exp.Expr) -> exp.Expr:
        fmt = node.args["format"]
        if not isinstance(fmt, exp.Literal):
            raise Unsupported("STRFTIME needs a literal format on Flink")
        return timefuncs.strftime(self.wall(node.this), fmt.name)

    def _epoch(self, node: exp.Expr) -> exp.Expr:
        return timefuncs.epoch_seconds(self.wall(node.this))


def _positive_literal(e: exp.Expr) -> bool:
    return isinstance(e, exp.Literal) and not e.is_string and int(float(e.name)) >= 1


def _java_regex(pattern: exp.Expr) -> exp.Expr:
    """An RE2 pattern literal as a Java one (named groups are spelled ``(?<name>``)."""
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        raise Unsupported("regular expressions must be literals on Flink")
    return lit(pattern.name.replace("(?P<", "(?<"))


def literal_replacement(re2: str) -> str:
    """The text an RE2 replacement stands for; Flink inserts its replacement literally, so a
    reference to a capture group (``\\1``) is unsupported."""
    out = ""
    i = 0
    while i < len(re2):
        ch = re2[i]
        if ch == "\\" and i + 1 < len(re2):
            nxt = re2[i + 1]
            if nxt.isdigit():
                raise Unsupported(
                    f"the replacement {re2!r} refers to a capture group, which Flink's REGEXP_REPLACE cannot",
                    hint="use regex_extract into a new column and concat instead",
                )
            out += nxt
            i += 2
            continue
        out += ch
        i += 1
    return out


def constant(node: exp.Expr, target: LType) -> exp.Expr:
    """A cast of a literal, folded at compile time by DuckDB into a Flink literal of ``target``."""
    from lakegate.rules.binding import _connection

    value = node.sql(dialect="duckdb")
    if target.kind == "timestamp":
        value = f"strftime(timezone('UTC', {value}), '%Y-%m-%d %H:%M:%S.%f')"
    elif target.kind == "timestamp_ntz":
        value = f"strftime({value}, '%Y-%m-%d %H:%M:%S.%f')"
    row = _connection().execute(f"SELECT CAST({value} AS VARCHAR)").fetchone()
    text = None if row is None else row[0]
    if text is None:
        return exp.Cast(this=exp.null(), to=flink_data_type(target))
    if target.kind not in ("timestamp", "timestamp_ntz"):
        return exp.Cast(this=lit(text), to=flink_data_type(target))
    wall = exp.Cast(this=lit(text), to=flink_data_type(NTZ))
    return timefuncs.instant_of_utc(wall) if target.kind == "timestamp" else wall
