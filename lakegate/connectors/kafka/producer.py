"""The ``kafka`` sink's producer: confluent-kafka calls with lakegate's error translation.

Errors follow librdkafka's transactional contract: a *fatal* error (the producer was fenced by
another process with the same transactional id, an authorization failure) ends the producer: a
:class:`~lakegate.errors.TerminalConnectorError`. An *abortable* error (a message could not be
delivered, the consumer group rebalanced) aborts the transaction: the rows are still buffered and
the engine retries the commit, so it is a :class:`~lakegate.errors.TransientConnectorError`. A
*retriable* error of ``commit_transaction`` (a timeout) leaves the transaction committing: the next
attempt calls ``commit_transaction`` again rather than starting over.
"""

from __future__ import annotations

import logging
from typing import Any

from lakegate.connectors.kafka.logs import RateLimitedLog
from lakegate.errors import TerminalConnectorError, TransientConnectorError

logger = logging.getLogger(__name__)

POLL_WHEN_FULL = 0.05
"""Seconds to serve delivery reports when librdkafka's send queue is full, before producing again."""


def _error(exc: Exception) -> Any:
    """The KafkaError inside a confluent-kafka exception (None when it carries none)."""
    first = exc.args[0] if exc.args else None
    return first if hasattr(first, "code") else None


