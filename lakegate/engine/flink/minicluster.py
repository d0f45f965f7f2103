"""Serve Flink SQL jobs on a local PyFlink mini-cluster, one JSON request per line on stdin.

This module imports nothing from lakegate: it runs in whatever Python environment has
``apache-flink`` installed (which may not be lakegate's own: PyFlink pins an old pyarrow), started as
``python path/to/minicluster.py``. One process keeps one JVM and one ``TableEnvironment`` per mode
for many jobs, so the JVM start is paid once.

Requests (one JSON object per line) and answers (one JSON object per line on stdout):

- ``{"job": {"mode": "batch"|"streaming", "config": {k: v}, "ddl": [...], "inserts": [...]}}`` runs
  the DDL, then every INSERT together as one statement set, waits for the job and drops the
  temporary tables and views again → ``{"ok": true}``;
- ``{"query": "SELECT ...", "mode": ...}`` → ``{"ok": true, "rows": [[...], ...]}`` (values as text);
- any failure → ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any

SESSION = {"table.local-time-zone": "UTC", "parallelism.default": "1"}


class Session:
    """Lazily created table environments, one per execution mode."""

    def __init__(self) -> None:
        self.envs: dict[str, Any] = {}

    def env(self, mode: str, config: dict[str, str]) -> Any:
        from pyflink.table import EnvironmentSettings, TableEnvironment

        if mode not in self.envs:
            settings = EnvironmentSettings.in_batch_mode() if mode == "batch" else EnvironmentSettings.in_streaming_mode()
            self.envs[mode] = TableEnvironment.create(settings)
        env = self.envs[mode]
        for key, value in {**SESSION, **config}.items():
            env.get_config().set(key, value)
        return env

    def job(self, request: dict[str, Any]) -> dict[str, Any]:
        env = self.env(request.get("mode", "batch"), request.get("config", {}))
        started = time.monotonic()
        try:
            for statement in request.get("ddl", []):
                env.execute_sql(statement)
            inserts = request.get("inserts", [])
            planned = time.monotonic()
            if inserts:
                statements = env.create_statement_set()
                for insert in inserts:
                    statements.add_insert_sql(insert)
                result = statements.execute()
                submitted = time.monotonic()
                result.wait()
            done = time.monotonic()
            timings = {"ddl": planned - started, "plan_submit": submitted - planned, "run": done - submitted}
            return {"ok": True, "seconds": {k: round(v, 2) for k, v in timings.items()}}
        finally:
            for view in env.list_temporary_views():
                env.drop_temporary_view(view)
            for table in env.list_temporary_tables():
                env.drop_temporary_table(table)

    def query(self, request: dict[str, Any]) -> dict[str, Any]:
        env = self.env(request.get("mode", "batch"), request.get("config", {}))
        with env.execute_sql(request["query"]).collect() as results:
            rows = [[None if v is None else str(v) for v in row] for row in results]
        return {"ok": True, "rows": rows}


def main() -> None:
    session = Session()
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            answer = session.job(request["job"]) if "job" in request else session.query(request)
        except Exception as exc:
            answer = {"ok": False, "error": _message(exc), "trace": traceback.format_exc()[-4000:]}
        print(json.dumps(answer), flush=True)


def _message(exc: BaseException) -> str:
    """The root cause of a (Java) exception, without the Py4J stack noise."""
    text = str(exc)
    causes = [ln.strip() for ln in text.splitlines() if "Exception:" in ln or "Error:" in ln]
    return causes[-1] if causes else text.strip().splitlines()[0] if text.strip() else repr(exc)


if __name__ == "__main__":
    main()
