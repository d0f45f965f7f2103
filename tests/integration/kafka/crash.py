"""Helpers of the Kafka crash tests: orders on a topic, a pipeline Kafka → Iceberg + PostgreSQL,
`lakegate run` in a subprocess, progress probes, and the exactly-once checks.

The pipeline (written into the test's directory) reads the topic with one consumer group, applies a
few rules and writes every valid order to an Iceberg table (the zero-setup catalog in the state dir)
and to a PostgreSQL table in upsert mode keyed by ``order_id``; malformed messages go to the DLQ (the
default JSON-lines one in the state dir, committing every half second unless told otherwise).
Commits are frequent (every few thousand records) so that kills land around them.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg import sql

from tests.helpers.postgres import pg_dsn
from tests.integration.conftest import query_one
from tests.integration.kafka.conftest import KafkaFixture

PARTITIONS = 3
ORDER_SCHEMA = {
    "fields": [
        {"name": "order_id", "type": "long", "required": True},
        {"name": "user_id", "type": "long"},
        {"name": "amount", "type": "double"},
        {"name": "status", "type": "string"},
    ]
}
"""The schema of the orders :class:`Orders` produces (valid ones)."""
MALFORMED_EVERY = 8_000
"""One malformed message is produced after every this many valid ones."""


@dataclass
class Orders:
    """What was produced so far: the valid orders (ids ``0 .. valid - 1``) and the malformed messages."""

    topic: str
    valid: int = 0
    malformed: int = 0

    @property
    def total(self) -> int:
        return self.valid + self.malformed

    def messages(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` valid orders (unique keys: their ``order_id``), round-robin over the
        partitions, with a malformed message (truncated JSON, key ``bad-<n>``) after every
        ``MALFORMED_EVERY``-th; the counts are updated."""
        messages: list[dict[str, Any]] = []
        for i in range(self.valid, self.valid + count):
            order = {"order_id": i, "user_id": i % 97, "amount": (i % 1000) / 10, "status": "paid"}
            messages.append(
                {"value": json.dumps(order).encode(), "key": str(i).encode(), "partition": i % PARTITIONS}
            )
            if i % MALFORMED_EVERY == MALFORMED_EVERY - 1:
                messages.append(
                    {"value": f'{{"order_id": {i}, "amount": '.encode(), "key": f"bad-{self.malformed}".encode(),
                     "partition": self.malformed % PARTITIONS}
                )  # fmt: skip
                self.malformed += 1
        self.valid += count
        return messages

    def produce(self, kafka: KafkaFixture, count: int) -> None:
        """Append :meth:`messages` to the topic."""
        kafka.produce(self.topic, self.messages(count))


def produce_orders(kafka: KafkaFixture, valid: int) -> Orders:
    """A new topic with ``PARTITIONS`` partitions holding ``valid`` orders (see :meth:`Orders.messages`)."""
    orders = Orders(kafka.create_topic(PARTITIONS))
    orders.produce(kafka, valid)
    return orders


