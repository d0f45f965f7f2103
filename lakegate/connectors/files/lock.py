"""One reader per files source: an exclusive lock in the pipeline's state directory.

A files source has no consumer group to share its files out. Two processes running the same pipeline
on the same bucket would read the same records, and at every commit one of them would find that the
other had moved the positions (:class:`~lakegate.errors.Fenced`): nothing is written twice, but the
pair keeps restarting each other. So the source holds an exclusive, non-blocking ``flock`` on
``<state_dir>/locks/files-<pipeline>-<source>-<digest>.lock`` from its first read until it is closed
at the end of the run (after the final commit), and a second process stops at once with an error
naming the first one.

The lock is local and advisory: processes with other state directories (other machines) that write to
the same sinks are kept apart by fencing alone. The kernel drops it when its process ends, however it
ends (SIGKILL included), so a crashed run never leaves a stale lock behind. Where ``flock`` does not
exist (Windows), or the file system cannot lock (some network file systems), the source runs without
the lock, with a warning in the latter case, and fencing alone keeps the runs apart.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from lakegate.errors import TerminalConnectorError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)


def lock_path(state_dir: Path, pipeline: str, source: str) -> Path:
    """Where the lock of ``pipeline``'s files source ``source`` lives: readable names, plus a digest
    of the exact pair so that no two pairs share a file (``orders-eu``/``raw``, ``orders``/``eu-raw``)."""
    readable = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{pipeline}-{source}")
    digest = hashlib.sha256(f"{pipeline}\0{source}".encode()).hexdigest()[:12]
    return state_dir / "locks" / f"files-{readable}-{digest}.lock"


class SourceLock:
    """The exclusive lock of one files source (see the module docstring). Thread-safe: a source
    takes it on the thread that reads and may be closed from another."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self._fd: int | None = None
        self._guard = threading.Lock()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`TerminalConnectorError` naming the process holding it.
        Where the file system cannot lock (some network file systems), go on without it, warning."""
        with self._guard:
            if self._fd is not None or fcntl is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                self._lock(fd)
            except BaseException:
                os.close(fd)
                raise
            if self._fd is None:  # could not lock here: running without
                os.close(fd)

    def _lock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "another process"
            raise TerminalConnectorError(
                f"files source {self.source!r} is being read by another lakegate run of this pipeline "
                f"({holder}): two runs on the same files would keep fencing each other's commits",
                hint=f"stop the other run or wait for it to finish (lock file: {self.path})",
            ) from None
        except OSError as exc:  # ENOLCK, EOPNOTSUPP: a file system without locks
            logger.warning("files source %r runs without its lock (%s: %s)", self.source, self.path, exc)
            return
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {started}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (the file stays: removing it would race with a process taking it)."""
        with self._guard:
            if self._fd is None:
                return
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)
            finally:
                os.close(fd)  # closing the descriptor releases the lock
