"""Settings of the `lakegate` process that must be made before numpy and pyarrow load.

Each one is a default: a variable the user has set in the environment is left as it is.

- ``OPENBLAS_NUM_THREADS=1``: numpy (loaded by pyarrow) starts OpenBLAS with a thread per core that
  spins while it waits for work; lakegate does no linear algebra (the spinning took 1.5% of the
  benchmark's CPU time).
- ``JE_ARROW_MALLOC_CONF=narenas:<cores>,dirty_decay_ms:300,muzzy_decay_ms:300``: the embedded
  engine allocates its Arrow buffers from jemalloc (:mod:`lakegate.engine.local.memory`), which by
  default makes four arenas per core and keeps each arena's freed pages for a second. One arena per
  core and 300 ms keep less memory around: on the benchmark, side by side with Arrow's defaults
  (three runs each), peak RSS 0.74-0.78 -> 0.70 GB for 1M records and 0.89-0.93 -> 0.83-0.85 GB for
  5M, the 5M/1M ratio under 1.2 more reliably; the run time did not change measurably (1M) or
  dropped a few per cent (5M, within the host's noise). Arenas alone kept the 5M peak at 0.87-0.90 GB.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

DECAY_MS = 300
"""How long Arrow's jemalloc keeps freed pages for reuse before returning them to the kernel."""


def process_defaults(cpu_count: int | None = None) -> dict[str, str]:
    """The environment variables :func:`apply_process_defaults` sets when they are unset."""
    cores = max(1, cpu_count if cpu_count is not None else os.cpu_count() or 1)
    jemalloc = f"narenas:{cores},dirty_decay_ms:{DECAY_MS},muzzy_decay_ms:{DECAY_MS}"
    return {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": jemalloc}


def apply_process_defaults(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set :func:`process_defaults` in ``environ`` where the user has not set them."""
    for name, value in process_defaults().items():
        environ.setdefault(name, value)
