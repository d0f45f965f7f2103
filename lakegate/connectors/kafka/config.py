"""Config models of the ``kafka`` source (importable with pydantic only).

:func:`consumer_config` in :mod:`lakegate.connectors.kafka.client` turns them into the librdkafka
settings of a confluent-kafka ``Consumer``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from lakegate.connectors.config import StrictModel

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "AWS_MSK_IAM"]

CONNECTION_PROPERTIES = {
    "bootstrap.servers": "set `bootstrap_servers` instead",
    "security.protocol": "set `security.protocol` instead",
    "sasl.mechanism": "set `security.sasl_mechanism` instead",
    "sasl.mechanisms": "set `security.sasl_mechanism` instead",
    "sasl.username": "set `security.username` instead",
    "sasl.password": "set `security.password` instead",
}
"""librdkafka connection properties every Kafka client of lakegate sets from its config."""

MANAGED_PROPERTIES = {
    **CONNECTION_PROPERTIES,
    "group.id": "set `group_id` instead",
    "enable.auto.commit": "lakegate commits offsets with the sinks' data (exactly-once); it cannot be enabled",
    "enable.auto.offset.store": "lakegate tracks offsets itself",
    "enable.partition.eof": "lakegate needs partition-EOF events to know when a topic is drained",
    "auto.offset.reset": "set `start` instead",
}
"""librdkafka properties that lakegate sets itself, with what to do instead."""


def stringify_properties(value: Any) -> Any:
    """Accept YAML scalars (``6000``, ``true``) as librdkafka's string values (a ``before``
    validator of ``properties``)."""
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for key, item in value.items():
        if isinstance(item, bool):
            item = "true" if item else "false"
        elif isinstance(item, int | float):
            item = str(item)
        out[key] = item
    return out


def reject_managed(properties: dict[str, str], managed: dict[str, str]) -> dict[str, str]:
    """``properties`` unchanged; a ValueError naming the option to use instead when one of them is
    managed by lakegate, or when one is a callback (which a pipeline file cannot hold)."""
    for key in properties:
        if key in managed:
            raise ValueError(f"property {key!r} is managed by lakegate: {managed[key]}")
        if key.endswith("_cb") or key == "logger":
            raise ValueError(f"property {key!r} is a callback; it cannot be set from a pipeline file")
    return properties


class KafkaSecurity(StrictModel):
    """How to authenticate to the brokers and encrypt the connection.

    ``SASL_SSL`` with ``SCRAM-SHA-512`` (and a username/password) is the usual choice for a managed
    cluster; ``AWS_MSK_IAM`` signs an OAUTHBEARER token with the AWS credentials of the process
    (environment, profile or instance role) and needs ``pip install 'lakegate[kafka-msk]'``.
    """

    protocol: SecurityProtocol = Field(
        "PLAINTEXT", description="librdkafka `security.protocol`: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    sasl_mechanism: SaslMechanism | None = Field(
        None,
        description=(
            "SASL mechanism (required with SASL_* protocols): PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, "
            "OAUTHBEARER (configure the token source through `properties`, e.g. "
            "`sasl.oauthbearer.method: oidc`), or AWS_MSK_IAM (Amazon MSK IAM access control, signed "
            "with the process's AWS credentials)."
        ),
    )
    username: SecretStr | None = Field(
        None, description="SASL username (PLAIN and SCRAM); use `${env:VAR}` to keep it out of the file."
    )
    password: SecretStr | None = Field(
        None, description="SASL password (PLAIN and SCRAM); use `${env:VAR}` to keep it out of the file."
    )
    ssl_ca_location: str | None = Field(
        None, description="CA certificate file (PEM) to verify the brokers with (SSL / SASL_SSL)."
    )
    ssl_certificate_location: str | None = Field(
        None, description="Client certificate file (PEM) for mutual TLS (SSL / SASL_SSL)."
    )
    ssl_key_location: str | None = Field(
        None, description="Private key file (PEM) of the client certificate (SSL / SASL_SSL)."
    )
    ssl_key_password: SecretStr | None = Field(None, description="Password of `ssl_key_location`, if any.")
    aws_region: str | None = Field(
        None, description="AWS region of the MSK cluster (required with `AWS_MSK_IAM`), e.g. `eu-west-1`."
    )

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSecurity:
        sasl = self.protocol.startswith("SASL_")
        mechanism = self.sasl_mechanism
        if sasl and mechanism is None:
            raise ValueError(f"protocol {self.protocol} needs `sasl_mechanism`")
        if not sasl and mechanism is not None:
            raise ValueError(
                f"`sasl_mechanism` {mechanism} needs protocol SASL_SSL (or SASL_PLAINTEXT), not {self.protocol}"
            )
        credentials = self.username is not None or self.password is not None
        if mechanism in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            if self.username is None or self.password is None:
                raise ValueError(f"sasl_mechanism {mechanism} needs `username` and `password`")
        elif credentials:
            raise ValueError("`username` / `password` are only used with PLAIN and SCRAM mechanisms")
        if mechanism == "AWS_MSK_IAM":
            if self.protocol != "SASL_SSL":
                raise ValueError("AWS_MSK_IAM needs protocol SASL_SSL")
            if not self.aws_region:
                raise ValueError("AWS_MSK_IAM needs `aws_region` (the region of the MSK cluster)")
        elif self.aws_region is not None:
            raise ValueError("`aws_region` is only used with sasl_mechanism AWS_MSK_IAM")
        ssl_files = (self.ssl_ca_location, self.ssl_certificate_location, self.ssl_key_location)
        if any(f is not None for f in ssl_files) and not self.protocol.endswith("SSL"):
            raise ValueError(f"ssl_* options need protocol SSL or SASL_SSL, not {self.protocol}")
        if (self.ssl_certificate_location is None) != (self.ssl_key_location is None):
            raise ValueError("mutual TLS needs both `ssl_certificate_location` and `ssl_key_location`")
        return self


class KafkaSourceConfig(StrictModel):
    """Read JSON records from Kafka topics with a consumer group (confluent-kafka / librdkafka).

    Needs ``pip install 'lakegate[kafka]'``. Each topic-partition is one stream (``<topic>/<partition>``)
    whose index is the message offset. The sinks store the offsets they committed, and a restarted
    pipeline resumes from those: the group's committed offsets are only a fallback (``start:
    committed``) and are advanced after sink commits for monitoring. Messages are read in batches of
    up to ``batch_max_messages`` or ``batch_max_ms``; each value must be one JSON object (a value
    that is not, including a null tombstone, goes to the dead-letter queue). ``add_metadata`` can
    expose ``topic``, ``partition``, ``offset``, ``key`` (UTF-8 text), ``timestamp`` (milliseconds
    since the epoch) and ``headers`` (a JSON object of header name → UTF-8 text, names sorted, the
    last value of a repeated name; invalid UTF-8 in a key or header is replaced by U+FFFD as Java
    does, so the Flink job gives the same text).

    Without ``--follow`` a run reads every partition up to its end as of the start and exits; with
    ``--follow`` it keeps consuming until stopped.

    ``security`` options: ``protocol`` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), ``sasl_mechanism``
    (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM), ``username`` / ``password``
    (secrets), ``ssl_ca_location``, ``ssl_certificate_location``, ``ssl_key_location``,
    ``ssl_key_password``, and ``aws_region`` for AWS_MSK_IAM (which needs
    ``pip install 'lakegate[kafka-msk]'``).
    """

    type: Literal["kafka"] = Field(description="Source type: Kafka topics read with a consumer group.")
    bootstrap_servers: str = Field(
        description="Comma-separated `host:port` list of brokers to bootstrap from (librdkafka `bootstrap.servers`)."
    )
    topics: list[str] | None = Field(
        None, min_length=1, description="Topics to read (give either `topics` or `topic_pattern`)."
    )
    topic_pattern: str | None = Field(
        None,
        description=(
            "POSIX extended regular expression matched against whole topic names, e.g. `orders\\..*` "
            "(give either `topics` or `topic_pattern`). Topics created later that match are picked up."
        ),
    )
    group_id: str = Field(
        min_length=1,
        description=(
            "Consumer group. Processes running the pipeline with the same group share the partitions; "
            "the group's committed offsets serve `start: committed`."
        ),
    )
    start: Literal["earliest", "latest", "committed"] | datetime = Field(
        "committed",
        description=(
            "Where to start a partition the sinks hold no offsets for: `earliest`, `latest`, "
            "`committed` (the group's committed offset, else earliest), or a timestamp such as "
            "`2024-05-01T00:00:00Z` (the first message at or after it; a timestamp without a zone is UTC)."
        ),
    )
    schema_: str = Field(
        alias="schema",
        description="Name of the pipeline schema (under `schemas:`) the records are decoded with.",
    )
    batch_max_messages: int = Field(
        50_000, gt=0, le=1_000_000, description="Maximum number of messages per chunk handed to the engine."
    )
    batch_max_ms: int = Field(
        500,
        gt=0,
        description=(
            "Maximum time (milliseconds) spent filling one chunk; an idle source still "
            "yields (an empty chunk) this often, so sinks commit on time."
        ),
    )
    security: KafkaSecurity | None = Field(
        None, description="Authentication and encryption (see above); none means PLAINTEXT."
    )
    properties: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Extra librdkafka consumer properties, passed through as given (e.g. `session.timeout.ms`, "
            "`fetch.max.bytes`, `client.id`). Properties lakegate manages are rejected with the "
            "option to use instead."
        ),
    )

    @field_validator("topic_pattern")
    @classmethod
    def _valid_pattern(cls, value: str | None) -> str | None:
        if value is not None:
            if "(?" in value:
                raise ValueError(
                    "`topic_pattern` is a POSIX extended regular expression: `(?...)` groups are not supported"
                )
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"`topic_pattern` is not a valid regular expression: {exc}") from exc
        return value

    @field_validator("start")
    @classmethod
    def _utc(cls, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("properties", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        return stringify_properties(value)

    @field_validator("properties")
    @classmethod
    def _not_managed(cls, value: dict[str, str]) -> dict[str, str]:
        return reject_managed(value, MANAGED_PROPERTIES)

    @model_validator(mode="after")
    def _one_subscription(self) -> KafkaSourceConfig:
        if (self.topics is None) == (self.topic_pattern is None):
            raise ValueError("give exactly one of `topics` and `topic_pattern`")
        return self

    @property
    def subscription(self) -> list[str]:
        """What to pass to ``Consumer.subscribe``: topic names, or the pattern as librdkafka expects it
        (a leading ``^`` marks a regular expression; ``$`` anchors it to whole names)."""
        if self.topic_pattern is None:
            return list(self.topics or [])
        pattern = self.topic_pattern.removeprefix("^").removesuffix("$")
        return [f"^({pattern})$"]
