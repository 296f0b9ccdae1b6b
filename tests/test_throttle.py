"""``midstream.throttle``: at most one item per interval, always the latest, never losing the last one."""

from __future__ import annotations

import asyncio
import gc
import itertools
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from midstream.throttle import throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def timed(clock: FakeClock, gaps: list[float]) -> Iterator[int]:
    """Items 0, 1, 2... the ``i``-th arriving ``gaps[i]`` seconds after the one before."""
    for index, gap in enumerate(gaps):
        clock.now += gap
        yield index


def run(gaps: list[float], interval: float) -> tuple[list[int], list[float]]:
    clock = FakeClock()
    items, times = [], []
    for item in throttle(timed(clock, gaps), interval, clock=clock):
        items.append(item)
        times.append(clock.now)
    return items, times


def test_sync_example() -> None:
    # items at t = 0, 0.03, 0.06, 0.09, 0.12, 0.5, 0.51
    items, times = run([0, 0.03, 0.03, 0.03, 0.03, 0.38, 0.01], 0.1)
    assert items == [0, 4, 5, 6]
    assert times == [0, 0.12, 0.5, 0.51]  # 6 is the last item: yielded at the end, however soon


def test_first_item_at_once_and_last_always() -> None:
    assert run([5], 1.0)[0] == [0]
    assert run([0, 0, 0], 1.0)[0] == [0, 2]
    assert run([], 1.0)[0] == []


@pytest.mark.parametrize("interval", [0, -1])
def test_non_positive_interval_passes_everything(interval: float) -> None:
    assert run([0, 0, 0, 0], interval)[0] == [0, 1, 2, 3]


gaps_strategy = st.lists(st.floats(min_value=0, max_value=0.3, allow_nan=False), max_size=40)


@given(gaps=gaps_strategy, interval=st.sampled_from([0.0, 0.01, 0.05, 0.1, 0.25]))
def test_sync_properties(gaps: list[float], interval: float) -> None:
    items, times = run(gaps, interval)
    if not gaps:
        assert items == []
        return
    assert items[-1] == len(gaps) - 1  # the last item is always yielded
    assert items == sorted(set(items))  # order preserved, nothing twice
    assert set(items) <= set(range(len(gaps)))  # nothing that was not in the source
    if interval > 0:
        # every yield but the final flush is at least `interval` after the one before
        for before, after in itertools.pairwise(times[:-1]):
            assert after - before >= interval - 1e-9
    else:
        assert items == list(range(len(gaps)))


def test_sync_error_flushes_the_held_item_first() -> None:
    clock = FakeClock()

    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("boom")

    seen = []
    with pytest.raises(ValueError, match="boom"):
        for item in throttle(failing(), 1.0, clock=clock):
            seen.append(item)
    assert seen == [1, 2]


def test_not_iterable() -> None:
    with pytest.raises(TypeError):
        throttle(42, 1.0)  # type: ignore[call-overload]


async def arrivals(schedule: list[tuple[float, int]]) -> AsyncIterator[int]:
    for delay, item in schedule:
        await asyncio.sleep(delay)
        yield item


async def collect(source: AsyncIterator[int], interval: float) -> list[tuple[float, int]]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    return [(loop.time() - start, item) async for item in throttle(source, interval)]


def test_async_flushes_held_item_when_the_interval_passes() -> None:
    # 1 at once, 2 right after (held), then a long silence: 2 must come after ~0.1 s, not at the end (0.5 s)
    got = asyncio.run(collect(arrivals([(0, 1), (0.01, 2), (0.5, 3)]), 0.1))
    assert [item for _, item in got] == [1, 2, 3]
    assert 0.09 <= got[1][0] < 0.4
    assert got[2][0] >= 0.5


def test_async_latest_wins_and_last_is_kept() -> None:
    got = asyncio.run(collect(arrivals([(0, 0)] + [(0.002, i) for i in range(1, 30)]), 0.2))
    items = [item for _, item in got]
    assert items[0] == 0 and items[-1] == 29
    assert items == sorted(set(items))
    assert len(items) <= 3


def test_async_spacing() -> None:
    got = asyncio.run(collect(arrivals([(0.01, i) for i in range(40)]), 0.05))
    items = [item for _, item in got]
    assert items[-1] == 39 and items == sorted(set(items))
    times = [t for t, _ in got][:-1]  # the final flush may come sooner
    for before, after in itertools.pairwise(times):
        assert after - before >= 0.05 - 0.005


def test_async_non_positive_interval() -> None:
    got = asyncio.run(collect(arrivals([(0, i) for i in range(5)]), 0))
    assert [item for _, item in got] == [0, 1, 2, 3, 4]


def test_async_error_flushes_held_item_first() -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        yield 2
        raise ValueError("boom")

    async def main() -> list[int]:
        seen = []
        with pytest.raises(ValueError, match="boom"):
            async for item in throttle(failing(), 10.0):
                seen.append(item)
        return seen

    assert asyncio.run(main()) == [1, 2]


def _no_stray_tasks(before: set[asyncio.Task[object]]) -> None:
    assert asyncio.all_tasks() - before == set()


def test_async_early_exit_cancels_the_pending_read() -> None:
    closed = []

    async def slow() -> AsyncIterator[int]:
        try:
            yield 1
            await asyncio.sleep(10)
            yield 2
        finally:
            closed.append(True)

    async def main() -> None:
        before = asyncio.all_tasks()
        throttled = throttle(slow(), 0.01)
        async for item in throttled:
            assert item == 1
            break
        await throttled.aclose()  # type: ignore[attr-defined]
        _no_stray_tasks(before)

    asyncio.run(asyncio.wait_for(main(), 5))
    assert closed == [True]


def test_async_cancellation() -> None:
    closed = []

    async def slow() -> AsyncIterator[int]:
        try:
            yield 1
            await asyncio.sleep(10)
        finally:
            closed.append(True)

    async def consume(seen: list[int]) -> None:
        async for item in throttle(slow(), 0.01):
            seen.append(item)

    async def main() -> list[int]:
        before = asyncio.all_tasks()
        seen: list[int] = []
        task = asyncio.create_task(consume(seen))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        _no_stray_tasks(before)
        return seen

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(asyncio.wait_for(main(), 5)) == [1]
        gc.collect()
    assert closed == [True]


def test_async_none_items() -> None:
    got = asyncio.run(collect(arrivals([(0, None), (0, None)]), 1.0))  # type: ignore[list-item]
    assert [item for _, item in got] == [None, None]