class Producer:
    """A confluent-kafka ``Producer`` (transactional or idempotent) used by one sink."""

    def __init__(self, kafka: Any, settings: dict[str, Any], *, sink: str, transactional: bool) -> None:
        self._kafka = kafka
        self.sink = sink
        self.transactional = transactional
        self.transactional_id: str | None = settings.get("transactional.id")
        self.failures: list[str] = []
        self.in_transaction = False
        """True between :meth:`begin` and a successful commit or abort."""
        self._log = RateLimitedLog(logger, f"kafka sink {sink!r}")
        settings = {**settings, "on_delivery": self._on_delivery, "error_cb": self._on_error}
        try:
            self._producer = kafka.Producer(settings)
        except (kafka.KafkaException, ValueError, TypeError) as exc:
            raise TerminalConnectorError(
                f"invalid Kafka producer settings: {exc}", sink=sink,
                hint="check `security` and `properties` (librdkafka names, e.g. linger.ms)",
            ) from exc  # fmt: skip

    # --- callbacks ------------------------------------------------------------------------------

    def _on_delivery(self, error: Any, message: Any) -> None:
        if error is not None:  # only failures are reported (delivery.report.only.error)
            self.failures.append(f"{message.topic()}: {error.str()}")

    def _on_error(self, error: Any) -> None:
        self._log.warning(error.code(), "%s (librdkafka keeps retrying)", error.str())

    # --- translation ----------------------------------------------------------------------------

    def fail(self, exc: Exception, action: str) -> Exception:
        """The lakegate error for ``exc`` raised by ``action``; aborts the transaction when the error
        requires it (the caller raises the result)."""
        error = _error(exc)
        text = error.str() if error is not None else str(exc)
        if error is not None and error.fatal():
            fenced = error.code() in (self._kafka.KafkaError._FENCED, self._kafka.KafkaError.PRODUCER_FENCED)
            hint = (
                f"another process uses the transactional id {self.transactional_id!r}: give each process "
                "running this pipeline its own `instance_id`"
                if fenced
                else "check the brokers' logs, the ACLs of the transactional id and the security settings"
            )
            return TerminalConnectorError(f"Kafka {action} failed (fatal): {text}", hint=hint, sink=self.sink)
        if error is not None and error.txn_requires_abort():
            self.abort()
            return TransientConnectorError(
                f"Kafka {action} failed, transaction aborted: {text}", sink=self.sink,
                hint="the rows are kept and the commit is retried",
            )  # fmt: skip
        if error is None or error.retriable() or error.code() in _transient_codes(self._kafka):
            return TransientConnectorError(f"Kafka {action} failed: {text}", sink=self.sink)
        return TerminalConnectorError(f"Kafka {action} failed: {text}", sink=self.sink)

    # --- operations -----------------------------------------------------------------------------

    def init(self, timeout: float) -> None:
        """Register the transactional id, fencing an earlier process with the same id and aborting
        its unfinished transaction (no-op when not transactional)."""
        if not self.transactional:
            return
        try:
            self._producer.init_transactions(timeout)
        except self._kafka.KafkaException as exc:
            raise self.fail(exc, "init_transactions") from exc

    def begin(self) -> None:
        """Start a transaction (no-op when not transactional)."""
        self.failures.clear()
        if not self.transactional:
            return
        if self.in_transaction:  # an earlier abort did not go through
            self.abort()
            if self.in_transaction:
                raise TransientConnectorError("the previous transaction is not aborted yet", sink=self.sink)
        try:
            self._producer.begin_transaction()
        except self._kafka.KafkaException as exc:
            raise self.fail(exc, "begin_transaction") from exc
        self.in_transaction = True

    def produce(self, topic: str, value: Any, key: Any = None, headers: Any = None) -> None:
        """Queue one message, waiting for room when librdkafka's queue is full."""
        while True:
            try:
                self._producer.produce(topic, value, key, headers=headers)
                return
            except BufferError:
                self._producer.poll(POLL_WHEN_FULL)
            except self._kafka.KafkaException as exc:
                raise self.fail(exc, "produce") from exc

    def poll(self) -> None:
        """Serve delivery reports without waiting."""
        self._producer.poll(0)

    def send_offsets(self, offsets: list[Any], group_metadata: Any, timeout: float) -> None:
        """Add a consumer group's ``offsets`` to the transaction."""
        try:
            self._producer.send_offsets_to_transaction(offsets, group_metadata, timeout)
        except self._kafka.KafkaException as exc:
            raise self.fail(exc, "send_offsets_to_transaction") from exc

    def commit_transaction(self) -> None:
        """Commit the transaction (flushing its messages first)."""
        try:
            self._producer.commit_transaction()
        except self._kafka.KafkaException as exc:
            raise self.fail(exc, "commit_transaction") from exc
        self.in_transaction = False

    def flush(self, timeout: float) -> None:
        """Wait until every queued message is delivered; a transient error when one failed or
        some are still queued (those are purged: the retry sends them again)."""
        remaining = self._producer.flush(timeout)
        if remaining:
            self._producer.purge()
            self._producer.flush(0)
            raise TransientConnectorError(
                f"{remaining} messages not delivered within {timeout:g} s", sink=self.sink,
                hint="the brokers may be unreachable; the rows are kept and sent again",
            )  # fmt: skip
        if self.failures:
            first, count = self.failures[0], len(self.failures)
            self.failures.clear()
            raise TransientConnectorError(
                f"{count} messages could not be delivered (first: {first})", sink=self.sink,
                hint="the rows are kept and sent again",
            )  # fmt: skip

    def abort(self) -> None:
        """Abort the transaction (its queued messages are purged); fatal errors are raised."""
        if not self.transactional or not self.in_transaction:
            return
        try:
            self._producer.abort_transaction()
        except self._kafka.KafkaException as exc:
            error = _error(exc)
            if error is not None and error.fatal():
                raise self.fail(exc, "abort_transaction") from exc
            logger.warning("kafka sink %r: aborting the transaction failed (%s); retried before the next one",
                           self.sink, exc)  # fmt: skip
            return
        self.in_transaction = False

    def close(self, timeout: float = 5.0) -> None:
        """Drop what is not committed (an open transaction is aborted by the broker or the next
        process with the same id) and release the client."""
        self._producer.purge()
        self._producer.flush(min(timeout, 1.0))


def _transient_codes(kafka: Any) -> tuple[int, ...]:
    """Error codes that are worth retrying although librdkafka does not flag them retriable."""
    e = kafka.KafkaError
    return (e._TIMED_OUT, e._TRANSPORT, e._ALL_BROKERS_DOWN, e.COORDINATOR_NOT_AVAILABLE, e.NOT_COORDINATOR,
            e.CONCURRENT_TRANSACTIONS, e.REQUEST_TIMED_OUT)  # fmt: skip
