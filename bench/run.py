"""Run the benchmark: lakegate and the per-record baseline side by side, lakegate on 5x the data, and
the same pipeline compiled to Flink SQL on a local Flink mini-cluster (``bench/flink.py``).

Each measured program runs in its own child process; wall time is taken around the child and its peak
RSS and CPU time come from ``os.wait4`` (the child's own ``ru_maxrss``, ``ru_utime`` + ``ru_stime``), so
the numbers include interpreter start-up, imports and compilation of the pipeline. For the Flink run the
child is ``bench/flink.py``'s driver, whose tree (job server, JVM) is accounted for as described there.

    python -m bench.run                      # 1M lakegate + 1M baseline + 5M lakegate + 1M Flink
    python -m bench.run --records 200000 --skip-5m --skip-baseline --skip-flink   # quick iteration

Writes ``bench/results.json`` and prints a table. These machines are shared and noisy: compare the
ratios measured in one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import DATA_ROOT, DEFAULT_FILES, data_dir, generate

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PIPELINE = BENCH / "pipeline.yaml"
STATE_ROOT = DATA_ROOT / "state"
RESULTS = BENCH / "results.json"
SALT = "bench-salt-not-a-secret"
TARGET_RECORDS_PER_S = 1_000_000
TARGET_RATIO = 3.0
TARGET_RSS_GROWTH = 1.2


@dataclass
class Measurement:
    """One child process: what it ran and what it cost."""

    label: str
    records: int
    command: list[str]
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_status: int
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def records_per_s(self) -> float:
        return self.records / self.wall_s if self.wall_s else 0.0

    @property
    def records_per_cpu_s(self) -> float:
        return self.records / self.cpu_s if self.cpu_s else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "records_per_s": round(self.records_per_s, 1),
            "records_per_cpu_s": round(self.records_per_cpu_s, 1),
        }


def measure(label: str, records: int, command: list[str], env: dict[str, str], report: Path) -> Measurement:
    """Run ``command`` to completion; wall time, CPU time and peak RSS of that child."""
    report.unlink(missing_ok=True)
    print(f"[{label}] {' '.join(command)}", flush=True)
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"[{label}] failed with exit status {child.returncode}")
    result = Measurement(
        label=label,
        records=records,
        command=command,
        wall_s=round(wall, 3),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        exit_status=child.returncode,
        report=json.loads(report.read_text()) if report.exists() else {},
    )
    print(
        f"[{label}] {result.wall_s:.1f} s wall, {result.cpu_s:.1f} s CPU, {result.records_per_s:,.0f} records/s, "
        f"peak RSS {result.peak_rss_mb:,.0f} MB",
        flush=True,
    )
    return result


def generate_in_child(records: int, files: int) -> None:
    """Generate a data set in a child process, keeping this one small: a child's peak RSS as
    ``os.wait4`` reports it is at least this process's peak (Linux counts the memory the child was
    started from), so nothing large may be loaded here before the last measured child has run."""
    if not data_dir(records).is_dir():
        command = [sys.executable, "-m", "bench.generate", "--records", str(records), "--files", str(files)]
        subprocess.run(command, cwd=ROOT, check=True)


def _environment(records: int, state: Path, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BENCH_HASH_SALT=SALT,
        BENCH_STATE_DIR=str(state),
        BENCH_DATA_DIR=str(generate(records, args.files)),
        BENCH_BATCH_SIZE=str(args.batch_size),
        BENCH_COMMIT_RECORDS=str(args.commit_records),
    )
    return env


def _pipeline_file(partition_by: str | None) -> Path:
    """``bench/pipeline.yaml``, or a copy (under bench/data) whose sink is partitioned by ``partition_by``."""
    if not partition_by:
        return PIPELINE
    text = PIPELINE.read_text()
    if "partition_by: []" not in text:
        sys.exit("bench/pipeline.yaml has no `partition_by: []` line to replace")
    copy = STATE_ROOT / "pipeline-partitioned.yaml"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(text.replace("partition_by: []", f"partition_by: [{json.dumps(partition_by)}]"))
    return copy


def run_lakegate(
    records: int, label: str, args: argparse.Namespace, partition_by: str | None = None
) -> Measurement:
    state = STATE_ROOT / label
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    report = state / "report.json"
    lakegate = str(Path(sys.executable).parent / "lakegate")
    command = [lakegate, "run", str(_pipeline_file(partition_by)), "--quiet", "--report", str(report)]
    return measure(label, records, command, _environment(records, state, args), report)


def run_baseline(records: int, label: str, args: argparse.Namespace) -> Measurement:
    state = STATE_ROOT / label
    report = STATE_ROOT / f"{label}.report.json"
    env = _environment(records, state, args)
    command = [
        sys.executable, "-m", "bench.baseline", "--data-dir", env["BENCH_DATA_DIR"], "--state-dir", str(state),
        "--batch-size", str(args.batch_size), "--commit-records", str(args.commit_records), "--report", str(report),
    ]  # fmt: skip
    return measure(label, records, command, env, report)


CEILING_LABELS = {
    "startup": "Python start-up + imports, no data",
    "copy": "DuckDB alone: read + write, no rules",
    "rules": "DuckDB alone: rules by hand, no DLQ/Iceberg",
}
"""The rows of ``bench/ceiling.py``'s programs in the table."""


