"""The partial builder: turns the native parser's events into typed partial values, validating each part once.

It keeps a stack of frames for the open containers it follows (see ``_frames``). Work per event is constant apart
from validation, which happens once per finished model (from its children's already-validated values) and once per
finished scalar that needs a check (a Literal, an Enum, a constrained number). So the cost of a chunk depends on the
events in it, not on how much came before it or how big the schema is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pydantic
import pydantic_core

from midstream._native import Event
from midstream.pydantic._frames import (
    DeadFrame,
    DictFrame,
    ErrorList,
    Frame,
    ListFrame,
    OpaqueFrame,
    PartFailed,
    PendingUnionFrame,
    RawFrame,
    RecordFrame,
    RootFrame,
    Step,
    errors_of,
)
from midstream.pydantic._shapes import (
    DictShape,
    LeafShape,
    ListShape,
    PendingUnionShape,
    RawShape,
    RecordShape,
    Shape,
    json_kind,
)

Path = tuple[str | int, ...]
# A key the type does not declare: kept for validation (so extra="forbid" sees it), not shown.
_UNKNOWN_KEY = RawShape(Any, live=False)
_CONTAINERS = ("object", "array")
_KNOWN_ERROR_TYPES = frozenset(pydantic_core.core_schema.ErrorType.__args__)  # type: ignore[attr-defined]


class PartialBuilder:
    """Builds the partial value of one document from parse events."""

    def __init__(
        self,
        shape: Shape,
        *,
        title: Callable[[], str],
        fail_fast: bool,
        live: Callable[[Path], Any],
        root_check: Callable[[Any], Any] | None = None,
        sink: Callable[[Any], None] | None = None,
        sink_depth: int = -1,
    ) -> None:
        self.root = RootFrame(shape)
        self.stack: list[Frame] = [self.root]
        self.title = title  # worked out only when an error is raised
        self.fail_fast = fail_fast
        self.live = live  # the parser's live value at a path, for parts shown as parsed
        self.root_check = root_check
        self.sink = sink
        self.sink_depth = sink_depth
        self.sink_opened = False
        self.errors: ErrorList = []
        self.changed = False
        self.live_open = 0  # open containers shown as the parser's own live value (their open string needs a read)
        self.complete = False
        # The scalar being parsed: its parent frame, its step there and its shape; and a growing string's text.
        self.leaf: tuple[Frame, Path, Shape] | None = None
        self.text = ""
        self.text_shown = False

    @property
    def partial(self) -> Any:
        return self.root.display

    # ------------------------------------------------------------------------------------------------------------
    # events

    def apply(self, events: Iterable[Event]) -> None:
        for kind, path, value in events:
            top = self.stack[-1]
            if isinstance(top, OpaqueFrame):
                below = len(path) - top.depth
                if top.display is not None and _shows_in_live_value(kind, value):
                    self.changed = True  # shown as the parser's live value: what happens inside shows
                if below > 1 or (below == 1 and kind == "delta"):
                    continue
                if below == 1:
                    replacement = top.on_child(kind, path[-1], value)
                    if replacement is None:
                        continue
                    self._replace(top, replacement, path[:-1])
                    if kind == "end":
                        continue
                    top = replacement
            if kind == "begin":
                self._begin(top, path, value)
            elif kind == "delta":
                self._delta(value)
            else:
                self._end(top, path, value)

    def _begin(self, top: Frame, path: Path, kind: str) -> None:
        step = path[-1] if path else None
        shape = top.child_shape(step)
        if isinstance(top, ListFrame) and top.too_long:
            self._list_too_long(top, path[:-1])
            return
        if shape is None:
            shape = _UNKNOWN_KEY
        shape = shape.resolve(kind)
        if kind in _CONTAINERS:
            frame = self._open(shape, len(path), path)
            frame.deferred = top.quiet
            if isinstance(frame, RawFrame) and frame.display is not None:
                self.live_open += 1
            self.stack.append(frame)
            if frame.display is not None:
                top.show(step, frame.display)
                self.changed = True
            return
        self.leaf = (top, path, shape)
        self.text_shown = kind == "string" and shape.grows
        if self.text_shown:
            self.text = ""
            top.show(step, "")
            self.changed = True

    def _open(self, shape: Shape, depth: int, path: Path) -> Frame:
        if isinstance(shape, RecordShape):
            return RecordFrame(depth, shape)
        if isinstance(shape, ListShape):
            if self.sink is not None and depth == self.sink_depth:
                self.sink_opened = True
                return ListFrame(depth, shape, self.sink)
            return ListFrame(depth, shape)
        if isinstance(shape, DictShape):
            return DictFrame(depth, shape)
        if isinstance(shape, PendingUnionShape):
            return PendingUnionFrame(depth, shape)
        if isinstance(shape, RawShape):
            return RawFrame(depth, shape, self.live(path) if shape.live else None)
        if isinstance(shape, PathShape):
            return PathFrame(depth, shape)
        return OpaqueFrame(depth, shape)

    def _delta(self, text: str) -> None:
        if not self.text_shown or self.leaf is None:
            return
        parent, path, shape = self.leaf
        self.text += text
        limit = shape.max_length
        if limit is not None and len(self.text) > limit:
            # It can only grow: invalid as of now.
            self.text_shown = False
            self.leaf = None
            error = {"type": "string_too_long", "loc": (), "input": self.text, "ctx": {"max_length": limit}}
            self._fail(parent, path, [error])
            return
        parent.show(path[-1] if path else None, self.text)
        self.changed = True

    def _end(self, top: Frame, path: Path, value: Any) -> None:
        if len(path) == top.depth:
            self.stack.pop()
            if isinstance(top, RawFrame) and top.display is not None:
                self.live_open -= 1
            parent = self.stack[-1]
            try:
                display = top.finish(value)
            except PartFailed as failed:
                self._fail(parent, path, failed.errors)
                return
            # A container shown as the parser's live value finishes as that same object: nothing new to show.
            self._done(parent, path, display, shown=display is top.display)
            return
        leaf = self.leaf
        self.leaf = None
        if leaf is None:  # a string that already failed
            return
        parent, path, shape = leaf
        try:
            display = _check_scalar(shape, value)
        except pydantic.ValidationError as error:
            self._fail(parent, path, errors_of(error))
            return
        self._done(parent, path, display, shown=self.text_shown and display == self.text)

    def _done(self, parent: Frame, path: Path, value: Any, *, shown: bool = False) -> None:
        """The part at ``path`` finished valid as ``value`` (``shown``: the partial already showed it so)."""
        if parent is self.root:
            if self.root_check is not None:
                try:
                    value = self.root_check(value)
                except pydantic.ValidationError as error:
                    self._fail(parent, path, errors_of(error))
                    return
            self.complete = True
        parent.done(path[-1] if path else None, value)
        if not shown:
            self.changed = True

    # ------------------------------------------------------------------------------------------------------------
    # failures

    def _fail(self, parent: Frame, path: Path, errors: ErrorList) -> None:
        parent.drop(path[-1] if path else None)
        self.changed = True
        if not errors or parent.quiet:  # reported when the part died, or to be reported by an enclosing part
            return
        self.errors.extend({**error, "loc": (*path, *error["loc"])} for error in errors)
        if self.fail_fast:
            raise self.validation_error()

    def _list_too_long(self, frame: ListFrame, path: Path) -> None:
        limit = frame.shape.max_length
        error = {
            "type": "too_long",
            "loc": (),
            "input": frame.display,
            "ctx": {"field_type": "List", "max_length": limit, "actual_length": frame.count},
        }
        index = self.stack.index(frame)
        self.stack[index] = DeadFrame(frame.depth, frame.shape)
        self._fail(self.stack[index - 1], path, [error])

    def validation_error(self) -> pydantic.ValidationError:
        return pydantic.ValidationError.from_exception_data(self.title(), [_init_error(e) for e in self.errors])

    # ------------------------------------------------------------------------------------------------------------
    # unions decided part-way

    def _replace(self, old: OpaqueFrame, new: Frame, path: Path) -> None:
        """A pending union became ``new``: replay the children it saw, then show it."""
        new.deferred = old.deferred
        self.stack[-1] = new
        seen: dict[str, Any] = getattr(old, "seen", {})
        for key, raw in seen.items():
            shape = new.child_shape(key)
            if shape is None:
                new.done(key, raw)
                continue
            try:
                display = shape.resolve(json_kind(raw)).check(raw)
            except pydantic.ValidationError as error:
                self._fail(new, (*path, key), errors_of(error))
                continue
            new.done(key, display)
        self.stack[-2].show(path[-1] if path else None, new.display)
        self.changed = True


def _shows_in_live_value(kind: str, value: Any) -> bool:
    """Whether an event inside a live container changes what it shows: text grew, a container or string began,
    a number or literal finished (a finished string or container was shown already)."""
    if kind == "delta":
        return True
    if kind == "begin":
        return value in ("object", "array", "string")
    return not isinstance(value, str | list | dict)


def _check_scalar(shape: Shape, value: Any) -> Any:
    if isinstance(shape, LeafShape) and shape.plain and type(value) is shape.annotation:
        return value
    return shape.check(value)


def _init_error(error: dict[str, Any]) -> Any:
    """A pydantic error dict, back into what ``ValidationError.from_exception_data`` takes."""
    kind = error["type"]
    if kind in _KNOWN_ERROR_TYPES:
        details = {"type": kind, "loc": error["loc"], "input": error["input"]}
        if "ctx" in error:
            details["ctx"] = error["ctx"]
        return details
    message = error.get("msg", kind).replace("{", "{{").replace("}", "}}")
    return {"type": pydantic_core.PydanticCustomError(kind, message), "loc": error["loc"], "input": error["input"]}


# ---------------------------------------------------------------------------------------------------------------------
# navigation to the array that iter_items streams


class PathShape(Shape):
    """A container on the way to the array that ``iter_items`` streams: only one child is followed."""

    def __init__(self, step: str | int, child: Shape) -> None:
        self.annotation = Any
        self.step = step
        self.child = child

    def resolve(self, kind: str) -> Shape:
        expected = "object" if isinstance(self.step, str) else "array"
        return self if kind == expected else _SKIPPED

    @classmethod
    def to(cls, path: Path, target: Shape) -> Shape:
        shape = target
        for step in reversed(path):
            shape = cls(step, shape)
        return shape


class PathFrame(Frame):
    def __init__(self, depth: int, shape: PathShape) -> None:
        super().__init__(depth, None)
        self.shape = shape
        self.index = -1

    def child_shape(self, step: Step) -> Shape:
        if isinstance(step, int):  # arrays: count the items, the path names a document index
            self.index += 1
        return self.shape.child if step == self.shape.step else _SKIPPED

    def show(self, step: Step, value: Any) -> None:
        pass

    def drop(self, step: Step) -> None:
        pass


_SKIPPED = RawShape(Any, live=False)
