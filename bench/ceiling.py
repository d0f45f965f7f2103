"""Upper bounds for the benchmark on this machine: the same files through DuckDB alone, with less work.

lakegate's throughput target (1,000,000 records/s end to end on two cores) is read against what the
fastest engine available here does with the same bytes when most of lakegate's work is left out.
``bench/run.py`` runs each program below in its own child process, measured like the other rows
(wall time around the child, CPU time and peak RSS from ``os.wait4``):

``startup``
    Python's start-up and the imports a lakegate run cannot do without (pyarrow, DuckDB, pyiceberg's
    SQL catalog and Parquet writer); no data.
``copy``
    DuckDB reads the NDJSON files with its own multi-threaded reader and writes every record to one
    zstd Parquet file (``preserve_insertion_order`` off, its fastest setting): parsing and encoding
    only, no rules.
``rules``
    The same, with the benchmark pipeline's rules written by hand as one query (:data:`RULES_SQL`;
    keep it in step with ``bench/pipeline.yaml``, as ``bench/baseline.py`` is). This is lakegate's work
    *minus* what makes it a pipeline: no dead-letter queue (records that fail a check are simply left
    out), no per-record accounting, no line numbers, no source positions, no Iceberg table or commit,
    no engine loop. ``bench/run.py`` checks that it writes the same rows as lakegate's Iceberg table.

    BENCH_HASH_SALT=x python -m bench.ceiling rules --data-dir bench/data/1000000/events --out /tmp/r.parquet --report r.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

COLUMNS = {
    "order_id": "VARCHAR", "user_id": "BIGINT", "product_id": "VARCHAR", "quantity": "BIGINT",
    "price": "DOUBLE", "currency": "VARCHAR", "status": "VARCHAR", "country": "VARCHAR",
    "email": "VARCHAR", "phone": "VARCHAR", "timestamp_ms": "BIGINT", "coupon_code": "VARCHAR",
    "promo_code": "VARCHAR",
}  # fmt: skip
"""The pipeline's schema ``order`` in DuckDB types."""

RULES_SQL = """
WITH cleaned AS (
    SELECT
        order_id, user_id,
        product_id AS sku,                                              -- rename
        CAST(quantity AS INT) AS quantity,                              -- cast
        CAST(price AS DECIMAL(10, 2)) AS price,
        status AS original_status,
        MAKE_TIMESTAMPTZ(timestamp_ms * 1000) AS event_time,            -- parse_timestamp epoch_ms
        UPPER(TRIM(currency)) AS currency,                              -- trim, upper
        UPPER(TRIM(country)) AS country,
        LOWER(status) AS status,                                        -- lower
        SHA256($salt || LOWER(TRIM(email))) AS email,                   -- trim, lower, hash
        CASE WHEN LENGTH(phone) <= 4 THEN REPEAT('*', LENGTH(phone))    -- mask keep_last 4
             ELSE REPEAT('*', LENGTH(phone) - 4) || RIGHT(phone, 4) END AS phone,
        COALESCE(coupon_code, promo_code, 'NONE') AS discount_code,     -- coalesce
        filename AS source_file                                         -- add_metadata
    FROM input
)
SELECT
    order_id, user_id, sku, quantity, price,
    price * quantity AS total,                                          -- derive
    currency,
    CASE status                                                         -- map_values
        WHEN 'paid' THEN 'completed' WHEN 'shipped' THEN 'completed' WHEN 'delivered' THEN 'completed'
        WHEN 'cancelled' THEN 'cancelled' WHEN 'refunded' THEN 'refunded' ELSE 'other'
    END AS status,
    country, email, phone, discount_code, event_time, source_file,
    CAST(NULL AS BIGINT) AS line, NOW() AS ingested_at, '7' AS rule_version
FROM cleaned
WHERE quantity > 0 AND original_status <> 'test'                        -- filter
  AND (price IS NULL OR price BETWEEN 0 AND 10000)                      -- validate (records failing
  AND (quantity IS NULL OR quantity BETWEEN 1 AND 100)                  -- a check are left out)
  AND (currency IS NULL OR currency IN ('EUR', 'USD', 'GBP'))
"""
"""``bench/pipeline.yaml``'s rules as one hand-written DuckDB query over ``input``."""

