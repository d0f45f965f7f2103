"""Synthetic order events for the benchmark, as a bucket of NDJSON files.

``bench/data/<N>/events/part-NNN.ndjson``: N records (about 280 bytes each) split over ``files`` files,
generated column by column with pyarrow.compute (seeded, so the same N always gives the same bytes)
and written as one buffer per file: no per-record Python. The directory is built under a temporary
name and renamed when complete, so an interrupted generation is never mistaken for data.

The values are deliberately a little dirty, so that every rule of ``bench/pipeline.yaml`` has work:
mixed-case and padded strings, zero quantities (filtered), test orders (filtered), unknown
currencies and out-of-range prices/quantities (dead-lettered by ``validate``), nullable coupon and
promo codes (``coalesce``).

    python -m bench.generate --records 1000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

DATA_ROOT = Path(__file__).resolve().parent / "data"
DEFAULT_RECORDS = 1_000_000
DEFAULT_FILES = 10
SEED = 20240611
EPOCH_MS_START = 1_735_689_600_000  # 2025-01-01T00:00:00Z
SPAN_MS = 30 * 24 * 3600 * 1000  # events spread over 30 days

FIRST = ["John", "jane", "ALEX", "Maria", "li", "Ahmed", "sofia", "Lukas", "EMMA", "noah", "Olga", "Pierre"]
LAST = ["Smith", "doe", "MÜLLER", "garcia", "Rossi", "Nguyen", "KOWALSKI", "silva", "Dubois", "Tanaka"]
DOMAINS = ["example.com", "Mail.EXAMPLE.org", "shop.test", "EXAMPLE.net"]
# Weighted by repetition: chf and jpy fail the in_set check of `validate`.
CURRENCIES = (
    ["eur"] * 30 + ["EUR"] * 10 + ["usd"] * 25 + [" Usd"] * 5 + ["gbp"] * 20 + ["GBP "] * 8 + ["chf", "jpy"]
)
STATUSES = (
    ["PAID"] * 30
    + ["paid"] * 5
    + ["SHIPPED"] * 25
    + ["delivered"] * 20
    + ["CANCELLED"] * 8
    + ["refunded"] * 5
    + ["PENDING"] * 5
    + ["test"] * 2
)
COUNTRIES = ["de", "DE ", " fr", "FR", "us", "US", "gb", " Gb ", "pl", "es", "IT", "nl"]
PHONE_PREFIXES = ["+49 151 ", "+33 6 ", "+1 415 ", "+44 7700 ", "+48 601 "]
COUPONS = ["SAVE10", "WELCOME", "BLACKFRIDAY", "VIP20"]


def data_dir(records: int) -> Path:
    """Where the events of an ``records``-record data set live."""
    return DATA_ROOT / str(records) / "events"


class _Rand:
    """Seeded uniform draws; each call uses a fresh, deterministic seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.calls = 0

    def uniform(self, n: int) -> pa.Array:
        self.calls += 1
        return pc.random(n, initializer=self.seed * 1_000 + self.calls)

    def ints(self, n: int, low: int, high: int) -> pa.Array:
        """int64 in [low, high)."""
        scaled = pc.floor(pc.multiply(self.uniform(n), float(high - low)))
        return pc.add(scaled.cast(pa.int64()), low)

    def choice(self, n: int, values: list[str]) -> pa.Array:
        return pc.take(pa.array(values, pa.string()), self.ints(n, 0, len(values)))

    def mask(self, n: int, probability: float) -> pa.Array:
        """True with ``probability``."""
        return pc.less(self.uniform(n), probability)


def _text(values: pa.Array) -> pa.Array:
    return values.cast(pa.string())


