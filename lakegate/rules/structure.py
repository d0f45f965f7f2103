"""Structure rules: flatten nested structs, parse JSON strings into typed values."""

from __future__ import annotations

from typing import ClassVar, Literal

import sqlglot
from pydantic import Field
from sqlglot import exp

from lakegate.plan.emit import col, lit
from lakegate.plan.steps import Check, MarkDeadLetter, Project, Step
from lakegate.rules.base import DIALECT, LoweringContext, Rule, func
from lakegate.rules.cast import ON_ERROR_DESCRIPTION, OnError
from lakegate.rules.options import TypeName
from lakegate.schemas.json_decode import decode_value, quote_ident
from lakegate.schemas.types import LType, parse_type

PARSE_JSON = "lakegate.parse_json"
"""Key of the meta data a `parse_json` rule leaves on its expressions: column, type, part."""


class Flatten(Rule):
    type: Literal["flatten"]
    columns: list[str] | None = Field(
        None, description="Struct columns to flatten; default: every struct column."
    )
    separator: str = Field("_", description="Joins parent and child names: `device_os`.")

    summary: ClassVar[str] = "Replace struct columns by one column per leaf field (`parent_child`), recursively."
    example: ClassVar[str] = "- type: flatten\n  columns: [device]"

    def lower(self, ctx: LoweringContext) -> list[Step]:
        targets = set(
            ctx.columns(self.columns, "struct")
            if self.columns is not None
            else [f.name for f in ctx.schema if f.type.kind == "struct"]
        )
        columns: list[tuple[str, exp.Expr]] = []
        for f in ctx.schema:
            if f.name in targets:
                columns.extend(self._leaves(f.name, col(f.name), f.type))
            else:
                columns.append((f.name, col(f.name)))
        names = [n for n, _ in columns]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ctx.error(f"flattening would create duplicate columns: {', '.join(clashes)}")
        for name in names:
            ctx.check_new_name(name)
        required = {f.name for f in ctx.schema if f.required and f.name not in targets}
        return [Project(ctx.rule, columns=columns, required=frozenset(required))]

    def _leaves(self, prefix: str, e: exp.Expr, t: LType) -> list[tuple[str, exp.Expr]]:
        if t.kind != "struct":
            return [(prefix, e)]
        out: list[tuple[str, exp.Expr]] = []
        for name, sub in t.fields:
            child = func("STRUCT_EXTRACT", e.copy(), lit(name))
            out.extend(self._leaves(f"{prefix}{self.separator}{name}", child, sub))
        return out


class ParseJson(Rule):
    type: Literal["parse_json"]
    column: str = Field(description="String column holding JSON text.")
    into: str | None = Field(None, description="Output column; default: replaces the input.")
    schema_: TypeName = Field(
        alias="schema",
        description="Type of the result, e.g. `struct<os: string, version: int>` or `list<long>`.",
    )
    on_error: OnError = Field("dlq", description=ON_ERROR_DESCRIPTION)

    summary: ClassVar[str] = "Parse a JSON string into a typed struct, list or value."
    example: ClassVar[str] = (
        "- type: parse_json\n  column: metadata\n  schema: 'struct<browser: string, screen_width: int>'"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        ctx.require(self.column, "string")
        raw = f"TRY_CAST({quote_ident(self.column)} AS JSON)"
        decoded = decode_value(raw, parse_type(self.schema_))
        text = decoded.value
        if self.on_error == "null":  # a partly valid value is no value: never a struct of half nulls
            text = f"CASE WHEN NOT COALESCE({decoded.invalid}, FALSE) THEN {decoded.value} END"
        value = sqlglot.parse_one(text, dialect=DIALECT)
        # What the rule means, for emitters that cannot translate DuckDB's JSON functions (Flink).
        meaning = {"column": self.column, "type": self.schema_, "null_if_invalid": self.on_error == "null"}
        value.meta[PARSE_JSON] = {**meaning, "part": "value"}
        steps: list[Step] = []
        if self.on_error != "null":
            text_present = f"{quote_ident(self.column)} IS NOT NULL"
            failed = f"{text_present} AND ({raw} IS NULL OR ({decoded.invalid}))"
            reason = exp.DPipe(
                this=lit(f"{self.column} is not JSON of type {self.schema_}: "),
                expression=func("LEFT", col(self.column), lit(200)),
            )
            stage = "fatal" if self.on_error == "fail" else "convert"
            failed_when = sqlglot.parse_one(failed, dialect=DIALECT)
            failed_when.meta[PARSE_JSON] = {**meaning, "part": "failed"}
            steps.append(MarkDeadLetter(ctx.rule, checks=[Check(failed_when, stage, reason)]))
        return [*steps, ctx.project_with({self.into or self.column: value})]

