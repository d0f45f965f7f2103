"""`lakegate query`: DuckDB SQL over the committed data of a pipeline's sinks."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from lakegate.connectors.base import RunContext
from lakegate.connectors.registry import load_sink_class
from lakegate.engine.local.runner import DLQ
from lakegate.errors import LakegateError
from lakegate.plan.model import Plan
from lakegate.plan.typecheck import connect


class QueryError(LakegateError):
    """The query failed."""


def query_sinks(plan: Plan, sql: str) -> pa.Table:
    """Run ``sql`` with one view per sink (named like the sink) and ``dlq`` for the DLQ."""
    context = RunContext(plan.pipeline, plan.base_dir, plan.state_dir, plan.catalogs)
    con = connect(plan.threads)
    views = {name: sink.config for name, sink in plan.sinks.items()}
    views["dlq"] = plan.dlq
    try:
        for view, config in views.items():
            sink = load_sink_class(config.type)(DLQ if view == "dlq" else view, config, context)
            if not sink.capabilities.queryable:
                continue
            sink.register_in_duckdb(con, view)
        try:
            return con.execute(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {exc}", hint="views: " + ", ".join(views)) from None
    finally:
        con.close()
