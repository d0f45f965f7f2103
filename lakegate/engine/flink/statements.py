"""A compiled plan as Flink SQL statements: the public entry point of the Flink target.

For every source: its table (from a :class:`TableFactory`: Kafka, files …) and a view decoding the
JSON records (:mod:`lakegate.engine.flink.decode`). For every transform: a view with its rules
(:class:`~lakegate.engine.flink.emit.FlinkEmitter`). Then one INSERT per sink, and one INSERT into
the DLQ covering decode failures and rule failures, all executed together as one statement set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa
from sqlglot import exp

from lakegate import records
from lakegate.engine.flink.decode import decode_select
from lakegate.engine.flink.dialect import flink_type, quote, to_sql, verbatim_type
from lakegate.engine.flink.emit import FlinkEmitter
from lakegate.engine.flink.secrets import fill
from lakegate.engine.local.deadletter import DLQ_SCHEMA
from lakegate.plan.compiler import meta_column
from lakegate.plan.model import Plan, SinkPlan, SourcePlan, TransformPlan
from lakegate.plan.steps import Step
from lakegate.schemas.types import from_arrow

__all__ = ["FlinkColumn", "FlinkStatements", "TableFactory", "flink_statements", "flink_type"]

PAYLOAD = "payload"
PAYLOAD_CARRIED = "__lg_payload"
PAYLOAD_BYTES = "__lg_payload_bytes"
PAYLOAD_UTF8 = "__lg_payload_utf8"
"""Source column: whether the record's bytes are valid UTF-8 (a record that is not is ``malformed
JSON``, as on the embedded engine, instead of being read with U+FFFD in place of its bad bytes)."""
DECODE_ERROR = "__lg_decode_error"
SESSION_CONFIG = {"table.local-time-zone": "UTC"}
"""Settings the statements assume: timestamps are computed in UTC, like the embedded engine."""


@dataclass
class FlinkColumn:
    """A column of a table the factory declares."""

    name: str
    type_sql: str


class TableFactory(Protocol):
    """Declares the tables a pipeline reads and writes (Kafka, Iceberg, files …)."""

    def source_table(
        self, source: SourcePlan, table: str, payload_column: str, metadata: dict[str, FlinkColumn]
    ) -> str:
        """``CREATE TABLE`` for a source: ``payload_column`` (STRING, the record's JSON text),
        ``PAYLOAD_UTF8`` (BOOLEAN, see :func:`payload_from_bytes`) and one column per metadata key
        (``stream``, ``index`` and the source's own keys)."""
        ...

    def sink_table(self, sink: SinkPlan, table: str, columns: list[FlinkColumn]) -> list[str]:
        """DDL statements declaring a sink's table with exactly ``columns``."""
        ...

    def dlq_table(self, table: str, columns: list[FlinkColumn]) -> list[str]:
        """DDL statements declaring the dead-letter table with exactly ``columns``."""
        ...


@dataclass
class FlinkStatements:
    """The job: DDL to run first, then the INSERTs to run together as one statement set."""

    ddl: list[str]
    inserts: list[str]
    config: dict[str, str] = field(default_factory=lambda: dict(SESSION_CONFIG))
    """Table configuration the job must run with (``SET`` these before the DDL)."""
    secrets: list[str] = field(default_factory=list)
    """Secrets the rules read (``'${secret:VAR}'`` literals, from environment variable ``VAR``; the
    table factories record their own): see :mod:`lakegate.engine.flink.secrets` and :meth:`bind`."""

    def bind(self, env: Mapping[str, str]) -> FlinkStatements:
        """The statements with every secret placeholder filled from ``env`` (at submit time, as the
        generated job does when it starts, so secrets never appear in compiled SQL)."""
        return FlinkStatements(
            [fill(s, env) for s in self.ddl], [fill(s, env) for s in self.inserts], dict(self.config), []
        )

    def script(self) -> str:
        """Everything as one SQL script (``SET`` lines, DDL, then the statement set)."""
        sets = [f"SET '{k}' = '{v}';" for k, v in self.config.items()]
        inserts = "\n\n".join(s + ";" for s in self.inserts)
        body = "\n\n".join(s + ";" for s in self.ddl)
        return "\n".join(sets) + "\n\n" + body + "\n\nEXECUTE STATEMENT SET BEGIN\n\n" + inserts + "\n\nEND;\n"


def payload_from_bytes(payload_column: str) -> list[tuple[str, str]]:
    """(name, definition) of a source's columns when each record is read as bytes (``raw`` format):
    ``PAYLOAD_BYTES``, the text in ``payload_column`` and ``PAYLOAD_UTF8``. Flink decodes invalid
    UTF-8 with U+FFFD in place of the bad bytes, so the text encoded again differs from the bytes
    exactly when they were not valid UTF-8."""
    raw = quote(PAYLOAD_BYTES)
    text = f"CAST({raw} AS STRING)"
    return [(PAYLOAD_BYTES, "BYTES"), (payload_column, f"AS {text}"), (PAYLOAD_UTF8, f"AS CAST({text} AS BYTES) = {raw}")]


def dlq_columns() -> list[FlinkColumn]:
    """The DLQ table's columns: the embedded engine's DLQ schema in Flink types."""
    return [FlinkColumn(f.name, flink_type(from_arrow(f.type))) for f in DLQ_SCHEMA]


def source_metadata(source: SourcePlan) -> dict[str, FlinkColumn]:
    """The metadata columns a source table must have: ``stream``, ``index`` and the source's own keys."""
    columns = {"stream": FlinkColumn(records.STREAM, "STRING"), "index": FlinkColumn(records.INDEX, "BIGINT")}
    for key in source.metadata_keys:
        arrow = source.metadata_types.get(key, pa.string())
        columns[key] = FlinkColumn(meta_column(key), flink_type(from_arrow(arrow)))
    return columns


def _comment(*lines: str) -> str:
    return "\n".join(f"-- {line}" for line in lines) + "\n"


def flink_statements(plan: Plan, tables: TableFactory) -> FlinkStatements:
    """The Flink SQL job of ``plan``; raises a :class:`CompileError` naming the rule for anything
    Flink cannot run with the embedded engine's semantics (see :mod:`.capabilities`)."""
    from lakegate.engine.flink.capabilities import located

    ddl: list[str] = []
    inserts: list[str] = []
    secrets: set[str] = set()
    used = {t.source for t in plan.transforms.values()}
    for name in sorted(used):
        source = plan.sources[name]
        metadata = source_metadata(source)
        ddl.append(_comment(f"source {name} ({source.config.type}): one row per raw JSON record")
                   + tables.source_table(source, f"src_{name}", PAYLOAD, metadata))  # fmt: skip
        passthrough = [c.name for c in metadata.values()]
        with located(transform=None, source=name):
            decode = decode_select(source.schema, PAYLOAD, passthrough, f"src_{name}", utf8=PAYLOAD_UTF8)
        ddl.append(
            _comment(
                f"decode {name}: JSON → schema {source.schema.name or name} v{source.schema.version};",
                f"a record that cannot be decoded has a reason in {DECODE_ERROR} (DLQ stage decode)",
            )
            + f"CREATE TEMPORARY VIEW {quote(name + '_decoded')} AS\n" + to_sql(decode, pretty=True)
        )
    outputs: dict[str, list[str]] = {}
    dead: list[str] = [_decode_failures(plan, name) for name in sorted(used)]
    for t in plan.transforms.values():
        ddl.extend(_transform_views(plan, t))
        secrets.update(t.secrets)
        view = quote(f"{t.name}_rules")
        alive = f"{quote(records.DLQ_REASON)} IS NULL AND NOT {quote(records.FILTERED)}"
        for sink in t.routes:
            outputs.setdefault(sink, []).append(_sink_select(plan.sinks[sink], view, alive, f"{quote(records.ROUTE)} = '{sink}'"))
        for sink in t.sinks:
            outputs.setdefault(sink, []).append(_sink_select(plan.sinks[sink], view, alive, f"{quote(records.ROUTE)} IS NULL"))
        dead.append(_rule_failures(plan, t))
    for sink_name, selects in outputs.items():
        sink_plan = plan.sinks[sink_name]
        columns = [FlinkColumn(f.name, flink_type(f.type)) for f in sink_plan.schema]
        ddl.extend(tables.sink_table(sink_plan, f"sink_{sink_name}", columns))
        inserts.append(_comment(f"sink {sink_name}: rows of {', '.join(sink_plan.transforms)}")
                       + f"INSERT INTO {quote('sink_' + sink_name)}\n" + "\nUNION ALL\n".join(selects))  # fmt: skip
    ddl.extend(tables.dlq_table("dlq", dlq_columns()))
    inserts.append(_comment("dead-letter queue: decode failures, then every transform's rejected rows")
                   + f"INSERT INTO {quote('dlq')}\n" + "\nUNION ALL\n".join(dead))  # fmt: skip
    return FlinkStatements(ddl, inserts, secrets=sorted(secrets))


def _transform_views(plan: Plan, t: TransformPlan) -> list[str]:
    """The transform's input view (decoded rows with empty bookkeeping) and its rules view."""
    from lakegate.engine.flink.capabilities import check_steps, located

    source = plan.sources[t.source]
    initial = {
        records.ROW: quote(records.INDEX), records.DLQ_STAGE: "CAST(NULL AS STRING)",
        records.DLQ_RULE: "CAST(NULL AS STRING)", records.DLQ_REASON: "CAST(NULL AS STRING)",
        records.FILTERED: "FALSE", records.ROUTE: "CAST(NULL AS STRING)",
    }  # fmt: skip
    hidden = [*t.hidden, PAYLOAD_CARRIED]
    columns = [quote(c) for c in source.schema.names]
    for h in hidden:
        value = initial.get(h, quote(PAYLOAD) if h == PAYLOAD_CARRIED else quote(h))
        columns.append(f"{value} AS {quote(h)}")
    input_view = (
        _comment(f"transform {t.name}: the decoded records of source {t.source}, with empty bookkeeping")
        + f"CREATE TEMPORARY VIEW {quote(t.name + '_input')} AS\nSELECT\n  " + ",\n  ".join(columns)
        + f"\nFROM {quote(t.source + '_decoded')}\nWHERE {quote(DECODE_ERROR)} IS NULL"
    )
    steps: list[Step] = [s for seg in t.segments for s in seg.steps]
    with located(transform=t.name):
        check_steps(steps)
        emitter = FlinkEmitter(hidden, t.rule_types)
        query, _ = emitter.query(steps, source.schema, f"{t.name}_input")
    rules_view = (
        _comment(f"transform {t.name}: rules {', '.join(t.rule_names) or '(none)'}")
        + f"CREATE TEMPORARY VIEW {quote(t.name + '_rules')} AS\n{query}"
    )
    return [input_view, rules_view]


def _sink_select(sink: SinkPlan, view: str, alive: str, route: str) -> str:
    columns = [
        to_sql(exp.Cast(this=exp.column(f.name, quoted=True), to=verbatim_type(flink_type(f.type))))
        + f" AS {quote(f.name)}"
        for f in sink.schema
    ]
    return "SELECT\n  " + ",\n  ".join(columns) + f"\nFROM {view}\nWHERE {alive} AND {route}"


def _dlq_select(payload: str, stage: str, rule: str, error: str, plan: Plan, source: str,
                transform: str, origin: str, where: str) -> str:  # fmt: skip
    values = [
        payload, stage, rule, error, f"'{plan.pipeline}'", f"'{source}'", transform,
        quote(records.STREAM), quote(records.INDEX), "CAST(CURRENT_TIMESTAMP AS TIMESTAMP_LTZ(6))",
    ]  # fmt: skip
    names = [f.name for f in DLQ_SCHEMA]
    items = ",\n  ".join(f"{v} AS {quote(n)}" for v, n in zip(values, names, strict=True))
    return f"SELECT\n  {items}\nFROM {origin}\nWHERE {where}"


def _decode_failures(plan: Plan, source: str) -> str:
    return _dlq_select(
        quote(PAYLOAD), "'decode'", "CAST(NULL AS STRING)", quote(DECODE_ERROR), plan, source,
        "CAST(NULL AS STRING)", quote(source + "_decoded"), f"{quote(DECODE_ERROR)} IS NOT NULL",
    )  # fmt: skip


def _rule_failures(plan: Plan, t: TransformPlan) -> str:
    return _dlq_select(
        quote(PAYLOAD_CARRIED), quote(records.DLQ_STAGE), quote(records.DLQ_RULE), quote(records.DLQ_REASON),
        plan, t.source, f"'{t.name}'", quote(t.name + "_rules"), f"{quote(records.DLQ_REASON)} IS NOT NULL",
    )  # fmt: skip

