"""Kafka → Iceberg + PostgreSQL survives SIGKILL at random moments: every message lands exactly once.

Issue 3, point 8: at least 100,000 valid orders (and a few malformed messages) over 3 partitions;
`lakegate run` is killed with SIGKILL at random moments around sink commits, at least 5 times, and
restarted each time; then a last run drains the topic. Each sink must hold every valid order once
(count and distinct ids), the DLQ every malformed message once.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import psycopg
import pytest

from tests.helpers.postgres import pg_dsn, temp_schema
from tests.integration.kafka.conftest import KafkaFixture
from tests.integration.kafka.crash import PARTITIONS, CrashPipeline, Orders, produce_orders, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.crash]

VALID = 100_000
KILLS = 6
TOP_UP = 60_000
"""Before a run, when fewer orders than this are left to commit, this many more are produced, so
that however fast the machine no run can drain the topic before its kill."""
RUN_TIMEOUT = 180.0
"""Seconds a run may take to show progress, or the last one to finish (generous: 2 shared cores)."""


def test_sigkill_at_random_moments_then_each_message_once_in_iceberg_and_postgres(
    kafka: KafkaFixture, tmp_path: Path
) -> None:
    orders = produce_orders(kafka, VALID)
    rng = random.Random(20260503)
    with temp_schema("lg_crash") as schema, psycopg.connect(pg_dsn(), autocommit=True) as con:
        pipeline = CrashPipeline(tmp_path, orders, schema, kafka.name("lg-crash")).write(
            kafka, batch=2_000, iceberg_every=5_000, pg_every=3_000
        )
        kills = 0
        committed = []  # (Iceberg rows, PostgreSQL rows) at each kill
        for attempt in range(KILLS + 3):
            if kills == KILLS:
                break
            if orders.valid - min(pipeline.iceberg_rows(), pipeline.pg_rows(con)[0]) < TOP_UP:
                orders.produce(kafka, TOP_UP)
            # The kill lands mid-run near a commit of either sink: after a few more commits of one
            # of them, and up to a quarter of a second more.
            progressed = pipeline.next_commits(con, rng)
            log = f"run-{attempt}.log"
            proc = pipeline.spawn(log)
            wait_until(lambda: progressed() or proc.poll() is not None, timeout=RUN_TIMEOUT)  # noqa: B023
            wait_until(lambda: proc.poll() is not None, timeout=rng.uniform(0.0, 0.25))  # noqa: B023
            if proc.poll() is not None:  # it finished (or failed) before the kill
                assert proc.wait() == 0, pipeline.log(log)
                continue
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
            kills += 1
            committed.append((pipeline.iceberg_rows(), pipeline.pg_rows(con)[0]))
        print(f"{kills} kills; committed (Iceberg, PostgreSQL) at each: {committed}; produced: {orders}")
        assert kills >= 5, f"only {kills} kills landed while the pipeline ran; committed at each: {committed}"
        assert any(0 < lake < orders.valid or 0 < pg < orders.valid for lake, pg in committed), (
            f"no kill found the data partially committed: {committed}"
        )

        proc = pipeline.spawn("final.log")
        assert wait_until(lambda: proc.poll() is not None, timeout=RUN_TIMEOUT, every=0.2), (
            "the last run hangs"
        )
        assert proc.returncode == 0, pipeline.log("final.log")
        pipeline.assert_exactly_once()


def test_sigkill_before_every_sink_committed_with_start_latest_loses_nothing(
    kafka: KafkaFixture, tmp_path: Path
) -> None:
    """With `start: latest`, a partition's starting offset is committed to every sink before its first
    rows (Source.replays_new_streams is False), so a crash before every sink committed rows resumes
    where the pipeline stood, not at the then-current end of the partition."""
    orders = Orders(kafka.create_topic(PARTITIONS))
    orders.produce(kafka, 30)  # history before the first start: `start: latest` skips it
    with temp_schema("lg_crash") as schema:
        # The DLQ commits only at the end of a run: until then it holds no positions.
        pipeline = CrashPipeline(tmp_path, orders, schema, kafka.name("lg-latest")).write(
            kafka, batch=500, iceberg_every=1_000, pg_every=1_000, dlq_seconds=3_600, start="latest"
        )
        proc = pipeline.spawn("first.log", "--follow")
        assert wait_until(lambda: "assigned" in pipeline.log("first.log"), timeout=RUN_TIMEOUT)
        time.sleep(1)  # let the consumer resolve `latest` before the traffic starts
        orders.produce(kafka, 20_000)
        assert wait_until(lambda: pipeline.iceberg_rows() > 0, timeout=RUN_TIMEOUT), pipeline.log("first.log")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        orders.produce(kafka, 5_000)  # traffic while no pipeline runs
        proc = pipeline.spawn("second.log")
        assert wait_until(lambda: proc.poll() is not None, timeout=RUN_TIMEOUT, every=0.2)
        assert proc.returncode == 0, pipeline.log("second.log")
        table = pipeline.iceberg_table()
        assert table is not None
        ids = table.scan(selected_fields=("order_id",)).to_arrow().column("order_id").to_pylist()
        assert len(ids) == len(set(ids)), "duplicates"
        for partition in range(PARTITIONS):
            mine = sorted(i for i in ids if i % PARTITIONS == partition)
            # Everything from the first order read on, up to the end of the partition.
            expected = list(range(mine[0], orders.valid))[::PARTITIONS] if mine else []
            missing = len(set(expected) - set(mine))
            assert mine == expected, f"partition {partition}: {missing} orders lost"


def test_two_processes_in_one_group_one_killed_and_restarted_each_message_once(
    kafka: KafkaFixture, tmp_path: Path
) -> None:
    """Issue 3, point 8, second half: two `lakegate run --follow` processes share the topic's
    partitions in one consumer group; one of them is killed with SIGKILL at random moments around
    commits and restarted each time, so the group rebalances again and again (the survivor takes the
    dead one's partitions after the session timeout, then hands some back when it rejoins)."""
    orders = produce_orders(kafka, VALID)
    rng = random.Random(20261122)
    with temp_schema("lg_scale") as schema, psycopg.connect(pg_dsn(), autocommit=True) as con:
        pipeline = CrashPipeline(tmp_path, orders, schema, kafka.name("lg-scale")).write(
            kafka, batch=1_000, iceberg_every=4_000, pg_every=2_000, dlq_in_postgres=True
        )
        steady = pipeline.spawn("steady.log", "--follow")
        victim = pipeline.spawn("victim-0.log", "--follow")
        committed = []
        try:
            for kill in range(5):
                joined = lambda: "assigned" in pipeline.log(f"victim-{kill}.log")  # noqa: B023, E731
                assert wait_until(joined, timeout=RUN_TIMEOUT), pipeline.log(f"victim-{kill}.log")
                progressed = pipeline.next_commits(con, rng)
                orders.produce(kafka, 15_000)  # fresh traffic for both processes, whatever was left
                assert wait_until(progressed, timeout=RUN_TIMEOUT), pipeline.log(f"victim-{kill}.log")
                time.sleep(rng.uniform(0.0, 0.25))
                assert victim.poll() is None and steady.poll() is None, pipeline.log("steady.log")
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=30)
                committed.append((pipeline.iceberg_rows(), pipeline.pg_rows(con)[0]))
                time.sleep(rng.uniform(0.5, 4.0))  # the survivor alone, taking over after the session timeout
                victim = pipeline.spawn(f"victim-{kill + 1}.log", "--follow")
            done = lambda: min(pipeline.iceberg_rows(), pipeline.pg_rows(con)[0]) >= orders.valid  # noqa: E731
            assert wait_until(done, timeout=RUN_TIMEOUT * 2, every=0.5), (
                f"the sinks hold {pipeline.iceberg_rows()} / {pipeline.pg_rows(con)} of {orders.valid}\n"
                + pipeline.log("steady.log")[-3000:]
            )
            time.sleep(3)  # a duplicate arriving late would show
        finally:
            for proc in (steady, victim):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            exits = [proc.wait(timeout=60) for proc in (steady, victim)]
        print(f"committed (Iceberg, PostgreSQL) at each kill: {committed}; produced: {orders}")
        assert exits == [0, 0], pipeline.log("steady.log")[-3000:]
        pipeline.assert_exactly_once(dlq_in_postgres=True)
        # The group did rebalance: every incarnation of the victim got partitions before it was
        # killed (waited for above), and the survivor handed partitions over (a death and a quick
        # rejoin may fold into one rebalance).
        assert pipeline.log("steady.log").count("committing before handing them over") >= 3
        assert any(0 < lake < orders.valid or 0 < pg < orders.valid for lake, pg in committed)
