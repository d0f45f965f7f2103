"""Progress display while a pipeline runs, and the summary at the end."""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from lakegate.engine.local.report import RunReport


class ProgressDisplay:
    """A one-line live status on a terminal (records in, rate, DLQ); silent when not a terminal."""

    def __init__(self, console: Console, every: float = 0.25) -> None:
        self.console = console
        self.every = every
        self._last = 0.0
        self._live: Live | None = None
        if console.is_terminal:
            self._live = Live(Text("starting…"), console=console, refresh_per_second=4, transient=True)
            self._live.start()

    def update(self, report: RunReport) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        dlq = sum(s.dlq for s in report.sources.values()) + sum(t.dlq for t in report.transforms.values())
        self._live.update(
            Text(
                f"{report.records_in:,} records in · {report.rate:,.0f} rec/s · DLQ {dlq:,} · "
                f"{report.seconds:.1f} s"
            )
        )

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()


def print_summary(console: Console, report: RunReport) -> None:
    """Records in, out per sink, DLQ, filtered, rate and duration."""
    table = Table(title=f"pipeline {report.pipeline}", title_justify="left")
    for column in ("", "in", "out", "filtered", "dlq"):
        table.add_column(column, justify="right" if column else "left")
    for name, s in report.sources.items():
        table.add_row(f"source {name}", f"{s.records_in:,}", "", "", f"{s.dlq:,}")
    for name, t in report.transforms.items():
        table.add_row(
            f"transform {name}", f"{t.records_in:,}", f"{t.records_out:,}", f"{t.filtered:,}", f"{t.dlq:,}"
        )
    for name, sink in report.sinks.items():
        skipped = sink.get("skipped_already_committed", 0)
        note = f" (skipped {skipped:,} already committed)" if skipped else ""
        table.add_row(f"sink {name}{note}", "", f"{sink['records_written']:,}", "", "")
    table.add_row("dead-letter queue", "", f"{report.dlq_written:,}", "", "")
    console.print(table)
    stopped = " (stopped by signal)" if report.stopped_by_signal else ""
    console.print(
        Text(f"{report.records_in:,} records in {report.seconds:.2f} s — {report.rate:,.0f} records/s{stopped}")
    )
