"""Frames: one per open container the partial builder follows, each holding that container's partial value.

A frame is told about its children as they begin (``child_shape``), change (``show``), finish valid (``done``) or
finish invalid (``drop``); when the container itself finishes, ``finish`` returns what it shows and what the part
that holds it is validated from, or raises ``PartFailed``. *Opaque* frames stand for containers whose children are
not followed one by one (``Any``, a container where a scalar was declared, an invalid part, an undecided union):
they see only their direct children.

Each frame knows where it sits in its parent (``step``) and whether the parent's partial holds its own
(``linked``), so that the builder can leave alone a partial a caller still holds (see ``_builder``). For that a
frame may keep two partials: ``display``, the one it changes, and ``spare``, the one handed out before it; while
there is a spare, every change to ``display`` is also written to ``log``, so that the spare, once its holder lets
go of it, can be brought up to date (``catch_up``) and changed in turn: a caller that keeps only the latest
partial costs the changes of one chunk, never a copy of a long list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic

from midstream.pydantic._reuse import UnionValidated
from midstream.pydantic._shapes import (
    DictShape,
    FieldSpec,
    ListShape,
    PendingUnionShape,
    RawShape,
    RecordShape,
    Shape,
    UnionShape,
)

Step = str | int | None
ErrorList = list[dict[str, Any]]
Op = tuple[Any, ...]


class _Open:
    """Logged in place of an open child's partial: the builder links the right one when it changes buffers."""

    __slots__ = ()


OPEN = _Open()
#: A spare so far behind is dropped (a copy is cheaper than replaying this many changes).
_LOG_LIMIT = 256


class PartFailed(Exception):
    """A part is invalid. ``errors`` are pydantic error dicts located relative to that part."""

    def __init__(self, errors: ErrorList) -> None:
        super().__init__(errors)
        self.errors = errors


def errors_of(error: pydantic.ValidationError) -> ErrorList:
    return error.errors(include_url=False)  # type: ignore[return-value]


class Frame:
    """An open container that the builder follows child by child.

    A frame inside a part that is validated from its raw JSON value (a union's variant, a model with a ``before``
    model validator) is *deferred*: it builds its partial for display but validates nothing, and the failures of
    its children are not reported, since that enclosing validation reports them, located as pydantic locates them.
    """

    #: this container validates from its raw JSON value, so everything inside it is deferred
    validates_raw = False
    #: its partial is changed in place, so it is copied when a caller holds it (a snapshot never is)
    copied = True

    def __init__(self, depth: int, display: Any) -> None:
        self.depth = depth  # length of the container's path
        self.display = display  # the partial value shown for it
        self.deferred = False
        self.step: Step = None  # its key or index in the parent
        self.linked = False  # whether the parent's partial holds `display`
        self.spare: Any = None  # the partial handed out before `display`
        self.log: list[Op] | None = None  # the changes made to `display` since it matched `spare`

    @property
    def quiet(self) -> bool:
        """Whether failures of this frame's children are left for an enclosing validation to report."""
        return self.deferred or self.validates_raw

    def child_shape(self, step: Step) -> Shape | None:
        """The shape of the child that begins at ``step`` (None: not part of the type; keep it raw)."""
        raise NotImplementedError

    def show(self, step: Step, value: Any, *, open_child: bool = False) -> bool:
        """The open child at ``step`` now displays as ``value`` (``open_child``: the partial of a frame above this
        one); whether this frame's partial holds it."""
        raise NotImplementedError

    def _logged(self, op: Op, open_child: bool) -> None:
        log = self.log
        if log is None:
            return
        if len(log) >= _LOG_LIMIT:
            self.spare = self.log = None
        else:
            log.append((*op[:-1], OPEN) if open_child else op)

    def apply(self, buffer: Any, op: Op) -> None:
        """Make a logged change to ``buffer``."""
        raise NotImplementedError

    def slot(self, buffer: Any) -> Any:
        """What ``buffer`` holds where the open child sits (for telling whose references a partial has)."""
        return None

    def relink(self, value: Any) -> None:
        """Put ``value``, the open child's partial, where it sits in ``display`` (not logged)."""

    def catch_up(self) -> None:
        """Bring ``spare`` up to date and make it the one that changes; ``display`` becomes the spare."""
        assert self.log is not None
        spare = self.spare
        for op in self.log:
            self.apply(spare, op)
        self.spare, self.display = self.display, spare
        self.log = []

    def branch(self) -> None:
        """Go on with a copy: the partial handed out becomes the spare."""
        self.spare, self.display = self.display, self.copy_display()
        self.log = []

    def done(self, step: Step, value: Any, given: Any) -> None:
        """The child at ``step`` finished valid: it shows as ``value``; ``given`` is what this container is
        validated from (``value``, or ``value`` marked as validated already)."""
        self.show(step, value)

    def drop(self, step: Step) -> None:
        """The child at ``step`` is invalid: leave it out of the partial."""
        raise NotImplementedError

    def finish(self, raw: Any) -> tuple[Any, Any]:
        """The container finished (``raw`` is its JSON value): what it shows, and what the part holding it is
        validated from; raises PartFailed if it is invalid."""
        return self.display, self.display

    def copy_display(self) -> Any:
        """A shallow copy of the partial, to go on building while a caller keeps the one handed out."""
        return self.display


