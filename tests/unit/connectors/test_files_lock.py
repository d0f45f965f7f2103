"""One reader per files source: the lock in the state directory (real ``flock``, real processes)."""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lakegate.connectors.base import RunContext
from lakegate.connectors.files import lock as lock_module
from lakegate.connectors.files.config import FilesSourceConfig
from lakegate.connectors.files.lock import SourceLock, lock_path
from lakegate.connectors.files.source import FilesSource
from lakegate.errors import TerminalConnectorError

HOLD = """
import sys, time
from pathlib import Path
from lakegate.connectors.files.lock import SourceLock
SourceLock(Path(sys.argv[1]), "events").acquire()
print("held", flush=True)
time.sleep(60)
"""


def source(base: Path, pipeline: str = "p") -> FilesSource:
    (base / "data").mkdir(exist_ok=True)
    (base / "data" / "a.ndjson").write_text('{"id": 1}\n')
    context = RunContext(pipeline=pipeline, base_dir=base, state_dir=base / "state")
    config = FilesSourceConfig.model_validate({"type": "files", "path": "data", "schema": "s"})
    return FilesSource("events", config, context)


def test_a_second_reader_of_the_same_source_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    first, second = source(tmp_path), source(tmp_path)
    assert sum(len(c) for c in first.chunks({})) == 1
    with pytest.raises(TerminalConnectorError, match="being read by another lakegate run") as info:
        next(iter(second.chunks({})))
    assert f"pid {os.getpid()}" in str(info.value) and "hint: stop the other run" in str(info.value)
    first.close()
    assert sum(len(c) for c in second.chunks({})) == 1
    second.close()


def test_other_pipelines_on_the_same_files_read_at_the_same_time(tmp_path: Path) -> None:
    one, other = source(tmp_path, "one"), source(tmp_path, "other")
    assert [len(c) for c in one.chunks({})] == [len(c) for c in other.chunks({})] == [1]
    one.close()
    other.close()


def test_lock_files_are_readable_and_never_shared_by_two_pipeline_source_pairs(tmp_path: Path) -> None:
    assert lock_path(tmp_path, "a/b", "c d").name.startswith("files-a_b-c_d-")
    pairs = [("orders-eu", "raw"), ("orders", "eu-raw"), ("a b", "x"), ("a_b", "x")]
    assert len({lock_path(tmp_path, p, s) for p, s in pairs}) == len(pairs)


def test_the_lock_is_kept_when_the_files_are_exhausted_until_the_run_closes(tmp_path: Path) -> None:
    first, second = source(tmp_path), source(tmp_path)
    list(first.chunks({}))
    first.finished()  # the engine's call when the source has nothing more: the final commit follows
    with pytest.raises(TerminalConnectorError):
        next(iter(second.chunks({})))
    first.close()
    assert sum(len(c) for c in second.chunks({})) == 1
    second.close()


def test_a_file_system_without_locks_runs_unlocked_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(lock_module.fcntl, "flock", no_locks)
    lock = SourceLock(lock_path(tmp_path, "p", "events"), "events")
    with caplog.at_level(logging.WARNING):
        lock.acquire()
    assert not lock.held and "runs without its lock" in caplog.text
    lock.release()


def test_the_lock_names_the_holding_process_and_dies_with_it(tmp_path: Path) -> None:
    path = lock_path(tmp_path / "state", "p", "events")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = SourceLock(path, "events")
        with pytest.raises(TerminalConnectorError, match=f"pid {holder.pid}, since "):
            lock.acquire()
        holder.send_signal(signal.SIGKILL)  # no clean-up runs: the kernel drops the lock
        holder.wait(timeout=10)
        lock.acquire()
        assert lock.held and f"pid {os.getpid()}" in path.read_text()
        lock.release()
        assert not lock.held and path.read_text() == ""
    finally:
        holder.kill()
        holder.communicate(timeout=10)
