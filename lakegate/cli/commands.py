"""The CLI commands. Each takes the parsed arguments and returns an exit status."""

from __future__ import annotations

import argparse
import io
import json
import os
from pathlib import Path

import pyarrow.csv as pacsv
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lakegate.cli.progress import ProgressDisplay, print_summary
from lakegate.cli.rules_doc import render_rules
from lakegate.plan.compiler import compile_pipeline
from lakegate.plan.explain import explain_plan
from lakegate.plan.model import Plan
from lakegate.spec import load_pipeline

out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal:  # piped output: never truncate table cells to an assumed 80 columns
    out = Console(highlight=False, soft_wrap=True, width=10_000)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _compile(path: str, *, require_secrets: bool = True) -> Plan:
    return compile_pipeline(load_pipeline(path), require_secrets=require_secrets)


def validate(args: argparse.Namespace) -> int:
    plan = _compile(args.pipeline, require_secrets=False)
    rules = sum(len(t.rule_names) for t in plan.transforms.values())
    out.print(
        Text(f"{args.pipeline}: ok", style="green")
        + Text(f" — {len(plan.sources)} sources, {len(plan.transforms)} transforms, {rules} rules, "
               f"{len(plan.sinks)} sinks")
    )
    _mention_secrets(plan)
    return 0


def _mention_secrets(plan: Plan) -> None:
    """Say which secret environment variables `run` will need, and which are missing now."""
    needed = sorted({s for t in plan.transforms.values() for s in t.secrets})
    missing = [s for s in needed if not os.environ.get(s)]
    if needed:
        note = f"secrets read from the environment at run time: {', '.join(needed)}"
        if missing:
            note += f" (not set here: {', '.join(missing)})"
        out.print(Text(note, style="yellow" if missing else ""))


def run(args: argparse.Namespace) -> int:
    from lakegate.engine.local import PipelineRunner, RunOptions

    plan = _compile(args.pipeline)
    display = None if args.quiet else ProgressDisplay(err)
    options = RunOptions(follow=args.follow, on_progress=display.update if display else None)
    try:
        report = PipelineRunner(plan, options).run()
    finally:
        if display:
            display.close()
    if args.report:
        report.write(args.report)
    if not args.quiet:
        print_summary(err, report)
    return 0


def explain(args: argparse.Namespace) -> int:
    out.print(Text(explain_plan(_compile(args.pipeline, require_secrets=False))))
    return 0


def test(args: argparse.Namespace) -> int:
    from lakegate.testing.runner import default_case_file, run_cases

    path = Path(args.cases) if args.cases else default_case_file(Path(args.pipeline))
    results = run_cases(Path(args.pipeline), path)
    for r in results:
        mark = Text("PASS ", style="green") if r.passed else Text("FAIL ", style="bold red")
        out.print(mark + Text(r.name))
        for problem in r.problems:
            out.print(Text("  " + problem.replace("\n", "\n  ")))
    failed = sum(not r.passed for r in results)
    out.print(Text(f"{len(results) - failed} passed, {failed} failed"))
    return 1 if failed else 0


def rules(args: argparse.Namespace) -> int:
    out.print(Text(render_rules(args.rule)))
    return 0


def query(args: argparse.Namespace) -> int:
    from lakegate.engine.local.query import query_sinks

    table = query_sinks(_compile(args.pipeline, require_secrets=False), args.sql)
    if args.format == "json":
        for row in table.to_pylist():
            out.print(Text(json.dumps(row, default=str)))
    elif args.format == "csv":
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer)
        out.print(Text(buffer.getvalue().decode()), end="")
    else:
        view = Table(*table.column_names, show_lines=False)
        for row in table.to_pylist():
            view.add_row(*("" if v is None else str(v) for v in row.values()))
        out.print(view)
        out.print(Text(f"{table.num_rows} row{'s' if table.num_rows != 1 else ''}", style="dim"))
    return 0
