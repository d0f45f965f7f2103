"""Read and decode the next chunks in a background thread while the current one is transformed.

Reading files, Arrow's JSON reader and DuckDB all release the GIL, so on two cores decoding chunk
n+1 overlaps transforming and writing chunk n. The queue holds at most ``depth`` decoded chunks, so
memory stays bounded by the batch size.

The producing side may also ask the consuming thread to run something between two items
(:meth:`Prefetcher.call`): a Kafka source whose partitions are being revoked asks the engine to
commit what it has read so far, in order, after the chunks already handed over.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")

_DONE = object()


@dataclass
class _Call:
    """A function the consuming thread runs between two items, and its outcome."""

    fn: Callable[[], Any]
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class Prefetcher(Generic[T, U]):
    """Iterate ``(item, work(item))`` over ``items``, computing ``work`` ahead in a thread.

    The thread starts with :meth:`start` (or the first iteration).
    """

    def __init__(self, items: Iterator[T], work: Callable[[T], U], depth: int = 1) -> None:
        self._items = items
        self._work = work
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lakegate-prefetch", daemon=True)

    def start(self) -> None:
        """Start producing (idempotent)."""
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()

    def _put(self, value: object) -> bool:
        while not self._cancelled.is_set():
            try:
                self._queue.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put((item, self._work(item))):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)
            return
        self._put(_DONE)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the consuming thread once it has taken every item queued before, and return
        its result (its exception is raised here and in the consuming thread).

        Meant for the producing thread. Called from any other thread, ``fn`` runs right away. Returns
        None without running ``fn`` when the prefetcher is closed first.
        """
        if threading.current_thread() is not self._thread:
            return fn()
        request = _Call(fn)
        if not self._put(request):
            return None
        while not request.done.wait(0.1):
            if self._cancelled.is_set():
                return None
        if request.error is not None:
            raise request.error
        return request.result

    def __iter__(self) -> Iterator[tuple[T, U]]:
        self.start()
        while True:
            value = self._queue.get()
            if value is _DONE:
                return
            if isinstance(value, _Call):
                try:
                    value.result = value.fn()
                except BaseException as exc:
                    value.error = exc
                    raise
                finally:
                    value.done.set()
                continue
            if isinstance(value, BaseException):
                raise value
            yield value  # type: ignore[misc]

    def close(self) -> None:
        """Stop the thread (it finishes the item it is working on) and wait for it."""
        self._cancelled.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=30)
