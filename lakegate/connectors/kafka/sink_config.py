"""Config model of the ``kafka`` sink (importable with pydantic only).

:func:`~lakegate.connectors.kafka.client.producer_config` turns it into the librdkafka settings of a
confluent-kafka ``Producer``; :meth:`KafkaSinkConfig.check_schema` checks the ``key`` expression
against the sink's columns when the pipeline is compiled.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from lakegate.connectors.config import CommitPolicy, StrictModel
from lakegate.connectors.kafka.config import (
    CONNECTION_PROPERTIES,
    KafkaSecurity,
    reject_managed,
    stringify_properties,
)
from lakegate.errors import CompileError
from lakegate.schemas.schema import Schema

MANAGED_PRODUCER_PROPERTIES = {
    **CONNECTION_PROPERTIES,
    "transactional.id": "set `transactional_id_prefix` / `instance_id` instead",
    "enable.idempotence": "the producer is always idempotent (`delivery` picks transactions or not)",
    "acks": "lakegate always waits for every in-sync replica (acks=all)",
    "delivery.report.only.error": "lakegate checks delivery reports itself",
}
"""librdkafka producer properties that lakegate sets itself, with what to do instead."""

DLQ_HEADERS = (
    "lakegate.stage", "lakegate.rule", "lakegate.error", "lakegate.pipeline", "lakegate.source",
    "lakegate.transform", "lakegate.stream", "lakegate.index", "lakegate.failed_at",
)  # fmt: skip
"""Headers of a dead-letter message (see :class:`KafkaSinkConfig`)."""

_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


class KafkaSinkConfig(StrictModel):
    """Write rows to a Kafka topic as JSON messages (confluent-kafka / librdkafka).

    Needs ``pip install 'lakegate[kafka]'``. Each row becomes one message whose value is the row as
    a JSON object, encoded like the ``jsonl`` sink (timestamps with a time zone as ISO-8601 UTC
    with ``Z``, decimals as exact JSON numbers, binaries as base64, dates as ``YYYY-MM-DD``), and
    whose key is the ``key`` expression's value as UTF-8 text (no key when it is null or unset).

    ``delivery: exactly_once`` (the default) writes each commit in one Kafka transaction: the rows,
    this sink's source positions (records of ``positions_topic``) and, for a Kafka source, its
    consumer group's offsets. Consumers of the topic with ``isolation.level=read_committed`` see
    every row exactly once. ``at_least_once`` uses an idempotent producer without transactions:
    after a crash, rows sent since the last stored positions are sent again.

    The transactional id is ``<transactional_id_prefix>-<instance_id>``. It must be stable across
    restarts of one process (a restarted process fences its predecessor and aborts its unfinished
    transaction at once) and different for processes running at the same time (two processes with
    the same id fence each other: the older stops with an error).

    As the pipeline's ``dlq``, each dead letter becomes one message whose value is the original
    payload as received, whose key is the source stream (e.g. ``orders/2``: the dead letters of one
    input partition keep their order) and whose headers carry the error context, as UTF-8 text
    (a header whose value is null is left out): ``lakegate.stage`` (decode, convert, validate,
    evaluate, python, sink), ``lakegate.rule``, ``lakegate.error``, ``lakegate.pipeline``,
    ``lakegate.source``, ``lakegate.transform``, ``lakegate.stream``, ``lakegate.index`` (the record's
    index in its stream, e.g. the Kafka offset) and ``lakegate.failed_at`` (ISO-8601 UTC).
    """

    type: Literal["kafka"] = Field(
        description="Sink type: a Kafka topic written with a (transactional) producer."
    )
    bootstrap_servers: str = Field(
        description="Comma-separated `host:port` list of brokers to bootstrap from (librdkafka `bootstrap.servers`)."
    )
    topic: str = Field(description="Topic the messages are written to (it must exist).")
    key: str | None = Field(
        None,
        description=(
            "SQL expression over the sink's columns giving the message key, e.g. `customer_id` or "
            "`concat(region, '/', id)`; cast to text and encoded as UTF-8. Null (or no `key`): no key."
        ),
    )
    delivery: Literal["exactly_once", "at_least_once"] = Field(
        "exactly_once",
        description=(
            "`exactly_once`: one Kafka transaction per commit (rows, positions, consumer offsets); "
            "`at_least_once`: an idempotent producer without transactions."
        ),
    )
    transactional_id_prefix: str | None = Field(
        None,
        min_length=1,
        description="Prefix of the producer's transactional id; default `lakegate-<pipeline>-<sink>`.",
    )
    instance_id: str | None = Field(
        None,
        min_length=1,
        description=(
            "Suffix of the transactional id telling apart processes that run the pipeline at the same "
            "time, stable across restarts (e.g. `${env:POD_NAME}` in a StatefulSet); default the host name."
        ),
    )
    positions_topic: str = Field(
        "__lakegate_positions",
        description=(
            "Compacted topic holding the source positions the sink committed (one record per pipeline, "
            "sink, source and stream); created with `cleanup.policy=compact` when missing."
        ),
    )
    security: KafkaSecurity | None = Field(
        None, description="Authentication and encryption (as for the kafka source); none means PLAINTEXT."
    )
    properties: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Extra librdkafka producer properties, passed through as given (e.g. `linger.ms`, "
            "`compression.type`, `transaction.timeout.ms`). Properties lakegate manages are rejected "
            "with the option to use instead."
        ),
    )
    commit: CommitPolicy = Field(
        default_factory=CommitPolicy,
        description="When buffered rows are sent and committed (one transaction per commit).",
    )

    @field_validator("topic", "positions_topic")
    @classmethod
    def _valid_topic(cls, value: str) -> str:
        if not _TOPIC.match(value) or value in (".", ".."):
            raise ValueError(f"invalid topic name {value!r}: use letters, digits, '.', '_' and '-'")
        return value

    @field_validator("key")
    @classmethod
    def _one_expression(cls, value: str | None) -> str | None:
        if value is not None:
            from lakegate.connectors.kafka.encode import parse_key

            parse_key(value)
        return value

    @field_validator("properties", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        return stringify_properties(value)

    @field_validator("properties")
    @classmethod
    def _not_managed(cls, value: dict[str, str]) -> dict[str, str]:
        return reject_managed(value, MANAGED_PRODUCER_PROPERTIES)

    def check_schema(self, schema: Schema) -> None:
        """Compile-time check of ``key`` against the sink's columns (a :class:`CompileError`)."""
        if self.key is None:
            return
        from lakegate.connectors.kafka.encode import key_type

        try:
            key_type(self.key, schema.to_arrow())
        except ValueError as exc:
            raise CompileError(f"`key` {self.key!r}: {exc}") from None
