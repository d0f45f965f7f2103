"""The baseline: the rules of ``bench/pipeline.yaml`` written the straightforward way, record by record.

What a competent engineer would write without lakegate: read each file line by line, ``orjson.loads``
each line into a dict, apply the rules with plain Python on that dict, collect the output rows of a
batch into one ``pyarrow.Table.from_pylist``, and append the buffered batches to an Iceberg table with
pyiceberg every ``--commit-records`` rows (the same batch and commit cadence as the pipeline). Bad
records go to a JSON-lines dead-letter file with the reason, like lakegate's DLQ.

The semantics match lakegate's rules exactly (SQL null handling included), so both write the same rows;
``bench/check.py`` verifies it.

    BENCH_HASH_SALT=... python -m bench.baseline --data-dir bench/data/1000000/events --state-dir /tmp/b
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

RULE_VERSION = "7"  # pipeline.yaml `version`
TABLE = "bench.orders"
CENT = Decimal("0.01")
DECIMAL_10_2_LIMIT = Decimal(10) ** 8
INT32 = (-(2**31), 2**31 - 1)
STATUS_MAP = {
    "paid": "completed",
    "shipped": "completed",
    "delivered": "completed",
    "cancelled": "cancelled",
    "refunded": "refunded",
}
CURRENCIES = frozenset({"EUR", "USD", "GBP"})
# The input schema: field → accepted JSON (Python) types.
FIELDS: dict[str, tuple[type, ...]] = {
    "order_id": (str,),
    "user_id": (int,),
    "product_id": (str,),
    "quantity": (int,),
    "price": (int, float),
    "currency": (str,),
    "status": (str,),
    "country": (str,),
    "email": (str,),
    "phone": (str,),
    "timestamp_ms": (int,),
    "coupon_code": (str,),
    "promo_code": (str,),
}
OUTPUT_SCHEMA = pa.schema(
    [
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("user_id", pa.int64()),
        pa.field("sku", pa.string()),
        pa.field("quantity", pa.int32()),
        pa.field("price", pa.decimal128(10, 2)),
        pa.field("total", pa.decimal128(18, 2)),
        pa.field("currency", pa.string()),
        pa.field("status", pa.string()),
        pa.field("country", pa.string()),
        pa.field("email", pa.string()),
        pa.field("phone", pa.string()),
        pa.field("discount_code", pa.string()),
        pa.field("event_time", pa.timestamp("us", tz="UTC")),
        pa.field("source_file", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC")),
        pa.field("rule_version", pa.string()),
    ]
)


class Dead(Exception):
    """A record for the dead-letter file."""

    def __init__(self, stage: str, rule: str | None, reason: str) -> None:
        super().__init__(reason)
        self.stage, self.rule, self.reason = stage, rule, reason


def decode(line: bytes) -> dict[str, Any]:
    """Parse one NDJSON line and check it against the input schema."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise Dead("decode", None, "malformed JSON") from None
    if not isinstance(record, dict):
        raise Dead("decode", None, "not a JSON object")
    if record.get("order_id") is None:
        raise Dead("decode", None, "missing required field order_id")
    for name, types in FIELDS.items():
        value = record.get(name)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            raise Dead("decode", None, f"field {name}: wrong type")
    return record


def _lower_trim(value: str | None) -> str | None:
    return value.strip(" ").lower() if value is not None else None


def _upper_trim(value: str | None) -> str | None:
    return value.strip(" ").upper() if value is not None else None


def transform(
    record: dict[str, Any], salt: str, stream: str, index: int, ingested_at: datetime
) -> dict[str, Any] | None:
    """Apply the pipeline's rules; None when the record is filtered out, :class:`Dead` when dead-lettered."""
    quantity = record.get("quantity")
    if quantity is not None and not INT32[0] <= quantity <= INT32[1]:
        raise Dead("convert", "cast_2", f"cannot cast quantity to int: {quantity}")
    price = record.get("price")
    if price is not None:
        try:
            price = Decimal(repr(price)).quantize(CENT)
        except InvalidOperation:
            price = None
        if price is None or abs(price) >= DECIMAL_10_2_LIMIT:
            raise Dead("convert", "cast_2", f"cannot cast price to decimal(10,2): {record['price']}")
    status = record.get("status")
    if quantity is None or status is None or quantity <= 0 or status == "test":
        return None  # filter_3
    timestamp_ms = record.get("timestamp_ms")
    currency = _upper_trim(record.get("currency"))
    email = _lower_trim(record.get("email"))
    if email is not None:
        email = hashlib.sha256((salt + email).encode()).hexdigest()
    phone = record.get("phone")
    if phone is not None:
        n = len(phone)
        phone = "*" * n if n <= 4 else "*" * (n - 4) + phone[-4:]
    status = STATUS_MAP.get(status.lower(), "other")
    if price is not None and (price < 0 or price > 10000):
        raise Dead("validate", "validate_12", "check price_range failed")
    if not 1 <= quantity <= 100:
        raise Dead("validate", "validate_12", "check quantity_range failed")
    if currency is not None and currency not in CURRENCIES:
        raise Dead("validate", "validate_12", "check known_currency failed")
    coupon, promo = record.get("coupon_code"), record.get("promo_code")
    return {
        "order_id": record["order_id"],
        "user_id": record.get("user_id"),
        "sku": record.get("product_id"),
        "quantity": quantity,
        "price": price,
        "total": price * quantity if price is not None else None,
        "currency": currency,
        "status": status,
        "country": _upper_trim(record.get("country")),
        "email": email,
        "phone": phone,
        "discount_code": coupon if coupon is not None else promo if promo is not None else "NONE",
        "event_time": timestamp_ms * 1000 if timestamp_ms is not None else None,
        "source_file": stream,
        "line": index,
        "ingested_at": ingested_at,
        "rule_version": RULE_VERSION,
    }


