"""Generate the quickstart's bucket of JSON files: bid, user and order events with deliberate defects.

The data is committed under ``data/``; this script regenerates byte-identical files (fixed seed, gzip
written with a zero mtime), so the numbers in README.md stay true. Run it from anywhere::

    python examples/quickstart/generate_data.py

Every record is generated together with its *fate*, the place the pipeline must put it: a sink, the
"filtered" counter, or the dead-letter queue with a stage and a rule. The tally of fates is written to
``expected_counts.json``, which ``run_demo.py`` compares with the run report and with the DLQ.

Modelled on the topics of the PyFlink job lakegate replaces (bid-events, user-events, order-events).
"""

from __future__ import annotations

import gzip
import io
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
EXPECTED = HERE / "expected_counts.json"
SEED = 20260302
DAY0 = datetime(2026, 3, 2, tzinfo=UTC)

LARGE_BID = 5000.0
"""Bids of at least this amount are routed to the `large_bids` table (see pipeline.yaml)."""

# --- fates: where each record must end up --------------------------------------------------------
# ("sink", <sink name>) | ("filtered",) | ("dlq", <stage>, <rule or None>, <reason prefix>)
Fate = tuple[str, ...]


def sink(name: str) -> Fate:
    return ("sink", name)


FILTERED: Fate = ("filtered",)


def decode(reason: str) -> Fate:
    return ("dlq", "decode", "", reason)


def check(rule: str, name: str) -> Fate:
    return ("dlq", "validate", rule, f"check {name} failed")


def convert(rule: str, reason: str) -> Fate:
    return ("dlq", "convert", rule, reason)


@dataclass
class Item:
    """One line / element of a file: a record (dict or any JSON value) or raw text, and its fate."""

    value: Any
    fate: Fate
    raw: bool = False
    """``value`` is a raw line written as is (malformed JSON, invalid UTF-8 ...)."""


# --- reference data ---------------------------------------------------------------------------------
FIRST = ["anna", "jörg", "zoë", "li", "mateo", "aiko", "olu", "sofia", "ivan", "chloé", "noah", "priya",
         "lukas", "fatima", "elif", "søren", "marta", "kenji", "amara", "tomás"]
LAST = ["schmidt", "müller", "lefèvre", "wang", "garcía", "tanaka", "adeyemi", "rossi", "petrov",
        "dubois", "smith", "sharma", "novak", "haddad", "yılmaz", "nielsen", "kowalska", "sato",  # noqa: RUF001
        "okafor", "ruiz"]
DOMAINS = ["example.com", "mail.example.org", "example.de", "corp.example.net", "example.co.uk"]
COUNTRIES = ["DE", "FR", "ES", "IT", "GB", "US", "JP", "NG", "PL", "TR", "DK", "BR"]
PHONE_FORMATS = ["+49 30 {a}{b}", "(555) {a}-{b}", "+33 6 {a} {b}", "+81-3-{a}-{b}", "0044 20 {a} {b}"]
DEVICES = {
    "ios": [("iOS", "17.4", "iPhone 15"), ("iOS", "16.7", "iPhone 12"), ("iPadOS", "17.3", "iPad Air")],
    "android": [("Android", "14", "Pixel 8"), ("Android", "13", "Galaxy S23"), ("Android", "12", "Redmi Note 11")],
    "web": [("macOS", "14.3", "MacBook Pro"), ("Windows", "11", "Surface Laptop 5"), ("Linux", "6.6", "ThinkPad X1")],
}
MESSY_PLATFORM = {"ios": ["iOS", " IOS", "ios "], "android": ["Android", "ANDROID ", "\tandroid"],
                  "web": ["Web", " WEB ", "web\t"]}
BROWSERS = ["chrome", "firefox", "safari", "edge", "samsung-internet"]
REFERRERS = ["https://www.google.com/", "https://news.example.com/top", "https://例え.jp/?q=寿司",
             "https://www.bing.com/search?q=caf%C3%A9", "", "https://t.co/xyz"]
