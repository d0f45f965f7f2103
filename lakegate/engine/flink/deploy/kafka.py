"""Options of the Flink Kafka SQL connector for a ``kafka`` source (topics, group, start, security).

Option names are those of ``flink-connector-kafka`` (``topic`` / ``topic-pattern``,
``properties.group.id``, ``scan.startup.mode`` = ``earliest-offset | latest-offset | group-offsets |
timestamp``, ``scan.startup.timestamp-millis``, ``properties.*`` passed to the Kafka consumer). The
job's Kafka client is the Java one, so lakegate's librdkafka-flavoured security settings are
translated: SASL credentials into a JAAS line, PEM files into ``ssl.truststore.*`` / ``ssl.keystore.*``
of type PEM, ``AWS_MSK_IAM`` into the ``aws-msk-iam-auth`` login module and callback handler.
"""

from __future__ import annotations

from lakegate.connectors.kafka.config import KafkaSecurity, KafkaSourceConfig
from lakegate.engine.flink.deploy.sqltext import Option, secret_name
from lakegate.engine.flink.secrets import placeholder
from lakegate.errors import CompileError

MSK_IAM_LOGIN_MODULE = "software.amazon.msk.auth.iam.IAMLoginModule"
MSK_IAM_CALLBACK_HANDLER = "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
_LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "OAUTHBEARER": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",
}


def kafka_source_options(name: str, config: KafkaSourceConfig) -> list[Option]:
    """The ``WITH`` options of the Kafka table of source ``name`` (format options excluded)."""
    options = [Option("connector", "kafka")]
    if config.topics is not None:
        options.append(Option("topic", ";".join(config.topics), "topics, separated by ';'"))
    else:
        options.append(
            Option("topic-pattern", config.topic_pattern or "", "regular expression over whole topic names")
        )
    options.append(Option("properties.bootstrap.servers", config.bootstrap_servers))
    options.append(Option("properties.group.id", config.group_id))
    options.extend(_start_options(config))
    if config.security is not None:
        options.extend(security_options(name, config.security))
    for key, value in config.properties.items():
        options.append(Option(f"properties.{key}", value, "from the source's `properties`"))
    return options


def _start_options(config: KafkaSourceConfig) -> list[Option]:
    start = config.start
    if start == "earliest":
        return [Option("scan.startup.mode", "earliest-offset", "start: earliest")]
    if start == "latest":
        return [Option("scan.startup.mode", "latest-offset", "start: latest")]
    if start == "committed":
        return [
            Option("scan.startup.mode", "group-offsets", "start: committed (the group's offsets)"),
            Option("properties.auto.offset.reset", "earliest", "... else the earliest offset"),
        ]
    millis = int(start.timestamp() * 1000)
    return [
        Option("scan.startup.mode", "timestamp", f"start: {start.isoformat()}"),
        Option("scan.startup.timestamp-millis", str(millis)),
    ]


def security_options(owner: str, security: KafkaSecurity) -> list[Option]:
    """``properties.*`` options for ``security`` of the source (or sink) named ``owner``.

    Credentials become secret placeholders named after ``owner`` (``LAKEGATE_<OWNER>_SASL_PASSWORD``),
    filled in by the job at start.
    """
    options = [Option("properties.security.protocol", security.protocol)]
    mechanism = security.sasl_mechanism
    if mechanism == "AWS_MSK_IAM":
        options += [
            Option("properties.sasl.mechanism", "AWS_MSK_IAM", "Amazon MSK IAM access control"),
            Option("properties.sasl.jaas.config", f"{MSK_IAM_LOGIN_MODULE} required;"),
            Option("properties.sasl.client.callback.handler.class", MSK_IAM_CALLBACK_HANDLER),
        ]
    elif mechanism is not None:
        options.append(Option("properties.sasl.mechanism", mechanism))
        jaas = f"{_LOGIN_MODULES[mechanism]} required"
        if security.username is not None:
            user = placeholder(secret_name(owner, "sasl_username"), jaas=True)
            password = placeholder(secret_name(owner, "sasl_password"), jaas=True)
            jaas += f' username="{user}" password="{password}"'
        note = (
            "set the token endpoint and callback handler through `properties`"
            if mechanism == "OAUTHBEARER"
            else "credentials filled in at start"
        )
        options.append(Option("properties.sasl.jaas.config", jaas + ";", note))
    if security.ssl_ca_location:
        options += [
            Option("properties.ssl.truststore.type", "PEM", "CA certificates to verify the brokers"),
            Option("properties.ssl.truststore.location", security.ssl_ca_location),
        ]
    if security.ssl_certificate_location:
        if security.ssl_certificate_location != security.ssl_key_location:
            raise CompileError(
                "the Flink Kafka client reads a client certificate and its key from one PEM file",
                hint="concatenate the private key and the certificate chain into one file and point both "
                "`ssl_certificate_location` and `ssl_key_location` at it",
                source=owner,
            )
        options += [
            Option("properties.ssl.keystore.type", "PEM", "client key and certificate chain (mutual TLS)"),
            Option("properties.ssl.keystore.location", security.ssl_certificate_location),
        ]
        if security.ssl_key_password is not None:
            options.append(Option("properties.ssl.key.password", placeholder(secret_name(owner, "ssl_key_password"))))
    return options


def secrets_of(owner: str, security: KafkaSecurity | None) -> list[str]:
    """Names of the secrets :func:`security_options` refers to."""
    if security is None:
        return []
    names = []
    if security.username is not None:
        names += [secret_name(owner, "sasl_username"), secret_name(owner, "sasl_password")]
    if security.ssl_key_password is not None and security.ssl_certificate_location:
        names.append(secret_name(owner, "ssl_key_password"))
    return names
