"""The entry points from a source to typed values: ``stream`` (each partial as it changes) and ``iter_items`` (each
finished item of an array, once).

A source is read once, down through the layers: the provider layer (``midstream.providers``: SSE framing, the
events, which output is the answer) turns each item into the answer's JSON text (``AnswerText``), and the typed
layer (``midstream.pydantic``: ``ModelStream``, ``ItemReader``) turns the text into values. One loop per entry
point does both, so a read of raw SSE bytes costs one Python call into each layer. The other entry points sit at
this level too: ``stream_tool_calls`` (``midstream.tool_calls``) and the clients' attempts (``midstream.clients``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Generator, Iterable, Iterator
from itertools import chain
from typing import Any, Generic, TypeVar, overload

from midstream._native import DEFAULT_MAX_DEPTH, UNCHANGED, ReadPieces
from midstream.providers.follow import AnswerText
from midstream.providers.source import async_source_items, source_items
from midstream.pydantic import ItemReader, ModelStream

__all__ = ["AsyncPartialStream", "PartialStream", "aiter_items", "iter_items", "stream"]

T = TypeVar("T")
_END = object()


class PartialStream(Generic[T]):
    """Iterate the partials of a document arriving from a source, each time it changed.

    The last partial yielded is the validated final value; ``final()`` reads the rest of the source and returns it::

        >>> from pydantic import BaseModel
        >>> class Point(BaseModel):
        ...     x: int
        ...     y: int
        >>> [p.model_dump() for p in stream(Point, ['{"x": 1', ', "y"', ': 2}'])]
        [{'x': None, 'y': None}, {'x': 1, 'y': None}, {'x': 1, 'y': 2}]

    Each partial is a snapshot that later chunks do not change (see ``ModelStream``), so they can be kept.
    """

    def __init__(
        self, model: ModelStream[T], source: Iterable[Any], provider: str | None = None, *, fenced: bool = False
    ) -> None:
        self.model = model
        self._run = self._partials(iter(source), provider, fenced)

    def __iter__(self) -> Iterator[T]:
        return self._run

    def __next__(self) -> T:
        return next(self._run)

    def _partials(self, items: Iterator[Any], provider: str | None, fenced: bool) -> Generator[T, None, None]:
        model = self.model
        feed, take_changed = model.feed, model.take_changed
        first = next(items, _END)
        if first is not _END:
            answer = AnswerText(first, provider, fenced=fenced)
            if answer.plain and not fenced:  # the items are the JSON text itself
                partial = feed(first)  # type: ignore[arg-type]
                if take_changed():
                    yield partial  # type: ignore[misc]
                for chunk in items:
                    partial = feed(chunk)
                    if take_changed():
                        yield partial  # type: ignore[misc]
            elif answer.raw is not None:  # raw SSE bytes: one call into the Rust reader per read
                raw, raw_into, take = answer.raw, answer.raw_into, answer.follower.take
                engine = model.native_engine
                for item in chain((first,), items):
                    if engine is not None and raw_into is not None:
                        # The common read: its text goes from the Rust reader into the native engine, and what
                        # comes back is the new partial (or UNCHANGED); anything else comes back as ReadPieces.
                        got = raw_into(item, engine)
                        if got is UNCHANGED:
                            continue
                        if type(got) is not ReadPieces:
                            yield got
                            continue
                        pieces = got.items
                    else:
                        pieces = raw(item)
                    if not pieces:
                        continue
                    for text in pieces if len(pieces) == 1 and type(pieces[0]) is str else take(pieces):
                        partial = feed(text)
                        if take_changed():
                            yield partial  # type: ignore[misc]
                for text in answer.end():
                    partial = feed(text)
                    if take_changed():
                        yield partial  # type: ignore[misc]
            else:
                read = answer.read
                for text in read(first):
                    partial = feed(text)
                    if take_changed():
                        yield partial  # type: ignore[misc]
                for item in items:
                    for text in read(item):
                        partial = feed(text)
                        if take_changed():
                            yield partial  # type: ignore[misc]
                for text in answer.end():
                    partial = feed(text)
                    if take_changed():
                        yield partial  # type: ignore[misc]
        model.finish()
        if take_changed():  # finishing changed it (a number or literal at the end, the validated value)
            yield model.partial  # type: ignore[misc]

    def final(self) -> T:
        """Read the rest of the source and return the validated final value."""
        for _ in self._run:
            pass
        return self.model.finish()


class AsyncPartialStream(Generic[T]):
    """``PartialStream`` for an async source: ``async for partial in ...``, ``await .final()``."""

    def __init__(
        self,
        model: ModelStream[T],
        source: AsyncIterable[Any],
        provider: str | None = None,
        *,
        fenced: bool = False,
    ) -> None:
        self.model = model
        self._run = self._partials(source.__aiter__(), provider, fenced)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._run

    async def __anext__(self) -> T:
        return await self._run.__anext__()

    async def _partials(self, items: AsyncIterator[Any], provider: str | None, fenced: bool) -> AsyncIterator[T]:
        model = self.model
        feed, take_changed = model.feed, model.take_changed
        try:
            first = await items.__anext__()
        except StopAsyncIteration:
            first = _END
        if first is not _END:
            answer = AnswerText(first, provider, fenced=fenced)
            read = answer.read
            for text in read(first):
                partial = feed(text)
                if take_changed():
                    yield partial  # type: ignore[misc]
            async for item in items:
                for text in read(item):
                    partial = feed(text)
                    if take_changed():
                        yield partial  # type: ignore[misc]
            for text in answer.end():
                partial = feed(text)
                if take_changed():
                    yield partial  # type: ignore[misc]
        model.finish()
        if take_changed():  # finishing changed it (a number or literal at the end, the validated value)
            yield model.partial  # type: ignore[misc]

    async def final(self) -> T:
        """Read the rest of the source and return the validated final value."""
        async for _ in self._run:
            pass
        return self.model.finish()


@overload
def stream(
    tp: type[T],
    source: AsyncIterable[Any],
    *,
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> AsyncPartialStream[T]: ...
@overload
def stream(
    tp: type[T],
    source: Iterable[Any],
    *,
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> PartialStream[T]: ...
@overload
def stream(
    tp: Any,
    source: AsyncIterable[Any],
    *,
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> AsyncPartialStream[Any]: ...
@overload
def stream(
    tp: Any,
    source: Iterable[Any],
    *,
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> PartialStream[Any]: ...
def stream(
    tp: Any,
    source: Iterable[Any] | AsyncIterable[Any],
    *,
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> PartialStream[Any] | AsyncPartialStream[Any]:
    """Partials of ``tp`` from a source: a ``PartialStream``, or for an async source an ``AsyncPartialStream``.

    ``source`` is an iterable of ``str``/``bytes`` chunks of the JSON text, or a provider stream: an SDK stream
    object (openai, anthropic, google-genai), or raw SSE bytes with ``provider="openai" | "openai-responses" |
    "anthropic" | "gemini"``. A provider stream is followed to its answer: the content, or the arguments of its one
    tool call. ``fenced=True`` finds the JSON inside a Markdown code fence or after prose, as it arrives. See
    ``ModelStream`` for what the partials hold (and ``fail_fast``, ``max_depth``).
    """
    model: ModelStream[Any] = ModelStream(tp, fail_fast=fail_fast, max_depth=max_depth)
    if isinstance(source, AsyncIterable):
        return AsyncPartialStream(model, async_source_items(source), provider, fenced=fenced)
    return PartialStream(model, source_items(source), provider, fenced=fenced)


@overload
def iter_items(
    item_type: type[T],
    source: Iterable[Any],
    *,
    path: Iterable[str | int] = (),
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Iterator[T]: ...
@overload
def iter_items(
    item_type: Any,
    source: Iterable[Any],
    *,
    path: Iterable[str | int] = (),
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Iterator[Any]: ...
def iter_items(
    item_type: Any,
    source: Iterable[Any],
    *,
    path: Iterable[str | int] = (),
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Iterator[Any]:
    """Each finished item of the array at ``path``, validated as ``item_type``, once, as soon as it finishes.

    Items are not kept, so memory stays bounded however long the array is::

        >>> list(iter_items(int, ['{"data": [1, 2', ', 3]}'], path=("data",)))
        [1, 2, 3]

    An invalid item is skipped and reported when the document ends (a ``pydantic.ValidationError`` listing every
    invalid item at its location); with ``fail_fast=True`` it raises as soon as the item finishes. ``source``,
    ``provider`` and ``fenced`` are as for ``stream``.
    """
    reader: ItemReader[Any] = ItemReader(item_type, tuple(path), fail_fast=fail_fast, max_depth=max_depth)
    return _items(reader, source_items(source), provider, fenced)


def _items(reader: ItemReader[Any], items: Iterator[Any], provider: str | None, fenced: bool) -> Iterator[Any]:
    finished = reader.items
    feed = reader.feed
    try:
        first = next(items, _END)
        if first is not _END:
            answer = AnswerText(first, provider, fenced=fenced)
            read = answer.read
            for text in read(first):
                feed(text)
                while finished:
                    yield finished.popleft()
            for item in items:
                for text in read(item):
                    feed(text)
                    while finished:
                        yield finished.popleft()
            for text in answer.end():
                feed(text)
                while finished:
                    yield finished.popleft()
        reader.finish()
    except Exception:  # items that finished before an error are still handed over, then it propagates
        while finished:
            yield finished.popleft()
        raise
    while finished:
        yield finished.popleft()


@overload
def aiter_items(
    item_type: type[T],
    source: AsyncIterable[Any],
    *,
    path: Iterable[str | int] = (),
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> AsyncIterator[T]: ...
@overload
def aiter_items(
    item_type: Any,
    source: AsyncIterable[Any],
    *,
    path: Iterable[str | int] = (),
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> AsyncIterator[Any]: ...
def aiter_items(
    item_type: Any,
    source: AsyncIterable[Any],
    *,
    path: Iterable[str | int] = (),
    provider: str | None = None,
    fenced: bool = False,
    fail_fast: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> AsyncIterator[Any]:
    """``iter_items`` for an async source."""
    reader: ItemReader[Any] = ItemReader(item_type, tuple(path), fail_fast=fail_fast, max_depth=max_depth)
    return _aitems(reader, async_source_items(source), provider, fenced)


async def _aitems(
    reader: ItemReader[Any], items: AsyncIterator[Any], provider: str | None, fenced: bool
) -> AsyncIterator[Any]:
    finished = reader.items
    feed = reader.feed
    try:
        try:
            first = await items.__anext__()
        except StopAsyncIteration:
            first = _END
        if first is not _END:
            answer = AnswerText(first, provider, fenced=fenced)
            read = answer.read
            for text in read(first):
                feed(text)
                while finished:
                    yield finished.popleft()
            async for item in items:
                for text in read(item):
                    feed(text)
                    while finished:
                        yield finished.popleft()
            for text in answer.end():
                feed(text)
                while finished:
                    yield finished.popleft()
        reader.finish()
    except Exception:
        while finished:
            yield finished.popleft()
        raise
    while finished:
        yield finished.popleft()
