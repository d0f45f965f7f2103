"""Compile a validated pipeline spec into a typed :class:`~lakegate.plan.model.Plan`.

Passes, in order: resolve schemas → lower every rule to steps → type-check each rule by binding the
emitted SQL → split steps into segments → check sinks against the transforms that feed them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

import pyarrow as pa

from lakegate import records
from lakegate.connectors.jsonl.config import JsonlSinkConfig
from lakegate.connectors.sources import load_source_class
from lakegate.errors import CompileError, LakegateError
from lakegate.plan.emit import SqlEmitter
from lakegate.plan.model import Plan, Segment, SinkPlan, SourcePlan, TransformPlan
from lakegate.plan.steps import SQL_STEPS, MarkDeadLetter, Project, PythonCall, Route, Step, UserSelect
from lakegate.plan.typecheck import connect, infer_schema
from lakegate.rules.base import LoweringContext
from lakegate.rules.privacy import SECRET_PREFIX
from lakegate.schemas.resolve import resolve_schema
from lakegate.schemas.schema import Field, Schema
from lakegate.spec import LoadedPipeline
from lakegate.spec.models import TransformSpec

FIXED_HIDDEN = [
    records.STREAM, records.INDEX, records.ROW, records.DLQ_STAGE, records.DLQ_RULE,
    records.DLQ_REASON, records.FILTERED, records.ROUTE,
]  # fmt: skip
HIDDEN_TYPES = {
    records.STREAM: pa.string(), records.INDEX: pa.int64(), records.ROW: pa.int64(),
    records.DLQ_STAGE: pa.string(), records.DLQ_RULE: pa.string(), records.DLQ_REASON: pa.string(),
    records.FILTERED: pa.bool_(), records.ROUTE: pa.string(),
}  # fmt: skip


_SECRET = re.compile(r"\$" + SECRET_PREFIX + r"([A-Za-z_][A-Za-z0-9_]*)")


def meta_column(key: str) -> str:
    """The hidden column carrying source metadata ``key``."""
    return f"{records.PREFIX}meta_{key}"


def hidden_schema(hidden: list[str], metadata_types: Mapping[str, pa.DataType] | None = None) -> list[pa.Field]:
    """The bookkeeping columns' fields (metadata columns typed as their source declares)."""
    types = {**HIDDEN_TYPES, **{meta_column(k): t for k, t in (metadata_types or {}).items()}}
    return [pa.field(h, types.get(h, pa.string())) for h in hidden]


def compile_pipeline(
    loaded: LoadedPipeline, env: Mapping[str, str] | None = None, *, require_secrets: bool = True
) -> Plan:
    """Compile ``loaded`` into a plan; raises a located :class:`CompileError` on the first problem.

    ``require_secrets=False`` accepts missing secret environment variables, for commands that never
    evaluate rules (``lakegate query``).
    """
    spec = loaded.spec
    environ = dict(os.environ if env is None else env)
    schemas = {
        name: resolve_schema(name, s, loaded.source_map, ("schemas", name))
        for name, s in spec.schemas.items()
    }
    sources: dict[str, SourcePlan] = {}
    for name, config in spec.sources.items():
        schema_name = config.schema_
        source_class = load_source_class(config.type)
        sources[name] = SourcePlan(
            name,
            config,
            schemas[schema_name],
            tuple(source_class.metadata_keys),
            dict(source_class.metadata_types),
        )
    con = connect()
    transforms: dict[str, TransformPlan] = {}
    # Python transformers may live beside the pipeline file.
    base = str(loaded.base_dir)
    if base not in sys.path:
        sys.path.append(base)
    for name, transform in spec.transforms.items():
        if not transform.enabled:
            continue
        transforms[name] = _compile_transform(name, transform, sources, loaded, environ, con, require_secrets)
    con.close()
    sinks = _sink_plans(loaded, transforms)
    dlq = spec.dlq or JsonlSinkConfig(type="jsonl", path=str(loaded.state_dir / "dlq"))
    return Plan(
        pipeline=spec.pipeline,
        version=spec.version,
        base_dir=loaded.base_dir,
        state_dir=loaded.state_dir,
        sources=sources,
        transforms=transforms,
        sinks=sinks,
        dlq=dlq,
        catalogs=dict(spec.catalogs),
        threads=spec.settings.threads,
        retry=spec.settings.retry,
    )


