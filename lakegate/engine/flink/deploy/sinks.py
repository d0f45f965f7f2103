"""DDL of the non-Iceberg sinks the Flink job can write: files, PostgreSQL (JDBC) and Kafka.

- ``jsonl`` / ``parquet`` → the ``filesystem`` connector (``json`` / ``parquet`` format). Its
  streaming sink finalises part files on checkpoints: exactly-once.
- ``postgres`` → the JDBC connector (``flink-connector-jdbc`` with the PostgreSQL dialect). ``mode:
  upsert`` declares ``PRIMARY KEY (key) NOT ENFORCED``, so the connector upserts (``INSERT … ON
  CONFLICT DO UPDATE``) and a replay after a failure rewrites the same rows: effectively exactly-once.
  ``mode: append`` is **at-least-once** on Flink (the JDBC table sink is not transactional). The
  table must exist: the JDBC connector does not create tables (``lakegate run`` of the same pipeline
  does, or create it yourself).
- ``kafka`` (for the DLQ, or a Kafka sink type when registered) → the Kafka connector, JSON values,
  ``sink.delivery-guarantee`` = ``exactly-once`` (Kafka transactions committed on checkpoints).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lakegate.engine.flink.deploy.kafka import security_options
from lakegate.engine.flink.deploy.sqltext import (
    Option,
    column_list,
    comment,
    secret_name,
    with_clause,
)
from lakegate.engine.flink.secrets import placeholder
from lakegate.errors import CompileError


def resolve_path(path: str, base_dir: Path) -> str:
    """``path`` as the filesystem connector wants it: URIs (``s3://``) as given, local paths absolute."""
    if "://" in path:
        return path
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else (base_dir / p).resolve())


def file_sink_ddl(name: str, config: Any, table: str, columns: list[tuple[str, str]], base_dir: Path) -> str:
    """A ``filesystem`` table for a ``jsonl`` or ``parquet`` sink (or DLQ)."""
    path = resolve_path(config.path, base_dir)
    options = [Option("connector", "filesystem"), Option("path", path)]
    if config.type == "parquet":
        options.append(Option("format", "parquet"))
        if config.compression != "none":
            options.append(Option("parquet.compression", config.compression.upper()))
    else:
        options.append(Option("format", "json", "one JSON object per line"))
    head = comment(f"Sink {name!r}: {config.type} files in {path} (part files finalised on checkpoints)")
    return f"{head}\nCREATE TABLE {table} {column_list(columns)}\n{with_clause(options)}"


def jdbc_url(dsn: str) -> tuple[str, str | None]:
    """``(jdbc:postgresql://host:port/db, user)`` from a libpq URL or ``key=value`` string; the
    password is left out (the job fills it in from a secret)."""
    if dsn.startswith(("postgresql://", "postgres://")):
        url = urlparse(dsn)
        host = url.hostname or "localhost"
        port = url.port or 5432
        database = url.path.lstrip("/") or "postgres"
        query = f"?{url.query}" if url.query else ""
        return f"jdbc:postgresql://{host}:{port}/{database}{query}", unquote(url.username) if url.username else None
    params: dict[str, str] = {}
    for item in dsn.split():
        key, sep, value = item.partition("=")
        if not sep:
            raise CompileError("cannot read the PostgreSQL `dsn` (expected a URL or key=value pairs)")
        params[key] = value.strip("'")
    where = f"{params.get('host', 'localhost')}:{params.get('port', '5432')}"
    return f"jdbc:postgresql://{where}/{params.get('dbname', 'postgres')}", params.get("user")


def postgres_sink_ddl(name: str, config: Any, table: str, columns: list[tuple[str, str]]) -> str:
    """A JDBC table for a ``postgres`` sink; ``upsert`` mode declares the key as primary key."""
    url, user = jdbc_url(config.dsn.get_secret_value())
    options = [
        Option("connector", "jdbc"),
        Option("url", url),
        Option("table-name", config.table),
    ]
    if user:
        options.append(Option("username", user))
    options.append(Option("password", placeholder(secret_name(name, "password")), "filled in at start"))
    options += [
        Option("sink.buffer-flush.max-rows", str(config.commit.every_records), "commit.every_records"),
        Option("sink.buffer-flush.interval", f"{config.commit.every_seconds:g} s", "commit.every_seconds"),
    ]
    body = column_list(columns)
    if config.mode == "upsert":
        keys = ", ".join(f"`{k}`" for k in config.key)
        body = body[:-2] + f",\n  PRIMARY KEY ({keys}) NOT ENFORCED\n)"
    guarantee = "upsert by key: replays rewrite the same rows" if config.mode == "upsert" else (
        "append: at-least-once on Flink (a replay after a failure may insert rows twice)"
    )
    head = comment(f"Sink {name!r}: PostgreSQL table {config.table} through JDBC ({guarantee})")
    return f"{head}\nCREATE TABLE {table} {body}\n{with_clause(options)}"


def kafka_sink_ddl(name: str, config: Any, table: str, columns: list[tuple[str, str]], pipeline: str) -> str:
    """A Kafka table writing JSON values; ``delivery: exactly_once`` commits Kafka transactions on
    checkpoints."""
    if getattr(config, "key", None):
        raise CompileError(
            "a Kafka sink `key` expression is not supported by the Flink target yet",
            hint="remove `key` (messages are written without a key)",
            sink=name,
        )
    options = [
        Option("connector", "kafka"),
        Option("topic", config.topic),
        Option("properties.bootstrap.servers", config.bootstrap_servers),
        Option("format", "json", "one JSON object per message"),
    ]
    if getattr(config, "delivery", "exactly_once") == "exactly_once":
        prefix = getattr(config, "transactional_id_prefix", None) or f"lakegate-{pipeline}-{name}"
        options += [
            Option("sink.delivery-guarantee", "exactly-once", "Kafka transactions committed on checkpoints"),
            Option("sink.transactional-id-prefix", prefix),
        ]
    else:
        options.append(Option("sink.delivery-guarantee", "at-least-once"))
    if getattr(config, "security", None) is not None:
        options += security_options(name, config.security)
    for key, value in (getattr(config, "properties", None) or {}).items():
        options.append(Option(f"properties.{key}", value))
    head = comment(f"Sink {name!r}: Kafka topic {config.topic} (JSON values)")
    return f"{head}\nCREATE TABLE {table} {column_list(columns)}\n{with_clause(options)}"
