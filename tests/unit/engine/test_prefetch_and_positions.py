"""The prefetcher's call channel (a source asking the engine to act between chunks) and the
furthest-wins merge of positions that several processes commit to one sink."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lakegate.engine.local.prefetch import Prefetcher
from lakegate.records import merge_furthest


def test_a_call_from_the_producing_thread_runs_after_the_items_queued_before_it() -> None:
    seen: list[Any] = []
    results: list[Any] = []
    holder: list[Prefetcher[int, int]] = []

    def items() -> Iterator[int]:
        yield 1
        yield 2
        results.append(holder[0].call(lambda: list(seen)))  # what the consumer had processed by then
        yield 3

    prefetch = Prefetcher(items(), lambda i: i * 10)
    holder.append(prefetch)
    for item, work in prefetch:
        seen.append((item, work))
    prefetch.close()
    assert seen == [(1, 10), (2, 20), (3, 30)]
    assert results == [[(1, 10), (2, 20)]]


def test_a_call_from_another_thread_runs_at_once_and_an_error_reaches_both_sides() -> None:
    prefetch: Prefetcher[int, int] = Prefetcher(iter([]), lambda i: i)
    assert prefetch.call(lambda: 42) == 42
    prefetch.close()

    failures: list[BaseException] = []
    holder: list[Prefetcher[int, int]] = []

    def items() -> Iterator[int]:
        yield 1
        try:
            holder[0].call(lambda: 1 / 0)
        except ZeroDivisionError as exc:
            failures.append(exc)

    prefetch = Prefetcher(items(), lambda i: i)
    holder.append(prefetch)
    try:
        for _ in prefetch:
            pass
        raise AssertionError("the consumer should see the error")
    except ZeroDivisionError:
        pass
    prefetch.close()
    assert len(failures) == 1


def test_merge_keeps_the_furthest_entry_per_stream_and_never_moves_back() -> None:
    stored = {"orders": {"t/0": {"next": 100}, "t/1": {"next": 50}}, "files": {"a.json": {"next": 3}}}
    stale = {"orders": {"t/0": {"next": 80}, "t/1": {"next": 70}, "t/2": {"next": 5}}}
    merged = merge_furthest(stored, stale)
    assert merged == {
        "orders": {"t/0": {"next": 100}, "t/1": {"next": 70}, "t/2": {"next": 5}},
        "files": {"a.json": {"next": 3}},
    }
    assert merge_furthest(merged, stored) == merged