def run_ceiling(mode: str, records: int, args: argparse.Namespace) -> Measurement:
    """One of ``bench/ceiling.py``'s upper bounds on the same files (see there)."""
    state = STATE_ROOT / f"ceiling-{mode}-{records}"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    env = _environment(records, state, args)
    command = [
        sys.executable, "-m", "bench.ceiling", mode, "--data-dir", env["BENCH_DATA_DIR"],
        "--out", str(state / "out.parquet"), "--report", str(state / "report.json"),
    ]  # fmt: skip
    counted = 0 if mode == "startup" else records
    return measure(f"ceiling-{mode}-{records}", counted, command, env, state / "report.json")


def check_ceiling_rows(rules: Measurement, lakegate: Measurement) -> list[str]:
    """Stop unless the hand-written rules wrote lakegate's rows: the bound must do the same work."""
    from bench.ceiling import compare_rows

    differences = compare_rows(STATE_ROOT / rules.label / "out.parquet", STATE_ROOT / lakegate.label)
    verdict = "SAME" if not differences else "DIFFERENT: " + "; ".join(differences)
    print(f"[{rules.label}] rows against lakegate's table (without line, source_file, ingested_at): {verdict}")
    if differences:
        sys.exit(f"[{rules.label}] bench/ceiling.py's RULES_SQL is out of step with bench/pipeline.yaml")
    return differences


def run_flink(records: int, label: str, args: argparse.Namespace, embedded: Measurement) -> Measurement:
    """The pipeline on the Flink mini-cluster over the same files; its counts must equal ``embedded``'s."""
    from bench import flink

    python = flink.flink_python()
    if not python.exists():
        sys.exit(flink.missing_flink_message(python))
    state = STATE_ROOT / label
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    out, report = state / "out", state / "report.json"
    command = [
        sys.executable, "-m", "bench.flink", "--out", str(out), "--report", str(report),
        "--mode", args.flink_mode, "--parallelism", str(args.flink_parallelism),
    ]  # fmt: skip
    env = _environment(records, state, args)
    env["LAKEGATE_FLINK_PYTHON"] = str(python)
    m = measure(label, records, command, env, report)
    # ru_maxrss is the largest single process (the JVM); report the tree's sampled peak instead.
    m.report["peak_rss_mb_largest_process"] = m.peak_rss_mb
    m.peak_rss_mb = m.report.get("tree_peak_rss_mb", m.peak_rss_mb)
    seconds = m.report.get("seconds", {})
    print(f"[{label}] Flink timings (s): {seconds}", flush=True)

    expected_out = embedded.report.get("transforms", {}).get("clean_orders", {}).get("records_out")
    expected_dlq = embedded.report.get("dlq", {}).get("records_written")
    rows, dlq = flink.count_lines(out / flink.SINK_FOLDER), flink.count_lines(out / flink.DLQ_FOLDER)
    counts = {
        "flink_rows": rows, "flink_dlq": dlq, "flink_filtered": records - rows - dlq,
        "embedded_rows": expected_out, "embedded_dlq": expected_dlq,
        "embedded_filtered": embedded.report.get("transforms", {}).get("clean_orders", {}).get("filtered"),
        "flink_dlq_by_rule": flink.dlq_by_rule(out / flink.DLQ_FOLDER),
    }  # fmt: skip
    counts["equal"] = rows == expected_out and dlq == expected_dlq
    if counts["equal"] and not args.no_check:
        # The same records, not just as many: the order ids of Flink's rows against the Iceberg table's.
        from bench.check import read_table

        ids = read_table(STATE_ROOT / embedded.label).column("order_id").to_pylist()
        counts["same_order_ids"] = sorted(flink.column_values(out / flink.SINK_FOLDER, "order_id")) == sorted(
            ids
        )
        counts["equal"] = counts["same_order_ids"]
    m.report["parity"] = counts
    print(
        f"[{label}] Flink wrote {rows:,} rows and dead-lettered {dlq:,}; the embedded engine "
        f"{expected_out:,} and {expected_dlq:,}: {'EQUAL' if counts['equal'] else 'DIFFERENT'}"
        + ("" if "same_order_ids" not in counts else f" (same order ids: {counts['same_order_ids']})"),
        flush=True,
    )
    if not counts["equal"]:
        sys.exit(f"[{label}] Flink and the embedded engine disagree on the same data: {counts}")
    return m


