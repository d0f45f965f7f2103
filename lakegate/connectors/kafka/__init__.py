"""The ``kafka`` source: JSON messages from Kafka topics with a consumer group (see :mod:`.source`).

Only the config model is imported here, so validating a spec needs nothing but pydantic; the
implementation needs ``pip install 'lakegate[kafka]'`` (confluent-kafka).
"""

from lakegate.connectors.kafka.config import KafkaSecurity, KafkaSourceConfig

__all__ = ["KafkaSecurity", "KafkaSourceConfig"]
