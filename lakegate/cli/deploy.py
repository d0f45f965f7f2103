"""``lakegate compile --target flink`` and ``lakegate package --target flink``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.text import Text

from lakegate.plan.compiler import compile_pipeline
from lakegate.spec import load_pipeline

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _build(pipeline: str):  # type: ignore[no-untyped-def]
    from lakegate.engine.flink.deploy import build_flink_job

    loaded = load_pipeline(pipeline)
    return build_flink_job(loaded, compile_pipeline(loaded, require_secrets=False))


def _report(job, out_dir: Path) -> None:  # type: ignore[no-untyped-def]
    for warning in job.warnings:
        err.print(Text("warning: ", style="yellow") + Text(warning))
    if job.secrets:
        out.print(
            Text(
                "secrets the job reads at start (property group lakegate.secrets or environment): "
                + ", ".join(job.secrets),
                style="yellow",
            )
        )


def compile_target(args: argparse.Namespace) -> int:
    """Write the Flink job of a pipeline into ``--out``."""
    job = _build(args.pipeline)
    out_dir = Path(args.out)
    written = job.write(out_dir)
    out.print(
        Text(f"{args.pipeline}: Flink job written to {out_dir}/", style="green")
        + Text(f" — {job.ddl} DDL statements, {job.inserts} INSERTs in one statement set, {len(written)} files")
    )
    for path in written:
        out.print(Text(f"  {path.relative_to(out_dir)}", style="dim"))
    _report(job, out_dir)
    out.print(f"next: cd {out_dir} && mvn package   (builds target/pyflink-dependencies.jar and the zip)")
    return 0


def package(args: argparse.Namespace) -> int:
    """Write the job directory and the deployable zip of a pipeline."""
    from lakegate.engine.flink.deploy import write_zip
    from lakegate.engine.flink.deploy.maven import artifact_id

    job = _build(args.pipeline)
    zip_path = Path(args.out) if args.out else Path("dist") / f"{artifact_id(job.pipeline)}.zip"
    project = zip_path.with_suffix("")
    job.write(project)
    entries = write_zip(job, zip_path, Path(args.jar) if args.jar else None)
    out.print(Text(f"{args.pipeline}: {zip_path}", style="green") + Text(f" — {len(entries)} entries"))
    for name in entries:
        out.print(Text(f"  {name}", style="dim"))
    _report(job, project)
    if not args.jar:
        err.print(
            Text("note: ", style="yellow")
            + Text(
                f"the zip has no lib/pyflink-dependencies.jar; build it with `mvn package` in {project}/ "
                f"(writes target/{artifact_id(job.pipeline)}.zip with the jar) or pass --jar"
            )
        )
    return 0
