"""Where lakegate's time goes on the benchmark pipeline: a phase breakdown and a per-rule breakdown.

Phase mode runs the pipeline in this process, the way ``lakegate run`` does, with timers wrapped around
the engine's components (no change to lakegate itself): imports, compilation, source reading, decoding,
each transform's SQL and its bookkeeping, DLQ assembly, sink conformance, buffering and commits.

Rule mode decodes one batch, then times the transform's SQL cut after each rule (``SELECT * FROM`` the
rule's last CTE) so that the difference between consecutive cuts is the cost of one rule; it also times
alternative decoders on the same bytes, for comparison.

    python -m bench.profile --records 1000000            # both modes
    python -m bench.profile --mode rules --batch 100000
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.generate import DATA_ROOT, generate
from bench.run import PIPELINE, SALT

STATE = DATA_ROOT / "state" / "profile"
TIMES: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)


def _wrap(owner: Any, attribute: str, label: str | Callable[..., str]) -> None:
    """Accumulate the wall time of ``owner.attribute`` calls under ``label``."""
    original = getattr(owner, attribute)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        name = label(*args, **kwargs) if callable(label) else label
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[name] += time.perf_counter() - started
            CALLS[name] += 1

    setattr(owner, attribute, timed)


def _wrap_generator(owner: Any, attribute: str, label: str) -> None:
    """Accumulate the time spent inside a generator method (between ``next`` calls excluded)."""
    original = getattr(owner, attribute)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
        iterator = original(*args, **kwargs)
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                TIMES[label] += time.perf_counter() - started
                return
            TIMES[label] += time.perf_counter() - started
            CALLS[label] += 1
            yield item

    setattr(owner, attribute, timed)


def _environment(records: int) -> None:
    os.environ.update(
        BENCH_HASH_SALT=SALT,
        BENCH_STATE_DIR=str(STATE),
        BENCH_DATA_DIR=str(generate(records)),
        BENCH_BATCH_SIZE=os.environ.get("BENCH_BATCH_SIZE", "100000"),
        BENCH_COMMIT_RECORDS=os.environ.get("BENCH_COMMIT_RECORDS", "1000000"),
    )


def phases(records: int, pipeline: Path = PIPELINE) -> dict[str, Any]:
    """Run the pipeline once in-process with timers; return seconds per phase."""
    _environment(records)
    shutil.rmtree(STATE, ignore_errors=True)
    total_started = time.perf_counter()
    started = time.perf_counter()
    from lakegate.cli import commands  # noqa: F401 - what `lakegate run` imports
    from lakegate.engine.local import PipelineRunner, RunOptions, decoder, delivery, executor, runner
    from lakegate.plan.compiler import compile_pipeline
    from lakegate.spec import load_pipeline

    TIMES["startup: imports"] = time.perf_counter() - started
    started = time.perf_counter()
    plan = compile_pipeline(load_pipeline(str(pipeline)))
    TIMES["startup: load + compile pipeline"] = time.perf_counter() - started

    from lakegate.connectors.files import source as files_source
    from lakegate.connectors.files.source import FilesSource
    from lakegate.connectors.iceberg.sink import IcebergSink
    from lakegate.connectors.jsonl.sink import JsonlSink

    _wrap_generator(FilesSource, "chunks", "source: read + split files")
    if hasattr(files_source, "_concat_text"):
        _wrap(files_source, "_concat_text", "source: concatenate pieces (_concat_text)")
    _wrap(decoder.Decoder, "decode", "decode: total")
    _wrap(decoder.Decoder, "_initial", "decode: _initial (casts + bookkeeping columns)")
    _wrap(executor.TransformExecutor, "run", "transform: total")
    _wrap(executor.TransformExecutor, "_sql", "transform: SQL segment (DuckDB + Arrow export)")
    _wrap(runner, "dead_letters", "dlq: build tables")
    _wrap(delivery.SinkWriter, "skip_committed", "deliver: skip_committed")
    _wrap(delivery.SinkWriter, "conform", "deliver: conform")
    _wrap(delivery.SinkWriter, "write", lambda w, t: f"deliver: write ({type(w.sink).__name__})")
    _wrap(delivery.SinkWriter, "open", lambda w: f"open sink ({type(w.sink).__name__})")
    _wrap(delivery.SinkWriter, "commit", lambda w, p: f"commit ({type(w.sink).__name__})")
    _wrap(IcebergSink, "commit", "commit (IcebergSink): pyiceberg append")
    if hasattr(IcebergSink, "_write_files"):  # data files are written by a background thread
        _wrap(IcebergSink, "_write_files", "iceberg: data-file writes (background thread)")
        _wrap(IcebergSink, "_collect", "iceberg: waiting for data-file writes")
    _wrap(JsonlSink, "write_file", "commit (JsonlSink): write DLQ file")

    started = time.perf_counter()
    report = PipelineRunner(plan, RunOptions(handle_signals=False)).run()
    run_seconds = time.perf_counter() - started
    total = time.perf_counter() - total_started
    summed = sum(TIMES.get(name, 0.0) for name, _ in PHASES)
    return {
        "records": records,
        "records_in": report.records_in,
        "total_s": round(total, 3),
        "run_s": round(run_seconds, 3),
        "phases_s": {k: round(v, 3) for k, v in TIMES.items()},
        "calls": dict(CALLS),
        "unaccounted_s": round(total - summed, 3),
    }


PHASES: list[tuple[str, list[str]]] = [
    ("startup: imports", []),
    ("startup: load + compile pipeline", []),
    ("open sink (IcebergSink)", []),
    ("open sink (JsonlSink)", []),
    ("source: read + split files", ["source: concatenate pieces (_concat_text)"]),
    ("decode: total", ["decode: _initial (casts + bookkeeping columns)"]),
    ("transform: total", ["transform: SQL segment (DuckDB + Arrow export)"]),
    ("dlq: build tables", []),
    ("deliver: skip_committed", []),
    ("deliver: conform", []),
    ("deliver: write (IcebergSink)", ["iceberg: waiting for data-file writes", "iceberg: data-file writes (background thread)"]),
    ("deliver: write (JsonlSink)", []),
    ("commit (IcebergSink)", ["commit (IcebergSink): pyiceberg append"]),
    ("commit (JsonlSink)", ["commit (JsonlSink): write DLQ file"]),
]
"""Top-level phases (they do not overlap) and the timers nested in each."""


def print_phases(result: dict[str, Any]) -> None:
    total = result["total_s"]
    times, calls = result["phases_s"], result["calls"]
    print(
        f"\nphase breakdown, {result['records']:,} records: {total:.2f} s in-process, run {result['run_s']:.2f} s"
    )
    print(f"{'phase':60} {'s':>7} {'%':>6} {'calls':>6}")
    for name, nested in PHASES:
        if name not in times:
            continue
        print(f"{name:60} {times[name]:7.2f} {100 * times[name] / total:5.1f}% {calls.get(name, 1):6}")
        for child in nested:
            if child in times:
                print(f"  {child:58} {times[child]:7.2f} {100 * times[child] / total:5.1f}%")
    rest = result["unaccounted_s"]
    print(f"{'runner loop and the rest':60} {rest:7.2f} {100 * rest / total:5.1f}%")


# --- per-rule costs ------------------------------------------------------------------------------


def _round_robin(cases: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Best time of each case over ``repeat`` rounds; every round runs every case once, in turn, so that
    load from other processes on a shared machine spreads over all cases alike."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeat):
        for name, fn in cases.items():
            started = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def rules(records: int, batch: int, repeat: int, threads: int | None = None) -> dict[str, Any]:
    """Time the decode query and each rule of the transform on one batch of ``batch`` records."""
    _environment(records)
    import pyarrow as pa
    import pyarrow.json as pajson

    from lakegate.connectors.base import RunContext
    from lakegate.connectors.files.source import FilesSource
    from lakegate.engine.local.decoder import Decoder
    from lakegate.engine.local.executor import TransformExecutor
    from lakegate.plan.compiler import compile_pipeline
    from lakegate.plan.typecheck import connect
    from lakegate.rules.privacy import SECRET_PREFIX
    from lakegate.spec import load_pipeline

    os.environ["BENCH_BATCH_SIZE"] = str(batch)
    plan = compile_pipeline(load_pipeline(str(PIPELINE)))
    source_plan = plan.sources["orders"]
    transform = plan.transforms["clean_orders"]
    threads = threads or plan.threads
    con = connect(threads)
    context = RunContext(plan.pipeline, plan.base_dir, plan.state_dir, plan.catalogs)
    source = FilesSource("orders", source_plan.config, context)
    chunk = next(iter(source.chunks({})))
    n = len(chunk)
    decoder = Decoder(source_plan.schema, source_plan.metadata_keys, con)
    decoded = decoder.decode(chunk).table
    params = {f"{SECRET_PREFIX}{k}": v for k, v in os.environ.items()}
    executor = TransformExecutor(transform, con, params)

    # The transform's SQL cut after each rule: `SELECT * FROM` that rule's last CTE.
    segment = transform.segments[0]
    assert segment.sql is not None
    ctes = re.findall(r'"(s\d+_[A-Za-z0-9_]+)" AS \(', segment.sql)
    tail = re.search(r'SELECT\s+\*\s+FROM\s+"' + re.escape(ctes[-1]) + r'"\s*$', segment.sql)
    if not tail:
        raise SystemExit("cannot find the final SELECT of the segment SQL")
    head = segment.sql[: tail.start()]
    used = {k: v for k, v in params.items() if f"${k}" in segment.sql}

    raw = pa.table({"p": chunk.payloads})
    structure = "{" + ",".join(f'"{f.name}":"JSON"' for f in source_plan.schema) + "}"
    typed = ", ".join(f'"{f.name}": "{_duck(f.type)}"' for f in source_plan.schema)
    ndjson = "\n".join(chunk.payloads.to_pylist()).encode() + b"\n"
    options = pajson.ParseOptions(
        explicit_schema=source_plan.schema.to_arrow(), unexpected_field_behavior="ignore"
    )

    def query(
        sql: str, relation: str, table: pa.Table, args: dict[str, str] | None = None
    ) -> Callable[[], Any]:
        def run() -> Any:
            con.register(relation, table)
            try:
                return con.execute(sql, args or {}).to_arrow_table()
            finally:
                con.unregister(relation)

        return run

    cases: dict[str, Callable[[], Any]] = {
        "source: one chunk (read + split)": lambda: next(iter(source.chunks({}))),
        "decode: Decoder.decode (lakegate)": lambda: decoder.decode(chunk),
        "decode alt: DuckDB json_valid only": query("SELECT json_valid(p) FROM raw", "raw", raw),
        "decode alt: DuckDB json_transform to JSON fields": query(
            f"SELECT json_transform(p, '{structure}') FROM raw", "raw", raw
        ),
        "decode alt: DuckDB json_transform to typed struct": query(
            f"SELECT unnest(json_transform(p, '{{{typed}}}')) FROM raw", "raw", raw
        ),
        "decode alt: pyarrow.json.read_json (typed)": lambda: pajson.read_json(
            pa.BufferReader(ndjson), parse_options=options
        ),
        "transform: TransformExecutor.run (lakegate)": lambda: executor.run(decoded),
        "transform: SELECT * FROM input (Arrow in/out only)": query("SELECT * FROM input", "input", decoded),
    }
    for cte in ctes:
        cases[f"cut {cte}"] = query(f'{head} SELECT * FROM "{cte}"', "input", decoded, used)
    best = _round_robin(cases, repeat)
    previous = best["transform: SELECT * FROM input (Arrow in/out only)"]
    per_rule: dict[str, float] = defaultdict(float)
    for cte in ctes:
        cut = best[f"cut {cte}"]
        per_rule[cte.split("_", 1)[1]] += cut - previous
        previous = cut
    seconds = {k: v for k, v in best.items() if not k.startswith("cut ")}
    seconds["transform: whole segment SQL"] = best[f"cut {ctes[-1]}"]
    return {
        "batch": n,
        "threads": threads,
        "repeat": repeat,
        "seconds": seconds,
        "per_rule_delta_s": dict(per_rule),
    }


def _duck(t: Any) -> str:
    from lakegate.schemas.types import to_duckdb

    return to_duckdb(t)


def print_rules(result: dict[str, Any]) -> None:
    n = result["batch"]
    print(
        f"\nper-batch costs, one batch of {n:,} records, DuckDB threads={result['threads']} "
        f"(best of {result['repeat']} interleaved rounds)"
    )
    for name, s in result["seconds"].items():
        print(f"{name:58} {1000 * s:8.1f} ms  {n / s / 1e6 if s else 0:6.2f} M records/s")
    print("\nmarginal cost of each rule (cut after the rule minus cut before it):")
    for rule, s in result["per_rule_delta_s"].items():
        print(f"  {rule:30} {1000 * s:8.1f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--mode", choices=["phases", "rules", "both"], default="both")
    parser.add_argument("--batch", type=int, default=100_000, help="batch size of the rules mode")
    parser.add_argument("--repeat", type=int, default=9, help="rounds of the rules mode (best kept)")
    parser.add_argument(
        "--threads", type=int, help="DuckDB threads of the rules mode (default: the pipeline's)"
    )
    parser.add_argument("--pipeline", type=Path, default=PIPELINE, help="pipeline of the phases mode")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    if args.mode in ("phases", "both"):
        results["phases"] = phases(args.records, args.pipeline.resolve())
        print_phases(results["phases"])
    if args.mode in ("rules", "both"):
        results["rules"] = rules(args.records, args.batch, args.repeat, args.threads)
        print_rules(results["rules"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
