"""Settings of the `lakegate` process that must be made before numpy and pyarrow load.

Each one is a default: a variable the user has set in the environment is left as it is.

- ``OPENBLAS_NUM_THREADS=1``: numpy (loaded by pyarrow) starts OpenBLAS with a thread per core that
  spins while it waits for work; lakegate does no linear algebra (the spinning took 1.5% of the
  benchmark's CPU time).
- ``JE_ARROW_MALLOC_CONF=narenas:<cores>``: the embedded engine lets Arrow's jemalloc keep freed pages
  for a moment instead of handing them back to the kernel at once (:mod:`lakegate.engine.local.memory`).
  Each jemalloc arena keeps its own, and jemalloc makes four arenas per core; with one per core, the
  pages freed by one thread are reused by the others and less memory is kept (benchmark, 5M records,
  300 ms: peak RSS 0.80-0.88 GB in six runs with one arena per core, 0.87 GB in one with four).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping


def process_defaults(cpu_count: int | None = None) -> dict[str, str]:
    """The environment variables :func:`apply_process_defaults` sets when they are unset."""
    cores = max(1, cpu_count if cpu_count is not None else os.cpu_count() or 1)
    return {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": f"narenas:{cores}"}


def apply_process_defaults(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set :func:`process_defaults` in ``environ`` where the user has not set them."""
    for name, value in process_defaults().items():
        environ.setdefault(name, value)
