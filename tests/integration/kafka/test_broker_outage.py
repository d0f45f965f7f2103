"""Issue 3, point 6: the brokers become unreachable in the middle of a run, for longer than the
consumer's session timeout, and come back. The pipeline keeps running (no crash), says what is
happening in its log, and in the end every message is in the sink exactly once.

A dedicated Tansu broker advertises a TCP proxy's address; cutting the proxy is the outage (the
broker keeps its in-memory topics). The PostgreSQL sink appends, so a duplicate would show.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import yaml
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tests.helpers.postgres import pg_dsn, temp_schema
from tests.helpers.tcp_proxy import TcpProxy
from tests.integration.kafka.conftest import FAST_GROUP_JOIN
from tests.integration.kafka.crash import wait_until
from tests.kafka_broker import QuietLog, TansuBroker, free_port

pytestmark = pytest.mark.integration

MESSAGES = 30_000
OUTAGE_SECONDS = 6.0
"""Three times the session timeout the test consumers use (FAST_GROUP_JOIN)."""


def _produce(bootstrap: str, topic: str, ids: range) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "logger": QuietLog()})
    for i in ids:
        producer.produce(topic, json.dumps({"id": i, "note": f"n{i}"}).encode(), partition=i % 3)
        producer.poll(0)
    assert producer.flush(60) == 0


def _pipeline(root: Path, bootstrap: str, topic: str, schema: str) -> Path:
    spec = {
        "pipeline": "outage",
        "schemas": {"event": {"fields": [{"name": "id", "type": "long", "required": True},
                                         {"name": "note", "type": "string"}]}},
        "sources": {"events": {"type": "kafka", "bootstrap_servers": bootstrap, "topics": [topic],
                               "group_id": "lg-outage", "schema": "event", "start": "earliest",
                               "batch_max_messages": 1_000, "batch_max_ms": 200,
                               "properties": dict(FAST_GROUP_JOIN)}},
        "transforms": {"copy": {"source": "events", "rules": [{"type": "upper", "columns": ["note"]}],
                                "sinks": ["pg"]}},
        "sinks": {"pg": {"type": "postgres", "dsn": pg_dsn(), "table": f"{schema}.events", "mode": "append",
                         "commit": {"every_records": 2_000, "every_seconds": 0.5}}},
        "settings": {"retry": {"attempts": 60, "initial_seconds": 0.1, "max_seconds": 1.0}},
    }  # fmt: skip
    path = root / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_brokers_unreachable_mid_run_then_back_nothing_lost_or_doubled(tmp_path: Path) -> None:
    proxy_port = free_port()
    with TansuBroker.start(advertised_port=proxy_port) as broker, temp_schema("lg_outage") as schema:
        proxy = TcpProxy(proxy_port, int(broker.bootstrap.rsplit(":", 1)[1])).start()
        bootstrap = f"127.0.0.1:{proxy_port}"
        topic = "outage-events"
        admin = AdminClient({"bootstrap.servers": bootstrap, "logger": QuietLog()})
        for future in admin.create_topics([NewTopic(topic, 3, 1)]).values():
            future.result(30)
        _produce(bootstrap, topic, range(MESSAGES // 2))
        pipeline = _pipeline(tmp_path, bootstrap, topic, schema)
        log_path = tmp_path / "run.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lakegate.cli.main", "run", str(pipeline), "--follow", "--quiet"],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        with psycopg.connect(pg_dsn(), autocommit=True) as con:

            def rows() -> int:
                if con.execute("SELECT to_regclass(%s)", [f"{schema}.events"]).fetchone() == (None,):
                    return 0
                row = con.execute(f"SELECT count(*) FROM {schema}.events").fetchone()
                return int(row[0]) if row else 0

            try:
                assert wait_until(lambda: rows() > 0, timeout=120), log_path.read_text()
                proxy.cut()
                cut_at = rows()
                time.sleep(OUTAGE_SECONDS)
                assert proc.poll() is None, "the pipeline died during the outage:\n" + log_path.read_text()
                proxy.start()
                _produce(bootstrap, topic, range(MESSAGES // 2, MESSAGES))
                assert wait_until(lambda: rows() >= MESSAGES, timeout=180, every=0.5), (
                    f"{rows()} of {MESSAGES} rows\n" + log_path.read_text()[-3000:]
                )
                time.sleep(2)  # a late duplicate would show
            finally:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                code = proc.wait(timeout=60)
            log_text = log_path.read_text()
            assert code == 0, log_text[-3000:]
            counts = con.execute(f"SELECT count(*), count(DISTINCT id) FROM {schema}.events").fetchone()
        assert counts == (MESSAGES, MESSAGES), f"(rows, distinct ids) = {counts}"
        print(f"rows at the cut: {cut_at}; restarts: {log_text.count('starting again')}")
        assert 0 < cut_at < MESSAGES
        assert "librdkafka keeps retrying" in log_text or "cannot reach the brokers" in log_text, log_text[
            -3000:
        ]
