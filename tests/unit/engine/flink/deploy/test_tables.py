"""The production TableFactory: source, sink and DLQ DDL, partitioning, errors naming the sink."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from lakegate.connectors.kafka.batch import METADATA_KEYS
from lakegate.engine.flink.deploy.iceberg import partition_manifest
from lakegate.engine.flink.deploy.sinks import jdbc_url
from lakegate.engine.flink.deploy.tables import DeployTableFactory
from lakegate.engine.flink.statements import source_metadata
from lakegate.errors import CompileError
from lakegate.plan.compiler import compile_pipeline
from lakegate.plan.model import Plan
from lakegate.spec import load_pipeline_text


@dataclass
class Col:
    name: str
    type_sql: str


PIPELINE = """
pipeline: shop
catalogs:
  lake: {type: s3tables, warehouse: "arn:aws:s3tables:eu-west-1:123456789012:bucket/shop"}
schemas:
  order:
    fields:
      - {name: order_id, type: string, required: true}
      - {name: user_id, type: long}
      - {name: ts, type: timestamp}
      - {name: currency, type: string}
sources:
  orders: {type: kafka, bootstrap_servers: "b:9092", topics: [orders], group_id: g, schema: order}
  files: {type: files, path: data/orders, schema: order}
transforms:
  t1: {source: orders, sinks: [hidden, identity, pg, local]}
sinks:
  hidden: {type: iceberg, catalog: lake, table: analytics.orders, partition_by: ["day(ts)", "bucket(16, user_id)"]}
  identity: {type: iceberg, catalog: lake, table: analytics.by_currency, partition_by: [currency]}
  pg: {type: postgres, dsn: "postgresql://etl:pw@db:5433/shop", table: public.orders, mode: upsert, key: [order_id]}
  local: {type: duckdb, path: out.duckdb, table: orders}
