"""The engine's side of :class:`~lakegate.connectors.base.EngineHooks`: a source's requests made
from its reading thread, carried out on the engine's thread between two chunks.

A Kafka consumer group rebalances when a process of the pipeline joins, leaves or dies. Before a
partition goes to another process, this one commits every sink with what it has read
(:meth:`commit_now`), so the next owner starts exactly there; when a partition arrives, the sinks'
positions are read again (:meth:`refresh_position`), because another process may have moved it on.
Partitions lost without a handover (the process missed its session timeout, e.g. the brokers were
unreachable for longer than that) make the run drop what it read since its last commit and start
again from what the sinks committed (:meth:`abandon`): another process may already be reading them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakegate.connectors.base import EngineHooks
from lakegate.errors import TransientConnectorError
from lakegate.records import Position

if TYPE_CHECKING:
    from lakegate.engine.local.runner import PipelineRunner

logger = logging.getLogger("lakegate.engine")


class PartitionsLost(TransientConnectorError):
    """A source lost its partitions without handing them over; the run starts again."""


class RunnerHooks(EngineHooks):
    """Runs hook requests through ``run_in_engine`` (the prefetcher's call channel)."""

    def __init__(self, runner: PipelineRunner, run_in_engine: Callable[[Callable[[], Any]], Any]) -> None:
        self._runner = runner
        self._run_in_engine = run_in_engine

    def commit_now(self) -> None:
        """Commit every sink with the positions of the chunks processed so far."""
        self._run_in_engine(self._runner.commit_everything)

    def refresh_position(self, source: str) -> Position | None:
        """Re-read the sinks' positions and return where ``source`` resumes."""
        result: Position | None = self._run_in_engine(lambda: self._runner.refresh_position(source))
        return result

    def abandon(self, reason: str) -> None:
        """Drop what was read since the last commit (another process may be reading it again) and
        start again from what the sinks committed."""
        self._runner.abandon(reason)