class RootFrame(Frame):
    """The place that holds the root value."""

    def __init__(self, shape: Shape) -> None:
        super().__init__(-1, None)
        self.shape = shape

    def child_shape(self, step: Step) -> Shape:
        return self.shape

    def show(self, step: Step, value: Any, *, open_child: bool = False) -> bool:
        self.display = value
        return True

    def drop(self, step: Step) -> None:
        pass  # an invalid root keeps its last partial; finish() reports it

    def slot(self, buffer: Any) -> Any:
        return buffer

    def relink(self, value: Any) -> None:
        self.display = value


class RecordFrame(Frame):
    """A model, dataclass or TypedDict being filled in field by field."""

    def __init__(self, depth: int, shape: RecordShape, union: UnionShape | None = None) -> None:
        super().__init__(depth, shape.new_partial())
        self.shape = shape
        self.fields = shape.fields
        self.inputs: dict[str, Any] = {}  # what the record is validated from, by JSON key
        self.invalid: set[str] = set()  # keys and names of children that failed (their errors are reported)
        self.spec: FieldSpec | None = None  # the field of the open child
        # A variant picked from a union is validated by the union of its place, so that pydantic's rules pick the
        # final variant and locate the errors (`pet.cat.name`).
        self.union = union
        self.validates_raw = union is not None or shape.validates_raw

    def child_shape(self, step: Step) -> Shape | None:
        self.spec = spec = self.fields.get(step)  # type: ignore[arg-type]
        return spec.shape if spec is not None else None

    def show(self, step: Step, value: Any, *, open_child: bool = False) -> bool:
        spec = self.spec
        if spec is None or spec.hidden:
            return False
        self.shape.set_field(self.display, spec, value)
        if self.log is not None:
            self._logged(("set", spec, value), open_child)
        return True

    def apply(self, buffer: Any, op: Op) -> None:
        if op[0] == "set":
            self.shape.set_field(buffer, op[1], op[2])
        else:
            self.shape.unset_field(buffer, op[1])

    def slot(self, buffer: Any) -> Any:
        return None if self.spec is None else self.shape.get_field(buffer, self.spec)

    def relink(self, value: Any) -> None:
        if self.spec is not None and not self.spec.hidden:
            self.shape.set_field(self.display, self.spec, value)

    def done(self, step: Step, value: Any, given: Any) -> None:
        self.inputs[step] = given  # type: ignore[index]
        self.invalid.discard(step)
        self.show(step, value)

    def drop(self, step: Step) -> None:
        self.inputs.pop(step, None)  # type: ignore[arg-type]
        self.invalid.add(step)  # type: ignore[arg-type]
        if self.spec is not None:
            self.invalid.update((self.spec.key, self.spec.name))
            self.shape.unset_field(self.display, self.spec)
            if self.log is not None:
                self._logged(("unset", self.spec), False)

    def finish(self, raw: Any) -> tuple[Any, Any]:
        if self.deferred:
            return self.display, self.display
        try:
            if self.union is not None:
                value = self.union.check(raw)
                return value, UnionValidated(value)
            shape = self.shape
            value = shape.check(raw) if shape.validates_raw else shape.validate(self.inputs)
            return value, shape.given(value)
        except pydantic.ValidationError as error:
            errors = errors_of(error)
        if self.validates_raw:  # the raw value's errors are all of them, children's included
            raise PartFailed(errors)
        # Children that failed were reported already; drop the "missing" errors their absence caused.
        raise PartFailed([e for e in errors if not (e["loc"] and e["loc"][0] in self.invalid)])

    def copy_display(self) -> Any:
        return self.shape.copy_partial(self.display)


class ListFrame(Frame):
    """An array whose items are followed one by one. With a ``sink``, finished items go there, not into the list."""

    def __init__(self, depth: int, shape: ListShape, sink: Callable[[Any], None] | None = None) -> None:
        super().__init__(depth, [])
        self.shape = shape
        self.item = shape.item
        self.inputs: list[Any] = []  # the finished items, as the part holding the list is validated from them
        self.count = 0  # items begun, in the document
        self.shown = False  # whether the open item is in the partial list yet
        self.sink = sink

    def child_shape(self, step: Step) -> Shape:
        self.count += 1
        self.shown = False
        return self.item

    @property
    def too_long(self) -> bool:
        limit = self.shape.max_length
        return limit is not None and self.count > limit

    def show(self, step: Step, value: Any, *, open_child: bool = False) -> bool:
        if self.sink is not None or self.item.hidden:
            return False
        if self.shown:
            self.display[-1] = value
            op = "last"
        else:
            self.display.append(value)
            self.shown = True
            op = "append"
        if self.log is not None:
            self._logged((op, value), open_child)
        return True

    def apply(self, buffer: Any, op: Op) -> None:
        if op[0] == "last":
            buffer[-1] = op[1]
        elif op[0] == "append":
            buffer.append(op[1])
        else:
            buffer.pop()

    def slot(self, buffer: Any) -> Any:
        return buffer[-1] if self.shown and buffer else None

    def relink(self, value: Any) -> None:
        if self.shown:
            self.display[-1] = value

    def done(self, step: Step, value: Any, given: Any) -> None:
        if self.sink is not None:
            self.sink(value)
            return
        self.inputs.append(given)
        self.show(step, value)

    def drop(self, step: Step) -> None:
        if self.shown:
            self.display.pop()
            self.shown = False
            if self.log is not None:
                self._logged(("pop",), False)

    def finish(self, raw: Any) -> tuple[Any, Any]:
        container = self.shape.container
        if container is None:
            return self.display, self.inputs
        return container(self.display), container(self.inputs)

    def copy_display(self) -> Any:
        return list(self.display)


