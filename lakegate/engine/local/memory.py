"""Memory settings of the embedded engine's run: its Arrow memory pool, no garbage collection while it
sets up.

Each batch allocates and frees large, short-lived buffers (split lines, decoded columns, filtered
rows). With pyarrow's default pool (mimalloc in its Linux wheels) much of that memory comes back from
the kernel as fresh pages to be zeroed; with jemalloc the benchmark spends about half as much time
zeroing pages and 4-7% less CPU time in all. A pool chosen by the user (``ARROW_DEFAULT_MEMORY_POOL``)
is left alone.

How long jemalloc keeps freed pages, and in how many arenas, is set for the whole process by the CLI
before pyarrow loads (:mod:`lakegate.cli.process`): jemalloc reads it once, at start-up.

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


def engine_pool() -> pa.MemoryPool | None:
    """The pool to run with, or None to keep the current default (the user chose one, or this
    pyarrow has no jemalloc)."""
    if os.environ.get(POOL_VARIABLE):
        return None
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return None


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
