"""Produce sample traffic for the Kafka example: the quickstart's event files, one message per record.

Every record of ``examples/quickstart/data/{bids,users,orders}`` — NDJSON lines, JSON-array
elements, single objects, gzip — becomes one message on ``bid-events``, ``user-events`` or
``order-events``, malformed ones included (they are what the dead-letter queue is for). Records are
split by lakegate's own ``files`` source, so they are exactly the payloads the quickstart reads.
The message key is the record's ``user_id`` when it has one, so a user's events stay in order.

::

    python examples/kafka/produce.py --bootstrap localhost:9092             # once
    python examples/kafka/produce.py --bootstrap localhost:9092 --repeat 0  # forever, until Ctrl-C
    python examples/kafka/produce.py --rate 2000                            # at most 2,000 messages/s

Topics are created when missing (3 partitions) unless ``--no-create``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from lakegate.connectors.base import RunContext
from lakegate.connectors.files.config import FilesSourceConfig
from lakegate.connectors.files.source import FilesSource

DATA = Path(__file__).resolve().parent.parent / "quickstart" / "data"
TOPICS = {"bids": "bid-events", "users": "user-events", "orders": "order-events"}


def records(folder: Path) -> list[str]:
    """The JSON text of every record in ``folder``, in file order (through the ``files`` source)."""
    config = FilesSourceConfig.model_validate({"type": "files", "path": str(folder), "schema": "any"})
    source = FilesSource(folder.name, config, RunContext("produce", folder, folder / ".state"))
    texts: list[str] = []
    for chunk in source.chunks({}):
        texts.extend(chunk.payloads.to_pylist())
    return texts


def key_of(text: str) -> bytes | None:
    try:
        value: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    user = value.get("user_id") if isinstance(value, dict) else None
    return str(user).encode() if user is not None else None


def create_topics(bootstrap: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = set(admin.list_topics(timeout=30).topics)
    missing = [NewTopic(t, partitions, 1) for t in TOPICS.values() if t not in existing]
    for topic, future in admin.create_topics(missing).items() if missing else ():
        try:
            future.result(30)
            print(f"created topic {topic} ({partitions} partitions)")
        except KafkaException as exc:
            print(f"topic {topic}: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="localhost:9092", help="Kafka bootstrap servers")
    parser.add_argument("--repeat", type=int, default=1, help="times to send the data set (0: forever)")
    parser.add_argument("--rate", type=float, default=0, help="maximum messages per second (0: no limit)")
    parser.add_argument("--partitions", type=int, default=3, help="partitions of the topics it creates")
    parser.add_argument("--no-create", action="store_true", help="do not create missing topics")
    args = parser.parse_args(argv)

    if not args.no_create:
        create_topics(args.bootstrap, args.partitions)
    data = {TOPICS[name]: records(DATA / name) for name in TOPICS}
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True, "linger.ms": 20})
    sent, started, round_ = 0, time.monotonic(), 0
    try:
        while args.repeat == 0 or round_ < args.repeat:
            round_ += 1
            for topic, texts in data.items():
                for text in texts:
                    while True:
                        try:
                            producer.produce(topic, text.encode(), key=key_of(text))
                            break
                        except BufferError:  # the local queue is full: let it drain
                            producer.poll(0.1)
                    sent += 1
                    producer.poll(0)
                    if args.rate and sent > args.rate * (time.monotonic() - started):
                        time.sleep(1 / args.rate)
            print(f"round {round_}: {sent} messages sent", flush=True)
    except KeyboardInterrupt:
        pass
    left = producer.flush(60)
    print(f"{sent - left} messages delivered in {time.monotonic() - started:.1f} s"
          + (f", {left} still undelivered" if left else ""))  # fmt: skip
    return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main())
