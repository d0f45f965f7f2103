"""The embedded engine's memory settings: its Arrow pool, and no garbage collection while it sets up."""

from __future__ import annotations

import gc

import pyarrow as pa
import pytest

from lakegate.engine.local import memory


def _jemalloc_or_skip() -> pa.MemoryPool:
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow has no jemalloc")


def test_the_run_allocates_from_jemalloc_and_restores_the_default_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    _jemalloc_or_skip()
    monkeypatch.delenv(memory.POOL_VARIABLE, raising=False)
    before = pa.default_memory_pool().backend_name
    with memory.engine_memory_pool():
        assert pa.default_memory_pool().backend_name == "jemalloc"
        kept = pa.array(["x" * 100] * 10)  # allocated from the engine's pool
    assert pa.default_memory_pool().backend_name == before
    assert kept.to_pylist() == ["x" * 100] * 10  # still valid after the pool changed back


def test_a_pool_chosen_by_the_user_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(memory.POOL_VARIABLE, "system")
    assert memory.engine_pool() is None
    before = pa.default_memory_pool().backend_name
    with memory.engine_memory_pool():
        assert pa.default_memory_pool().backend_name == before


def test_the_pool_is_restored_when_the_run_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    _jemalloc_or_skip()
    monkeypatch.delenv(memory.POOL_VARIABLE, raising=False)
    before = pa.default_memory_pool().backend_name
    with pytest.raises(RuntimeError), memory.engine_memory_pool():
        raise RuntimeError("boom")
    assert pa.default_memory_pool().backend_name == before


@pytest.mark.parametrize("enabled", [True, False])
def test_no_collection_pauses_the_collector_and_restores_its_state(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with pytest.raises(RuntimeError), memory.no_collection():
            assert not gc.isenabled()
            raise RuntimeError("boom")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
