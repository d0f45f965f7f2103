"""Records/s of ``KafkaSource.chunks()`` against the test broker, next to a bare confluent-kafka loop.

    .venv/bin/python -m tests.integration.kafka.measure_throughput [--messages 500000] [--rounds 3]

Both read the same 3-partition topic from the start, with partition EOF as the end. The baseline
only counts the messages; the source also builds the Arrow chunk (payload text, streams, offsets,
metadata). Tansu's fetch path bounds both, so the ratio says more than either number.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from lakegate.connectors.base import RunContext
from lakegate.connectors.kafka.config import KafkaSourceConfig
from lakegate.connectors.kafka.source import KafkaSource
from tests.integration.kafka.conftest import FAST_GROUP_JOIN, KafkaBroker, KafkaFixture
from tests.kafka_broker import TansuBroker, bootstrap_from_env


def baseline(bootstrap: str, topic: str, group: str) -> tuple[int, float]:
    """Messages read and seconds taken by a plain consume loop (assign, no group join)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.partition.eof": True,
                         "enable.auto.commit": False})  # fmt: skip
    consumer.assign([TopicPartition(topic, p, 0) for p in range(3)])
    started, count, eof = time.perf_counter(), 0, 0
    while eof < 3:
        for m in consumer.consume(50_000, 0.5):
            if m.error() is None:
                count += 1
            else:
                eof += 1
    seconds = time.perf_counter() - started
    consumer.close()
    return count, seconds


def source_run(bootstrap: str, topic: str, group: str, workdir: Path) -> tuple[int, float]:
    """Records and seconds of ``chunks()`` from the first message to the drained end (the group
    join, which Tansu delays, is excluded: the clock starts at the first chunk with records)."""
    config = KafkaSourceConfig.model_validate({
        "type": "kafka", "bootstrap_servers": bootstrap, "topics": [topic], "group_id": group, "schema": "s",
        "start": "earliest", "properties": FAST_GROUP_JOIN,
    })  # fmt: skip
    source = KafkaSource("bench", config, RunContext("bench", workdir, workdir / "state"))
    count, started = 0, None
    for chunk in source.chunks({}):
        if len(chunk) and started is None:
            started = time.perf_counter()
        count += len(chunk)
    seconds = time.perf_counter() - (started or time.perf_counter())
    source.close()
    return count, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    external = bootstrap_from_env()
    broker = None if external else TansuBroker.start()
    bootstrap = external or broker.bootstrap  # type: ignore[union-attr]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            kafka = KafkaFixture(KafkaBroker(bootstrap, FAST_GROUP_JOIN), Path(tmp))
            topic = kafka.create_topic(3)
            messages = [
                {"value": json.dumps({"order_id": i, "user_id": i % 97, "amount": i / 10, "status": "paid"}).encode(),
                 "key": str(i).encode()}
                for i in range(args.messages)
            ]  # fmt: skip
            kafka.produce(topic, messages)
            for r in range(args.rounds):
                n_base, t_base = baseline(bootstrap, topic, kafka.name("base"))
                n_src, t_src = source_run(bootstrap, topic, kafka.name("src"), Path(tmp))
                assert n_base == n_src == args.messages, (n_base, n_src)
                print(f"round {r + 1}: confluent-kafka loop {n_base / t_base:,.0f} msg/s, "
                      f"KafkaSource.chunks() {n_src / t_src:,.0f} rec/s, ratio {t_base / t_src:.2f}")  # fmt: skip
    finally:
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    main()
