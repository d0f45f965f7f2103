"""The run report: records in, out per sink, DLQ, filtered, rate, duration."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class SourceCounts:
    records_in: int = 0
    dlq: int = 0


@dataclass
class TransformCounts:
    records_in: int = 0
    records_out: int = 0
    filtered: int = 0
    dlq: int = 0


@dataclass
class RunReport:
    """Counters of one run. For every transform ``records_in = records_out + filtered + dlq``."""

    pipeline: str
    sources: dict[str, SourceCounts] = field(default_factory=dict)
    transforms: dict[str, TransformCounts] = field(default_factory=dict)
    sinks: dict[str, dict[str, int]] = field(default_factory=dict)
    dlq_written: int = 0
    seconds: float = 0.0
    stopped_by_signal: bool = False
    restarts: int = 0
    """Times the run started again after a source lost its partitions (counts include the records
    read again)."""

    @property
    def records_in(self) -> int:
        return sum(s.records_in for s in self.sources.values())

    @property
    def rate(self) -> float:
        return self.records_in / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "sources": {n: vars(c) for n, c in self.sources.items()},
            "transforms": {n: vars(c) for n, c in self.transforms.items()},
            "sinks": self.sinks,
            "dlq": {"records_written": self.dlq_written},
            "records_in": self.records_in,
            "records_per_second": round(self.rate, 1),
            "seconds": round(self.seconds, 3),
            "stopped_by_signal": self.stopped_by_signal,
            "restarts": self.restarts,
        }

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
