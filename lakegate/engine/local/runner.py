"""The micro-batch loop of the embedded engine.

For each chunk a source yields: decode it (bad records → DLQ), run every transform reading that
source, deliver each sink its rows (minus what it already committed), then commit the sinks whose
policy is due, each with the source positions reached. SIGINT/SIGTERM finish the current chunk, commit
and return normally.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lakegate import records
from lakegate.connectors.base import EngineHooks, RawChunk, RunContext, Source
from lakegate.connectors.config import CommitPolicy
from lakegate.connectors.registry import load_sink_class
from lakegate.connectors.sources import load_source_class
from lakegate.engine.local.deadletter import DLQ_SCHEMA, dead_letters
from lakegate.engine.local.decoder import Decoded, Decoder
from lakegate.engine.local.delivery import SinkWriter
from lakegate.engine.local.executor import TransformExecutor
from lakegate.engine.local.hooks import PartitionsLost, RunnerHooks
from lakegate.engine.local.memory import engine_memory_pool, no_collection
from lakegate.engine.local.prefetch import Prefetcher
from lakegate.engine.local.report import RunReport, SourceCounts, TransformCounts
from lakegate.errors import Fenced
from lakegate.plan.model import Plan
from lakegate.plan.typecheck import connect
from lakegate.records import Position
from lakegate.rules.privacy import SECRET_PREFIX

DLQ = "__dlq__"
logger = logging.getLogger("lakegate.engine")


@dataclass
class RunOptions:
    """How to run: ``follow`` keeps watching sources for new data until stopped."""

    follow: bool = False
    handle_signals: bool = True
    on_progress: Callable[[RunReport], None] | None = None
    progress_every: float = 0.5


class PipelineRunner:
    """Runs a :class:`Plan` on the embedded engine."""

    def __init__(
        self, plan: Plan, options: RunOptions | None = None, env: dict[str, str] | None = None
    ) -> None:
        import os

        self.plan = plan
        self.options = options or RunOptions()
        self.env = dict(os.environ if env is None else env)
        self.context = RunContext(plan.pipeline, plan.base_dir, plan.state_dir, plan.catalogs)
        self.report = RunReport(plan.pipeline)
        self._stopping = False
        self._sources: dict[str, Source] = {}
        self._writers: dict[str, SinkWriter] = {}
        self._positions: dict[str, Position] = {}
        self._closing = False
        self._abandoned: str | None = None

    def stop(self) -> None:
        """Finish the current chunk, commit and return (safe to call from a signal handler)."""
        self._stopping = True
        for source in self._sources.values():
            source.stop()

    def abandon(self, reason: str) -> None:
        """Drop what was read since the last commit and start again (see :meth:`run`)."""
        self._abandoned = reason
        for source in self._sources.values():
            source.stop()

    # --- hooks, run on the engine thread between chunks -------------------------------------

    def commit_everything(self) -> None:
        """Commit every sink with the positions reached (a Kafka source is about to lose partitions)."""
        if not self._closing and self._abandoned is None:
            self._commit(self._writers, self._positions, only_due=False)

    def refresh_position(self, source: str) -> Position | None:
        """Merge what the sinks fed by ``source`` hold now into what this run knows they hold, and
        return where ``source`` resumes (the smallest position per stream)."""
        if self._closing:
            return None
        for writer in self._writers.values():
            if source in writer.sources:
                writer.refresh()
        return self._start_position(source, self._writers)

    # --- setup ----------------------------------------------------------------------------

    def _make_writers(self) -> dict[str, SinkWriter]:
        writers: dict[str, SinkWriter] = {}
        for name, sink_plan in self.plan.sinks.items():
            feeding = {self.plan.transforms[t].source for t in sink_plan.transforms}
            sink = load_sink_class(sink_plan.config.type)(name, sink_plan.config, self.context)
            policy = getattr(sink_plan.config, "commit", None) or CommitPolicy()
            writers[name] = SinkWriter(
                sink, sink_plan.schema.to_arrow(), feeding, policy, retry=self.plan.retry
            )
        dlq_config = self.plan.dlq
        dlq_sink = load_sink_class(dlq_config.type)(DLQ, dlq_config, self.context)
        policy = getattr(dlq_config, "commit", None) or CommitPolicy()
        writers[DLQ] = SinkWriter(dlq_sink, DLQ_SCHEMA, set(self.plan.sources), policy, retry=self.plan.retry)
        return writers

    def _start_position(self, source: str, writers: dict[str, SinkWriter]) -> Position:
        """Resume at the smallest position any sink fed by ``source`` has committed."""
        stored = [w.committed.get(source, {}) for w in writers.values() if source in w.sources]
        if not stored or any(not p for p in stored):
            return {}
        streams = set.intersection(*(set(p) for p in stored))
        return {s: min((p[s] for p in stored), key=lambda e: int(e["next"])) for s in streams}

    # --- run ------------------------------------------------------------------------------

    def run(self) -> RunReport:
        """Run until the sources are exhausted (or, when following, until stopped).

        When a source loses its partitions to the consumer group without handing them over (see
        :meth:`EngineHooks.abandon`), or a sink refuses a commit because another process has moved
        one of its streams meanwhile (:class:`~lakegate.errors.Fenced`), what was read since the last
        commit is dropped and the run starts again, in this process, from the positions the sinks
        committed.
        """
        started = time.monotonic()
        with engine_memory_pool():
            while True:
                try:
                    self._run_once(started)
                    break
                except (PartitionsLost, Fenced) as exc:  # lost streams to another process
                    if self._stopping:
                        break
                    self.report.restarts += 1
                    logger.warning("%s; starting again from the positions the sinks committed", exc)
                    self._reset()
        self.report.seconds = time.monotonic() - started
        self.report.stopped_by_signal = self._stopping
        return self.report

    def _reset(self) -> None:
        """Forget the sources and positions of an abandoned attempt."""
        self._sources = {}
        self.context.sources = {}
        self.context.engine = EngineHooks()
        self._positions = {}
        self._abandoned = None
        self._closing = False

    def _run_once(self, started: float) -> None:
        con = connect(self.plan.threads)
        params = {f"{SECRET_PREFIX}{k}": v for k, v in self.env.items()}
        with no_collection():  # imports the sinks' modules
            writers = self._writers = self._make_writers()
        positions = self._positions
        prefetch: Prefetcher[tuple[str, RawChunk], Decoded | None] | None = None
        pool: ThreadPoolExecutor | None = None
        executors: dict[str, TransformExecutor] = {}
        try:
            with no_collection():
                for w in writers.values():
                    w.open()
                decoding = con.cursor()  # the prefetch thread's own connection
                decoders = {
                    n: Decoder(s.schema, s.metadata_keys, decoding, s.metadata_types)
                    for n, s in self.plan.sources.items()
                }
                pool = ThreadPoolExecutor(2, thread_name_prefix="lakegate-transform")
                executors = {n: TransformExecutor(t, con, params, pool) for n, t in self.plan.transforms.items()}
            for name in self.plan.sources:
                self.report.sources.setdefault(name, SourceCounts())
            for name in self.plan.transforms:
                self.report.transforms.setdefault(name, TransformCounts())
            with self._signals():
                prefetch = Prefetcher(
                    self._interleave(writers),
                    lambda item: decoders[item[0]].decode(item[1]) if len(item[1]) else None,
                )
                self.context.engine = RunnerHooks(self, prefetch.call)
                for (source_name, chunk), decoded in prefetch:
                    if self._abandoned is not None:
                        break
                    if decoded is not None:
                        self._process(source_name, chunk, decoded, executors, writers, positions)
                    positions[source_name] = chunk.position
                    self._commit(writers, positions, only_due=True)
                    self.report.seconds = time.monotonic() - started
                    self._progress()
                    if self._stopping or self._abandoned is not None:
                        break
            if self._abandoned is not None:
                raise PartitionsLost(self._abandoned)
            self._commit(writers, positions, only_due=False)
        finally:
            self._closing = True
            if prefetch is not None:
                prefetch.close()
            if pool is not None:
                pool.shutdown()
            for executor in executors.values():
                executor.close()
            for source in self._sources.values():
                source.close()
            for w in writers.values():
                w.stats.records_written -= w.sink.pending_records  # dropped, never committed
                w.sink.close()
            con.close()
            self._add_sink_stats(writers)

    def _add_sink_stats(self, writers: dict[str, SinkWriter]) -> None:
        for name, w in writers.items():
            if name == DLQ:
                self.report.dlq_written += w.stats.records_written
                continue
            totals = self.report.sinks.setdefault(
                name, {"records_written": 0, "skipped_already_committed": 0, "commits": 0}
            )
            totals["records_written"] += w.stats.records_written
            totals["skipped_already_committed"] += w.stats.skipped_committed
            totals["commits"] += w.stats.commits

    def _commit(
        self, writers: dict[str, SinkWriter], positions: dict[str, Position], *, only_due: bool
    ) -> None:
        """Commit the sinks (those whose policy is due, or all), then tell each source what every
        sink it feeds now holds (a Kafka source commits that to its consumer group, advisory)."""
        committed = [w for w in writers.values() if not only_due or w.due()]
        for writer in committed:
            writer.commit(positions)
        if committed:
            for name, source in list(self._sources.items()):  # filled by the prefetch thread
                source.acknowledge(self._start_position(name, writers))

    def _pin_new_streams(
        self,
        source_name: str,
        chunk: RawChunk,
        writers: dict[str, SinkWriter],
        positions: dict[str, Position],
    ) -> None:
        """Before the first rows of a stream some sink has never committed, commit every sink fed by
        the source with that stream's starting index, so a restart resumes there (and not wherever
        the source's `start` option would point by then)."""
        fed = [w for w in writers.values() if source_name in w.sources]
        streams = pc.unique(chunk.streams.cast(pa.string())).to_pylist()
        new = [s for s in streams if any(s not in w.committed.get(source_name, {}) for w in fed)]
        if not new:
            return
        stream_column = chunk.streams.cast(pa.string())
        pinned = dict(positions.get(source_name, {}))
        for stream in new:
            first = pc.min(chunk.indexes.filter(pc.equal(stream_column, stream))).as_py()
            pinned.setdefault(stream, {"next": first})
        for writer in fed:
            writer.commit({**positions, source_name: pinned})

    def _interleave(self, writers: dict[str, SinkWriter]) -> Iterator[tuple[str, RawChunk]]:
        """Chunks of every source, round-robin."""
        iterators: dict[str, Iterator[RawChunk]] = {}
        for name, source_plan in self.plan.sources.items():
            if not any(t.source == name for t in self.plan.transforms.values()):
                continue
            source_class = load_source_class(source_plan.config.type)
            source = source_class(name, source_plan.config, self.context)
            self._sources[name] = source
            self.context.sources[name] = source
            start = self._start_position(name, writers)
            iterators[name] = iter(source.chunks(start, follow=self.options.follow))
        while iterators:
            for name in list(iterators):
                chunk = next(iterators[name], None)
                if chunk is None:
                    del iterators[name]
                    # Leave a consumer group at once: its other members (the pipeline's other Kafka
                    # sources, other processes) cannot finish a rebalance while it stays unpolled.
                    self._sources[name].finished()
                    continue
                yield name, chunk
                if self._stopping:
                    return

    def _process(
        self,
        source_name: str,
        chunk: RawChunk,
        decoded: Decoded,
        executors: dict[str, TransformExecutor],
        writers: dict[str, SinkWriter],
        positions: dict[str, Position],
    ) -> None:
        source = self._sources.get(source_name)
        if source is not None and not source.replays_new_streams():
            self._pin_new_streams(source_name, chunk, writers, positions)
        counts = self.report.sources[source_name]
        counts.records_in += len(chunk)
        counts.dlq += len(decoded.bad_rows)
        dlq_parts: list[pa.Table] = []
        common: dict[str, Any] = {
            "payloads": chunk.payloads, "streams": chunk.streams, "indexes": chunk.indexes,
            "pipeline": self.plan.pipeline, "source": source_name,
        }  # fmt: skip
        if len(decoded.bad_rows):
            dlq_parts.append(
                dead_letters(
                    rows=decoded.bad_rows,
                    stage="decode",
                    rule=None,
                    error=decoded.bad_reasons,
                    transform=None,
                    **common,
                )
            )
        for name, executor in executors.items():
            if executor.plan.source != source_name:
                continue
            result = executor.run(decoded.table)
            t_counts = self.report.transforms[name]
            t_counts.records_in += result.records_in
            t_counts.records_out += result.records_out
            t_counts.filtered += result.filtered
            t_counts.dlq += result.dlq
            if result.dead is not None and result.dead.num_rows:
                d = result.dead
                dlq_parts.append(
                    dead_letters(
                        rows=d.column(records.ROW),
                        stage=d.column(records.DLQ_STAGE),
                        rule=d.column(records.DLQ_RULE),
                        error=d.column(records.DLQ_REASON),
                        transform=name,
                        **common,
                    )
                )
            for sink, rows in result.outputs.items():
                writer = writers[sink]
                rows = writer.skip_committed(source_name, rows)
                good, rejected = writer.conform(rows)
                writer.write(good)
                if rejected is not None:
                    dlq_parts.append(
                        dead_letters(
                            rows=rejected.rows.column(records.ROW),
                            stage="sink",
                            rule=sink,
                            error=rejected.reasons,
                            transform=name,
                            **common,
                        )
                    )
                    t_counts.records_out -= rejected.rows.num_rows
                    t_counts.dlq += rejected.rows.num_rows
        if dlq_parts:
            dlq = writers[DLQ]
            dead = pa.concat_tables(dlq_parts)
            dlq.write(dlq.skip_committed(source_name, dead, stream="stream", index="index"))

    def _progress(self) -> None:
        callback = self.options.on_progress
        if callback is not None:
            callback(self.report)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if not self.options.handle_signals:
            yield
            return
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

        def handler(signum: int, frame: object) -> None:
            self.stop()

        try:
            for s in previous:
                signal.signal(s, handler)
        except ValueError:  # not the main thread
            previous = {}
        try:
            yield
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