def machine() -> dict[str, Any]:
    import duckdb
    import pyarrow
    import pyiceberg

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text().split()
    total_kb = int(meminfo[meminfo.index("MemTotal:") + 1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(total_kb / 1024**2, 1),
        "load_average_at_start": os.getloadavg(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__,
        "pyiceberg": pyiceberg.__version__,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def _row(name: str, m: Measurement) -> str:
    if not m.records:  # a program that reads no data (the start-up bound)
        return f"| {name} | — | {m.wall_s:.1f} | — | {m.cpu_s:.1f} | — | {m.peak_rss_mb:,.0f} |"
    return (
        f"| {name} | {m.records:,} | {m.wall_s:.1f} | {m.records_per_s:,.0f} | {m.cpu_s:.1f} | "
        f"{m.records_per_cpu_s:,.0f} | {m.peak_rss_mb:,.0f} |"
    )


def table(results: dict[str, Any], runs: dict[str, Measurement]) -> str:
    lines = [
        "| run | records | wall s | records/s | CPU s | records/CPU-s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(label, m) for label, m in runs.items()]
    lines.append("")
    targets = [
        ("lakegate records/s (wall, end to end)", results["lakegate_records_per_s"], f">= {TARGET_RECORDS_PER_S:,}",
         results["lakegate_records_per_s"] >= TARGET_RECORDS_PER_S),
        ("lakegate / baseline (records/s)", results["ratio"], f">= {TARGET_RATIO}",
         results["ratio"] is not None and results["ratio"] >= TARGET_RATIO),
        ("lakegate / baseline (records/CPU-s)", results["ratio_cpu"], "", None),
        ("peak RSS 5x / 1x", results["rss_ratio_5m_1m"], f"<= {TARGET_RSS_GROWTH}",
         results["rss_ratio_5m_1m"] is not None and results["rss_ratio_5m_1m"] <= TARGET_RSS_GROWTH),
    ]  # fmt: skip
    if (ceiling := results.get("ceiling")) is not None and "rules_records_per_s" in ceiling:
        targets += [
            ("DuckDB alone, rules by hand (records/s)", ceiling["rules_records_per_s"],
             f">= {TARGET_RECORDS_PER_S:,} for the target to be reachable",
             ceiling["rules_records_per_s"] >= TARGET_RECORDS_PER_S),
            ("lakegate / DuckDB alone with the rules (records/s)", ceiling["lakegate_rules_ratio"], "", None),
        ]  # fmt: skip
    if results.get("flink") is not None:
        targets += [
            ("lakegate / Flink mini-cluster (records/s)", results["lakegate_flink_ratio"], "", None),
            ("lakegate / Flink mini-cluster (records/CPU-s)", results["lakegate_flink_ratio_cpu"], "", None),
            ("Flink records/s, job only (after planning and submission)", results["flink_job_records_per_s"], "", None),
        ]  # fmt: skip
    lines += ["| metric | value | target | met |", "|---|---:|---|---|"]
    for name, value, target, met in targets:
        shown = "n/a" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"
        verdict = "" if met is None or value is None else "yes" if met else "**no**"
        lines.append(f"| {name} | {shown} | {target} | {verdict} |")
    if (flink := results.get("flink")) is not None:
        parity = flink.get("parity") or {}
        lines += [
            "",
            f"Flink: the same pipeline compiled to Flink SQL, {flink['mode']} mode over the same bounded files, "
            f"on a local mini-cluster with parallelism {flink['parallelism']} on this machine's "
            f"{os.cpu_count()} cores; its sink is Flink's filesystem connector (JSON lines) in place of "
            "Iceberg. Wall time includes compiling, the JVM start and submitting the job; CPU includes the "
            f"JVM{'' if flink['cpu_includes_jvm'] else ' only if reaped (it was NOT here)'}; peak RSS is the "
            "sampled sum of the process tree. Timings (s): "
            + ", ".join(f"{k} {v}" for k, v in (flink.get("seconds") or {}).items())
            + f". Rows {parity.get('flink_rows', 0):,} / DLQ {parity.get('flink_dlq', 0):,} on Flink, "
            f"{parity.get('embedded_rows', 0):,} / {parity.get('embedded_dlq', 0):,} embedded: "
            + ("equal" if parity.get("equal") else "DIFFERENT")
            + ("" if "same_order_ids" not in parity else ", same order ids")
            + ".",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="records of the main runs (default 1M)"
    )
    parser.add_argument("--skip-5m", action="store_true", help="skip the memory run on 5x the records")
    parser.add_argument("--skip-baseline", action="store_true", help="skip the per-record baseline")
    parser.add_argument("--batch-size", type=int, default=100_000, help="records per micro-batch (both)")
    parser.add_argument(
        "--commit-records", type=int, default=1_000_000, help="rows per Iceberg commit (both)"
    )
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help="files per generated data set")
    parser.add_argument(
        "--partition-by",
        metavar="TERM",
        help="also run lakegate on a sink partitioned by TERM, e.g. 'day(event_time)'",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run lakegate and the baseline N times, alternating; keep the fastest",
    )
    parser.add_argument(
        "--no-check", action="store_true", help="skip comparing lakegate's rows with the baseline's"
    )
    parser.add_argument(
        "--skip-ceiling",
        action="store_true",
        help="skip the upper bounds of bench/ceiling.py (start-up, DuckDB alone)",
    )
    parser.add_argument(
        "--skip-flink",
        action="store_true",
        help="skip the run on the Flink mini-cluster (needs `make flink`)",
    )
    parser.add_argument(
        "--flink-mode", choices=("batch", "streaming"), default="batch",
        help="Flink execution mode over the bounded files (default batch)",
    )  # fmt: skip
    parser.add_argument(
        "--flink-parallelism", type=int, default=2, help="parallelism of the Flink job (default 2)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.skip_flink:
        from bench.flink import flink_python, missing_flink_message

        if not flink_python().exists():  # fail before spending minutes on the other runs
            sys.exit(missing_flink_message(flink_python()))

    n = args.records
    big = 5 * n
    for records in (n, *(() if args.skip_5m else (big,))):
        generate_in_child(records, args.files)
    info = machine()
    runs: dict[str, Measurement] = {}
    # Alternate the two programs so that both see the same machine load; keep each one's fastest run.
    all_runs: list[Measurement] = []
    lg: Measurement | None = None
    base: Measurement | None = None
    ceiling: dict[str, Measurement] = {}
    for _ in range(args.repeat):
        m = run_lakegate(n, f"lakegate-{n}", args)
        all_runs.append(m)
        lg = m if lg is None or m.wall_s < lg.wall_s else lg
        if not args.skip_baseline:
            m = run_baseline(n, f"baseline-{n}", args)
            all_runs.append(m)
            base = m if base is None or m.wall_s < base.wall_s else base
        for mode in () if args.skip_ceiling else CEILING_LABELS:
            m = run_ceiling(mode, n, args)
            all_runs.append(m)
            ceiling[mode] = m if mode not in ceiling or m.wall_s < ceiling[mode].wall_s else ceiling[mode]
    assert lg is not None
    runs[f"lakegate {n:,}"] = lg
    if base is not None:
        runs[f"baseline {n:,}"] = base
    for mode, m in ceiling.items():
        runs[CEILING_LABELS[mode] if mode == "startup" else f"{CEILING_LABELS[mode]} {n:,}"] = m
    large = None if args.skip_5m else run_lakegate(big, f"lakegate-{big}", args)
    if large is not None:
        runs[f"lakegate {big:,}"] = large
    if args.partition_by:
        runs[f"lakegate {n:,} partitioned {args.partition_by}"] = run_lakegate(
            n, f"lakegate-{n}-partitioned", args, args.partition_by
        )
    flink_run = None
    if not args.skip_flink:  # last: its parity check reads the Iceberg table in this process
        flink_run = run_flink(n, f"flink-{n}", args, lg)
        runs[f"Flink {args.flink_mode} {n:,} (mini-cluster, p={args.flink_parallelism})"] = flink_run

    # The checks read whole tables: only after the last child (see generate_in_child).
    if "rules" in ceiling and not args.no_check:
        check_ceiling_rows(ceiling["rules"], lg)
    check = None
    if base is not None and not args.no_check:
        from bench.check import compare

        result = compare(STATE_ROOT / f"lakegate-{n}", STATE_ROOT / f"baseline-{n}")
        print(result.summary())
        check = {**asdict(result), "ok": result.ok}
        counts = {
            k: lg.report.get("transforms", {}).get("clean_orders", {}).get(k) for k in ("filtered", "dlq")
        }
        counts_base = {k: base.report.get(k) for k in ("filtered", "dlq")}
        check["filtered_dlq_lakegate"], check["filtered_dlq_baseline"] = counts, counts_base
        print(f"filtered / dead-lettered: lakegate {counts}, baseline {counts_base}")

    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])]),
        "records": n,
        "bytes_per_record": _bytes_per_record(n),
        "lakegate_records_per_s": round(lg.records_per_s, 1),
        "lakegate_internal_records_per_s": lg.report.get("records_per_second"),
        "baseline_records_per_s": round(base.records_per_s, 1) if base else None,
        "ratio": _ratio(lg.records_per_s, base.records_per_s if base else None),
        "ratio_cpu": _ratio(lg.records_per_cpu_s, base.records_per_cpu_s if base else None),
        "peak_rss_mb_1m": lg.peak_rss_mb,
        "peak_rss_mb_5m": large.peak_rss_mb if large else None,
        "rss_ratio_5m_1m": _ratio(large.peak_rss_mb, lg.peak_rss_mb) if large else None,
        "flink_records_per_s": round(flink_run.records_per_s, 1) if flink_run else None,
        "flink_job_records_per_s": _flink_job_rate(flink_run),
        "lakegate_flink_ratio": _ratio(lg.records_per_s, flink_run.records_per_s if flink_run else None),
        "lakegate_flink_ratio_cpu": _ratio(
            lg.records_per_cpu_s, flink_run.records_per_cpu_s if flink_run else None
        ),
        "flink": _flink_summary(flink_run, args),
        "ceiling": _ceiling_summary(ceiling, lg),
        "targets": {
            "records_per_s": TARGET_RECORDS_PER_S,
            "ratio": TARGET_RATIO,
            "rss_ratio_5m_1m": TARGET_RSS_GROWTH,
        },
        "output_check": check,
        "machine": info,
        "runs": {label: m.as_json() for label, m in runs.items()},
        "all_runs_wall_s": [(m.label, m.wall_s) for m in all_runs],
    }
    rendered = table(results, runs)
    results["table_markdown"] = rendered
    print()
    print(rendered)
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(tmp, args.output)
    print(f"\nwrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    if check is not None and not check["ok"]:
        sys.exit("lakegate and the baseline wrote different rows (see above)")


def _ceiling_summary(ceiling: dict[str, Measurement], lakegate: Measurement) -> dict[str, Any] | None:
    """The upper bounds of ``bench/ceiling.py`` and lakegate's share of the closest one."""
    if not ceiling:
        return None
    summary: dict[str, Any] = {f"{mode}_wall_s": m.wall_s for mode, m in ceiling.items()}
    for mode in ("copy", "rules"):
        if mode in ceiling:
            summary[f"{mode}_records_per_s"] = round(ceiling[mode].records_per_s, 1)
            summary[f"{mode}_records_per_cpu_s"] = round(ceiling[mode].records_per_cpu_s, 1)
    if "rules" in ceiling:
        summary["lakegate_rules_ratio"] = _ratio(lakegate.records_per_s, ceiling["rules"].records_per_s)
        summary["lakegate_rules_ratio_cpu"] = _ratio(lakegate.records_per_cpu_s, ceiling["rules"].records_per_cpu_s)
    return summary


def _flink_job_rate(m: Measurement | None) -> float | None:
    """Records per second of the Flink job alone (after planning and submission, until it finished)."""
    run = m.report.get("seconds", {}).get("run") if m else None
    return round(m.records / run, 1) if m and run else None


def _flink_summary(m: Measurement | None, args: argparse.Namespace) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "mode": args.flink_mode,
        "parallelism": args.flink_parallelism,
        "sink": "filesystem connector, JSON lines (stands in for the pipeline's Iceberg sink)",
        "seconds": m.report.get("seconds"),
        "parity": m.report.get("parity"),
        "peak_rss_mb_tree_sampled": m.report.get("tree_peak_rss_mb"),
        "peak_rss_mb_largest_process": m.report.get("peak_rss_mb_largest_process"),
        "cpu_includes_jvm": bool(m.report.get("subreaper")),
    }


def _bytes_per_record(records: int) -> float:
    from bench.generate import data_dir

    size = sum(p.stat().st_size for p in data_dir(records).iterdir())
    return round(size / records, 1)


if __name__ == "__main__":
    main()
