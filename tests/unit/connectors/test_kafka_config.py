"""The ``kafka`` source config: validation messages and the mapping to librdkafka settings."""

from __future__ import annotations

import sys
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lakegate.connectors.base import RunContext
from lakegate.connectors.kafka.client import consumer_config
from lakegate.connectors.kafka.config import KafkaSourceConfig
from lakegate.connectors.kafka.source import KafkaSource
from lakegate.connectors.sources import SOURCE_CONFIG_MODELS, load_source_class
from lakegate.errors import MissingDependencyError, TerminalConnectorError


def config(**options: Any) -> KafkaSourceConfig:
    raw = {"type": "kafka", "bootstrap_servers": "b1:9092,b2:9092", "topics": ["orders"], "group_id": "g",
           "schema": "s", **options}  # fmt: skip
    return KafkaSourceConfig.model_validate(raw)


def error(**options: Any) -> str:
    with pytest.raises(ValidationError) as info:
        config(**options)
    return str(info.value)


def test_registered_as_a_source() -> None:
    assert KafkaSourceConfig in SOURCE_CONFIG_MODELS
    assert load_source_class("kafka") is KafkaSource
    assert KafkaSource.metadata_keys == ("topic", "partition", "offset", "key", "timestamp", "headers")


def test_every_field_is_documented() -> None:
    from lakegate.connectors.kafka.config import KafkaSecurity

    for model in (KafkaSourceConfig, KafkaSecurity):
        assert model.__doc__
        assert all(info.description for info in model.model_fields.values()), model


def test_defaults_map_to_a_plain_consumer_that_never_auto_commits() -> None:
    c = config()
    assert c.start == "committed" and c.batch_max_messages == 50_000 and c.batch_max_ms == 500
    assert consumer_config(c) == {
        "bootstrap.servers": "b1:9092,b2:9092",
        "group.id": "g",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    }
    assert consumer_config(config(start="latest"))["auto.offset.reset"] == "latest"


def test_properties_pass_through_and_yaml_scalars_become_strings() -> None:
    c = config(properties={"session.timeout.ms": 6000, "check.crcs": True, "client.id": "me"})
    assert c.properties == {"session.timeout.ms": "6000", "check.crcs": "true", "client.id": "me"}
    assert consumer_config(c)["session.timeout.ms"] == "6000"


@pytest.mark.parametrize(
    ("key", "hint"),
    [("group.id", "set `group_id` instead"), ("enable.auto.commit", "cannot be enabled"),
     ("auto.offset.reset", "set `start` instead"), ("sasl.password", "set `security.password` instead"),
     ("oauth_cb", "callback")],
)  # fmt: skip
def test_managed_properties_are_refused_with_what_to_do(key: str, hint: str) -> None:
    message = error(properties={key: "x"})
    assert key in message and hint in message


def test_exactly_one_of_topics_and_pattern() -> None:
    assert "exactly one of `topics` and `topic_pattern`" in error(topic_pattern="orders.*")
    assert "exactly one of `topics` and `topic_pattern`" in error(topics=None)
    assert "at least 1 item" in error(topics=[])


def test_topic_pattern_is_anchored_for_librdkafka() -> None:
    c = config(topics=None, topic_pattern=r"orders\..*|payments")
    assert c.subscription == [r"^(orders\..*|payments)$"]
    assert config(topics=None, topic_pattern="^x.*$").subscription == ["^(x.*)$"]
    assert config(topics=["a", "b"]).subscription == ["a", "b"]
    assert "not a valid regular expression" in error(topics=None, topic_pattern="orders[")
    assert "POSIX extended" in error(topics=None, topic_pattern="(?:a|b)")


def test_start_timestamps_without_zone_are_utc() -> None:
    assert config(start="2024-05-01T00:00:00").start == datetime(2024, 5, 1, tzinfo=UTC)
    assert config(start=datetime(2024, 5, 1, 2)).start == datetime(2024, 5, 1, 2, tzinfo=UTC)
    assert config(start="2024-05-01T02:00:00+02:00").start == datetime(2024, 5, 1, tzinfo=UTC)
    assert "earliest" in error(start="beginning")


def test_batch_limits_are_validated() -> None:
    assert "greater than 0" in error(batch_max_messages=0)
    assert "less than or equal to 1000000" in error(batch_max_messages=2_000_000)
    assert "greater than 0" in error(batch_max_ms=0)


