"""Rate-limit a stream of partials for a UI or a server: at most one item per interval, always the latest.

A model streams tens of chunks a second; re-rendering a page or pushing a websocket message for each is wasted
work. ``throttle`` keeps the newest partial and drops the ones in between::

    for plan in midstream.throttle(midstream.stream(Plan, response), 0.1):
        render(plan)            # at most ten times a second; the last (validated) partial is always rendered

    async for plan in midstream.throttle(midstream.stream(Plan, aresponse), 0.1):
        await websocket.send_text(plan.model_dump_json())

The first item is yielded at once. An item arriving less than ``interval`` seconds after the last yield is held;
a newer item replaces it. The held item is yielded when the next item arrives after the interval has passed (the
newer one is yielded instead), and at the end of the source, so the final value is never lost. With an async
source a held item is also yielded as soon as the interval has passed, even if no new item arrives. If the source
raises, the held item is yielded first, then the exception propagates. However an async throttle ends (exhausted,
closed, cancelled, even cancelled again while it cleans up, as anyio and so Starlette do), its read of the source
has ended first: closing the source right after is safe.

``interval <= 0`` passes every item through. Partials from ``midstream.stream`` are snapshots that later chunks
do not change; throttling passes them on as they are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Generator, Iterable
from typing import Any, TypeVar, cast, overload

__all__ = ["throttle"]

T = TypeVar("T")

#: Marks "no held item" (``None`` may be an item).
_NOTHING: Any = object()


@overload
def throttle(
    source: AsyncIterable[T], interval: float, *, clock: Callable[[], float] = time.monotonic
) -> AsyncGenerator[T, None]: ...
@overload
def throttle(
    source: Iterable[T], interval: float, *, clock: Callable[[], float] = time.monotonic
) -> Generator[T, None, None]: ...
def throttle(
    source: Iterable[T] | AsyncIterable[T], interval: float, *, clock: Callable[[], float] = time.monotonic
) -> Generator[T, None, None] | AsyncGenerator[T, None]:
    """Yield at most one item of ``source`` per ``interval`` seconds, always the latest, and always the last one.

    ``source`` is an iterable (gives an iterator) or an async iterable (gives an async iterator). ``clock`` gives
    the time in seconds (``time.monotonic``; tests pass a fake one).
    """
    if isinstance(source, AsyncIterable):
        return _athrottle(source, interval, clock)
    if isinstance(source, Iterable):
        return _throttle(source, interval, clock)
    raise TypeError(f"throttle() needs an iterable or an async iterable, not {type(source).__name__}")


def _throttle(source: Iterable[T], interval: float, clock: Callable[[], float]) -> Generator[T, None, None]:
    if interval <= 0:
        yield from source
        return
    iterator = iter(source)
    last: float | None = None  # when the last item was yielded
    held: Any = _NOTHING
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            break
        except Exception:
            if held is not _NOTHING:
                yield held
            raise
        now = clock()
        if last is None or now - last >= interval:
            held = _NOTHING
            last = now
            yield item
        else:
            held = item
    if held is not _NOTHING:
        yield held


async def _next(iterator: AsyncIterator[T]) -> tuple[bool, T | None]:
    """``(True, item)``, or ``(False, None)`` at the end (a task must not end with ``StopAsyncIteration``)."""
    try:
        return True, await iterator.__anext__()
    except StopAsyncIteration:
        return False, None


async def _athrottle(source: AsyncIterable[T], interval: float, clock: Callable[[], float]) -> AsyncGenerator[T, None]:
    if interval <= 0:
        async for item in source:
            yield item
        return
    iterator = source.__aiter__()
    last: float | None = None
    held: Any = _NOTHING
    # The pending read of the source: it runs in its own task so that a held item can be flushed while it waits.
    # It is never abandoned: cancelled and awaited before this generator ends, however it ends.
    reading: asyncio.Task[tuple[bool, T | None]] | None = None
    try:
        while True:
            if reading is None:
                reading = asyncio.ensure_future(_next(iterator))
            timeout = None if held is _NOTHING or last is None else max(0.0, last + interval - clock())
            done, _ = await asyncio.wait((reading,), timeout=timeout)
            if not done:  # the interval passed with an item held and nothing new: flush it
                flushed, held = held, _NOTHING
                last = clock()
                yield flushed
                continue
            task, reading = reading, None
            try:
                more, got = task.result()
            except Exception:
                if held is not _NOTHING:
                    flushed, held = held, _NOTHING
                    yield flushed
                raise
            if not more:
                break
            item = cast(T, got)
            now = clock()
            if last is None or now - last >= interval:
                held = _NOTHING
                last = now
                yield item
            else:
                held = item
        if held is not _NOTHING:
            yield held
    finally:
        if reading is not None:
            await _cancel_and_wait(reading)


async def _cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and return only once it has finished: the source must not be left with a read under way.

    The owner of the source closes it next, and closing an async generator that a read still runs in fails
    ("aclose(): asynchronous generator is already running"). So the wait goes on if this task is cancelled in the
    meantime, as anyio's cancel scopes (Starlette's, when a client hangs up) cancel again at every await; that
    cancellation is raised once the read has finished.
    """
    task.cancel()
    interrupted: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.wait((task,))  # the source sees its cancellation and cleans up
        except asyncio.CancelledError as cancelled:
            interrupted = cancelled
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log "exception was never retrieved"
    if interrupted is not None:
        raise interrupted
