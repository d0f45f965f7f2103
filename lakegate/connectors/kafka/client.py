"""librdkafka settings of the ``kafka`` source and sink, and the AWS MSK IAM token callback.

:func:`consumer_config` and :func:`producer_config` are pure mappings from the config models to the
dicts a confluent-kafka ``Consumer`` / ``Producer`` takes (apart from the callbacks, which are
functions); both start from :func:`connection_settings`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakegate._optional import require
from lakegate.connectors.kafka.config import KafkaSecurity, KafkaSourceConfig

if TYPE_CHECKING:
    from lakegate.connectors.kafka.sink_config import KafkaSinkConfig

logger = logging.getLogger(__name__)

TokenCallback = Callable[[str], tuple[str, float]]


def consumer_config(config: KafkaSourceConfig, *, client_logger: Any = None) -> dict[str, Any]:
    """The confluent-kafka consumer settings of ``config``.

    Offsets are never committed automatically (the sinks store them; :meth:`KafkaSource.acknowledge`
    commits them to the group afterwards), partition-EOF events are on (they tell when a partition is
    drained) and a partition without a committed group offset starts at the earliest message unless
    ``start`` is ``latest``. ``properties`` come last, so any other librdkafka setting can be tuned.
    ``client_logger`` (anything with ``log(level, msg, *args)``, such as a :class:`logging.Logger`)
    receives librdkafka's log lines instead of stderr.
    """
    settings = connection_settings(config.bootstrap_servers, config.security, client_logger)
    settings.update({
        "group.id": config.group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "latest" if config.start == "latest" else "earliest",
    })  # fmt: skip
    settings.update(config.properties)
    return settings


def producer_config(
    config: KafkaSinkConfig, *, transactional_id: str | None, client_logger: Any = None
) -> dict[str, Any]:
    """The confluent-kafka producer settings of the ``kafka`` sink ``config``.

    Always idempotent with ``acks=all``; transactional when ``transactional_id`` is given
    (``delivery: exactly_once``). Delivery reports are only raised for failed messages (the sink
    counts the failures). ``properties`` come last.
    """
    settings = connection_settings(config.bootstrap_servers, config.security, client_logger)
    settings.update({"enable.idempotence": True, "acks": "all", "delivery.report.only.error": True})
    if transactional_id is not None:
        settings["transactional.id"] = transactional_id
    settings.update(config.properties)
    return settings


def connection_settings(
    bootstrap_servers: str, security: KafkaSecurity | None, client_logger: Any = None
) -> dict[str, Any]:
    """What every lakegate Kafka client sets: the brokers, the security settings (secrets revealed:
    never log the result) and the logger receiving librdkafka's lines (anything with
    ``log(level, msg, *args)``) instead of stderr."""
    settings: dict[str, Any] = {"bootstrap.servers": bootstrap_servers}
    if security is not None:
        settings.update(security_settings(security))
    if client_logger is not None:
        settings["logger"] = client_logger
    return settings


def security_settings(security: KafkaSecurity) -> dict[str, Any]:
    """librdkafka settings for ``security`` (secrets revealed: never log the result)."""
    settings: dict[str, Any] = {"security.protocol": security.protocol}
    mechanism = security.sasl_mechanism
    if mechanism == "AWS_MSK_IAM":
        assert security.aws_region is not None  # checked by the model
        settings["sasl.mechanism"] = "OAUTHBEARER"
        settings["oauth_cb"] = msk_iam_token_callback(security.aws_region)
    elif mechanism is not None:
        settings["sasl.mechanism"] = mechanism
    if security.username is not None:
        settings["sasl.username"] = security.username.get_secret_value()
    if security.password is not None:
        settings["sasl.password"] = security.password.get_secret_value()
    for option, key in (
        ("ssl_ca_location", "ssl.ca.location"),
        ("ssl_certificate_location", "ssl.certificate.location"),
        ("ssl_key_location", "ssl.key.location"),
    ):
        value = getattr(security, option)
        if value is not None:
            settings[key] = value
    if security.ssl_key_password is not None:
        settings["ssl.key.password"] = security.ssl_key_password.get_secret_value()
    return settings


def msk_iam_token_callback(region: str) -> TokenCallback:
    """An ``oauth_cb`` that signs an MSK IAM token for ``region`` with the process's AWS credentials.

    The signer (``aws-msk-iam-sasl-signer-python``) is imported now, so a missing extra is reported
    when the source starts, with its ``pip install`` line, rather than inside librdkafka.
    """
    signer = require("aws_msk_iam_sasl_signer", "kafka-msk", purpose="Kafka authentication with AWS MSK IAM")
    provider = signer.MSKAuthTokenProvider

    def oauth_cb(_config: str) -> tuple[str, float]:
        token, expiry_ms = provider.generate_auth_token(region)
        return token, expiry_ms / 1000

    return oauth_cb