IMPORTS = (
    "pyarrow", "pyarrow.json", "pyarrow.parquet", "duckdb", "pyiceberg.catalog.sql", "pyiceberg.io.pyarrow",
)  # fmt: skip
"""What a lakegate run of the benchmark pipeline imports at least. This module imports nothing beyond
the standard library itself, so the DuckDB bounds pay only for DuckDB."""


def _salt() -> str:
    """The hash salt, from ``BENCH_HASH_SALT`` as the pipeline reads it (``bench/run.py`` sets it)."""
    salt = os.environ.get("BENCH_HASH_SALT")
    if not salt:
        sys.exit("set BENCH_HASH_SALT (bench/run.py sets it) to hash as the pipeline does")
    return salt


def _read_ndjson(data_dir: Path) -> str:
    columns = ", ".join(f"{name}: '{duck}'" for name, duck in COLUMNS.items())
    return f"read_ndjson('{data_dir}/*', columns={{{columns}}}, filename=true)"


def run(mode: str, data_dir: Path, out: Path) -> dict[str, object]:
    """Do ``mode``'s work; what it wrote, and the seconds it took inside this process."""
    started = time.perf_counter()
    if mode == "startup":
        for module in IMPORTS:
            __import__(module)
        return {"rows": 0, "seconds": time.perf_counter() - started}
    import duckdb

    con = duckdb.connect(config={"threads": os.cpu_count() or 1, "preserve_insertion_order": False})
    con.execute(f"CREATE VIEW input AS SELECT * FROM {_read_ndjson(data_dir)}")
    query = "SELECT * FROM input" if mode == "copy" else RULES_SQL
    params = {} if mode == "copy" else {"salt": _salt()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT PARQUET, COMPRESSION ZSTD)", params)
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()
    return {"rows": rows[0] if rows else 0, "seconds": time.perf_counter() - started}


UNCOMPARED = ("ingested_at", "line", "source_file")
"""Columns the row check leaves out: the run's clock, and the coordinates the ``rules`` query does not
know (line numbers) or spells differently (the file's path)."""


def compare_rows(parquet: Path, lakegate_state: Path) -> list[str]:
    """How the rows ``rules`` wrote differ from lakegate's Iceberg table (empty: the same rows)."""
    import pyarrow.parquet as pq

    from bench.check import read_table

    expected = read_table(lakegate_state)
    expected = expected.drop_columns([c for c in UNCOMPARED if c in expected.column_names])
    expected = expected.sort_by("order_id").combine_chunks()
    written = pq.read_table(parquet).sort_by("order_id").combine_chunks()
    if written.num_rows != expected.num_rows:
        return [f"{written.num_rows:,} rows, lakegate's table has {expected.num_rows:,}"]
    differences = []
    for name in expected.column_names:
        if name not in written.column_names:
            differences.append(f"column {name} is missing")
            continue
        column = written.column(name).cast(expected.schema.field(name).type)
        if not column.equals(expected.column(name)):
            differences.append(f"column {name} differs")
    return differences


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("startup", "copy", "rules"))
    parser.add_argument("--data-dir", type=Path, required=True, help="folder of the generated NDJSON files")
    parser.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    parser.add_argument("--report", type=Path, required=True, help="JSON file for rows and seconds")
    args = parser.parse_args(argv)
    result = run(args.mode, args.data_dir.resolve(), args.out.resolve())
    args.report.write_text(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # as `lakegate` does: skip the interpreter's teardown of the modules (0.1-0.4 s)


if __name__ == "__main__":
    main()