def records(data_dir: Path) -> Any:
    """``(stream, index, line)`` of every record of the bucket, files in sorted order."""
    for path in sorted(p for p in data_dir.rglob("*.*json*") if p.is_file()):
        stream = path.relative_to(data_dir).as_posix()
        index = 0
        with open(path, "rb") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                yield stream, index, line
                index += 1


class IcebergWriter:
    """Buffer Arrow batches; append them to the table (one snapshot) every ``commit_records`` rows."""

    def __init__(self, state_dir: Path, commit_records: int) -> None:
        from pyiceberg.catalog import load_catalog

        state_dir = state_dir.resolve()
        warehouse = state_dir / "warehouse"
        warehouse.mkdir(parents=True, exist_ok=True)
        self.catalog = load_catalog(
            "default", type="sql", uri=f"sqlite:///{state_dir / 'catalog.db'}", warehouse=warehouse.as_uri()
        )
        self.catalog.create_namespace_if_not_exists("bench")
        self.table = self.catalog.create_table_if_not_exists(
            TABLE,
            schema=OUTPUT_SCHEMA,
            properties={
                "format-version": "2",
                "write.format.default": "parquet",
                "write.parquet.compression-codec": "zstd",
            },
        )
        self.commit_records = commit_records
        self.buffer: list[pa.Table] = []
        self.pending = 0
        self.commits = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.buffer.append(pa.Table.from_pylist(rows, schema=OUTPUT_SCHEMA))
            self.pending += len(rows)
        if self.pending >= self.commit_records:
            self.commit()

    def commit(self) -> None:
        if self.buffer:
            self.table.append(pa.concat_tables(self.buffer))
            self.commits += 1
        self.buffer.clear()
        self.pending = 0


def run(data_dir: Path, state_dir: Path, batch_size: int, commit_records: int, salt: str) -> dict[str, Any]:
    started = time.monotonic()
    state_dir.mkdir(parents=True, exist_ok=True)
    writer = IcebergWriter(state_dir, commit_records)
    counts = {"records_in": 0, "records_out": 0, "filtered": 0, "dlq": 0}
    rows: list[dict[str, Any]] = []
    in_batch = 0
    ingested_at = datetime.now(UTC)
    with open(state_dir / "dlq.jsonl", "wb") as dlq:
        for stream, index, line in records(data_dir):
            counts["records_in"] += 1
            in_batch += 1
            try:
                row = transform(decode(line), salt, stream, index, ingested_at)
            except Dead as dead:
                counts["dlq"] += 1
                dlq.write(
                    orjson.dumps(
                        {"payload": line.decode("utf-8", "backslashreplace"), "stream": stream, "index": index,
                         "stage": dead.stage, "rule": dead.rule, "reason": dead.reason}
                    ) + b"\n"
                )  # fmt: skip
                row = None
            else:
                if row is None:
                    counts["filtered"] += 1
                else:
                    rows.append(row)
            if in_batch == batch_size:
                counts["records_out"] += len(rows)
                writer.write(rows)
                rows, in_batch = [], 0
                ingested_at = datetime.now(UTC)
        counts["records_out"] += len(rows)
        writer.write(rows)
        writer.commit()
    seconds = time.monotonic() - started
    return {
        **counts,
        "commits": writer.commits,
        "seconds": round(seconds, 3),
        "records_per_second": round(counts["records_in"] / seconds, 1) if seconds else None,
        "metadata_location": writer.table.metadata_location,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--state-dir", type=Path, required=True, help="wiped first")
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument("--commit-records", type=int, default=1_000_000)
    parser.add_argument("--salt-env", default="BENCH_HASH_SALT")
    parser.add_argument("--report", type=Path, help="write the counts and timings as JSON")
    args = parser.parse_args(argv)
    shutil.rmtree(args.state_dir, ignore_errors=True)
    salt = os.environ.get(args.salt_env)
    if salt is None:
        parser.error(f"environment variable {args.salt_env} is not set")
    report = run(args.data_dir, args.state_dir, args.batch_size, args.commit_records, salt)
    text = json.dumps(report, indent=2)
    if args.report:
        args.report.write_text(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