dlq: {type: jsonl, path: "s3://bucket/dlq"}
"""

COLUMNS = [Col("order_id", "STRING NOT NULL"), Col("user_id", "BIGINT"), Col("ts", "TIMESTAMP_LTZ(6)"),
           Col("currency", "STRING")]  # fmt: skip


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    path = tmp_path_factory.mktemp("p") / "pipeline.yaml"
    return compile_pipeline(load_pipeline_text(PIPELINE, path), require_secrets=False)


def _squeezed(ddl: str) -> str:
    """``ddl`` without the padding that aligns its columns."""
    return re.sub(" {2,}", " ", ddl)


def test_kafka_source_with_metadata_and_key(plan: Plan) -> None:
    factory = DeployTableFactory(plan)
    meta = {"stream": Col("m_stream", "STRING"), "index": Col("m_index", "BIGINT"),
            "offset": Col("m_offset", "BIGINT"), "key": Col("m_key", "STRING")}  # fmt: skip
    ddl = _squeezed(factory.source_table(plan.sources["orders"], "src_orders", "payload", meta))
    assert ddl.startswith("-- Source 'orders': Kafka topics orders\n")
    assert "CREATE TABLE src_orders (\n `__lg_payload_bytes` BYTES,\n `payload` AS CAST(`__lg_payload_bytes` AS STRING)," in ddl
    # a record that is not valid UTF-8 is malformed JSON, as on the embedded engine (decode.py)
    assert "`__lg_payload_utf8` AS CAST(CAST(`__lg_payload_bytes` AS STRING) AS BYTES) = `__lg_payload_bytes`" in ddl
    assert "`m_key` STRING,\n" in ddl  # the key is a physical column read with the raw key format
    assert "'key.format'" in ddl and "'key.fields'" in ddl and "= 'EXCEPT_KEY'" in ddl
    # each connector key is declared once; lakegate's keys are computed columns over them
    assert ddl.count("METADATA FROM 'offset' VIRTUAL") == 1 and "'timestamp'" not in ddl
    assert "`__lg_md_topic` STRING NOT NULL METADATA FROM 'topic' VIRTUAL" in ddl
    assert "`m_stream` AS CAST(`__lg_md_topic` || '/' || CAST(`__lg_md_partition` AS STRING) AS STRING)" in ddl
    assert "`m_index` AS CAST(`__lg_md_offset` AS BIGINT)" in ddl
    assert "`m_offset` AS CAST(`__lg_md_offset` AS BIGINT)" in ddl
    assert "'value.format'" in ddl and ddl.rstrip().endswith("= 'raw' -- each value is one JSON document (bytes), "
                                                              "decoded by the rules\n)")  # fmt: skip


def test_every_embedded_kafka_metadata_key_has_a_flink_column(plan: Plan) -> None:
    source = plan.sources["orders"]
    assert set(source.metadata_keys) == set(METADATA_KEYS)
    ddl = _squeezed(DeployTableFactory(plan).source_table(source, "s", "payload", source_metadata(source)))
    assert "`__lg_meta_partition` AS CAST(`__lg_md_partition` AS INT)" in ddl
    assert "`__lg_meta_timestamp` AS CAST(`__lg_md_timestamp` AS TIMESTAMP_LTZ(6))" in ddl
    # headers: Flink's MAP<STRING, BYTES> as the embedded engine's JSON object text (NULL when empty)
    assert "`__lg_md_headers` MAP<STRING, BYTES> NOT NULL METADATA FROM 'headers' VIRTUAL" in ddl
    assert "CARDINALITY(`__lg_md_headers`) = 0 THEN CAST(NULL AS STRING)" in ddl
    assert "JSON_STRING(CAST(`__lg_md_headers` AS MAP<STRING, STRING>))" in ddl


def test_files_source_metadata_and_unknown_metadata(plan: Plan) -> None:
    factory = DeployTableFactory(plan)
    meta = {"stream": Col("s", "STRING"), "index": Col("i", "BIGINT"), "file": Col("f", "STRING")}
    ddl = _squeezed(factory.source_table(plan.sources["files"], "src_files", "payload", meta))
    assert ddl.count("METADATA FROM 'file.path' VIRTUAL") == 1
    assert "`s` AS CAST(`__lg_md_file_path` AS STRING)" in ddl  # stream: the file's path
    assert "`i` AS CAST(NULL AS BIGINT)" in ddl  # index: unknown
    assert "`f` AS CAST(`__lg_md_file_path` AS STRING)" in ddl
    assert "'connector' = 'filesystem'" in ddl
    assert str(plan.base_dir / "data" / "orders") in ddl
    assert any("local directory" in w for w in factory.warnings)
    with pytest.raises(CompileError, match="metadata 'partition' is not available"):
        factory.source_table(plan.sources["files"], "s", "payload", {"partition": Col("p", "INT")})


def test_iceberg_identity_partitions_in_the_ddl(plan: Plan) -> None:
    factory = DeployTableFactory(plan)
    statements = factory.sink_table(plan.sinks["identity"], "`lake`.`analytics`.`by_currency`", COLUMNS)
    assert statements[0] == "CREATE DATABASE IF NOT EXISTS `lake`.`analytics`"
    assert "CREATE TABLE IF NOT EXISTS `lake`.`analytics`.`by_currency`" in statements[1]
    assert "\nPARTITIONED BY (`currency`)\n" in statements[1]
    assert len(statements) == 2  # referred to by its catalog name: no connector table
    assert factory.catalogs_used == ["lake"]
    assert factory.partitions == [{"sink": "identity", "catalog": "lake", "table": "analytics.by_currency",
                                   "apply": False, "fields": [{"name": "currency", "transform": "identity",
                                                               "column": "currency", "param": None}]}]  # fmt: skip


def test_iceberg_hidden_partitions_are_applied_by_the_job_never_dropped(plan: Plan) -> None:
    factory = DeployTableFactory(plan)
    statements = factory.sink_table(plan.sinks["hidden"], "sink_hidden", COLUMNS)
    table_ddl = statements[1]
    assert "PARTITIONED BY" not in table_ddl
    assert "partition_by: day(ts), bucket(16, user_id)" in table_ddl
    assert "the job sets the spec before the INSERTs" in table_ddl
    assert "'format-version'" in table_ddl and "'write.parquet.compression-codec' = 'zstd'" in table_ddl
    connector = statements[2]
    assert connector.startswith("-- sink_hidden writes to the Iceberg table above\nCREATE TEMPORARY TABLE sink_hidden")
    assert "'catalog-table'    = 'orders'" in connector
    [spec] = factory.partitions
    assert spec["apply"] is True
    assert [(f["name"], f["transform"], f["column"]) for f in spec["fields"]] == [
        ("ts_day", "day", "ts"), ("user_id_bucket_16", "bucket[16]", "user_id"),
    ]  # fmt: skip
    # one CREATE DATABASE per namespace
    again = factory.sink_table(plan.sinks["identity"], "sink_identity", COLUMNS)
    assert not any(s.startswith("CREATE DATABASE") for s in again)


def test_partition_column_must_be_written(plan: Plan) -> None:
    with pytest.raises(CompileError, match="partition_by column 'ts' is not a column"):
        DeployTableFactory(plan).sink_table(plan.sinks["hidden"], "s", [Col("user_id", "BIGINT")])


def test_multi_level_namespace_is_an_error(plan: Plan) -> None:
    config = plan.sinks["hidden"].config.model_copy(update={"table": "a.b.c"})
    with pytest.raises(CompileError, match="2-level namespace"):
        partition_manifest("hidden", config)


def test_postgres_upsert_through_jdbc(plan: Plan) -> None:
    factory = DeployTableFactory(plan)
    [ddl] = factory.sink_table(plan.sinks["pg"], "sink_pg", COLUMNS)
    assert "PRIMARY KEY (`order_id`) NOT ENFORCED\n)" in ddl
    assert "'url'                        = 'jdbc:postgresql://db:5433/shop'" in ddl
    assert "'username'                   = 'etl'" in ddl
    assert "${secret:LAKEGATE_PG_PASSWORD}" in ddl and "'pw'" not in ddl
    assert factory.secrets == ["LAKEGATE_PG_PASSWORD"]
    assert factory.features == {"postgres"}


def test_jdbc_url_from_keyword_dsn() -> None:
    assert jdbc_url("host=db port=6432 dbname=shop user=etl password=x") == ("jdbc:postgresql://db:6432/shop", "etl")


def test_sink_without_flink_connector_is_a_compile_error_naming_it(plan: Plan) -> None:
    with pytest.raises(CompileError) as info:
        DeployTableFactory(plan).sink_table(plan.sinks["local"], "sink_local", COLUMNS)
    assert "sink type 'duckdb' has no Flink connector" in str(info.value)
    assert "sink local" in str(info.value)


def test_dlq_on_s3_files(plan: Plan) -> None:
    factory = DeployTableFactory(plan)
    [ddl] = factory.dlq_table("dlq", [Col("payload", "STRING"), Col("error", "STRING NOT NULL")])
    assert "CREATE TABLE dlq" in ddl
    assert "'path'      = 's3://bucket/dlq'" in ddl
    assert "'format'    = 'json'" in ddl
    assert factory.warnings == []


def test_kafka_dlq_is_transactional(plan: Plan) -> None:
    from lakegate.connectors.kafka.sink_config import KafkaSinkConfig

    dlq = KafkaSinkConfig.model_validate({"type": "kafka", "bootstrap_servers": "b:9092", "topic": "shop.dlq",
                                          "security": {"protocol": "SASL_SSL", "sasl_mechanism": "AWS_MSK_IAM",
                                                       "aws_region": "eu-west-1"}})  # fmt: skip
    factory = DeployTableFactory(plan)
    factory.plan = Plan(**{**plan.__dict__, "dlq": dlq})
    [ddl] = factory.dlq_table("dlq", [Col("payload", "STRING"), Col("error", "STRING")])
    assert "'topic'                                         = 'shop.dlq'" in ddl
    assert "'sink.delivery-guarantee'                       = 'exactly-once'" in ddl
    assert "'sink.transactional-id-prefix'                  = 'lakegate-shop-dlq'" in ddl
    assert "software.amazon.msk.auth.iam.IAMLoginModule required;" in ddl
