"""The Python engine of ``ModelStream``: the parser's events followed by ``_builder.PartialBuilder`` in Python.

It covers every type. ``ModelStream`` uses it for the types the native engine (``midstream._native.TypedParser``,
planned by ``_native_plan``) does not cover yet; both have the same surface, so ``ModelStream`` does not care which
one it holds.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable
from typing import Any

from midstream._native import Parser
from midstream.pydantic._builder import PartialBuilder, Path
from midstream.pydantic._shapes import Shape


class PythonEngine:
    """A parser with ``events=True`` and a ``PartialBuilder`` following them (the surface of ``TypedParser``)."""

    def __init__(
        self,
        shape: Shape,
        *,
        title: Callable[[], str],
        fail_fast: bool,
        root_check: Callable[[Any], Any] | None,
        max_depth: int,
        allow_nan: bool,
    ) -> None:
        self._parser = Parser(events=True, max_depth=max_depth, allow_nan=allow_nan)
        self._builder = PartialBuilder(
            shape, title=title, fail_fast=fail_fast, snapshot=self._snapshot, root_check=root_check
        )
        self._error: BaseException | None = None
        self._finished = False
        # Held by feed and finish: a call that overlaps another (another thread, or a callback re-entering
        # during a feed) is refused, as the Parser refuses it, instead of interleaving two updates of the partial.
        self._busy = threading.Lock()

    def feed(self, chunk: bytes | bytearray | memoryview | str) -> Any:
        if not self._busy.acquire(blocking=False):
            raise in_use()
        try:
            if self._error is not None:
                raise self._error
            try:
                self._parser.feed(chunk)
            finally:  # whatever parsed before a syntax error still reaches the partial
                self._apply()
            return self._builder.hand_out()
        finally:
            self._busy.release()

    def finish(self) -> Any:
        if not self._busy.acquire(blocking=False):
            raise in_use()
        try:
            if self._error is not None:
                raise self._error
            if not self._finished:
                try:
                    self._parser.finish()
                finally:
                    self._apply()
                self._finished = True
            builder = self._builder
            if builder.errors:
                self._error = builder.validation_error()
                raise self._error
            return builder.hand_out()
        finally:
            self._busy.release()

    def _apply(self) -> None:
        events = self._parser.drain_events()
        if events:
            try:
                self._builder.apply(events)
            except BaseException as error:
                # Sticky, like the parser's own errors: a validation error with fail_fast, or anything raised from
                # inside (a validator's own exception) that left the partial mid-way; what it showed stays.
                self._error = error
                raise

    @property
    def partial(self) -> Any:
        return self._builder.hand_out()

    @property
    def document(self) -> Any:
        return self._parser.value

    @property
    def path(self) -> tuple[str | int, ...]:
        return self._parser.path

    def is_complete(self, path: tuple[str | int, ...]) -> bool:
        return self._parser.is_complete(path)

    @property
    def complete(self) -> bool:
        return self._builder.complete

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self._builder.errors)

    @property
    def changed(self) -> bool:
        return self._builder.changed

    @changed.setter
    def changed(self, changed: bool) -> None:
        self._builder.changed = changed

    def take_changed(self) -> bool:
        changed, self._builder.changed = self._builder.changed, False
        return changed

    def _snapshot(self, path: Path) -> Any:
        """A copy of the parser's value at ``path`` that later feeds leave alone: the containers still open below
        it (along the parser's path) are copied, finished values shared."""
        value = self._parser.value  # reading it also stores the open string into its container
        for step in path:
            value = value[step]
        return copy_open_path(value, self._parser.path[len(path) :])


def in_use() -> RuntimeError:
    return RuntimeError(
        "ModelStream is in use: another feed or finish is running (share a ModelStream between threads only "
        "behind a lock)"
    )


def copy_open_path(value: Any, below: typing.Sequence[str | int]) -> Any:
    """``value`` with the containers along ``below`` (the path still being written) copied, shallowly."""
    if not isinstance(value, list | dict):
        return value
    top = node = value.copy()
    for step in below:
        try:
            child = node[step]  # type: ignore[index]
        except (KeyError, IndexError):  # a key whose value has not begun
            break
        if not isinstance(child, list | dict):
            break
        node[step] = child = child.copy()  # type: ignore[index]
        node = child
    return top
