"""Run rules on in-memory records through the real compiler, decoder and transform executor.

::

    out = run_rules("id long, email string", [{"type": "lower", "columns": ["email"]}],
                    [{"id": 1, "email": "A@B.C"}])
    assert out.rows == [{"id": 1, "email": "a@b.c"}]

Nothing is mocked: the pipeline YAML is built in memory, validated by the spec loader, compiled
(rules lowered and type-checked by DuckDB's binder) and the records are decoded and transformed by
the embedded engine, exactly as ``lakegate test`` does (:func:`lakegate.testing.runner.feed_records`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import yaml

from lakegate.errors import CompileError
from lakegate.plan.compiler import compile_pipeline
from lakegate.plan.model import Plan
from lakegate.plan.typecheck import connect
from lakegate.schemas.schema import Schema
from lakegate.spec import load_pipeline_text
from lakegate.testing.runner import feed_records

_CONNECTION: list[duckdb.DuckDBPyConnection] = []


def _connection() -> duckdb.DuckDBPyConnection:
    """One engine connection reused by every run (a new DuckDB database costs ~10 ms)."""
    if not _CONNECTION:
        _CONNECTION.append(connect())
    return _CONNECTION[0]


TRANSFORM = "t"
SINK = "out"

Fields = Sequence[Mapping[str, Any]] | str


@dataclass
class Outcome:
    """What came out of :func:`run_rules`."""

    rows: list[dict[str, Any]]
    """Rows delivered to the transform's sink (``out``), as Python values."""
    dlq: list[dict[str, Any]]
    """DLQ records ``{stage, rule, error}``: decode failures first, then the transform's."""
    filtered: int
    schema: Schema
    """The transform's output schema."""
    routed: dict[str, list[dict[str, Any]]]
    """Rows delivered to every other sink (through `route` rules), by sink name."""
    decoded: int
    """How many records decoded (entered the transform)."""
    table: pa.Table
    """The sink's rows as an Arrow table (exact types)."""

    @property
    def errors(self) -> list[str]:
        """The DLQ reasons of the rows the transform rejected (decode failures excluded)."""
        return [d["error"] for d in self.dlq if d["stage"] != "decode"]

    @property
    def fields(self) -> list[tuple[str, str, bool]]:
        """The output schema as ``(name, type, required)`` triples."""
        return [(f.name, str(f.type), f.required) for f in self.schema]

    def column(self, name: str) -> list[Any]:
        """One column of :attr:`rows`."""
        return [r[name] for r in self.rows]


def _split_top_level(text: str) -> list[str]:
    """Split ``text`` at commas that are not inside ``<>`` or ``()``."""
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_fields(fields: Fields) -> list[dict[str, Any]]:
    """Schema fields from dicts, or from a string such as ``"id long!, tags list<string>"``.

    In the string form each field is ``name type``; a trailing ``!`` marks it required.
    """
    if not isinstance(fields, str):
        return [dict(f) for f in fields]
    out: list[dict[str, Any]] = []
    for part in _split_top_level(fields):
        name, _, type_ = part.partition(" ")
        type_ = type_.strip()
        field: dict[str, Any] = {"name": name, "type": type_.rstrip("!").strip()}
        if type_.endswith("!"):
            field["required"] = True
        out.append(field)
    return out


def pipeline_yaml(
    fields: Fields, rules: Sequence[Any], *, extra_sinks: Sequence[str] = ()
) -> str:
    """The text of a one-transform pipeline: files source → ``rules`` → stdout sink ``out``."""
    spec = {
        "pipeline": "p",
        "version": "7",
        "schemas": {"s": {"fields": parse_fields(fields)}},
        "sources": {"src": {"type": "files", "path": "in", "schema": "s"}},
        "transforms": {TRANSFORM: {"source": "src", "rules": [dict(r) for r in rules], "sinks": [SINK]}},
        "sinks": {name: {"type": "stdout"} for name in (SINK, *extra_sinks)},
    }
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


def compile_rules(
    fields: Fields,
    rules: Sequence[Any],
    *,
    env: Mapping[str, str] | None = None,
    extra_sinks: Sequence[str] = (),
) -> Plan:
    """Load and compile the pipeline of :func:`pipeline_yaml` (``env`` defaults to empty)."""
    loaded = load_pipeline_text(pipeline_yaml(fields, rules, extra_sinks=extra_sinks))
    return compile_pipeline(loaded, env=dict(env or {}))


def run_rules(
    fields: Fields,
    rules: Sequence[Any],
    records: Sequence[Any],
    *,
    env: Mapping[str, str] | None = None,
    extra_sinks: Sequence[str] = (),
) -> Outcome:
    """Compile ``rules`` over a schema of ``fields`` and run ``records`` through them.

    Records are dicts (serialised to JSON) or strings (raw payloads, e.g. malformed JSON). ``env``
    is both the compile environment and what ``$secret_`` placeholders are bound to at run time;
    it defaults to empty, so tests never depend on the caller's environment. Also checks that every
    decoded record is accounted for exactly once: delivered, routed, filtered or dead-lettered.
    """
    plan = compile_rules(fields, rules, env=env, extra_sinks=extra_sinks)
    fed = feed_records(plan, TRANSFORM, list(records), env=dict(env or {}), con=_connection())
    table = fed.outputs.get(SINK, pa.table({}))
    routed = {
        sink: rows.to_pylist() for sink, rows in fed.outputs.items() if sink != SINK
    }
    outcome = Outcome(
        rows=table.to_pylist(),
        dlq=fed.dead,
        filtered=fed.filtered,
        schema=fed.transform.output_schema,
        routed=routed,
        decoded=fed.decoded,
        table=table,
    )
    transformed_dead = len(outcome.errors)
    delivered = len(outcome.rows) + sum(len(r) for r in routed.values())
    assert delivered + outcome.filtered + transformed_dead == fed.decoded, (
        f"accounting: {delivered} delivered + {outcome.filtered} filtered + {transformed_dead} DLQ "
        f"!= {fed.decoded} decoded"
    )
    assert fed.decoded + (len(outcome.dlq) - transformed_dead) == len(records)
    return outcome


def compile_error(
    fields: Fields,
    rules: Sequence[Any],
    *,
    env: Mapping[str, str] | None = None,
    extra_sinks: Sequence[str] = (),
) -> CompileError:
    """The :class:`CompileError` compiling ``rules`` raises (fails the test when none is raised)."""
    with pytest.raises(CompileError) as info:
        compile_rules(fields, rules, env=env, extra_sinks=extra_sinks)
    return info.value


def one(fields: Fields, rule: Any, record: Any, **kw: Any) -> dict[str, Any]:
    """The single row one rule makes of one record (fails when it is not delivered)."""
    out = run_rules(fields, [rule], [record], **kw)
    assert out.dlq == [], out.dlq
    assert len(out.rows) == 1, out
    return out.rows[0]