def _compile_transform(
    name: str,
    transform: TransformSpec,
    sources: dict[str, SourcePlan],
    loaded: LoadedPipeline,
    env: dict[str, str],
    con: object,
    require_secrets: bool,
) -> TransformPlan:
    source = sources[transform.source]
    hidden = FIXED_HIDDEN + [meta_column(k) for k in source.metadata_keys]
    emitter = SqlEmitter(hidden)
    schema = source.schema
    segments: list[Segment] = []
    pending: list[Step] = []
    pending_input = schema
    routes: list[str] = []
    rule_names: list[str] = []
    rule_types: dict[str, str] = {}
    params = {f"{SECRET_PREFIX}{k}": v for k, v in env.items()}

    def flush() -> None:
        nonlocal pending, pending_input
        if pending:
            sql = emitter.sql(pending, pending_input.names, pretty=True)
            segments.append(Segment(pending, pending_input, schema, sql=sql))
        pending, pending_input = [], schema

    for i, rule in enumerate(transform.rules):
        rule_name = rule.name or f"{rule.type}_{i + 1}"
        rule_names.append(rule_name)
        rule_types[rule_name] = rule.type
        ctx = LoweringContext(
            schema=schema,
            rule=rule_name,
            pipeline=loaded.spec.pipeline,
            version=loaded.spec.version,
            source=transform.source,
            sinks=tuple(loaded.spec.sinks),
            metadata_columns={k: meta_column(k) for k in source.metadata_keys},
            env=env,
            require_secrets=require_secrets,
        )
        try:
            steps = rule.lower(ctx)
            if ctx.evaluation_checks:  # records the rule's expressions would fail on
                steps = [MarkDeadLetter(rule_name, checks=ctx.evaluation_checks), *steps]
            for step in steps:
                if isinstance(step, PythonCall):
                    flush()
                    out = _python_output(step, schema)
                    segments.append(Segment([step], schema, out))
                    schema = pending_input = out
                    continue
                assert isinstance(step, SQL_STEPS)
                if isinstance(step, Route):
                    routes.append(step.sink)
                pending.append(step)
            sql_steps = [s for s in steps if not isinstance(s, PythonCall)]
            if sql_steps:  # bind this rule's steps alone, over the schema flowing into it
                sql = emitter.sql(sql_steps, schema.names)
                arrow_in = pa.schema([*schema.to_arrow(), *hidden_schema(hidden, source.metadata_types)])
                inferred = infer_schema(con, sql, arrow_in, params, rule=rule_name)  # type: ignore[arg-type]
                schema = _visible(inferred, sql_steps, schema)
        except LakegateError as exc:
            raise _locate(exc, loaded, ("transforms", name, "rules", i), name, rule_name) from None
    flush()
    secrets = sorted({m for seg in segments if seg.sql for m in _SECRET.findall(seg.sql)})
    return TransformPlan(
        name=name,
        source=transform.source,
        input_schema=source.schema,
        output_schema=schema,
        segments=segments,
        sinks=list(transform.sinks),
        routes=sorted(set(routes)),
        hidden=hidden,
        secrets=secrets,
        rule_names=rule_names,
        rule_types=rule_types,
    )


def _visible(inferred: pa.Schema, steps: list[Step], before: Schema) -> Schema:
    """The visible schema after ``steps``, with required flags carried where known."""
    required: set[str] = {f.name for f in before if f.required}
    for step in steps:
        if isinstance(step, Project):
            required = set(step.required)
        elif isinstance(step, UserSelect):
            required = set()
    fields = [
        Field(f.name, Schema.from_arrow(pa.schema([f])).fields[0].type, required=f.name in required)
        for f in inferred
        if not records.is_hidden(f.name)
    ]
    return Schema(tuple(fields))


def _python_output(step: PythonCall, schema: Schema) -> Schema:
    transformer = step.transformer
    arrow_in = schema.to_arrow()
    try:
        if hasattr(transformer, "output_schema"):
            out = transformer.output_schema(arrow_in)
        else:
            out = transformer.transform(pa.RecordBatch.from_pylist([], schema=arrow_in)).schema
    except Exception as exc:  # user code
        raise CompileError(
            f"transformer {step.class_path} failed to report its output schema: {exc!r}",
            rule=step.rule,
        ) from None
    if not isinstance(out, pa.Schema):
        raise CompileError(f"transformer {step.class_path} did not produce an Arrow schema", rule=step.rule)
    hidden = [f.name for f in out if records.is_hidden(f.name)]
    if hidden:
        raise CompileError(f"column names starting with {records.PREFIX} are reserved: {hidden}", rule=step.rule)
    return Schema.from_arrow(out)


def _locate(
    exc: LakegateError, loaded: LoadedPipeline, path: tuple[str | int, ...], transform: str, rule: str
) -> LakegateError:
    pos = loaded.source_map.locate(path)
    exc.context = {
        "file": loaded.source_map.file,
        "line": pos[0] if pos else None,
        "column": pos[1] if pos else None,
        "transform": transform,
        **{k: v for k, v in exc.context.items() if k not in ("file", "line", "column")},
        "rule": rule,
    }
    exc.context = {k: v for k, v in exc.context.items() if v is not None}
    return exc


def _sink_plans(loaded: LoadedPipeline, transforms: dict[str, TransformPlan]) -> dict[str, SinkPlan]:
    feeds: dict[str, list[str]] = {}
    for t in transforms.values():
        for sink in [*t.sinks, *t.routes]:
            feeds.setdefault(sink, []).append(t.name)
    plans: dict[str, SinkPlan] = {}
    for sink, names in feeds.items():
        schema = transforms[names[0]].output_schema
        for other in names[1:]:
            if transforms[other].output_schema.to_arrow() != schema.to_arrow():
                pos = loaded.source_map.locate(("sinks", sink))
                raise CompileError(
                    f"sink {sink!r} is fed by transforms {names[0]!r} and {other!r} with different "
                    "output schemas",
                    hint="make the transforms produce the same columns (keep/cast), or use two sinks",
                    file=loaded.source_map.file,
                    line=pos[0] if pos else None,
                )
        config = loaded.spec.sinks[sink]
        check = getattr(config, "check_schema", None)  # optional hook of a sink config model
        if check is not None:
            try:
                check(schema)
            except CompileError as exc:
                pos = loaded.source_map.locate(("sinks", sink))
                raise CompileError(
                    f"sink {sink!r}: {exc.message}", hint=exc.hint, file=loaded.source_map.file,
                    line=pos[0] if pos else None,
                ) from None  # fmt: skip
        plans[sink] = SinkPlan(sink, config, schema, names)
    return plans
