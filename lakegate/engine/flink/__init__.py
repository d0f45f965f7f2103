"""The Flink target: a compiled plan as a Flink SQL job with the embedded engine's semantics.

- :mod:`.statements` — :func:`flink_statements`, the public entry point (DDL + one statement set);
- :mod:`.capabilities` — :func:`check_flink`, the compile-time capability check;
- :mod:`.emit` — the Flink sibling of the DuckDB :class:`~lakegate.plan.emit.SqlEmitter`;
- :mod:`.functions`, :mod:`.casts`, :mod:`.timefuncs`, :mod:`.doubles` — translating expressions;
- :mod:`.decode` — JSON decoding in Flink SQL with the embedded engine's DLQ reasons;
- :mod:`.dialect` — printing Flink SQL; :mod:`.filesystem` — tables on the filesystem connector;
- :mod:`.minicluster` — a local PyFlink job server (tests, file-to-file jobs).

Nothing here imports PyFlink: compiling needs no JVM.
"""

from __future__ import annotations

from lakegate.engine.flink.capabilities import check_flink
from lakegate.engine.flink.statements import (
    FlinkColumn,
    FlinkStatements,
    TableFactory,
    flink_statements,
    flink_type,
)

__all__ = ["FlinkColumn", "FlinkStatements", "TableFactory", "check_flink", "flink_statements", "flink_type"]