class DictFrame(Frame):
    """An object with arbitrary keys, every value of one shape."""

    def __init__(self, depth: int, shape: DictShape) -> None:
        super().__init__(depth, {})
        self.value = shape.value
        self.inputs: dict[Any, Any] = {}
        self.step_open: Step = None  # the key last shown: the open child's, while it is open

    def child_shape(self, step: Step) -> Shape:
        return self.value

    def show(self, step: Step, value: Any, *, open_child: bool = False) -> bool:
        if self.value.hidden:
            return False
        self.display[step] = value
        self.step_open = step
        if self.log is not None:
            self._logged(("set", step, value), open_child)
        return True

    def apply(self, buffer: Any, op: Op) -> None:
        if op[0] == "set":
            buffer[op[1]] = op[2]
        else:
            buffer.pop(op[1], None)

    def slot(self, buffer: Any) -> Any:
        return buffer.get(self.step_open)

    def relink(self, value: Any) -> None:
        self.display[self.step_open] = value

    def done(self, step: Step, value: Any, given: Any) -> None:
        self.inputs[step] = given
        self.show(step, value)

    def drop(self, step: Step) -> None:
        self.display.pop(step, None)
        self.inputs.pop(step, None)
        if self.log is not None:
            self._logged(("pop", step), False)

    def finish(self, raw: Any) -> tuple[Any, Any]:
        return self.display, self.inputs

    def copy_display(self) -> Any:
        return dict(self.display)


class OpaqueFrame(Frame):
    """A container checked as a whole when it finishes; shown as ``None`` until then."""

    def __init__(self, depth: int, shape: Shape) -> None:
        super().__init__(depth, None)
        self.shape = shape

    def on_child(self, kind: str, step: Step, value: Any) -> Frame | None:
        """A direct child began (kind ``begin``) or ended; return a frame to take this one's place, if any."""
        return None

    def finish(self, raw: Any) -> tuple[Any, Any]:
        try:
            value = self.shape.check(raw)
        except pydantic.ValidationError as error:
            raise PartFailed(errors_of(error)) from None
        return value, self.shape.checked_input(value, raw)


class RawFrame(OpaqueFrame):
    """A container of type ``Any`` or ``dict``: shown as the parser's own partial value while it grows.

    The parser changes that value in place, so what the partial holds is a snapshot of it (``snapshot``), taken
    again when the partial is read after a change (``stale``)."""

    copied = False

    def __init__(self, depth: int, shape: RawShape, snapshot: Callable[[], Any] | None) -> None:
        super().__init__(depth, shape)
        self.snapshot = snapshot
        self.stale = False
        if snapshot is not None:
            self.display = snapshot()


class DeadFrame(OpaqueFrame):
    """A container already known to be invalid: its remaining children are ignored."""

    def finish(self, raw: Any) -> tuple[Any, Any]:
        raise PartFailed([])


class PendingUnionFrame(OpaqueFrame):
    """An object that may be one of several records; becomes a RecordFrame once one variant is certain."""

    def __init__(self, depth: int, shape: PendingUnionShape) -> None:
        super().__init__(depth, shape.outer)
        self.pending = shape
        self.candidates = shape.records
        self.seen: dict[str, Any] = {}  # finished children, to replay into the variant's frame

    def on_child(self, kind: str, step: Step, value: Any) -> Frame | None:
        pending = self.pending
        if kind == "begin":
            narrowed = pending.narrow(self.candidates, step)  # type: ignore[arg-type]
            if narrowed:
                self.candidates = narrowed
            if len(self.candidates) == 1 and pending.union.discriminator is None:
                return RecordFrame(self.depth, self.candidates[0], union=pending.outer)
            return None
        self.seen[step] = value  # type: ignore[index]
        if step in pending.tag_keys:
            try:
                record = pending.by_tag.get(value)
            except TypeError:  # an unhashable tag (a list, say): no variant
                record = None
            if record is not None:
                return RecordFrame(self.depth, record, union=pending.outer)
        return None
