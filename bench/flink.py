"""The benchmark pipeline on a local Flink mini-cluster: the driver that ``bench/run.py`` measures.

``python -m bench.flink --out DIR --report FILE`` (in lakegate's own environment, with the same
``BENCH_*`` environment variables as the embedded run) compiles ``bench/pipeline.yaml`` with
:func:`~lakegate.engine.flink.statements.flink_statements` over Flink's filesystem connector
(:class:`~lakegate.engine.flink.filesystem.FilesystemTables`: the source reads the very NDJSON files the
embedded engine reads, as raw lines; the Iceberg sink and the DLQ become JSON-lines folders under
``DIR``, as in the parity tests), binds the hash salt from ``BENCH_HASH_SALT``, starts the job server
(:mod:`lakegate.engine.flink.minicluster`) in the Flink environment's Python (``.venv-flink``), runs the
job there in batch (or streaming) mode over the bounded files, waits for it and writes a report.

The measured process tree is this driver → the job server's Python → the JVM that PyFlink starts. The
JVM is the job server's child, but PyFlink never waits for it: when the job server exits, the JVM
(which stops when its stdin closes) would be reparented to init and its CPU time lost to
``os.wait4``. So the driver makes itself a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``): the
JVM is reparented to the driver, which reaps it, so the CPU time of the whole tree reaches the parent's
``os.wait4``. ``ru_maxrss`` is the peak of the largest single process, not of the tree, so the driver
also samples the summed RSS of the tree (every 0.1 s) and reports that peak too.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PIPELINE = BENCH / "pipeline.yaml"
SINK_FOLDER = "sink_orders_table"
DLQ_FOLDER = "dlq"
PR_SET_CHILD_SUBREAPER = 36
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_SECONDS = 0.1


def flink_python() -> Path:
    """The Python that has apache-flink installed (as in the parity tests)."""
    return Path(os.environ.get("LAKEGATE_FLINK_PYTHON", ROOT / ".venv-flink" / "bin" / "python"))


def missing_flink_message(python: Path) -> str:
    return (
        f"[flink] no Python with apache-flink at {python}: run `make flink` (creates .venv-flink), "
        "set LAKEGATE_FLINK_PYTHON to a Python that has apache-flink, or pass --skip-flink"
    )


# --- the measured process tree ----------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, RSS in kB) of ``pid``, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), int(fields[21]) * PAGE_KB


class TreeSampler(threading.Thread):
    """Samples the summed RSS of this process and its descendants until stopped.

    The known processes are read every 0.1 s; the whole of ``/proc`` is scanned for new descendants
    every second (about 2 ms a scan), so sampling costs the measured tree little CPU.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.root = os.getpid()
        self.tree = {self.root}
        self.peak_kb = 0
        self.peak_processes = 0
        self._halt = threading.Event()

    def scan(self) -> None:
        """Add every descendant of the root to the known processes."""
        parents = {
            int(e): s[0] for e in os.listdir("/proc") if e.isdigit() and (s := _stat(int(e))) is not None
        }
        grew = True
        while grew:
            grew = False
            for pid, ppid in parents.items():
                if ppid in self.tree and pid not in self.tree:
                    self.tree.add(pid)
                    grew = True

    def sample(self) -> None:
        alive = [(pid, s[1]) for pid in list(self.tree) if (s := _stat(pid)) is not None]
        total = sum(rss for _, rss in alive)
        if total > self.peak_kb:
            self.peak_kb, self.peak_processes = total, len(alive)

    def run(self) -> None:
        ticks = 0
        while not self._halt.wait(SAMPLE_SECONDS):
            if ticks % 10 == 0:
                self.scan()
            ticks += 1
            self.sample()

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _usage(ru: resource.struct_rusage) -> dict[str, float]:
    return {"cpu_s": round(ru.ru_utime + ru.ru_stime, 3), "peak_rss_mb": round(ru.ru_maxrss / 1024, 1)}


def _reap_orphans(timeout: float = 60.0) -> list[dict[str, Any]]:
    """Wait for every remaining child (the JVM, reparented to us); their usage, one entry each."""
    reaped: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status, ru = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid:
            reaped.append({"pid": pid, "exit_status": os.waitstatus_to_exitcode(status), **_usage(ru)})
            continue
        if time.monotonic() > deadline:
            sys.exit("[flink] the JVM did not exit within a minute of the job server")
        time.sleep(0.05)


# --- the job ------------------------------------------------------------------------------------


