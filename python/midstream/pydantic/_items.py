"""``ItemReader``: the finished, validated items of one array of a document, as they finish, in bounded memory.

The push side of ``midstream.iter_items`` (``midstream/streams.py``), and of the clients' ``create_iterable``.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Generic, TypeVar

from midstream._native import DEFAULT_MAX_DEPTH, Parser
from midstream.pydantic._builder import PartialBuilder, Path, PathShape
from midstream.pydantic._compile import compile_shape
from midstream.pydantic._model_stream import type_title
from midstream.pydantic._reuse import reusing_validator

T = TypeVar("T")
Chunk = bytes | bytearray | memoryview | str


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
