"""``lakegate compile/package --target flink`` end to end, the generated job checked by the real Flink.

The generated ``streaming_job.py --validate`` runs in a Python that has ``apache-flink`` (PyFlink pins
an old pyarrow, so it may be another environment than lakegate's): ``LAKEGATE_FLINK_PYTHON``, else
``.venv-flink/bin/python`` in the repository, else this interpreter when it can import pyflink. It
executes every DDL statement with Flink's parser and catalogs (Iceberg catalogs replaced by in-memory
ones), validates every INSERT, and plans the job when all its connectors ship with PyFlink.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lakegate.cli.main import main

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

SCHEMA = """
schemas:
  order:
    fields:
      - {name: order_id, type: string, required: true}
      - {name: user_id, type: long}
      - {name: price, type: "decimal(10,2)"}
      - {name: currency, type: string}
      - {name: timestamp_ms, type: long}
"""

RULES = """
    rules:
      - {type: filter, expr: "currency <> 'XXX'"}
      - {type: parse_timestamp, column: timestamp_ms, format: epoch_ms, into: ts}
      - type: validate
        checks:
          - {name: positive_price, range: {column: price, min: 0.01}}
"""

PRODUCTION = f"""
pipeline: shop
settings:
  flink: {{checkpoint_interval_seconds: 30, parallelism: 2}}
catalogs:
  lake: {{type: s3tables, warehouse: "arn:aws:s3tables:eu-west-1:123456789012:bucket/shop"}}
{SCHEMA}
sources:
  orders:
    type: kafka
    bootstrap_servers: b-1.msk.example:9098
    topics: [orders]
    group_id: lakegate-shop
    start: committed
    schema: order
    security: {{protocol: SASL_SSL, sasl_mechanism: AWS_MSK_IAM, aws_region: eu-west-1}}
transforms:
  orders_clean:
    source: orders{RULES}
    sinks: [lake, by_currency, pg]
sinks:
  lake:
    type: iceberg
    catalog: lake
    table: analytics.orders
    partition_by: ["day(ts)", "bucket(16, user_id)"]
  by_currency:
    type: iceberg
    catalog: lake
    table: analytics.orders_by_currency
    partition_by: [currency]
  pg:
    type: postgres
    dsn: postgresql://etl:pw@db.example:5432/shop
    table: public.orders
    mode: upsert
    key: [order_id]
dlq:
  type: iceberg
  catalog: lake
  table: ops.dlq
"""

LOCAL_FILES = f"""
pipeline: files_job
{SCHEMA}
sources:
  orders: {{type: files, path: data, schema: order}}
transforms:
  orders_clean:
    source: orders{RULES}
    sinks: [out]
sinks:
  out: {{type: jsonl, path: out}}
dlq: {{type: jsonl, path: dlq}}
"""


def flink_python() -> str:
    """A Python interpreter with ``apache-flink`` installed."""
    configured = os.environ.get("LAKEGATE_FLINK_PYTHON")
    if configured:
        return configured
    local = REPO / ".venv-flink" / "bin" / "python"
    if local.exists():
        return str(local)
    if importlib.util.find_spec("pyflink") is not None:
        return sys.executable
    pytest.fail(
        "no Python with apache-flink: set LAKEGATE_FLINK_PYTHON, or create it with "
        "`python -m venv .venv-flink && .venv-flink/bin/pip install 'apache-flink==2.2.1'`"
    )


def compile_job(tmp_path: Path, text: str) -> Path:
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(text)
    out = tmp_path / "job"
    assert main(["compile", str(pipeline), "--target", "flink", "--out", str(out)]) == 0
    return out


def validate(job_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEGATE_")}
    done = subprocess.run(
        [flink_python(), "streaming_job.py", "--validate"],
        cwd=job_dir, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    return done.stderr


def test_production_job_sql_is_accepted_by_flink(tmp_path: Path) -> None:
    job = compile_job(tmp_path, PRODUCTION)
    sql = (job / "job" / "pipeline.sql").read_text()
    assert "'catalog-impl'  = 'software.amazon.s3tables.iceberg.S3TablesCatalog'" in sql
    assert "'properties.sasl.mechanism'" in sql and "IAMClientCallbackHandler" in sql
    assert "${secret:LAKEGATE_PG_PASSWORD}" in sql and "'pw'" not in sql
    manifest = json.loads((job / "job" / "job.json").read_text())
    assert manifest["configuration"]["execution.checkpointing.mode"] == "EXACTLY_ONCE"
    assert manifest["configuration"]["execution.checkpointing.interval"] == "30000 ms"
    assert [(p["sink"], p["apply"]) for p in manifest["partitions"]] == [("lake", True), ("by_currency", False)]
    log = validate(job)
    assert "[lakegate] valid:" in log
    assert "INSERT statements validated" in log


def test_files_job_is_planned_by_flink(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    job = compile_job(tmp_path, LOCAL_FILES)
    log = validate(job)
    assert "[lakegate] planned:" in log, log[-3000:]


def test_package_writes_the_zip_layout(tmp_path: Path) -> None:
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(PRODUCTION)
    jar = tmp_path / "deps.jar"
    with zipfile.ZipFile(jar, "w") as j:
        j.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    out = tmp_path / "dist" / "shop.zip"
    assert main(["package", str(pipeline), "--target", "flink", "--out", str(out), "--jar", str(jar)]) == 0
    with zipfile.ZipFile(out) as archive:
        names = sorted(archive.namelist())
        properties = json.loads(archive.read("application_properties.json"))
    assert names == ["application_properties.json", "job/job.json", "job/pipeline.sql",
                     "lib/pyflink-dependencies.jar", "streaming_job.py"]  # fmt: skip
    assert properties[0]["PropertyMap"] == {"python": "streaming_job.py", "jarfile": "lib/pyflink-dependencies.jar"}
    assert (tmp_path / "dist" / "shop" / "pom.xml").is_file()  # the Maven project beside the zip
