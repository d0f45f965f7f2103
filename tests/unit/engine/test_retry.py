"""Transient failures are retried with backoff and logged; terminal ones are not retried."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from lakegate.connectors.config import RetryPolicy
from lakegate.engine.local.retry import with_retries
from lakegate.errors import TerminalConnectorError, TransientConnectorError


def flaky(failures: int, error: Exception) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def action() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return "done"

    return calls, action


def test_transient_errors_are_retried_with_doubling_waits(caplog: pytest.LogCaptureFixture) -> None:
    calls, action = flaky(3, TransientConnectorError("server restarting"))
    waits: list[float] = []
    policy = RetryPolicy(attempts=5, initial_seconds=0.5, max_seconds=1.5)
    with caplog.at_level(logging.WARNING, logger="lakegate.retry"):
        assert with_retries(action, what="commit of sink 'pg'", policy=policy, sleep=waits.append) == "done"
    assert len(calls) == 4 and waits == [0.5, 1.0, 1.5]
    assert "commit of sink 'pg' failed (attempt 1 of 5): server restarting — retrying in 0.5 s" in caplog.text


def test_gives_up_after_the_last_attempt() -> None:
    calls, action = flaky(10, TransientConnectorError("down"))
    with pytest.raises(TransientConnectorError):
        with_retries(action, what="x", policy=RetryPolicy(attempts=3), sleep=lambda _: None)
    assert len(calls) == 3


def test_terminal_errors_are_not_retried() -> None:
    calls, action = flaky(1, TerminalConnectorError("bad data"))
    with pytest.raises(TerminalConnectorError):
        with_retries(action, what="x", policy=RetryPolicy(), sleep=lambda _: None)
    assert len(calls) == 1
