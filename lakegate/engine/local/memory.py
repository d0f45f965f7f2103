"""Memory settings of the embedded engine's run: its Arrow memory pool, no garbage collection while it
sets up.

Each batch allocates and frees large, short-lived buffers (split lines, decoded columns, filtered
rows). With pyarrow's default pool (mimalloc in its Linux wheels) much of that memory comes back from
the kernel as fresh pages to be zeroed; with jemalloc the benchmark spends about half as much time
zeroing pages and 4-7% less CPU time in all. A pool chosen by the user (``ARROW_DEFAULT_MEMORY_POOL``)
is left alone.

Arrow configures its jemalloc to hand freed pages back to the kernel at once (decay 0 ms), so the next
batch's buffers fault in fresh, zeroed pages again: a sixth of the benchmark's CPU time went to the
kernel zeroing pages. The run keeps freed pages for :data:`DECAY_MS` instead, long enough for the
next buffers to reuse them. With one jemalloc arena per core (set by the CLI before pyarrow loads,
:mod:`lakegate.cli.process`), on the benchmark side by side: minor page faults 2.0M -> 0.8M for 5M
records, about 12% less wall time for 1M and 5M records, peak RSS 0.65 -> 0.70-0.74 GB (1M) and
0.75 -> 0.85-0.88 GB (5M). A 1 s decay saved a little more time but let the 5M run's peak creep up
through the run (5M/1M up to 1.24-1.30; 300 ms: 1.08-1.21 in the runs measured).

Setting up a run (importing and opening the sinks: pyiceberg, SQLAlchemy) creates some hundred thousand
objects and so triggers Python's cyclic garbage collector, a full collection among others, on the path
that every record waits for; :func:`no_collection` postpones that work until the run is under way.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
DECAY_MS = 300
"""How long jemalloc keeps the run's freed pages for reuse before returning them to the kernel."""


def engine_pool() -> pa.MemoryPool | None:
    """The pool to run with, or None to keep the current default (the user chose one, or this
    pyarrow has no jemalloc)."""
    if os.environ.get(POOL_VARIABLE):
        return None
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        return None
    pa.jemalloc_set_decay_ms(DECAY_MS)
    return pool


@contextmanager
def engine_memory_pool() -> Iterator[None]:
    """Make :func:`engine_pool` Arrow's default pool for the duration (buffers allocated meanwhile
    stay valid after it: each one keeps its pool)."""
    pool = engine_pool()
    if pool is None:
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


@contextmanager
def no_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the duration (then restored as it was)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
