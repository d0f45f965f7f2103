"""Logging helpers of the ``kafka`` source: librdkafka's own lines, and repeated warnings."""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from typing import Any


class LibrdkafkaLog:
    """The ``logger`` librdkafka writes through (instead of stderr).

    librdkafka reports routine events (a connection closed by an idle broker, a reconnect) at
    syslog levels 5-7, which would clutter lakegate's INFO output: they are logged at DEBUG.
    Warnings and errors keep their level but are rate-limited per facility (``FAIL``, ...): while
    a broker is down librdkafka logs every reconnect attempt, several times a second.
    """

    def __init__(self, logger: logging.Logger, prefix: str = "librdkafka", every: float = 30.0) -> None:
        self.logger = logger
        self.limited = RateLimitedLog(logger, prefix, every)

    def log(self, level: int, msg: str, *args: Any) -> None:
        """Called by confluent-kafka as ``log(level, "%s [%s] %s", facility, client, text)``."""
        if level < logging.WARNING:
            self.logger.debug("librdkafka: " + msg, *args)
            return
        facility = args[0] if args else msg
        self.limited.log(level, (level, facility), msg, *args)


class RateLimitedLog:
    """Warnings that repeat (a broker down, a failing commit) logged at most once per ``every``
    seconds per key, with a count of the ones left out."""

    def __init__(self, logger: logging.Logger, prefix: str, every: float = 30.0) -> None:
        self.logger = logger
        self.prefix = prefix
        self.every = every
        self._last: dict[Hashable, tuple[float, int]] = {}

    def warning(self, key: Hashable, msg: str, *args: Any) -> None:
        """Log ``msg % args`` unless ``key`` was logged less than ``every`` seconds ago."""
        self.log(logging.WARNING, key, msg, *args)

    def log(self, level: int, key: Hashable, msg: str, *args: Any) -> None:
        """Like :meth:`warning`, at ``level``."""
        now = time.monotonic()
        last, suppressed = self._last.get(key, (-self.every, 0))
        if now - last < self.every:
            self._last[key] = (last, suppressed + 1)
            return
        self._last[key] = (now, 0)
        extra = f" ({suppressed} similar messages suppressed)" if suppressed else ""
        self.logger.log(level, f"{self.prefix}: {msg}{extra}", *args)
