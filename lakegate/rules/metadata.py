"""The add_metadata rule: where and when a record was ingested, and by what."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field
from sqlglot import exp

from lakegate import records
from lakegate.plan.emit import col, lit
from lakegate.plan.steps import Step
from lakegate.rules.base import LoweringContext, Rule

STATIC = ("ingestion_time", "source", "pipeline", "version")
POSITIONAL = {"stream": records.STREAM, "index": records.INDEX}


class AddMetadata(Rule):
    type: Literal["add_metadata"]
    columns: dict[str, str] = Field(
        min_length=1,
        description="New column → what it holds: `ingestion_time`, `source`, `pipeline`, `version` "
        "(the rule-set version), `stream` (file path or topic-partition), `index` (record number "
        "in the file or offset), or a source metadata key (`file` for the files source).",
    )

    summary: ClassVar[str] = "Add ingestion time, source name, file/offset, pipeline and rule-set version."
    example: ClassVar[str] = (
        "- type: add_metadata\n  columns: {ingested_at: ingestion_time, source_file: file, "
        "rule_version: version}"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        known = [*STATIC, *POSITIONAL, *ctx.metadata_columns]
        values: dict[str, exp.Expr] = {}
        for name, kind in self.columns.items():
            if name in ctx.schema:
                raise ctx.error(f"column {name!r} already exists", column=name)
            values[name] = self._value(ctx, kind, known)
        return [ctx.project_with(values)]

    def _value(self, ctx: LoweringContext, kind: str, known: list[str]) -> exp.Expr:
        if kind == "ingestion_time":
            return exp.Cast(this=exp.CurrentTimestamp(), to=exp.DataType.build("TIMESTAMPTZ"))
        if kind == "source":
            return lit(ctx.source)
        if kind == "pipeline":
            return lit(ctx.pipeline)
        if kind == "version":
            return lit(ctx.version)
        if kind in POSITIONAL:
            return col(POSITIONAL[kind])
        if kind in ctx.metadata_columns:
            return col(ctx.metadata_columns[kind])
        from lakegate.suggest import did_you_mean

        raise ctx.error(
            f"unknown metadata {kind!r}{did_you_mean(kind, known)}",
            hint="available here: " + ", ".join(known),
        )
