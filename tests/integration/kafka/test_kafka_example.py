"""examples/kafka end to end: its traffic script fills the three topics, `lakegate run` drains them
into Iceberg and PostgreSQL, and every message is accounted for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.helpers.postgres import pg_dsn, temp_schema
from tests.integration.kafka.conftest import KafkaFixture

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "kafka"


def test_the_kafka_example_runs_from_its_traffic_script_into_iceberg_and_postgres(
    kafka: KafkaFixture, tmp_path: Path
) -> None:
    with temp_schema("lg_kexample") as schema:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP": kafka.bootstrap,
            "PG_DSN": pg_dsn(),
            "PG_SCHEMA": schema,
            "LAKEGATE_GROUP": kafka.name("lg-example"),
            "LAKEGATE_HOME": str(tmp_path / "state"),
            "LAKEGATE_HASH_SALT": "example-salt",
            "KAFKA_SESSION_TIMEOUT_MS": kafka.broker.group_properties["session.timeout.ms"],
            "KAFKA_HEARTBEAT_MS": kafka.broker.group_properties["heartbeat.interval.ms"],
        }
        produced = subprocess.run(
            [sys.executable, str(EXAMPLE / "produce.py"), "--bootstrap", kafka.bootstrap],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert produced.returncode == 0, produced.stderr
        sent = int(produced.stdout.split(" messages delivered")[0].rsplit("\n", 1)[-1])
        report_path = tmp_path / "report.json"
        run = subprocess.run(
            [sys.executable, "-m", "lakegate.cli.main", "run", str(EXAMPLE / "pipeline.yaml"), "--quiet",
             "--report", str(report_path)],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        report = json.loads(report_path.read_text())
        sources, transforms, sinks = report["sources"], report["transforms"], report["sinks"]

        assert sum(s["records_in"] for s in sources.values()) == sent  # every message read once
        for name, t in transforms.items():
            assert t["records_in"] == t["records_out"] + t["filtered"] + t["dlq"], name
            assert t["records_in"] == sources[name]["records_in"] - sources[name]["dlq"]
        dead = sum(s["dlq"] for s in sources.values()) + sum(t["dlq"] for t in transforms.values())
        assert dead > 0 and transforms["bids"]["filtered"] > 0

        with psycopg.connect(pg_dsn(), autocommit=True) as con:

            def count(table: str) -> int:
                row = con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()
                return int(row[0]) if row else -1

            assert count("dead_letters") == dead
            assert count("large_bids") == sinks["large_bids_pg"]["records_written"] > 0
            orders, distinct = con.execute(
                f"SELECT count(*), count(DISTINCT order_id) FROM {schema}.orders"
            ).fetchone() or (0, 0)
            assert orders == distinct > 0  # upsert: one row per order id
            stages = {r[0] for r in con.execute(f"SELECT DISTINCT stage FROM {schema}.dead_letters")}
            assert {"decode", "validate"} <= stages
        bids_lake = sinks["bids_lake"]["records_written"]
        assert bids_lake + sinks["large_bids_pg"]["records_written"] == transforms["bids"]["records_out"]
        assert sinks["orders_lake"]["records_written"] == transforms["orders"]["records_out"]