@dataclass
class CrashPipeline:
    """A pipeline Kafka → (upper, derive, add_metadata) → Iceberg ``lake`` + PostgreSQL ``pg`` (upsert)."""

    root: Path
    orders: Orders
    pg_schema: str
    group: str
    path: Path = field(init=False)
    pg_every: int = field(init=False, default=3_000)

    def __post_init__(self) -> None:
        self.path = self.root / "pipeline.yaml"

    @property
    def state(self) -> Path:
        return self.root / ".lakegate"

    def write(
        self,
        kafka: KafkaFixture,
        *,
        batch: int = 2_000,
        iceberg_every: int = 5_000,
        pg_every: int = 3_000,
        dlq_seconds: float = 0.5,
        start: str = "committed",
        dlq_in_postgres: bool = False,
    ) -> CrashPipeline:
        """Write the pipeline file. ``dlq_in_postgres`` puts the DLQ in the PostgreSQL table
        ``<pg_schema>.dlq`` instead of the JSON-lines folder (which belongs to one process)."""
        spec = {
            "pipeline": "kafka_crash",
            "schemas": {"order": ORDER_SCHEMA},
            "sources": {
                "orders": {
                    "type": "kafka",
                    "bootstrap_servers": kafka.bootstrap,
                    "topics": [self.orders.topic],
                    "group_id": self.group,
                    "schema": "order",
                    "batch_max_messages": batch,
                    "batch_max_ms": 200,
                    "start": start,
                    "properties": dict(kafka.broker.group_properties),
                }
            },
            "transforms": {
                "clean": {
                    "source": "orders",
                    "rules": [
                        {"type": "upper", "columns": ["status"]},
                        {
                            "type": "derive",
                            "column": "amount_cents",
                            "expr": "CAST(round(amount * 100) AS BIGINT)",
                        },
                        {"type": "add_metadata", "columns": {"k_stream": "stream", "k_offset": "index"}},
                    ],
                    "sinks": ["lake", "pg"],
                }
            },
            "sinks": {
                "lake": {
                    "type": "iceberg",
                    "table": "shop.orders",
                    "commit": {"every_records": iceberg_every, "every_seconds": 60},
                },
                "pg": {
                    "type": "postgres",
                    "dsn": pg_dsn(),
                    "table": f"{self.pg_schema}.orders",
                    "mode": "upsert",
                    "key": ["order_id"],
                    "commit": {"every_records": pg_every, "every_seconds": 60},
                },
            },
            # The default DLQ (JSON lines in the state dir), committing often: a sink that has not
            # committed yet holds the start of the next run back at the beginning of the topic, and
            # with the default 10 s no run would live long enough to resume from the sinks' offsets.
            "dlq": {"type": "jsonl", "path": ".lakegate/dlq", "commit": {"every_seconds": dlq_seconds}},
        }
        if dlq_in_postgres:
            spec["dlq"] = {"type": "postgres", "dsn": pg_dsn(), "table": f"{self.pg_schema}.dlq",
                           "commit": {"every_seconds": dlq_seconds}}  # fmt: skip
        self.path.write_text(yaml.safe_dump(spec, sort_keys=False))
        self.pg_every = pg_every
        return self

    # --- running ------------------------------------------------------------------------------

    def spawn(self, log_name: str, *extra: str) -> subprocess.Popen[bytes]:
        """``lakegate run`` (without ``--follow`` in ``extra`` it drains the topic and exits); output
        to ``log_name`` (a file, so a chatty run can never block on a full pipe)."""
        log = (self.root / log_name).open("wb")
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "lakegate.cli.main", "run", str(self.path), "--quiet", *extra],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        finally:
            log.close()

    def log(self, log_name: str) -> str:
        return (self.root / log_name).read_text(errors="replace")

    # --- progress probes (cheap, polled while a run goes on) ------------------------------------

    def iceberg_commits(self) -> int:
        """Iceberg commits so far: each writes one new metadata file."""
        return len(list((self.state / "warehouse").glob("**/metadata/*.metadata.json")))

    def pg_positions(self, con: psycopg.Connection[Any]) -> int:
        """Sum of the ``next`` offsets the PostgreSQL sink committed (0 before its first commit)."""
        table = sql.Identifier(self.pg_schema, "lakegate_offsets")
        if con.execute("SELECT to_regclass(%s)", [table.as_string(con)]).fetchone() == (None,):
            return 0
        row = con.execute(sql.SQL("SELECT positions FROM {} WHERE sink = 'pg'").format(table)).fetchone()
        if row is None:
            return 0
        return sum(int(entry["next"]) for entry in row[0].get("orders", {}).values())

    def pg_rows(self, con: psycopg.Connection[Any]) -> tuple[int, int]:
        """Rows and distinct ``order_id`` in the PostgreSQL table ((0, 0) before it exists)."""
        table = sql.Identifier(self.pg_schema, "orders")
        if con.execute("SELECT to_regclass(%s)", [table.as_string(con)]).fetchone() == (None,):
            return 0, 0
        row = con.execute(
            sql.SQL("SELECT count(*), count(DISTINCT order_id) FROM {}").format(table)
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def iceberg_table(self) -> Any:
        """The Iceberg table through pyiceberg (None before the first run created it)."""
        from pyiceberg.catalog.sql import SqlCatalog
        from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

        if not (self.state / "catalog.db").exists():
            return None
        catalog = SqlCatalog(
            "default", uri=f"sqlite:///{self.state}/catalog.db", warehouse=(self.state / "warehouse").as_uri()
        )
        try:
            return catalog.load_table("shop.orders")
        except (NoSuchTableError, NoSuchNamespaceError):
            return None

    def iceberg_rows(self) -> int:
        """Rows in the current snapshot (from its summary: no data read)."""
        table = self.iceberg_table()
        snapshot = table.current_snapshot() if table is not None else None
        if snapshot is None or snapshot.summary is None:
            return 0
        return int(snapshot.summary.get("total-records", "0"))

    def next_commits(self, con: psycopg.Connection[Any], rng: random.Random) -> Callable[[], bool]:
        """A condition that holds once 1-2 more Iceberg commits or 1-3 more PostgreSQL commits
        happened (``rng`` picks the sink and the number), counted from now."""
        if rng.random() < 0.5:
            iceberg = self.iceberg_commits() + rng.randint(1, 2)
            return lambda: self.iceberg_commits() >= iceberg
        pg = self.pg_positions(con) + rng.randint(1, 3) * self.pg_every
        return lambda: self.pg_positions(con) >= pg

    # --- final checks -----------------------------------------------------------------------------

    def assert_exactly_once(self, *, dlq_in_postgres: bool = False) -> None:
        """Every valid order once in Iceberg (read with pyiceberg) and in PostgreSQL; every malformed
        message once in the DLQ (through ``lakegate query``, or in PostgreSQL)."""
        expected = self.orders.valid
        table = self.iceberg_table()
        assert table is not None
        ids = table.scan(selected_fields=("order_id",)).to_arrow()
        distinct = len(set(ids.column("order_id").to_pylist()))
        if ids.num_rows != expected or distinct != expected:
            raise AssertionError(
                f"Iceberg holds {ids.num_rows} rows, {distinct} distinct order ids; expected {expected} of "
                f"each. {_duplicates_and_gaps(ids.column('order_id').to_pylist(), expected)}"
            )
        with psycopg.connect(pg_dsn(), autocommit=True) as con:
            rows, keys = self.pg_rows(con)
        assert (rows, keys) == (expected, expected), f"PostgreSQL holds {rows} rows, {keys} distinct keys"
        counts = "SELECT count(*), count(DISTINCT stream || ':' || index), count(DISTINCT payload) FROM "
        if dlq_in_postgres:
            with psycopg.connect(pg_dsn(), autocommit=True) as con:
                row = con.execute(counts + f"{self.pg_schema}.dlq").fetchone()
                assert row is not None
                dlq, dlq_coordinates, dlq_keys = row
        else:
            dlq, dlq_coordinates, dlq_keys = query_one(self.path, counts + "dlq")
        malformed = self.orders.malformed
        assert (dlq, dlq_coordinates, dlq_keys) == (malformed, malformed, malformed), (
            f"the DLQ holds {dlq} rows at {dlq_coordinates} coordinates ({dlq_keys} payloads); "
            f"expected each of the {malformed} malformed messages once"
        )


def _duplicates_and_gaps(ids: list[int], expected: int) -> str:
    seen: dict[int, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    duplicated = sorted(i for i, n in seen.items() if n > 1)
    missing = sorted(set(range(expected)) - set(seen))
    return f"duplicated: {len(duplicated)} (first {duplicated[:10]}), missing: {len(missing)} (first {missing[:10]})"


def wait_until(condition: Callable[[], bool], *, timeout: float, every: float = 0.05) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()
