"""Write a runnable PyFlink job for a pipeline: ``lakegate compile PIPELINE --target flink --out DIR``.

The directory written (the layout of the users' earlier Managed Flink project)::

    streaming_job.py             entry point (a copy of :mod:`.runtime`; reads the files below)
    application_properties.json  Managed Flink run options (python, jarfile) and lakegate's groups
    job/pipeline.sql             every statement, formatted and commented, in execution order
    job/job.json                 table settings the SQL relies on (UTC session time zone), Flink
                                 settings, Iceberg partition specs, secret names (never values)
    pom.xml, assembly/assembly.xml, src/main/java/.../HadoopUtils.java
                                 ``mvn package`` → target/pyflink-dependencies.jar and the zip
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakegate import __version__
from lakegate.engine.flink.deploy import runtime
from lakegate.engine.flink.deploy.catalogs import catalog_spec, create_catalog
from lakegate.engine.flink.deploy.maven import maven_files
from lakegate.engine.flink.deploy.sqltext import comment
from lakegate.engine.flink.deploy.tables import DeployTableFactory, check_sinks, unique
from lakegate.engine.flink.deploy.versions import DEPENDENCY_JAR
from lakegate.errors import CompileError
from lakegate.plan.model import Plan
from lakegate.spec import LoadedPipeline
from lakegate.spec.models import FlinkSettings

ENTRY_POINT = "streaming_job.py"
PROPERTIES_FILE = "application_properties.json"
SQL_FILE = "pipeline.sql"
MANIFEST_FILE = "job.json"


@dataclass
class FlinkJob:
    """A compiled job: its files (relative path → content) and what the CLI should tell the user."""

    pipeline: str
    files: dict[str, str]
    inserts: int
    ddl: int
    secrets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def write(self, out_dir: Path) -> list[Path]:
        """Write every file under ``out_dir``; returns the paths written."""
        written = []
        for relative, content in self.files.items():
            path = out_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            written.append(path)
        return written


def flink_configuration(settings: FlinkSettings) -> dict[str, str]:
    """The Flink options the job sets from ``settings.flink`` (checkpointing exactly-once by default)."""
    config = {
        "execution.checkpointing.interval": f"{round(settings.checkpoint_interval_seconds * 1000)} ms",
        "execution.checkpointing.mode": settings.checkpoint_mode.upper(),
        "execution.checkpointing.timeout": f"{round(settings.checkpoint_timeout_seconds * 1000)} ms",
        "execution.checkpointing.min-pause": f"{round(settings.min_pause_between_checkpoints_seconds * 1000)} ms",
    }
    if settings.parallelism is not None:
        config["parallelism.default"] = str(settings.parallelism)
    config.update(settings.configuration)
    return config


def _statement(text: str) -> str:
    return text.strip().rstrip(";").rstrip() + ";"


def render_sql(plan: Plan, source_file: str, sections: list[tuple[str, list[str]]]) -> str:
    """``pipeline.sql``: a header, then each non-empty section with its statements."""
    header = comment(
        f"Flink SQL of pipeline {plan.pipeline!r} (rule-set version {plan.version}),\n"
        f"compiled by lakegate {__version__} from {source_file}. Do not edit: recompile instead.\n"
        f"{ENTRY_POINT} runs every statement except the INSERTs in order, checks the Iceberg partition\n"
        "specs, then submits all INSERTs together as one statement set (one Flink job)."
    )
    parts = [header]
    for title, statements in sections:
        if statements:
            parts.append(comment(f"{'=' * 20} {title} {'=' * 20}"))
            parts.extend(_statement(s) for s in statements)
    return "\n\n".join(parts) + "\n"


def application_properties(secrets: list[str]) -> str:
    """``application_properties.json`` in Managed Flink's format (secret values left empty)."""
    groups: list[dict[str, Any]] = [
        {
            "PropertyGroupId": "kinesis.analytics.flink.run.options",
            "PropertyMap": {"python": ENTRY_POINT, "jarfile": f"lib/{DEPENDENCY_JAR}"},
        }
    ]
    if secrets:
        groups.append({"PropertyGroupId": "lakegate.secrets", "PropertyMap": {s: "" for s in secrets}})
    return json.dumps(groups, indent=2) + "\n"


def build_flink_job(loaded: LoadedPipeline, plan: Plan) -> FlinkJob:
    """Compile ``plan`` (of ``loaded``) into the files of a Flink job."""
    try:
        from lakegate.engine.flink.statements import flink_statements
    except ImportError as exc:  # pragma: no cover - the emitter ships with lakegate
        raise CompileError(f"the Flink SQL emitter is not available: {exc}") from exc
    check_sinks(plan)
    factory = DeployTableFactory(plan)
    statements = flink_statements(plan, factory)
    catalogs = [create_catalog(name, catalog_spec(name, plan.catalogs)) for name in factory.catalogs_used]
    sql = render_sql(
        plan,
        loaded.path.name,
        [
            ("Iceberg catalogs", catalogs),
            ("Sources, sinks, dead-letter queue and rule views", statements.ddl),
            ("INSERT statements: one statement set", statements.inserts),
        ],
    )
    secrets = unique(factory.secrets + statements.secrets)
    manifest = {
        "pipeline": plan.pipeline,
        "version": plan.version,
        "lakegate": __version__,
        "sql": SQL_FILE,
        "table_configuration": statements.config,
        "configuration": flink_configuration(loaded.spec.settings.flink),
        "partitions": factory.partitions,
        "secrets": secrets,
    }
    files = {
        ENTRY_POINT: Path(runtime.__file__).read_text(encoding="utf-8"),
        PROPERTIES_FILE: application_properties(secrets),
        f"job/{SQL_FILE}": sql,
        f"job/{MANIFEST_FILE}": json.dumps(manifest, indent=2) + "\n",
        **maven_files(plan.pipeline, factory.features),
    }
    return FlinkJob(
        pipeline=plan.pipeline,
        files=files,
        inserts=len(statements.inserts),
        ddl=len(catalogs) + len(statements.ddl),
        secrets=secrets,
        warnings=unique(factory.warnings),
    )