def test_sasl_scram_over_ssl() -> None:
    c = config(security={
        "protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "username": "u", "password": "p@ss",
        "ssl_ca_location": "/etc/ca.pem",
    })  # fmt: skip
    assert "p@ss" not in repr(c)  # secrets stay hidden in reprs and logs
    settings = consumer_config(c)
    assert {k: settings[k] for k in settings if k.startswith(("security", "sasl", "ssl"))} == {
        "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "u",
        "sasl.password": "p@ss", "ssl.ca.location": "/etc/ca.pem",
    }  # fmt: skip


def test_mutual_tls() -> None:
    settings = consumer_config(config(security={
        "protocol": "SSL", "ssl_ca_location": "ca.pem", "ssl_certificate_location": "client.pem",
        "ssl_key_location": "client.key", "ssl_key_password": "kp",
    }))  # fmt: skip
    assert settings["security.protocol"] == "SSL"
    assert (settings["ssl.certificate.location"], settings["ssl.key.location"], settings["ssl.key.password"]) == (
        "client.pem", "client.key", "kp",
    )  # fmt: skip
    assert "sasl.mechanism" not in settings


@pytest.mark.parametrize(
    ("security", "message"),
    [
        ({"protocol": "SASL_SSL"}, "protocol SASL_SSL needs `sasl_mechanism`"),
        ({"protocol": "SSL", "sasl_mechanism": "PLAIN"}, "needs protocol SASL_SSL (or SASL_PLAINTEXT), not SSL"),
        ({"protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "username": "u"}, "needs `username` and `password`"),
        ({"protocol": "SASL_SSL", "sasl_mechanism": "OAUTHBEARER", "username": "u"}, "only used with PLAIN and SCRAM"),
        ({"protocol": "SASL_SSL", "sasl_mechanism": "AWS_MSK_IAM"}, "AWS_MSK_IAM needs `aws_region`"),
        ({"protocol": "SASL_PLAINTEXT", "sasl_mechanism": "AWS_MSK_IAM", "aws_region": "eu-west-1"},
         "AWS_MSK_IAM needs protocol SASL_SSL"),
        ({"protocol": "SSL", "aws_region": "eu-west-1"}, "only used with sasl_mechanism AWS_MSK_IAM"),
        ({"protocol": "PLAINTEXT", "ssl_ca_location": "ca.pem"}, "ssl_* options need protocol SSL or SASL_SSL"),
        ({"protocol": "SSL", "ssl_certificate_location": "c.pem"}, "needs both `ssl_certificate_location`"),
        ({"protocol": "SSL", "sasl": "x"}, "Extra inputs are not permitted"),
        ({"protocol": "TLS"}, "'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT' or 'SASL_SSL'"),
    ],
)  # fmt: skip
def test_security_validation_messages(security: dict[str, Any], message: str) -> None:
    assert message in error(security=security)


def test_msk_iam_signs_tokens_with_the_aws_signer(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    class Provider:
        @staticmethod
        def generate_auth_token(region: str) -> tuple[str, int]:
            calls.append(region)
            return "signed-token", 1_700_000_900_000

    fake = types.ModuleType("aws_msk_iam_sasl_signer")
    fake.MSKAuthTokenProvider = Provider  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aws_msk_iam_sasl_signer", fake)
    settings = consumer_config(
        config(security={"protocol": "SASL_SSL", "sasl_mechanism": "AWS_MSK_IAM", "aws_region": "eu-west-1"})
    )
    assert settings["security.protocol"] == "SASL_SSL" and settings["sasl.mechanism"] == "OAUTHBEARER"
    assert "sasl.username" not in settings
    assert settings["oauth_cb"]("ignored config string") == ("signed-token", 1_700_000_900.0)
    assert calls == ["eu-west-1"]


def test_msk_iam_without_the_signer_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aws_msk_iam_sasl_signer", None)  # makes the import fail
    c = config(security={"protocol": "SASL_SSL", "sasl_mechanism": "AWS_MSK_IAM", "aws_region": "eu-west-1"})
    with pytest.raises(MissingDependencyError, match="aws_msk_iam_sasl_signer") as info:
        consumer_config(c)
    assert info.value.hint == "pip install 'lakegate[kafka-msk]'"


def test_invalid_librdkafka_property_is_a_clear_error(tmp_path: Path) -> None:
    context = RunContext(pipeline="p", base_dir=tmp_path, state_dir=tmp_path / "state")
    source = KafkaSource("events", config(properties={"no.such.property": "1"}), context)
    with pytest.raises(
        TerminalConnectorError, match=r"invalid Kafka consumer settings: .*no\.such\.property"
    ):
        next(iter(source.chunks({})))


# --- pure helpers of the source (no broker needed) ---------------------------------------------


class FakeMessage:
    """The part of confluent-kafka's ``Message`` the chunk builder reads."""

    def __init__(self, topic: str, partition: int, offset: int, value: bytes | None, *, key: bytes | None = None,
                 timestamp: tuple[int, int] = (1, 1000), headers: list[tuple[str, bytes | None]] | None = None) -> None:  # fmt: skip
        self._fields = (topic, partition, offset, value, key, timestamp, headers)

    def topic(self) -> str:
        return self._fields[0]  # type: ignore[return-value]

    def partition(self) -> int:
        return self._fields[1]  # type: ignore[return-value]

    def offset(self) -> int:
        return self._fields[2]  # type: ignore[return-value]

    def value(self) -> bytes | None:
        return self._fields[3]  # type: ignore[return-value]

    def key(self) -> bytes | None:
        return self._fields[4]  # type: ignore[return-value]

    def timestamp(self) -> tuple[int, int]:
        return self._fields[5]  # type: ignore[return-value]

    def headers(self) -> list[tuple[str, bytes | None]] | None:
        return self._fields[6]  # type: ignore[return-value]


def test_chunk_columns_tombstones_bad_utf8_and_missing_timestamps() -> None:
    from lakegate.connectors.kafka.batch import build_chunk

    messages = [
        FakeMessage("t", 0, 5, b'{"a": 1}', key=b"k", headers=[("h", b"v"), ("n", None)]),
        FakeMessage("t", 1, 9, None, timestamp=(0, -1)),
        FakeMessage("u", 0, 0, b'{"a": "\xff"}', key=b"\xfe"),
    ]
    chunk = build_chunk(messages, {"t/0": {"next": 6}})  # type: ignore[arg-type]
    assert chunk.payloads.to_pylist() == ['{"a": 1}', "null", '{"a": "\\xff"}']
    assert chunk.streams.to_pylist() == ["t/0", "t/1", "u/0"]
    assert chunk.indexes.to_pylist() == [5, 9, 0]
    assert chunk.position == {"t/0": {"next": 6}}
    meta = {k: v.to_pylist() for k, v in chunk.metadata.items()}
    assert meta == {
        "topic": ["t", "t", "u"], "partition": [0, 1, 0], "offset": [5, 9, 0], "key": ["k", None, "\ufffd"],
        "timestamp": [1000, None, 1000], "headers": ['{"h":"v","n":null}', None, None],
    }  # fmt: skip
    empty = build_chunk([], {})
    assert len(empty) == 0 and set(empty.metadata) == set(KafkaSource.metadata_keys)


def test_drained_needs_every_assigned_partition_at_its_end() -> None:
    from lakegate.connectors.kafka.partitions import OFFSET_BEGINNING, OFFSET_STORED, Partitions

    p = Partitions({"t/0": {"next": 4}}, "committed")
    assert not p.drained()  # nothing assigned yet
    assert (p.initial_offset("t", 0), p.initial_offset("t", 1)) == (4, OFFSET_STORED)
    assert Partitions({}, "earliest").initial_offset("t", 0) == OFFSET_BEGINNING
    assert Partitions({}, datetime(2024, 1, 1, tzinfo=UTC)).initial_offset("t", 0) == 1_704_067_200_000
    p.assign([("t", 0), ("t", 1)])
    p.advance({("t", 0): 9})
    assert p.position == {"t/0": {"next": 10}}
    assert not p.drained()
    p.assigned["t/0"].target = 10  # high watermark of the first fetch response
    assert not p.drained()  # t/1 unknown yet
    p.reached_end("t", 1, 3)  # partition EOF: the end, and the position past control records
    assert p.drained()
    assert p.snapshot() == {"t/0": {"next": 10}, "t/1": {"next": 3}}
    p.revoke([("t", 1)])
    assert p.assigned_streams() == {"t/0"} and "t/1" in p.position
