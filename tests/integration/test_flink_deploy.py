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
import yaml

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
    assert "`__lg_stream`" in sql and "METADATA FROM 'partition' VIRTUAL" in sql
    assert json.loads((job / "job" / "job.json").read_text())["table_configuration"] == {"table.local-time-zone": "UTC"}
    log = validate(job)
    assert "[lakegate] valid:" in log
    assert "INSERT statements validated" in log
    assert "set table.local-time-zone = UTC" in log
    # Kafka and JDBC tables are checked on stand-ins (their jars are not in PyFlink); not planned
    assert "not planned: connectors not on the classpath here: iceberg, jdbc, kafka" in log


def test_files_job_is_planned_by_flink(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    job = compile_job(tmp_path, LOCAL_FILES)
    log = validate(job)
    assert "[lakegate] planned:" in log, log[-3000:]


def test_salt_is_filled_by_the_job_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    salt = "s4lt-value-91c3"
    monkeypatch.setenv("ORDERS_SALT", salt)
    salted = LOCAL_FILES.replace("    sinks: [out]", "      - {type: hash, columns: [order_id], salt_env: ORDERS_SALT}\n    sinks: [out]")
    job = compile_job(tmp_path, salted)
    assert "'${secret:ORDERS_SALT}'" in (job / "job" / "pipeline.sql").read_text()
    assert json.loads((job / "job" / "job.json").read_text())["secrets"] == ["ORDERS_SALT"]
    grep = subprocess.run(["grep", "-rl", salt, str(job)], capture_output=True, text=True)
    assert grep.returncode == 1 and not grep.stdout  # in no generated file
    log = validate(job)  # the salt is in the environment: the job fills it in, Flink plans the job
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


EXAMPLES = {"quickstart": ["bids_lake", "large_bids", "users_lake", "orders_lake", "orders_duckdb"],
            "kafka": ["bids_lake", "users_lake", "orders_lake"]}  # fmt: skip
"""The sinks of each example the Flink job cannot write as they stand."""


def flink_ready(example: str, tmp_path: Path) -> Path:
    """The example with what docs/flink.md tells a user to change: a declared Iceberg catalog for the
    zero-setup ``default`` one, and a Parquet export instead of the DuckDB table."""
    spec = yaml.safe_load((REPO / "examples" / example / "pipeline.yaml").read_text())
    spec.setdefault("catalogs", {})["default"] = {"type": "hadoop", "warehouse": "s3://bucket/warehouse"}
    for name, sink in spec["sinks"].items():
        if sink["type"] == "duckdb":
            spec["sinks"][name] = {"type": "parquet", "path": f"s3://bucket/exports/{name}"}
    return compile_job(tmp_path, yaml.safe_dump(spec, sort_keys=False))


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_examples_name_every_sink_flink_cannot_write(
    example: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LAKEGATE_HASH_SALT", "s")
    pipeline = REPO / "examples" / example / "pipeline.yaml"
    assert main(["compile", str(pipeline), "--target", "flink", "--out", "/nonexistent/never-written"]) == 2
    error = capsys.readouterr().err
    assert f"{len(EXAMPLES[example])} sinks cannot be written by a Flink job" in error
    for sink in EXAMPLES[example]:
        assert f"sink {sink})" in error
    assert "declare the catalog under `catalogs:`" in error
    assert ("sink type 'duckdb' has no Flink connector" in error) == (example == "quickstart")


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_examples_with_a_declared_catalog_are_accepted_by_flink(
    example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEGATE_HASH_SALT", "s")
    job = flink_ready(example, tmp_path)
    assert "LAKEGATE_HASH_SALT" in json.loads((job / "job" / "job.json").read_text())["secrets"]
    log = validate(job)
    assert "[lakegate] valid:" in log and "INSERT statements validated" in log, log[-3000:]
