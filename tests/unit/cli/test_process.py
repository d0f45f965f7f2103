"""The `lakegate` process's defaults for numpy's OpenBLAS and Arrow's jemalloc."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from lakegate.cli.process import apply_process_defaults, process_defaults


def test_defaults_fill_what_the_user_left_unset_and_keep_the_rest() -> None:
    environ = {"OPENBLAS_NUM_THREADS": "4"}
    apply_process_defaults(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == "4"  # the user's choice
    assert environ["JE_ARROW_MALLOC_CONF"] == process_defaults()["JE_ARROW_MALLOC_CONF"]


def test_one_jemalloc_arena_per_core_and_a_short_decay() -> None:
    assert process_defaults(cpu_count=2)["JE_ARROW_MALLOC_CONF"] == "narenas:2,dirty_decay_ms:300,muzzy_decay_ms:300"
    assert process_defaults(cpu_count=0)["JE_ARROW_MALLOC_CONF"].startswith("narenas:1,")


def test_arrows_jemalloc_reads_the_setting() -> None:
    """The variable's name and syntax are what pyarrow's bundled jemalloc reads (its own stats say so)."""
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow has no jemalloc")
    probe = "import pyarrow as pa\npa.jemalloc_memory_pool().print_stats()\n"
    env = {"PATH": "/usr/bin:/bin", "JE_ARROW_MALLOC_CONF": process_defaults(cpu_count=3)["JE_ARROW_MALLOC_CONF"]}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    stats = out.stdout + out.stderr
    assert "opt.narenas: 3" in stats and "opt.dirty_decay_ms: 300" in stats, stats[:2000]


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


def test_python_dash_m_applies_them_too() -> None:
    probe = "import os; print(os.environ['JE_ARROW_MALLOC_CONF'])"
    env = {"PATH": "/usr/bin:/bin"}
    # `--version` exits at once; the defaults are set before argument parsing starts.
    code = "import runpy, sys; sys.argv = ['x', '--version']\ntry:\n    runpy.run_module('lakegate.cli.main', run_name='__main__')\nexcept SystemExit:\n    pass\n" + probe
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.splitlines()[-1] == process_defaults()["JE_ARROW_MALLOC_CONF"]
