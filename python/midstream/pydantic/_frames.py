"""Frames: one per open container the partial builder follows, each holding that container's partial value.

A frame is told about its children as they begin (``child_shape``), change (``show``), finish valid (``done``) or
finish invalid (``drop``); when the container itself finishes, ``finish`` returns its validated value or raises
``PartFailed``. *Opaque* frames stand for containers whose children are not followed one by one (``Any``, a
container where a scalar was declared, an invalid part, an undecided union): they see only their direct children.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic

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

    def __init__(self, depth: int, display: Any) -> None:
        self.depth = depth  # length of the container's path
        self.display = display  # the partial value shown for it
        self.deferred = False

    @property
    def quiet(self) -> bool:
        """Whether failures of this frame's children are left for an enclosing validation to report."""
        return self.deferred or self.validates_raw

    def child_shape(self, step: Step) -> Shape | None:
        """The shape of the child that begins at ``step`` (None: not part of the type; keep it raw)."""
        raise NotImplementedError

    def show(self, step: Step, value: Any) -> None:
        """The open child at ``step`` now displays as ``value``."""
        raise NotImplementedError

    def done(self, step: Step, value: Any) -> None:
        """The child at ``step`` finished and is valid: ``value`` is its checked value."""
        self.show(step, value)

    def drop(self, step: Step) -> None:
        """The child at ``step`` is invalid: leave it out of the partial."""
        raise NotImplementedError

    def finish(self, raw: Any) -> Any:
        """The container finished (``raw`` is its JSON value): return its validated value or raise PartFailed."""
        return self.display


class RootFrame(Frame):
    """The place that holds the root value."""

    def __init__(self, shape: Shape) -> None:
        super().__init__(-1, None)
        self.shape = shape

    def child_shape(self, step: Step) -> Shape:
        return self.shape

    def show(self, step: Step, value: Any) -> None:
        self.display = value

    def drop(self, step: Step) -> None:
        pass  # an invalid root keeps its last partial; finish() reports it


class RecordFrame(Frame):
    """A model, dataclass or TypedDict being filled in field by field."""

    def __init__(self, depth: int, shape: RecordShape, union: UnionShape | None = None) -> None:
        super().__init__(depth, shape.new_partial())
        self.shape = shape
        self.fields = shape.fields
        self.inputs: dict[str, Any] = {}  # what the record is validated from, by JSON key
        self.invalid: set[str] = set()  # keys and names of children that failed (their errors are reported)
        self.spec: FieldSpec | None = None  # the field of the open child
        # A variant picked from a union is validated by the union itself, so that pydantic's rules pick the final
        # variant and locate the errors (`pet.cat.name`).
        self.union = union
        self.validates_raw = union is not None or shape.validates_raw

    def child_shape(self, step: Step) -> Shape | None:
        self.spec = spec = self.fields.get(step)  # type: ignore[arg-type]
        return spec.shape if spec is not None else None

    def show(self, step: Step, value: Any) -> None:
        spec = self.spec
        if spec is not None and not spec.hidden:
            self.shape.set_field(self.display, spec, value)

    def done(self, step: Step, value: Any) -> None:
        self.inputs[step] = value  # type: ignore[index]
        self.invalid.discard(step)
        self.show(step, value)

    def drop(self, step: Step) -> None:
        self.inputs.pop(step, None)  # type: ignore[arg-type]
        self.invalid.add(step)  # type: ignore[arg-type]
        if self.spec is not None:
            self.invalid.update((self.spec.key, self.spec.name))
            self.shape.unset_field(self.display, self.spec)

    def finish(self, raw: Any) -> Any:
        if self.deferred:
            return self.display
        try:
            if self.union is not None:
                return self.union.check(raw)
            if self.shape.validates_raw:
                return self.shape.check(raw)
            return self.shape.validate(self.inputs)
        except pydantic.ValidationError as error:
            errors = errors_of(error)
        if self.validates_raw:  # the raw value's errors are all of them, children's included
            raise PartFailed(errors)
        # Children that failed were reported already; drop the "missing" errors their absence caused.
        raise PartFailed([e for e in errors if not (e["loc"] and e["loc"][0] in self.invalid)])


class ListFrame(Frame):
    """An array whose items are followed one by one. With a ``sink``, finished items go there, not into the list."""

    def __init__(self, depth: int, shape: ListShape, sink: Callable[[Any], None] | None = None) -> None:
        super().__init__(depth, [])
        self.shape = shape
        self.item = shape.item
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

    def show(self, step: Step, value: Any) -> None:
        if self.sink is not None:
            return
        if self.shown:
            self.display[-1] = value
        else:
            self.display.append(value)
            self.shown = True

    def done(self, step: Step, value: Any) -> None:
        if self.sink is not None:
            self.sink(value)
        else:
            self.show(step, value)

    def drop(self, step: Step) -> None:
        if self.shown:
            self.display.pop()
            self.shown = False

    def finish(self, raw: Any) -> Any:
        container = self.shape.container
        return self.display if container is None else container(self.display)


class DictFrame(Frame):
    """An object with arbitrary keys, every value of one shape."""

    def __init__(self, depth: int, shape: DictShape) -> None:
        super().__init__(depth, {})
        self.value = shape.value

    def child_shape(self, step: Step) -> Shape:
        return self.value

    def show(self, step: Step, value: Any) -> None:
        self.display[step] = value

    def drop(self, step: Step) -> None:
        self.display.pop(step, None)


class OpaqueFrame(Frame):
    """A container checked as a whole when it finishes; shown as ``None`` until then."""

    def __init__(self, depth: int, shape: Shape) -> None:
        super().__init__(depth, None)
        self.shape = shape

    def on_child(self, kind: str, step: Step, value: Any) -> Frame | None:
        """A direct child began (kind ``begin``) or ended; return a frame to take this one's place, if any."""
        return None

    def finish(self, raw: Any) -> Any:
        try:
            return self.shape.check(raw)
        except pydantic.ValidationError as error:
            raise PartFailed(errors_of(error)) from None


class RawFrame(OpaqueFrame):
    """A container of type ``Any`` or ``dict``: shown as the parser's own partial value while it grows."""

    def __init__(self, depth: int, shape: RawShape, live: Any) -> None:
        super().__init__(depth, shape)
        self.display = live


class DeadFrame(OpaqueFrame):
    """A container already known to be invalid: its remaining children are ignored."""

    def finish(self, raw: Any) -> Any:
        raise PartFailed([])


class PendingUnionFrame(OpaqueFrame):
    """An object that may be one of several records; becomes a RecordFrame once one variant is certain."""

    def __init__(self, depth: int, shape: PendingUnionShape) -> None:
        super().__init__(depth, shape.union)
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
                return RecordFrame(self.depth, self.candidates[0], union=pending.union)
            return None
        self.seen[step] = value  # type: ignore[index]
        if step in pending.tag_keys:
            try:
                record = pending.by_tag.get(value)
            except TypeError:  # an unhashable tag (a list, say): no variant
                record = None
            if record is not None:
                return RecordFrame(self.depth, record, union=pending.union)
        return None
