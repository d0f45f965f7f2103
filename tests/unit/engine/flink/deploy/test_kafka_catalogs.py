"""Kafka source options and Iceberg catalog options of the Flink job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakegate.connectors.iceberg.config import CatalogSpec
from lakegate.connectors.kafka.config import KafkaSourceConfig
from lakegate.engine.flink.deploy.catalogs import catalog_options, catalog_spec, create_catalog
from lakegate.engine.flink.deploy.kafka import kafka_source_options, secrets_of
from lakegate.errors import CompileError


def kafka(**options: Any) -> KafkaSourceConfig:
    raw = {"type": "kafka", "bootstrap_servers": "b1:9092,b2:9092", "topics": ["orders", "refunds"],
           "group_id": "g1", "schema": "s", **options}  # fmt: skip
    return KafkaSourceConfig.model_validate(raw)


def opts(config: KafkaSourceConfig, name: str = "orders") -> dict[str, str]:
    return {o.key: o.value for o in kafka_source_options(name, config)}


def test_topics_group_and_start_modes() -> None:
    o = opts(kafka(start="earliest"))
    assert o["connector"] == "kafka"
    assert o["topic"] == "orders;refunds"
    assert o["properties.bootstrap.servers"] == "b1:9092,b2:9092"
    assert o["properties.group.id"] == "g1"
    assert o["scan.startup.mode"] == "earliest-offset"
    assert opts(kafka(start="latest"))["scan.startup.mode"] == "latest-offset"
    committed = opts(kafka(start="committed"))
    assert committed["scan.startup.mode"] == "group-offsets"
    assert committed["properties.auto.offset.reset"] == "earliest"  # lakegate: committed, else earliest
    at = opts(kafka(start="2024-05-01T00:00:00Z"))
    assert at["scan.startup.mode"] == "timestamp"
    assert at["scan.startup.timestamp-millis"] == "1714521600000"


def test_topic_pattern_and_extra_properties() -> None:
    o = opts(kafka(topics=None, topic_pattern=r"orders\..*", properties={"client.id": "lg"}))
    assert "topic" not in o
    assert o["topic-pattern"] == r"orders\..*"
    assert o["properties.client.id"] == "lg"


def test_msk_iam() -> None:
    security = {"protocol": "SASL_SSL", "sasl_mechanism": "AWS_MSK_IAM", "aws_region": "eu-west-1"}
    o = opts(kafka(security=security))
    assert o["properties.security.protocol"] == "SASL_SSL"
    assert o["properties.sasl.mechanism"] == "AWS_MSK_IAM"
    assert o["properties.sasl.jaas.config"] == "software.amazon.msk.auth.iam.IAMLoginModule required;"
    assert o["properties.sasl.client.callback.handler.class"] == (
        "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
    )
    assert secrets_of("orders", kafka(security=security).security) == []


def test_scram_credentials_are_placeholders_never_values() -> None:
    security = {"protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "username": "svc",
                "password": "hunter2", "ssl_ca_location": "/etc/ca.pem"}  # fmt: skip
    config = kafka(security=security)
    o = opts(config)
    jaas = o["properties.sasl.jaas.config"]
    assert jaas.startswith("org.apache.kafka.common.security.scram.ScramLoginModule required ")
    assert 'username="${jaas-secret:LAKEGATE_ORDERS_SASL_USERNAME}"' in jaas
    assert 'password="${jaas-secret:LAKEGATE_ORDERS_SASL_PASSWORD}"' in jaas
    assert jaas.endswith(";")
    assert "hunter2" not in str(o) and "svc" not in str(o)
    assert o["properties.ssl.truststore.type"] == "PEM"
    assert o["properties.ssl.truststore.location"] == "/etc/ca.pem"
    assert secrets_of("orders", config.security) == [
        "LAKEGATE_ORDERS_SASL_USERNAME", "LAKEGATE_ORDERS_SASL_PASSWORD",
    ]  # fmt: skip


def test_plain_mechanism_uses_the_plain_login_module() -> None:
    o = opts(kafka(security={"protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", "username": "u",
                             "password": "p"}))  # fmt: skip
    assert o["properties.sasl.jaas.config"].startswith("org.apache.kafka.common.security.plain.PlainLoginModule")


def test_mutual_tls_needs_one_pem_file() -> None:
    split = {"protocol": "SSL", "ssl_certificate_location": "/c.pem", "ssl_key_location": "/k.pem"}
    with pytest.raises(CompileError, match="one PEM file"):
        opts(kafka(security=split))
    same = {"protocol": "SSL", "ssl_certificate_location": "/ck.pem", "ssl_key_location": "/ck.pem",
            "ssl_key_password": "x"}  # fmt: skip
    o = opts(kafka(security=same))
    assert o["properties.ssl.keystore.type"] == "PEM"
    assert o["properties.ssl.keystore.location"] == "/ck.pem"
    assert o["properties.ssl.key.password"] == "${secret:LAKEGATE_ORDERS_SSL_KEY_PASSWORD}"


def catalog(**options: Any) -> CatalogSpec:
    return CatalogSpec.model_validate(options)


def copts(spec: CatalogSpec) -> dict[str, str]:
    return {o.key: o.value for o in catalog_options("lake", spec)}


def test_s3tables_catalog_uses_the_catalog_impl_and_the_arn_region() -> None:
    o = copts(catalog(type="s3tables", warehouse="arn:aws:s3tables:eu-west-1:123456789012:bucket/shop"))
    assert o == {
        "type": "iceberg",
        "catalog-impl": "software.amazon.s3tables.iceberg.S3TablesCatalog",
        "warehouse": "arn:aws:s3tables:eu-west-1:123456789012:bucket/shop",
        "client.region": "eu-west-1",
    }


def test_glue_rest_and_hadoop_catalogs() -> None:
    glue = copts(catalog(type="glue", warehouse="s3://b/w"))
    assert glue["catalog-impl"] == "org.apache.iceberg.aws.glue.GlueCatalog"
    assert glue["io-impl"] == "org.apache.iceberg.aws.s3.S3FileIO"
    assert glue["warehouse"] == "s3://b/w"
    rest = copts(catalog(type="rest", uri="https://cat.example/api", properties={"credential": "id:secret"}))
    assert (rest["catalog-type"], rest["uri"], rest["credential"]) == ("rest", "https://cat.example/api", "id:secret")
    hadoop = copts(catalog(type="hadoop", warehouse="s3a://b/wh"))
    assert (hadoop["catalog-type"], hadoop["warehouse"]) == ("hadoop", "s3a://b/wh")
    with pytest.raises(ValueError, match="hadoop catalog needs a `warehouse`"):
        catalog(type="hadoop")


def test_flink_properties_override_properties_and_lakegate() -> None:
    o = copts(catalog(type="glue", properties={"io-impl": "a"}, flink_properties={"io-impl": "b", "x": "y"}))
    assert o["io-impl"] == "b"
    assert o["x"] == "y"


def test_local_catalogs_are_compile_errors() -> None:
    with pytest.raises(CompileError, match="zero-setup `default` Iceberg catalog"):
        catalog_spec("default", {})
    with pytest.raises(CompileError, match="type `sql`"):
        catalog_spec("local", {"local": catalog(type="sql")})
    with pytest.raises(CompileError, match="unknown Iceberg catalog"):
        catalog_spec("nope", {"lake": catalog(type="glue")})


def test_create_catalog_statement() -> None:
    sql = create_catalog("lake", catalog(type="rest", uri="http://r"))
    assert sql.startswith("-- Iceberg catalog 'lake' (catalogs.lake, type rest)\nCREATE CATALOG `lake`\nWITH (")
    assert "'catalog-type' = 'rest'" in sql


def test_hadoop_catalog_is_refused_by_the_embedded_engine(tmp_path: Path) -> None:
    from lakegate.connectors.base import RunContext
    from lakegate.connectors.iceberg.catalog import catalog_properties
    from lakegate.errors import TerminalConnectorError

    context = RunContext(pipeline="p", base_dir=tmp_path, state_dir=tmp_path)
    with pytest.raises(TerminalConnectorError, match="supported by the Flink target only"):
        catalog_properties(catalog(type="hadoop", warehouse="s3://b/w"), context)