class JobServer:
    """The mini-cluster job server (:mod:`lakegate.engine.flink.minicluster`) in the Flink Python."""

    def __init__(self, python: Path) -> None:
        import lakegate.engine.flink.minicluster as minicluster

        self.process = subprocess.Popen(
            [str(python), "-P", minicluster.__file__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.answer()

    def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            sys.exit("[flink] the mini-cluster job server died (its stderr is above)")
        answer: dict[str, Any] = json.loads(line)
        if not answer.get("ok"):
            sys.exit(f"[flink] the job failed: {answer.get('error')}\n{answer.get('trace', '')}")
        return answer

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(payload) + "\n")
        self.process.stdin.flush()
        return self.answer()

    def close(self) -> dict[str, Any]:
        """Stop the server; its own usage (the JVM is not its waited-for child: see the module doc)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.stdout.close()
        _, status, ru = os.wait4(self.process.pid, 0)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return {"pid": self.process.pid, "exit_status": self.process.returncode, **_usage(ru)}


def job_config(config: dict[str, str], mode: str, parallelism: int) -> dict[str, str]:
    out = {**config, "parallelism.default": str(parallelism)}
    if mode == "streaming":
        # The filesystem sink commits its part files on checkpoints (and on the final one at the end).
        out["execution.checkpointing.interval"] = "10 s"
    return out


def drive(out: Path, mode: str, parallelism: int, python: Path) -> dict[str, Any]:
    """Compile, run on the mini-cluster, wait; the timings and the process tree's usage."""
    started = time.monotonic()
    subreaper = _become_subreaper()
    sampler = TreeSampler()
    sampler.start()

    from lakegate.engine.flink.filesystem import FilesystemTables
    from lakegate.engine.flink.statements import flink_statements
    from lakegate.plan.compiler import compile_pipeline
    from lakegate.spec import load_pipeline

    plan = compile_pipeline(load_pipeline(PIPELINE))
    source = plan.sources["orders"]
    tables = FilesystemTables(out, {"orders": Path(str(source.config.path))})
    statements = flink_statements(plan, tables)
    out.mkdir(parents=True, exist_ok=True)
    (out.parent / "job.sql").write_text(statements.script())  # unbound: no salt in it
    bound = statements.bind(os.environ)
    compiled = time.monotonic()

    server = JobServer(python)
    ready = time.monotonic()
    job = {
        "mode": mode,
        "config": job_config(bound.config, mode, parallelism),
        "ddl": bound.ddl,
        "inserts": bound.inserts,
    }
    answer = server.request({"job": job})
    finished = time.monotonic()
    server_usage = server.close()
    orphans = _reap_orphans()
    stopped = time.monotonic()
    sampler.sample()
    sampler.stop()

    seconds = answer.get("seconds", {})
    in_server = sum(seconds.values())
    return {
        "mode": mode,
        "parallelism": parallelism,
        "flink_python": str(python),
        "seconds": {
            "compile": round(compiled - started, 3),
            "job_server_start": round(ready - compiled, 3),
            # TableEnvironment.create (the JVM and mini-cluster start) happens on the first request,
            # before the job server starts its own clock.
            "jvm_start": round(finished - ready - in_server, 3),
            "ddl": seconds.get("ddl"),
            "plan_submit": seconds.get("plan_submit"),
            "run": seconds.get("run"),
            "shutdown": round(stopped - finished, 3),
            "total": round(stopped - started, 3),
        },
        "subreaper": subreaper,
        "processes": {"job_server": server_usage, "reaped_orphans": orphans},
        "tree_peak_rss_mb": round(sampler.peak_kb / 1024, 1),
        "tree_peak_processes": sampler.peak_processes,
        "sample_seconds": SAMPLE_SECONDS,
    }


# --- reading the output back ----------------------------------------------------------------------


def _part_files(folder: Path) -> list[Path]:
    """Committed part files (Flink keeps in-progress ones hidden, with a leading dot)."""
    if not folder.exists():
        return []
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]


def count_lines(folder: Path) -> int:
    total = 0
    for path in _part_files(folder):
        with open(path, "rb") as f:
            while chunk := f.read(1 << 24):
                total += chunk.count(b"\n")
    return total


def column_values(folder: Path, column: str) -> list[Any]:
    import orjson

    values: list[Any] = []
    for path in _part_files(folder):
        with open(path, "rb") as f:
            values.extend(orjson.loads(line)[column] for line in f if line.strip())
    return values


def dlq_by_rule(folder: Path) -> dict[str, int]:
    import orjson

    counts: dict[str, int] = {}
    for path in _part_files(folder):
        with open(path, "rb") as f:
            for line in f:
                if line.strip():
                    row = orjson.loads(line)
                    key = f"{row.get('stage')}:{row.get('rule')}"
                    counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the sink and DLQ tables")
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--mode", choices=("batch", "streaming"), default="batch")
    parser.add_argument("--parallelism", type=int, default=2)
    args = parser.parse_args(argv)
    python = flink_python()
    if not python.exists():
        sys.exit(missing_flink_message(python))
    report = drive(args.out, args.mode, args.parallelism, python)
    args.report.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