SEARCH_TERMS = ["café crème", "sneakers", "Fußball", "東京 hotel", "naïve art", "über boots", "🚀 lamp"]
CITIES = [("München", "80331"), ("São Paulo", "01310-100"), ("Zürich", "8001"), ("東京", "100-0001"),
          ("Kraków", "31-007"), ("Paris", "75001"), ("İstanbul", "34110"), ("Reykjavík", "101"),
          ("London", "SW1A 1AA"), ("New York", "10001"), ("Lagos", "100001"), ("Málaga", "29001")]
PRODUCTS = {f"SKU-{10000 + i}": f"{p:.2f}" for i, p in enumerate(
    [4.99, 9.99, 14.5, 19.99, 24.0, 39.9, 49.99, 79.0, 99.99, 129.0, 149.5, 199.99, 249.0, 399.0,
     499.99, 649.0, 899.0, 1299.99])}
STATUSES = ["placed", "PLACED", "Paid", "paid", "shipped", "SHIPPED", "delivered", "canceled", "cancelled"]
COUPONS = ["SPRING10", "WELCOME5", "FREESHIP", "VIP-2026"]


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.users = [self._user(1000 + i) for i in range(240)]
        self.next_order = 1

    # -- helpers ---------------------------------------------------------------------------------------
    def _user(self, user_id: int) -> dict[str, Any]:
        r = self.rng
        first, last = r.choice(FIRST), r.choice(LAST)
        email = f"{first}.{last}@{r.choice(DOMAINS)}"
        if r.random() < 0.25:
            email = email.title()  # Mixed case: lower-cased by the pipeline.
        if r.random() < 0.15:
            email = f"  {email} "  # Stray whitespace: trimmed by the pipeline.
        phone = r.choice(PHONE_FORMATS).format(a=r.randint(100, 999), b=r.randint(1000, 9999))
        return {"user_id": user_id, "email": email, "phone": phone, "country": r.choice(COUNTRIES)}

    def _times(self, day: int, n: int) -> list[int]:
        start = DAY0 + timedelta(days=day)
        seconds = sorted(self.rng.randrange(0, 86_400_000) for _ in range(n))
        return [int(start.timestamp() * 1000) + s for s in seconds]

    def _place(self, clean: list[Item], defects: list[Item]) -> list[Item]:
        """Insert the defective items at random positions among the clean ones (never first: a file
        whose first line is a JSON array, such as a `[1, 2]` "not an object" line, would be taken for an
        array file by the source's `format: auto`)."""
        items = list(clean)
        for item in defects:
            items.insert(self.rng.randrange(1, len(items) + 1), item)
        return items

    # -- bids ------------------------------------------------------------------------------------------
    def bid(self, ts: int) -> dict[str, Any]:
        r = self.rng
        user = r.choice(self.users)
        platform = r.choices(["ios", "android", "web"], [4, 4, 2])[0]
        os_, version, model = r.choice(DEVICES[platform])
        record: dict[str, Any] = {
            "event_name": r.choices(["bid_placed", "bid_raised", "bid_won"], [7, 2, 1])[0],
            "user_id": user["user_id"],
            "city_id": r.randint(1, 120),
            "platform": r.choice(MESSY_PLATFORM[platform]) if r.random() < 0.2 else platform,
            "session_id": f"s-{r.getrandbits(48):012x}",
            "timestamp_ms": ts,
            "bid_amount": round(min(4000.0, r.lognormvariate(3.6, 0.9)), 2),
            "device": {"os": os_, "os_version": version, "model": model},
            "email": user["email"],
        }
        if r.random() < 0.05:
            del record["device"]  # Optional nested object: null columns after flatten.
        if r.random() < 0.05:
            record["app_build"] = f"5.{r.randint(0, 9)}.{r.randint(0, 99)}"  # Unknown field: ignored.
        return record

    def bids_file(self, day: int, n_clean: int, defects: dict[str, int], ndjson: bool) -> list[Item]:
        r = self.rng
        times = iter(self._times(day, n_clean + sum(defects.values())))
        clean = []
        for _ in range(n_clean):
            rec = self.bid(next(times))
            if r.random() < 0.02:
                rec["user_id"] = str(rec["user_id"])  # "1042": a number in a string is accepted.
            clean.append(Item(rec, sink("bids_lake")))
        bad: list[Item] = []
        qc = "bid_quality"
        for kind, count in defects.items():
            for _ in range(count):
                rec = self.bid(next(times))
                if kind == "heartbeat":
                    bad.append(Item({"event_name": "heartbeat", "user_id": 0, "platform": "server",
                                     "timestamp_ms": rec["timestamp_ms"]}, FILTERED))
                elif kind == "large":
                    rec["bid_amount"] = round(r.uniform(LARGE_BID, 60_000), 2)
                    bad.append(Item(rec, sink("large_bids")))
                elif kind == "large_boundary":
                    rec["bid_amount"] = LARGE_BID  # Exactly 5000.00: routed (>=).
                    bad.append(Item(rec, sink("large_bids")))
                elif kind == "malformed":
                    text = json.dumps(rec, ensure_ascii=False)
                    bad.append(Item(text[: r.randrange(20, len(text) - 10)], decode("malformed JSON"), raw=True))
                elif kind == "not_object":
                    bad.append(Item("bid_placed" if not ndjson else [rec["user_id"], rec["bid_amount"]],
                                    decode("not a JSON object")))
                elif kind == "missing_user_id":
                    del rec["user_id"]
                    bad.append(Item(rec, decode("missing required field user_id")))
                elif kind == "user_id_abc":
                    rec["user_id"] = "abc"
                    bad.append(Item(rec, decode("field user_id: expected long")))
                elif kind == "device_not_object":
                    rec["device"] = rec["device"]["model"] if "device" in rec else "Pixel 8"
                    bad.append(Item(rec, decode("field device: expected struct")))
                elif kind == "negative_amount":
                    rec["bid_amount"] = -round(r.uniform(1, 50), 2)
                    bad.append(Item(rec, check(qc, "amount_in_range")))
                elif kind == "huge_amount":
                    rec["bid_amount"] = 2_500_000.0
                    bad.append(Item(rec, check(qc, "amount_in_range")))
                elif kind == "no_amount":
                    del rec["bid_amount"]
                    bad.append(Item(rec, check(qc, "has_amount")))
                elif kind == "unknown_platform":
                    rec["platform"] = r.choice(["BlackBerry", "smart-tv", "kaios"])
                    bad.append(Item(rec, check(qc, "known_platform")))
                elif kind == "city_out_of_range":
                    rec["city_id"] = r.choice([0, 9999])
                    bad.append(Item(rec, check(qc, "city_in_range")))
                else:
                    raise ValueError(kind)
        return self._place(clean, bad)

    # -- users -----------------------------------------------------------------------------------------
    def user_event(self, ts: int) -> dict[str, Any]:
        r = self.rng
        user = r.choice(self.users)
        event_type = r.choices(["page_view", "login", "logout", "search", "add_to_cart"], [6, 2, 1, 2, 2])[0]
        action = {
            "page_view": f"view:/product/SKU-{r.randint(10000, 10017)}",
            "login": f"login:{r.choice(['password', 'sso', 'passkey'])}",
            "logout": "logout",
            "search": f"search:{r.choice(SEARCH_TERMS)}",
            "add_to_cart": f"cart:add:SKU-{r.randint(10000, 10017)}",
        }[event_type]
        metadata = {"browser": r.choice(BROWSERS), "screen_width": r.choice([390, 412, 768, 1280, 1440, 1920]),
                    "referrer": r.choice(REFERRERS)}
        if r.random() < 0.1:
            metadata["ab_test"] = r.choice(["A", "B"])  # Extra key inside the JSON string: ignored.
        record: dict[str, Any] = {
            "event_type": event_type,
            "user_id": user["user_id"],
            "action": action,
            "timestamp_ms": ts,
            "metadata": json.dumps(metadata, ensure_ascii=False),
            "country": user["country"] if r.random() < 0.8 else f" {user['country'].lower()}",
            "email": user["email"],
            "phone": user["phone"],
        }
        if r.random() < 0.04:
            del record["country"]  # Missing: the schema default "ZZ" (unknown) applies.
        if r.random() < 0.04:
            record["metadata"] = None  # No metadata: null columns, not an error.
        return record

    def users_file(self, day: int, n_clean: int, defects: dict[str, int]) -> list[Item]:
        r = self.rng
        times = iter(self._times(day, n_clean + sum(defects.values())))
        clean = [Item(self.user_event(next(times)), sink("users_lake")) for _ in range(n_clean)]
        bad: list[Item] = []
        qc = "user_quality"
        for kind, count in defects.items():
            for _ in range(count):
                rec = self.user_event(next(times))
                if kind == "heartbeat":
                    bad.append(Item({"event_type": "heartbeat", "user_id": 0,
                                     "timestamp_ms": rec["timestamp_ms"]}, FILTERED))
                elif kind == "malformed":
                    text = json.dumps(rec, ensure_ascii=False)
                    bad.append(Item(text.replace('", "', '" "', 1), decode("malformed JSON"), raw=True))
                elif kind == "latin1":
                    # A producer that wrote Latin-1 instead of UTF-8: not valid text, so not JSON.
                    rec["action"] = "search:café"
                    text = json.dumps(rec, ensure_ascii=False).encode("latin-1", "replace")
                    bad.append(Item(text, decode("malformed JSON"), raw=True))
                elif kind == "user_id_abc":
                    rec["user_id"] = "abc"
                    bad.append(Item(rec, decode("field user_id: expected long")))
                elif kind == "missing_timestamp":
                    del rec["timestamp_ms"]
                    bad.append(Item(rec, decode("missing required field timestamp_ms")))
                elif kind == "metadata_not_json":
                    rec["metadata"] = "{browser: chrome, screen_width: 1440"
                    bad.append(Item(rec, convert("parse_metadata", "metadata is not JSON")))
                elif kind == "metadata_wrong_type":
                    rec["metadata"] = json.dumps({"browser": "chrome", "screen_width": "wide"})
                    bad.append(Item(rec, convert("parse_metadata", "metadata is not JSON")))
                elif kind == "unknown_event_type":
                    rec["event_type"] = r.choice(["purchase??", "PageView", "scroll"])
                    bad.append(Item(rec, check(qc, "known_event_type")))
                elif kind == "bad_country":
                    rec["country"] = r.choice(["Germany", "U.S.A.", "españa"])
                    bad.append(Item(rec, check(qc, "country_code")))
                elif kind == "future_timestamp":
                    rec["timestamp_ms"] = int(datetime(2099, 1, 1, tzinfo=UTC).timestamp() * 1000)
                    bad.append(Item(rec, check(qc, "plausible_time")))
                else:
                    raise ValueError(kind)
        return self._place(clean, bad)

    # -- orders ----------------------------------------------------------------------------------------
    def order(self, ts: int, with_coupons: bool) -> dict[str, Any]:
        r = self.rng
        user = r.choice(self.users)
        product_id, price = r.choice(list(PRODUCTS.items()))
        city, postcode = r.choice(CITIES)
        record: dict[str, Any] = {
            "order_id": f"ORD-{self.next_order:06d}",
            "user_id": user["user_id"],
            "product_id": product_id,
            "quantity": r.choices([1, 2, 3, 4, 5, 10], [50, 20, 10, 5, 5, 2])[0],
            "price": price,
            "currency": r.choice(["EUR", "EUR", "USD", "GBP", "eur", "usd"]),
            "status": r.choice(STATUSES),
            "timestamp_ms": ts,
            "shipping": {"city": city, "postcode": postcode},
        }
        self.next_order += 1
        if r.random() < 0.05:
            del record["currency"]  # Missing: the schema default EUR applies.
        if r.random() < 0.03:
            record["shipping"] = None  # Digital goods: no shipping address.
        if with_coupons and r.random() < 0.3:
            record["coupon_code"] = r.choice(COUPONS)  # The field appears only in later files.
        return record

    def orders_file(self, day: int, n_clean: int, defects: dict[str, int], coupons: bool) -> list[Item]:
        r = self.rng
        times = iter(self._times(day, n_clean + sum(defects.values())))
        clean = [Item(self.order(next(times), coupons), sink("orders_lake")) for _ in range(n_clean)]
        bad: list[Item] = []
        qc = "order_quality"
        for kind, count in defects.items():
            for _ in range(count):
                rec = self.order(next(times), coupons)
                if kind == "price_na":
                    rec["price"] = r.choice(["N/A", "12,50", "free"])
                    bad.append(Item(rec, convert("price_to_decimal", "cannot cast price")))
                elif kind == "quantity_out_of_range":
                    rec["quantity"] = r.choice([0, -1, 500])
                    bad.append(Item(rec, check(qc, "quantity_in_range")))
                elif kind == "quantity_word":
                    rec["quantity"] = "two"
                    bad.append(Item(rec, decode("field quantity: expected int")))
                elif kind == "quantity_fraction":
                    rec["quantity"] = 1.5  # Never truncated silently into an int.
                    bad.append(Item(rec, decode("field quantity: expected int")))
                elif kind == "missing_order_id":
                    del rec["order_id"]
                    bad.append(Item(rec, decode("missing required field order_id")))
                elif kind == "bad_order_id":
                    rec["order_id"] = rec["order_id"].replace("ORD-", "ord_")
                    bad.append(Item(rec, check(qc, "order_id_format")))
                elif kind == "unknown_currency":
                    rec["currency"] = r.choice(["BTC", "DOGE"])
                    bad.append(Item(rec, check(qc, "known_currency")))
                else:
                    raise ValueError(kind)
        return self._place(clean, bad)


