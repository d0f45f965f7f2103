"""The production ``TableFactory`` of the Flink job: real connectors for sources, sinks and the DLQ.

The Flink SQL emitter (``lakegate.engine.flink.statements``) asks it for the DDL of each table and
writes the rule views and INSERTs around them. Besides the DDL, the factory records what the job
needs at run time: the Iceberg catalogs used, the partition specs to check, the secrets the SQL
refers to, the optional Java dependencies (postgres, parquet) and warnings for the CLI to print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakegate.connectors.files.config import FilesSourceConfig
from lakegate.connectors.iceberg.config import IcebergSinkConfig
from lakegate.connectors.kafka.config import KafkaSourceConfig
from lakegate.engine.flink.deploy.iceberg import iceberg_sink_ddl, partition_manifest
from lakegate.engine.flink.deploy.kafka import kafka_source_options, secrets_of
from lakegate.engine.flink.deploy.metadata import FILES as FILES_METADATA
from lakegate.engine.flink.deploy.metadata import KAFKA as KAFKA_METADATA
from lakegate.engine.flink.deploy.sinks import (
    file_sink_ddl,
    kafka_sink_ddl,
    postgres_sink_ddl,
    resolve_path,
)
from lakegate.engine.flink.deploy.sqltext import (
    Option,
    column_list,
    comment,
    secret_name,
    with_clause,
)
from lakegate.engine.flink.dialect import flink_type
from lakegate.engine.flink.statements import PAYLOAD_UTF8, payload_from_bytes
from lakegate.errors import CompileError

if TYPE_CHECKING:
    from lakegate.engine.flink.statements import FlinkColumn
    from lakegate.plan.model import Plan, SinkPlan, SourcePlan

DLQ_NAME = "dlq"


@dataclass
class DeployTableFactory:
    """Builds the DDL of real connectors for a compiled :class:`~lakegate.plan.model.Plan`."""

    plan: Plan
    catalogs_used: list[str] = field(default_factory=list)
    partitions: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    features: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    databases: set[str] = field(default_factory=set)

    # -- sources ---------------------------------------------------------------------------------------

    def source_table(
        self, source: SourcePlan, table: str, payload_column: str, metadata: dict[str, FlinkColumn]
    ) -> str:
        """``CREATE TABLE`` for ``source``: each record's bytes, its JSON text in ``payload_column``
        (see :func:`payload_from_bytes`) plus metadata columns."""
        config = source.config
        columns = payload_from_bytes(payload_column)
        if isinstance(config, KafkaSourceConfig):
            options = kafka_source_options(source.name, config)
            metadata = dict(metadata)
            key = metadata.pop("key", None)  # a physical column, read with the raw key format
            if key is not None:
                columns.append((key.name, key.type_sql))
                options += [
                    Option("key.format", "raw", "the message key as text"),
                    Option("key.fields", key.name),
                    Option("value.fields-include", "EXCEPT_KEY"),
                ]
            columns += KAFKA_METADATA.columns(source.name, metadata)
            options += [Option("value.format", "raw", "each value is one JSON document (bytes), decoded by the rules")]
            self.secrets += secrets_of(source.name, config.security)
            what = "Kafka " + (f"topics {', '.join(config.topics)}" if config.topics else f"topics matching "
                               f"{config.topic_pattern}")  # fmt: skip
        elif isinstance(config, FilesSourceConfig):
            options = self._files_source_options(source.name, config)
            columns += FILES_METADATA.columns(source.name, metadata)
            what = f"JSON-lines files under {options[1].value}"
        else:
            raise CompileError(
                f"source type {config.type!r} has no Flink connector in the packaged job",
                hint="the Flink target reads `kafka` and `files` sources",
                source=source.name,
            )
        head = comment(
            f"Source {source.name!r}: {what}\n"
            f"schema {source.schema.name or config.schema_} v{source.schema.version}; "
            f"{payload_column} holds each record's JSON text; a record whose bytes are not valid UTF-8\n"
            f"({PAYLOAD_UTF8} false) is dead-lettered as malformed JSON, as on the embedded engine"
        )
        return f"{head}\nCREATE TABLE {table} {column_list(columns)}\n{with_clause(options)}"

    def _files_source_options(self, name: str, config: FilesSourceConfig) -> list[Option]:
        if config.format == "json":
            raise CompileError(
                "a `files` source with `format: json` (whole-file JSON documents) cannot be read by Flink",
                hint="Flink's filesystem connector reads newline-delimited JSON: use `format: ndjson`",
                source=name,
            )
        path = resolve_path(config.path, self.plan.base_dir)
        if "://" not in path:
            self.warnings.append(
                f"source {name!r} reads the local directory {path}: on a cluster every TaskManager needs it; "
                "use a shared filesystem URI (s3://, hdfs://) in production"
            )
        return [
            Option("connector", "filesystem"),
            Option("path", path),
            Option("format", "raw", "one JSON record per line (NDJSON; .gz files are decompressed)"),
            Option("source.monitor-interval", f"{config.poll_seconds:g} s", "keep watching for new files"),
        ]

    # -- sinks -----------------------------------------------------------------------------------------

    def sink_table(self, sink: SinkPlan, table: str, columns: list[FlinkColumn]) -> list[str]:
        """DDL of ``sink``'s table named ``table`` with ``columns``."""
        return self._sink(sink.name, sink.config, table, [(c.name, c.type_sql) for c in columns])

    def dlq_table(self, table: str, columns: list[FlinkColumn]) -> list[str]:
        """DDL of the dead-letter table: the pipeline's ``dlq`` sink (a Kafka topic, Iceberg table or files)."""
        return self._sink(DLQ_NAME, self.plan.dlq, table, [(c.name, c.type_sql) for c in columns])

    def _sink(self, name: str, config: Any, table: str, columns: list[tuple[str, str]]) -> list[str]:
        kind = getattr(config, "type", None)
        if isinstance(config, IcebergSinkConfig):
            statements = [
                s
                for s in iceberg_sink_ddl(name, config, table, columns, self.plan.catalogs)
                if s not in self.databases  # one CREATE DATABASE per namespace
            ]
            self.databases.update(s for s in statements if s.startswith("CREATE DATABASE"))
            if config.catalog not in self.catalogs_used:
                self.catalogs_used.append(config.catalog)
            if config.partition_by:
                self.partitions.append(partition_manifest(name, config))
            return statements
        if kind in ("jsonl", "parquet"):
            if kind == "parquet":
                self.features.add("parquet")
            if "://" not in config.path:
                where = "the default DLQ" if name == DLQ_NAME else f"sink {name!r}"
                self.warnings.append(
                    f"{where} writes to the local directory {resolve_path(config.path, self.plan.base_dir)}; "
                    "on a cluster use an s3:// (or hdfs://) path, an Iceberg table or a Kafka topic"
                )
            return [file_sink_ddl(name, config, table, columns, self.plan.base_dir)]
        if kind == "postgres":
            self.features.add("postgres")
            self.secrets.append(secret_name(name, "password"))
            return [postgres_sink_ddl(name, config, table, columns)]
        if kind == "kafka":
            self.secrets += secrets_of(name, getattr(config, "security", None))
            return [kafka_sink_ddl(name, config, table, columns, self.plan.pipeline)]
        raise CompileError(
            f"sink type {kind!r} has no Flink connector in the packaged job",
            hint="on Flink, write to iceberg, postgres, parquet, jsonl or kafka sinks (run this sink type "
            "with `lakegate run`)",
            sink=name,
        )


def check_sinks(plan: Plan) -> None:
    """Raise one :class:`CompileError` listing every sink (and the DLQ) the Flink job cannot write,
    each with what to do, so that a user sees all of them at once rather than one per compile."""
    from lakegate.engine.flink.statements import dlq_columns

    probe = DeployTableFactory(plan)
    problems: list[CompileError] = []
    targets = [(name, sink.config, [(f.name, flink_type(f.type)) for f in sink.schema])
               for name, sink in plan.sinks.items()]  # fmt: skip
    targets.append((DLQ_NAME, plan.dlq, [(c.name, c.type_sql) for c in dlq_columns()]))
    for name, config, columns in targets:
        try:
            probe._sink(name, config, f"sink_{name}", columns)
        except CompileError as exc:
            exc.context.setdefault("sink", name)
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise CompileError(
            f"{len(problems)} sinks cannot be written by a Flink job:\n"
            + "\n".join(f"  - {str(p).replace(chr(10), chr(10) + '    ')}" for p in problems),
            hint="change these sinks for the Flink target, or run the pipeline with `lakegate run`",
        )


def unique(values: list[str]) -> list[str]:
    """``values`` without repeats, in first-seen order."""
    return list(dict.fromkeys(values))
