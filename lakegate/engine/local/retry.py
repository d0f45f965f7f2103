"""Retry transient failures (a restarting database, a network blip) with exponential backoff."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from lakegate.connectors.config import RetryPolicy
from lakegate.errors import Transient

T = TypeVar("T")
logger = logging.getLogger("lakegate.retry")


def with_retries(
    action: Callable[[], T],
    *,
    what: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``action``; on an error marked :class:`~lakegate.errors.Transient`, wait and try again.

    Every retry is logged with the error and the wait. Other errors, and the last transient one,
    propagate.
    """
    delay = policy.initial_seconds
    for attempt in range(1, policy.attempts + 1):
        try:
            return action()
        except Exception as exc:
            if not isinstance(exc, Transient) or attempt == policy.attempts:
                raise
            logger.warning(
                "%s failed (attempt %d of %d): %s — retrying in %.1f s",
                what, attempt, policy.attempts, exc, delay,
            )  # fmt: skip
            sleep(delay)
            delay = min(delay * 2, policy.max_seconds)
    raise AssertionError("unreachable")