# --- writing ----------------------------------------------------------------------------------------
def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _line(item: Item) -> bytes:
    if item.raw:
        return item.value if isinstance(item.value, bytes) else item.value.encode()
    return _json(item.value).encode()


def write_ndjson(path: Path, items: list[Item], *, compress: bool = False) -> None:
    body = b"".join(_line(i) + b"\n" for i in items)
    if compress:
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
            gz.write(body)
        body = buffer.getvalue()
    path.write_bytes(body)


def write_array(path: Path, items: list[Item]) -> None:
    assert not any(i.raw for i in items), "a JSON array cannot hold malformed elements"
    path.write_text("[\n" + ",\n".join("  " + _json(i.value) for i in items) + "\n]\n", encoding="utf-8")


def write_object(path: Path, item: Item) -> None:
    path.write_text(json.dumps(item.value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def build() -> dict[str, dict[str, list[Item]]]:
    """Generate every file's items: topic → file name → items (in file order)."""
    g = Generator()
    bids_common = {"heartbeat": 20, "large": 4, "negative_amount": 1, "unknown_platform": 2,
                   "city_out_of_range": 1}
    bids = {
        "bid-events-2026-03-02.ndjson": g.bids_file(0, 300, {
            **bids_common, "malformed": 3, "missing_user_id": 2, "user_id_abc": 1, "huge_amount": 1,
            "large_boundary": 1}, ndjson=True),
        "bid-events-2026-03-03.json": g.bids_file(1, 280, {
            **bids_common, "not_object": 1, "user_id_abc": 2, "device_not_object": 1, "no_amount": 2},
            ndjson=False),
        "bid-events-2026-03-04.ndjson.gz": g.bids_file(2, 320, {
            **bids_common, "malformed": 2, "not_object": 1, "missing_user_id": 1, "huge_amount": 1},
            ndjson=True),
    }
    users = {
        "user-events-2026-03-02.jsonl": g.users_file(0, 240, {
            "heartbeat": 15, "malformed": 2, "latin1": 1, "user_id_abc": 2, "missing_timestamp": 1,
            "metadata_not_json": 2, "unknown_event_type": 2, "bad_country": 2, "future_timestamp": 1}),
        "user-events-2026-03-03.jsonl": g.users_file(1, 250, {
            "heartbeat": 15, "malformed": 1, "missing_timestamp": 2, "metadata_wrong_type": 2,
            "unknown_event_type": 1, "bad_country": 1, "future_timestamp": 1}),
    }
    orders = {
        "order-events-2026-03-02.ndjson": g.orders_file(0, 110, {
            "price_na": 2, "quantity_out_of_range": 2, "quantity_word": 1, "missing_order_id": 1},
            coupons=False),
        "order-events-2026-03-03.ndjson": g.orders_file(1, 120, {
            "price_na": 1, "quantity_out_of_range": 1, "quantity_fraction": 1, "bad_order_id": 1,
            "unknown_currency": 2}, coupons=False),
        "order-events-2026-03-04.ndjson": g.orders_file(2, 130, {
            "price_na": 2, "quantity_out_of_range": 1, "missing_order_id": 1, "unknown_currency": 1},
            coupons=True),
    }
    # A single pretty-printed object: an order re-sent by hand after a support ticket (with a coupon).
    manual = g.order(int((DAY0 + timedelta(days=2, hours=18)).timestamp() * 1000), True)
    manual["coupon_code"] = "SORRY-15"
    manual["shipping"] = {"city": "Düsseldorf", "postcode": "40213"}
    orders["order-events-2026-03-04-manual-resend.json"] = [Item(manual, sink("orders_lake"))]
    return {"bids": bids, "users": users, "orders": orders}


TRANSFORMS = {"bids": "bid_events_raw", "users": "user_events_processed", "orders": "order_events_enriched"}
FANOUT = {"bids_lake": ["bids_export"], "orders_lake": ["orders_duckdb"]}
"""Sinks that receive the same rows as another (a transform with two sinks)."""


def tally(topics: dict[str, dict[str, list[Item]]]) -> dict[str, Any]:
    """The counts a correct run reports, derived from the fates (same layout as `run --report`)."""
    sources: dict[str, Any] = {}
    transforms: dict[str, Any] = {}
    sinks: Counter[str] = Counter()
    reasons: Counter[tuple[str, str, str, str]] = Counter()
    for topic, files in topics.items():
        fates = [item.fate for items in files.values() for item in items]
        decode_dlq = sum(1 for f in fates if f[:2] == ("dlq", "decode"))
        rule_dlq = sum(1 for f in fates if f[0] == "dlq" and f[1] != "decode")
        out = [f[1] for f in fates if f[0] == "sink"]
        sources[topic] = {"records_in": len(fates), "dlq": decode_dlq}
        transforms[TRANSFORMS[topic]] = {
            "records_in": len(fates) - decode_dlq,
            "records_out": len(out),
            "filtered": sum(1 for f in fates if f == FILTERED),
            "dlq": rule_dlq,
        }
        sinks.update(out)
        for f in fates:
            if f[0] == "dlq":
                reasons[(topic, f[1], f[2], f[3])] += 1
    for main, copies in FANOUT.items():
        for copy in copies:
            sinks[copy] = sinks[main]
    return {
        "sources": sources,
        "transforms": transforms,
        "sinks": dict(sorted(sinks.items())),
        "dlq": sum(reasons.values()),
        "dlq_reasons": [
            {"source": s, "stage": st, "rule": ru or None, "error_prefix": e, "count": n}
            for (s, st, ru, e), n in sorted(reasons.items())
        ],
    }


def main() -> int:
    topics = build()
    writers = {".json": write_array}
    for topic, files in topics.items():
        folder = DATA / topic
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for name, items in files.items():
            path = folder / name
            if name.endswith(".gz"):
                write_ndjson(path, items, compress=True)
            elif name.endswith("-manual-resend.json"):
                write_object(path, items[0])
            elif path.suffix in writers:
                writers[path.suffix](path, items)
            else:
                write_ndjson(path, items)
            counts = Counter(i.fate[1] if i.fate[0] == "sink" else i.fate[0] for i in items)
            fates = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
            print(f"wrote {path.relative_to(HERE)}: {len(items):4d} records ({fates}), "
                  f"{path.stat().st_size:,} bytes")
    expected = tally(topics)
    EXPECTED.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    total = sum(s["records_in"] for s in expected["sources"].values())
    print(f"wrote {EXPECTED.relative_to(HERE)}: {total} records in all, {expected['dlq']} expected in the DLQ")
    for name, n in expected["sinks"].items():
        print(f"  sink {name:14s} {n:5d} rows")
    for reason in expected["dlq_reasons"]:
        rule = reason["rule"] or "-"
        print(f"  dlq  {reason['source']:7s} {reason['stage']:9s} {rule:17s} {reason['count']:3d}  "
              f"{reason['error_prefix']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
