"""The partial builder: turns the native parser's events into typed partial values, validating each part once.

It keeps a stack of frames for the open containers it follows (see ``_frames``). Work per event is constant apart
from validation, which happens once per finished part (a model from its children's already-validated values,
handed over as ``_reuse.Validated`` so that nothing is validated twice) and once per finished scalar that needs a
check (a Literal, an Enum, a constrained number). So the cost of a chunk depends on the events in it, not on how
much came before it or how big the schema is.

Partials handed out are snapshots. The builder changes its partial in place, and only the open containers (the
frames on its stack) ever change; finished parts never do. After a partial was handed out (``hand_out``), the
first change walks the open path from the root (``_unshare``) and, for each open container that someone besides
the builder still holds (by reference count), goes on with another partial: the one handed out before, brought
up to date from the frame's log, if its holder let go of it, else a shallow copy; either is linked into its
parent. A caller that drops each partial costs a few reference counts per chunk; one that holds the latest while
feeding the next costs one chunk's changes replayed; one that keeps them all, a shallow copy of the open path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from sys import getrefcount
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
    UnionLeafShape,
    json_kind,
)

Path = tuple[str | int, ...]
# A key the type does not declare: kept for validation (so extra="forbid" sees it), not shown.
_UNKNOWN_KEY = RawShape(Any, live=False)
_CONTAINERS = ("object", "array")
_KNOWN_ERROR_TYPES = frozenset(pydantic_core.core_schema.ErrorType.__args__)  # type: ignore[attr-defined]


class _Held:
    __slots__ = ("display",)

    def __init__(self, display: Any) -> None:
        self.display = display


#: The reference count, as ``getrefcount(frame.display)`` sees it, of an open container's partial that only the
#: builder holds: its frame, and its parent's partial.
_PROBE = _Held([])
#: What ``getrefcount(frame.display)`` counts beyond the real holders: its own argument, on CPython.
_ARGUMENT = getrefcount(_PROBE.display) - 1
_ONLY_OURS = 2 + _ARGUMENT


class PartialBuilder:
    """Builds the partial value of one document from parse events."""

    def __init__(
        self,
        shape: Shape,
        *,
        title: Callable[[], str],
        fail_fast: bool,
        snapshot: Callable[[Path], Any] | None,
        root_check: Callable[[Any], Any] | None = None,
        sink: Callable[[Any], None] | None = None,
        sink_depth: int = -1,
        sink_check: Callable[[Any], Any] | None = None,
    ) -> None:
        self.root = RootFrame(shape)
        self.stack: list[Frame] = [self.root]
        self.title = title  # worked out only when an error is raised
        self.fail_fast = fail_fast
        # A copy of the parser's live value at a path, for the parts shown as parsed (None: nothing is shown).
        self.snapshot = snapshot
        self.root_check = root_check
        self.sink = sink
        self.sink_depth = sink_depth
        # Validates an item for the sink at its place (its own validators, which the item itself leaves out).
        self.sink_check = sink_check
        self.sink_opened = False
        self.errors: ErrorList = []
        self.changed = False
        self.shared = False  # whether the partial was handed out since it last changed
        self.broken: BaseException | None = None  # an exception that left the builder mid-way: raised again
        self.complete = False
        # The scalar being parsed: its parent frame, its step there and its shape; and a growing string's text.
        self.leaf: tuple[Frame, Path, Shape] | None = None
        self.text = ""
        self.text_shown = False

    @property
    def partial(self) -> Any:
        """The partial as it is now (for the builder's own use: callers take ``hand_out()``)."""
        return self.root.display

    def hand_out(self) -> Any:
        """The partial, for a caller to keep: the builder copies what it changes later instead of changing it."""
        top = self.stack[-1]
        if isinstance(top, RawFrame) and top.stale and top.snapshot is not None and top.linked:
            if self.shared:
                self._unshare()
            top.display = top.snapshot()
            top.stale = False
            self.stack[-2].show(top.step, top.display)
        self.shared = True
        return self.root.display

    # ------------------------------------------------------------------------------------------------------------
    # events

    def apply(self, events: Iterable[Event]) -> None:
        """Follow the events; an exception from inside (a validator's, a bug's) leaves the builder out of step with
        the parser, so it is raised again by every later call, and the partial keeps what it showed."""
        if self.broken is not None:
            raise self.broken
        try:
            self._apply(events)
        except BaseException as error:
            self.broken = error
            raise

    def _apply(self, events: Iterable[Event]) -> None:
        for kind, path, value in events:
            top = self.stack[-1]
            if isinstance(top, OpaqueFrame):
                below = len(path) - top.depth
                if isinstance(top, RawFrame) and top.linked and _shows_in_live_value(kind, value):
                    top.stale = self.changed = True  # shown as parsed: what happens inside shows
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
            frame = self._open(shape, len(path), path, kind)
            frame.deferred = top.quiet
            frame.step = step
            self.stack.append(frame)
            if frame.display is not None:
                frame.linked = self._show(top, step, frame.display, open_child=True)
            return
        self.leaf = (top, path, shape)
        self.text_shown = kind == "string" and shape.grows
        if self.text_shown:
            self.text = ""
            self._show(top, step, "")

    def _open(self, shape: Shape, depth: int, path: Path, kind: str) -> Frame:
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
            snapshot = self.snapshot
            if not shape.live or snapshot is None:
                return RawFrame(depth, shape, None)
            frame = RawFrame(depth, shape, lambda: snapshot(path))
            frame.display = {} if kind == "object" else []  # what the parser holds there is taken when read
            frame.stale = True
            return frame
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
        self._show(parent, path[-1] if path else None, self.text)

    def _end(self, top: Frame, path: Path, value: Any) -> None:
        if len(path) == top.depth:
            self.stack.pop()
            parent = self.stack[-1]
            try:
                display, given = top.finish(value)
            except PartFailed as failed:
                self._fail(parent, path, failed.errors)
                return
            # A container finishes as the object it was shown as, or (shown as parsed) as the copy shown last,
            # if nothing happened since: nothing new to show.
            shown = display is top.display or (isinstance(top, RawFrame) and top.linked and not top.stale)
            self._done(parent, path, display, given, shown=shown)
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
        given = shape.checked_input(display, value)
        self._done(parent, path, display, given, shown=self.text_shown and display == self.text)

    def _done(self, parent: Frame, path: Path, value: Any, given: Any, *, shown: bool = False) -> None:
        """The part at ``path`` finished valid as ``value`` (``shown``: the partial already showed it so); ``given``
        is what the part holding it is validated from."""
        if parent is self.root:
            if self.root_check is not None:
                try:
                    value = given = self.root_check(given)
                except pydantic.ValidationError as error:
                    self._fail(parent, path, errors_of(error))
                    return
            self.complete = True
        elif self.sink_check is not None and isinstance(parent, ListFrame) and parent.sink is not None:
            try:
                value = given = self.sink_check(given)
            except pydantic.ValidationError as error:
                self._fail(parent, path, errors_of(error))
                return
        if self.shared:
            self._unshare()
        parent.done(path[-1] if path else None, value, given)
        if not shown:
            self.changed = True

    # ------------------------------------------------------------------------------------------------------------
    # changing the partial: copy first what a caller still holds

    def _show(self, frame: Frame, step: Step, value: Any, *, open_child: bool = False) -> bool:
        if self.shared:
            self._unshare()
        held = frame.show(step, value, open_child=open_child)
        if held:
            self.changed = True
        return held

    def _unshare(self) -> None:
        """Before the first change after a hand-out: make every open container on the path writable.

        Top down, each frame's partial is checked for holders besides the builder: its reference count, less the
        references the builder's own partials hold (the parent's current and spare partials may hold it), and
        whether a parent partial that holds it is itself held. A held partial is left to its holder: the frame
        goes on with its spare brought up to date, if nobody holds that one (the usual loop, which keeps the
        latest partial while it feeds the next chunk), or else with a shallow copy. Then it is linked into its
        parent's current partial. (Called as ``if self.shared: self._unshare()`` before every change.)"""
        self.shared = False
        parent: Frame = self.root
        parent_held, spare_held = False, False  # whether the parent's display and spare are held
        parent_moved = False  # whether the parent went on with another partial in this walk
        for frame in self.stack:
            if frame is parent:
                continue  # the root frame
            if not (frame.linked and frame.copied):
                parent, parent_held, spare_held, parent_moved = frame, False, False, False  # nothing below is shown
                continue
            if not (parent_moved or parent_held) and frame.spare is None and getrefcount(frame.display) <= _ONLY_OURS:
                # The usual case, nobody holds anything: only the frame and its parent's partial hold it.
                parent, parent_held, spare_held, parent_moved = frame, False, False, False
                continue
            # Whose references a partial has: the frame's own attribute, and where the parent's display and spare
            # hold the open child (ids: a local that held the object would count as a reference).
            in_display = id(parent.slot(parent.display))
            in_spare = id(parent.slot(parent.spare)) if parent.spare is not None else 0
            this = id(frame.display)
            ours = 1 + (in_display == this) + (in_spare == this)
            held = getrefcount(frame.display) - _ARGUMENT > ours
            held = held or (in_display == this and parent_held) or (in_spare == this and spare_held)
            spare_now = False
            if frame.spare is not None:
                other = id(frame.spare)
                ours = 1 + (in_display == other) + (in_spare == other)
                spare_now = getrefcount(frame.spare) - _ARGUMENT > ours
                spare_now = spare_now or (in_display == other and parent_held) or (in_spare == other and spare_held)
            moved = held
            if held:
                if frame.spare is not None and not spare_now:
                    frame.catch_up()
                else:
                    frame.branch()
                spare_now = True  # the partial handed out, now the spare
            if in_display != id(frame.display):
                parent.relink(frame.display)
            parent, parent_held, spare_held, parent_moved = frame, False, spare_now, moved

    # ------------------------------------------------------------------------------------------------------------
    # failures

    def _fail(self, parent: Frame, path: Path, errors: ErrorList) -> None:
        if self.shared:
            self._unshare()
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
        return validation_error(self.title(), self.errors)

    # ------------------------------------------------------------------------------------------------------------
    # unions decided part-way

    def _replace(self, old: OpaqueFrame, new: Frame, path: Path) -> None:
        """A pending union became ``new``: replay the children it saw, then show it."""
        new.deferred = old.deferred
        new.step = old.step
        self.stack[-1] = new
        seen: dict[str, Any] = getattr(old, "seen", {})
        for key, raw in seen.items():
            shape = new.child_shape(key)
            if shape is None:
                new.done(key, raw, raw)
                continue
            shape = shape.resolve(json_kind(raw))
            if new.quiet and not _checks_without_validators(shape):
                # The variant is validated whole when it finishes (its validators run then, once): a container
                # seen before the variant was known is shown then too.
                continue
            try:
                display = shape.check(raw)
            except pydantic.ValidationError as error:
                self._fail(new, (*path, key), errors_of(error))
                continue
            new.done(key, display, shape.checked_input(display, raw))
        new.linked = self._show(self.stack[-2], new.step, new.display, open_child=True)


def _shows_in_live_value(kind: str, value: Any) -> bool:
    """Whether an event inside a live container changes what it shows: text grew, a container or string began,
    a number or literal finished (a finished string or container was shown already)."""
    if kind == "delta":
        return True
    if kind == "begin":
        return value in ("object", "array", "string")
    return not isinstance(value, str | list | dict)


def _checks_without_validators(shape: Shape) -> bool:
    """Whether ``shape.check`` runs no validator: a scalar's type and constraints (a union's variants may have
    validators of their own)."""
    return isinstance(shape, LeafShape) and not isinstance(shape, UnionLeafShape)


def _check_scalar(shape: Shape, value: Any) -> Any:
    if isinstance(shape, LeafShape) and shape.plain and type(value) is shape.annotation:
        return value
    return shape.check(value)


def validation_error(title: str, errors: ErrorList) -> pydantic.ValidationError:
    """One ValidationError of every part that failed (pydantic error dicts, located in the document)."""
    return pydantic.ValidationError.from_exception_data(title, [_init_error(e) for e in errors])


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

    def show(self, step: Step, value: Any, *, open_child: bool = False) -> bool:
        return False

    def drop(self, step: Step) -> None:
        pass


_SKIPPED = RawShape(Any, live=False)