def _pad(values: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(_text(values), width=width, padding="0")


def _quoted(values: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise('"', values, '"', "")


def _nullable(values: pa.Array, nulls: pa.Array) -> pa.Array:
    """The JSON text of a string value, or ``null`` where ``nulls`` is true."""
    return pc.if_else(nulls, "null", _quoted(values))


def build_lines(first: int, n: int, seed: int) -> pa.Array:
    """NDJSON lines (each ending with a newline) of records ``first`` .. ``first + n - 1``."""
    r = _Rand(seed)
    order_id = pc.binary_join_element_wise(
        "ORD-", _pad(pa.array(range(first, first + n), pa.int64()), 12), ""
    )
    user_id = _text(r.ints(n, 1, 5_000_000))
    product_id = pc.binary_join_element_wise("SKU-", _pad(r.ints(n, 0, 100_000), 5), "")
    quantity = r.ints(n, 0, 11)  # 0 is filtered out
    quantity = pc.if_else(r.mask(n, 0.002), 500, quantity)  # out of range: DLQ
    cents = r.ints(n, 99, 100_000)
    cents = pc.if_else(r.mask(n, 0.001), pc.negate(cents), cents)  # negative price: DLQ
    price = pc.binary_join_element_wise(
        pc.if_else(pc.less(cents, 0), "-", ""),
        _text(pc.divide(pc.abs(cents), 100)),
        ".",
        _pad(_mod(pc.abs(cents), 100), 2),
        "",
    )
    email = pc.binary_join_element_wise(
        pc.if_else(r.mask(n, 0.05), " ", ""),
        r.choice(n, FIRST),
        ".",
        r.choice(n, LAST),
        _text(r.ints(n, 1, 1000)),
        "@",
        r.choice(n, DOMAINS),
        "",
    )
    phone = pc.binary_join_element_wise(r.choice(n, PHONE_PREFIXES), _pad(r.ints(n, 0, 10_000_000), 7), "")
    timestamp_ms = _text(pc.add(r.ints(n, 0, SPAN_MS), EPOCH_MS_START))
    coupon = _nullable(r.choice(n, COUPONS), r.mask(n, 0.7))
    promo = _nullable(pc.binary_join_element_wise("PROMO-", _text(r.ints(n, 1, 100)), ""), r.mask(n, 0.8))
    parts = [
        '{"order_id":"', order_id,
        '","user_id":', user_id,
        ',"product_id":"', product_id,
        '","quantity":', _text(quantity),
        ',"price":', price,
        ',"currency":', _quoted(r.choice(n, CURRENCIES)),
        ',"status":', _quoted(r.choice(n, STATUSES)),
        ',"country":', _quoted(r.choice(n, COUNTRIES)),
        ',"email":', _quoted(email),
        ',"phone":', _quoted(phone),
        ',"timestamp_ms":', timestamp_ms,
        ',"coupon_code":', coupon,
        ',"promo_code":', promo,
        "}\n",
    ]  # fmt: skip
    return pc.binary_join_element_wise(*parts, "")


def _mod(values: pa.Array, divisor: int) -> pa.Array:
    return pc.subtract(values, pc.multiply(pc.divide(values, divisor), divisor))


def _write(lines: pa.Array, path: Path) -> int:
    """Write the concatenated text of ``lines`` (a string array without nulls); return the size."""
    _, offsets_buffer, data = lines.buffers()
    offsets = pa.Array.from_buffers(pa.int32(), len(lines) + 1, [None, offsets_buffer], offset=lines.offset)
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    with open(path, "wb") as f:
        f.write(memoryview(data)[start:end])
    return end - start


def generate(records: int = DEFAULT_RECORDS, files: int = DEFAULT_FILES, *, force: bool = False) -> Path:
    """Make sure ``bench/data/<records>/events`` holds the data set; return that directory."""
    target = data_dir(records)
    if target.is_dir() and not force:
        return target
    parent = target.parent
    tmp = parent.with_name(f".{parent.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "events").mkdir(parents=True)
    started = time.perf_counter()
    total = 0
    per_file = -(-records // files)
    for k in range(files):
        first = k * per_file
        n = min(per_file, records - first)
        if n <= 0:
            break
        lines = build_lines(first, n, SEED + k)
        total += _write(lines, tmp / "events" / f"part-{k:03d}.ndjson")
    if parent.exists():
        shutil.rmtree(parent)
    os.replace(tmp, parent)
    seconds = time.perf_counter() - started
    print(
        f"generated {records:,} records ({total / 1e6:.0f} MB, {total / max(records, 1):.0f} B/record) "
        f"in {files} files under {target} in {seconds:.1f} s"
    )
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument("--files", type=int, default=DEFAULT_FILES)
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args(argv)
    generate(args.records, args.files, force=args.force)


if __name__ == "__main__":
    main()
