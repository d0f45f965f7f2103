"""Read and decode the next chunks in a background thread while the current one is transformed.

Reading files, Arrow's JSON reader and DuckDB all release the GIL, so on two cores decoding chunk
n+1 overlaps transforming and writing chunk n. The queue holds at most ``depth`` decoded chunks, so
memory stays bounded by the batch size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")

_DONE = object()


class Prefetcher(Generic[T, U]):
    """Iterate ``(item, work(item))`` over ``items``, computing ``work`` ahead in a thread."""

    def __init__(self, items: Iterator[T], work: Callable[[T], U], depth: int = 1) -> None:
        self._items = items
        self._work = work
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lakegate-prefetch", daemon=True)
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

    def __iter__(self) -> Iterator[tuple[T, U]]:
        while True:
            value = self._queue.get()
            if value is _DONE:
                return
            if isinstance(value, BaseException):
                raise value
            yield value  # type: ignore[misc]

    def close(self) -> None:
        """Stop the thread (it finishes the item it is working on) and wait for it."""
        self._cancelled.set()
        self._thread.join(timeout=30)
