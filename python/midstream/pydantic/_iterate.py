"""Streams over chunk sources: ``stream`` (partials as they change) and ``iter_items`` (finished list items)."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Generator, Iterable, Iterator
from typing import Any, Generic, TypeVar, overload

from midstream._native import DEFAULT_MAX_DEPTH, Parser
from midstream.pydantic._builder import PartialBuilder, Path, PathShape
from midstream.pydantic._compile import compile_shape
from midstream.pydantic._model_stream import ModelStream, type_title
from midstream.pydantic._reuse import reusing_validator

T = TypeVar("T")
Chunk = bytes | bytearray | memoryview | str


class PartialStream(Generic[T]):
    """Iterate the partials of a document arriving from a chunk source, each time it changed.

    The last partial yielded is the validated final value; ``final()`` reads the rest of the source and returns it::

        >>> from pydantic import BaseModel
        >>> class Point(BaseModel):
        ...     x: int
        ...     y: int
        >>> [p.model_dump() for p in stream(Point, ['{"x": 1', ', "y"', ': 2}'])]
        [{'x': None, 'y': None}, {'x': 1, 'y': None}, {'x': 1, 'y': 2}]

    Each partial is a snapshot that later chunks do not change (see ``ModelStream``), so they can be kept.
    """

    def __init__(self, model: ModelStream[T], source: Iterable[Chunk]) -> None:
        self.model = model
        self._run = self._partials(iter(source))

    def __iter__(self) -> Iterator[T]:
        return self._run

    def __next__(self) -> T:
        return next(self._run)

    def _partials(self, source: Iterator[Chunk]) -> Generator[T, None, None]:
        model = self.model
        for chunk in source:
            model.feed(chunk)
            if model.changed:
                model.clear_changed()
                yield model.partial  # type: ignore[misc]
        model.finish()
        if model.changed:
            model.clear_changed()
            yield model.partial  # type: ignore[misc]

    def final(self) -> T:
        """Read the rest of the source and return the validated final value."""
        for _ in self._run:
            pass
        return self.model.finish()


class AsyncPartialStream(Generic[T]):
    """``PartialStream`` for an async chunk source: ``async for partial in ...``, ``await .final()``."""

    def __init__(self, model: ModelStream[T], source: AsyncIterable[Chunk]) -> None:
        self.model = model
        self._run = self._partials(source.__aiter__())

    def __aiter__(self) -> AsyncIterator[T]:
        return self._run

    async def __anext__(self) -> T:
        return await self._run.__anext__()

    async def _partials(self, source: AsyncIterator[Chunk]) -> AsyncIterator[T]:
        model = self.model
        async for chunk in source:
            model.feed(chunk)
            if model.changed:
                model.clear_changed()
                yield model.partial  # type: ignore[misc]
        model.finish()
        if model.changed:
            model.clear_changed()
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
    from midstream.providers.follow import afollowed_text, followed_text  # the layer above this one

    model: ModelStream[Any] = ModelStream(tp, fail_fast=fail_fast, max_depth=max_depth)
    if isinstance(source, AsyncIterable):
        return AsyncPartialStream(model, afollowed_text(source, provider, fenced=fenced))
    return PartialStream(model, followed_text(source, provider, fenced=fenced))


# ---------------------------------------------------------------------------------------------------------------------
# items of one array


class ItemReader(Generic[T]):
    """The push side of ``iter_items``: ``feed`` chunks, take the finished, validated items of the array at
    ``path`` from ``items`` (a deque: pop them, nothing else keeps them); ``finish`` at the end of the input::

        >>> reader = ItemReader(int, ("data",))
        >>> reader.feed('{"data": [1, 2')
        >>> list(reader.items)
        [1]
        >>> reader.feed(", 3]}")
        >>> reader.finish()
        >>> list(reader.items)
        [1, 2, 3]

    ``finish`` raises ``pydantic.ValidationError`` for the invalid items (skipped), or ``IncompleteJSONError``;
    ``fail_fast=True`` raises from the ``feed`` that finishes an invalid item.
    """

    def __init__(
        self, item_type: Any, path: Path = (), *, fail_fast: bool = False, max_depth: int = DEFAULT_MAX_DEPTH
    ) -> None:
        self.path = path
        self.items: deque[T] = deque()
        self.parser = Parser(events=True, max_depth=max_depth, forget_items_at=path)
        self.builder = PartialBuilder(
            PathShape.to(path, compile_shape(list[item_type])),
            title=lambda: type_title(item_type),
            fail_fast=fail_fast,
            snapshot=None,  # no partial is handed out: parts shown as parsed need no copies
            sink=self.items.append,
            sink_depth=len(path),
            sink_check=reusing_validator(item_type).validate_python,
        )

    def feed(self, chunk: Chunk) -> None:
        try:
            self.parser.feed(chunk)
        finally:
            self.builder.apply(self.parser.drain_events())

    def finish(self) -> None:
        try:
            self.parser.finish()
        finally:
            self.builder.apply(self.parser.drain_events())
        builder = self.builder
        if not builder.sink_opened and not builder.errors:
            builder.errors.append({"type": "missing", "loc": self.path, "input": self.parser.value})
        if builder.errors:
            raise builder.validation_error()


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
    from midstream.providers.follow import followed_text  # the layer above this one

    reader: ItemReader[Any] = ItemReader(item_type, tuple(path), fail_fast=fail_fast, max_depth=max_depth)
    items = reader.items
    try:
        for chunk in followed_text(source, provider, fenced=fenced):
            reader.feed(chunk)
            while items:
                yield items.popleft()
        reader.finish()
    except Exception:  # items that finished before an error are still handed over, then it propagates
        while items:
            yield items.popleft()
        raise
    while items:
        yield items.popleft()


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
async def aiter_items(
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
    from midstream.providers.follow import afollowed_text  # the layer above this one

    reader: ItemReader[Any] = ItemReader(item_type, tuple(path), fail_fast=fail_fast, max_depth=max_depth)
    items = reader.items
    try:
        async for chunk in afollowed_text(source, provider, fenced=fenced):
            reader.feed(chunk)
            while items:
                yield items.popleft()
        reader.finish()
    except Exception:
        while items:
            yield items.popleft()
        raise
    while items:
        yield items.popleft()
