"""The `lakegate` process's defaults for numpy's OpenBLAS and Arrow's jemalloc."""

from __future__ import annotations

import subprocess
import sys

from lakegate.cli.process import apply_process_defaults, process_defaults


def test_defaults_fill_what_the_user_left_unset_and_keep_the_rest() -> None:
    environ = {"OPENBLAS_NUM_THREADS": "4"}
    apply_process_defaults(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == "4"  # the user's choice
    assert environ["JE_ARROW_MALLOC_CONF"] == process_defaults()["JE_ARROW_MALLOC_CONF"]


def test_one_jemalloc_arena_per_core() -> None:
    assert process_defaults(cpu_count=2)["JE_ARROW_MALLOC_CONF"] == "narenas:2"
    assert process_defaults(cpu_count=0)["JE_ARROW_MALLOC_CONF"] == "narenas:1"


def test_the_console_script_applies_them_before_pyarrow_loads() -> None:
    """``entry`` sets the defaults first thing; pyarrow (and so jemalloc) is not loaded before it."""
    probe = (
        "import sys, os\n"
        "import lakegate.cli.main as m\n"
        "assert 'pyarrow' not in sys.modules and 'numpy' not in sys.modules, 'loaded too early'\n"
        "m.main = lambda: print(os.environ['JE_ARROW_MALLOC_CONF'], os.environ['OPENBLAS_NUM_THREADS']) or 0\n"
        "m.entry()\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == [process_defaults()["JE_ARROW_MALLOC_CONF"], "1"]
