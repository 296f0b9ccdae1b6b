"""The plan of a type for the native typed builder (``midstream._native.TypedParser``), and the few Python steps it
calls: where pydantic itself must run.

``compile_plan(shape)`` walks the shapes of a type (``_shapes``) and writes each as a node the Rust builder follows
without asking Python: a record (model, dataclass, TypedDict) with its fields by JSON key, a list, a dict, a scalar
(plain ``str``/``int``/``float``/``bool``/``None``, checked natively, or any other, checked here), or a value checked
as a whole. A *place* (a field, an item, the root) is six node ids, one per JSON kind, as ``Shape.resolve(kind)``
decides. Types whose shapes the native builder does not cover yet (unions of records told apart by their keys,
records validated from their raw value, fields with their own ``before``/``wrap``/``plain`` validators) give
``None``: ``ModelStream`` then uses the Python builder
(``_builder.PartialBuilder``), which covers everything.

The hooks below are called by the native builder: once per record that begins (its partial instance) and
finishes (its validation, from its children's checked values), once per scalar that is not plain (a Literal, an
Enum, a constrained number), and when a part fails (its errors, located).
"""

from __future__ import annotations

import enum
import functools
import sys
import types
import weakref
from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin

import pydantic

from midstream._native import TypedPlan
from midstream.pydantic._builder import validation_error as _validation_error
from midstream.pydantic._cache import TypeCache
from midstream.pydantic._frames import ErrorList, errors_of
from midstream.pydantic._reuse import Validated as Validated  # the hooks the native builder reads
from midstream.pydantic._shapes import (
    DataclassShape,
    DictShape,
    DoneShape,
    FieldSpec,
    LeafShape,
    ListShape,
    ModelShape,
    RawShape,
    RecordShape,
    Shape,
    TypedDictShape,
    UnionLeafShape,
    strip_annotated,
)

#: The JSON kinds, in the order of a place's node ids (``JsonKind`` in ``rust/python/src/typed/event.rs``).
KINDS = ("object", "array", "string", "number", "boolean", "null")
_PLAIN = {str: 1, int: 2, float: 3, bool: 4, type(None): 5}

Node = tuple[Any, ...]
Place = list[int]


class _Unsupported(Exception):
    """A shape the native builder does not follow."""


def plan_of(shape: Shape) -> TypedPlan | None:
    """The native plan of ``shape``'s type (made once per shape, so once per type), or ``None`` if the native
    builder does not cover it."""
    try:
        return _plans[shape]
    except KeyError:
        pass
    compiled = compile_plan(shape)
    plan = _plans[shape] = None if compiled is None else TypedPlan(*compiled, sys.modules[__name__])
    return plan


_plans: weakref.WeakKeyDictionary[Shape, TypedPlan | None] = weakref.WeakKeyDictionary()


def compile_plan(shape: Shape) -> tuple[list[Node], Place] | None:
    """The nodes and the root place of ``shape``'s type, or ``None`` if the native builder does not cover it."""
    try:
        return _Compiler().compile(shape)
    except _Unsupported:
        return None


class _Compiler:
    def __init__(self) -> None:
        self.nodes: list[Node | None] = []
        self.ids: dict[int, int] = {}
        self.keep: list[Shape] = []  # resolved shapes may be new objects: kept alive so their ids stay unique
        self.todo: list[tuple[int, Shape]] = []
        self.places: dict[int, Place] = {}

    def compile(self, shape: Shape) -> tuple[list[Node], Place]:
        root = self.place(shape)
        while self.todo:  # a worklist, not recursion: self-referencing types end here too
            index, resolved = self.todo.pop()
            self.nodes[index] = self.describe(resolved)
        return [node for node in self.nodes if node is not None], root

    def place(self, shape: Shape) -> Place:
        place = self.places.get(id(shape))  # fields of one type share their shape, so their place
        if place is None:
            place = self.places[id(shape)] = [self.node(shape.resolve(kind)) for kind in KINDS]
            self.keep.append(shape)
        return place

    def node(self, shape: Shape) -> int:
        index = self.ids.get(id(shape))
        if index is None:
            index = self.ids[id(shape)] = len(self.nodes)
            self.nodes.append(None)
            self.keep.append(shape)
            self.todo.append((index, shape))
        return index

    def describe(self, shape: Shape) -> Node:
        if shape.hidden:
            raise _Unsupported
        if isinstance(shape, RecordShape):
            if shape.validates_raw:
                raise _Unsupported
            kind = _RECORD_KINDS.get(type(shape))
            if kind is None:
                raise _Unsupported
            fields = {}
            for key, spec in shape.fields.items():
                field_shape = spec.shape
                if field_shape.hidden:  # `spec.hidden`, one descriptor call fewer per field
                    raise _Unsupported
                fields[key] = (spec.name, spec, self.place(field_shape), spec.key)
            return ("record", shape, kind, fields, shape.cls, shape.passes_as_instance)
        if isinstance(shape, ListShape):
            if shape.item.hidden:
                raise _Unsupported
            return ("list", shape, self.place(shape.item), shape.max_length, shape.container)
        if isinstance(shape, DictShape):
            if shape.value.hidden:
                raise _Unsupported
            return ("dict", shape, self.place(shape.value))
        if isinstance(shape, LeafShape):
            plain = 0
            if shape.plain and not isinstance(shape, UnionLeafShape):
                plain = _PLAIN.get(shape.annotation, 0)
            choices = None if isinstance(shape, UnionLeafShape) else _choices(shape.annotation)
            return ("leaf", shape, plain, shape.grows, shape.max_length, choices)
        if type(shape) is RawShape or type(shape) is DoneShape:
            return ("live", shape, shape.passthrough) if shape.live else ("checked", shape)
        raise _Unsupported


def whole_validator(tp: Any) -> Callable[[str | bytes], Any] | None:
    """``tp``'s own ``validate_json``, if a document of it that arrives whole may be validated by it in one call
    (cached per type: ``_whole_validator``)."""
    return _whole_validators.get(tp, lambda key: (_whole_validator(key),))[0]


_whole_validators: TypeCache[tuple[Callable[[str | bytes], Any] | None]] = TypeCache("__midstream_whole_validator__")


def _whole_validator(tp: Any) -> Callable[[str | bytes], Any] | None:
    """``tp``'s own ``validate_json``, if a document that arrives whole in one chunk may be validated by it in one
    call: when ``tp`` runs no Python code of its own while it validates (no validators, ``__post_init__``, custom
    ``__init__``, default factories, ``_missing_``), one call gives what following the document part by part gives,
    and an invalid document can go to the part-by-part path without anything having run twice."""
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        schema: Any = tp.__pydantic_core_schema__
        validator: Any = tp.__pydantic_validator__
    else:
        try:
            adapter = pydantic.TypeAdapter(tp)
        except Exception:  # the part-by-part path reports what is wrong with the type
            return None
        schema, validator = adapter.core_schema, adapter.validator
    if runs_python(schema):
        return None
    return validator.validate_json  # type: ignore[no-any-return]


#: Core schema types that call Python code.
_PYTHON_SCHEMAS = frozenset({"function-before", "function-after", "function-wrap", "function-plain", "call"})
#: Keys of a core schema whose presence means Python code runs while validating.
_PYTHON_KEYS = ("default_factory", "missing", "post_init", "custom_init")
_FUNCTIONS = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, functools.partial)


def runs_python(schema: Any) -> bool:
    """Whether validating with this core schema may call Python code (a validator, a factory...); its
    serialization and metadata, which validation does not run, aside."""
    todo = [schema]
    while todo:  # a worklist: schemas nest as deep as the types
        item = todo.pop()
        if isinstance(item, dict):
            if item.get("type") in _PYTHON_SCHEMAS or any(item.get(key) for key in _PYTHON_KEYS):
                return True
            todo.extend(value for key, value in item.items() if key not in ("serialization", "metadata"))
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
        elif isinstance(item, _FUNCTIONS):
            return True
    return False


_RECORD_KINDS: dict[type, str] = {ModelShape: "model", TypedDictShape: "typeddict", DataclassShape: "dataclass"}


def _choices(annotation: Any) -> dict[str | int, Any] | None:
    """For a ``Literal`` or an ``Enum`` of ``str``/``int`` values: what each JSON value of them validates to (the
    native builder looks a finished scalar up here; a value not found is left to pydantic, which may still accept
    it in lax mode, or reject it). None for anything else, or for values a lookup could confuse (``True == 1``)."""
    base, metadata = strip_annotated(annotation)
    if any(not isinstance(item, pydantic.Strict) for item in metadata):
        return None
    if get_origin(base) is Literal:
        pairs = [(value, value) for value in get_args(base)]
    elif isinstance(base, type) and issubclass(base, enum.Enum):
        pairs = [(member.value, member) for member in base]
    else:
        return None
    if not all(type(value) in (str, int) for value, _ in pairs):
        return None
    return dict(pairs)


# ---------------------------------------------------------------------------------------------------------------------
# hooks: what the native builder asks Python for


#: The errors the native builder tells from others (``Validated``, imported above, is what it wraps a validated
#: record in).
ValidationError = pydantic.ValidationError


def blank_of(shape: RecordShape) -> Any:
    """How the native builder makes a partial of this record itself (``ModelShape.blank``), or None: asked the
    first time one is made, since working it out inspects every default factory."""
    return shape.blank if isinstance(shape, ModelShape) else None


def new_partial(shape: RecordShape) -> Any:
    return shape.new_partial()


def record_validator(shape: RecordShape) -> Callable[[dict[str, Any]], Any]:
    """What validates a finished record from its children's values (built the first time one finishes)."""
    return shape.children_validator.validate_python


def record_whole_validator(shape: RecordShape) -> Callable[[bytes], Any] | None:
    """What validates a record that begins and ends within one chunk from its JSON text, in one call, if that gives
    what following it part by part gives (``whole_validator``): asked the first time one does."""
    return whole_validator(shape.cls)


def record_list_whole_validator(shape: RecordShape) -> Callable[[bytes], Any] | None:
    """The same for a list of such records: the items of a list that arrive whole one after another, validated
    together in one call (the list's own constraints are its frame's, checked item by item)."""
    return whole_validator(list[shape.cls])  # type: ignore[name-defined]


def record_errors(error: pydantic.ValidationError, invalid: set[str] | None) -> ErrorList:
    """A finished record's errors, less the "missing" ones of children that failed (reported already)."""
    errors = errors_of(error)
    if invalid:
        errors = [e for e in errors if not (e["loc"] and e["loc"][0] in invalid)]
    return errors


def check(shape: Shape, raw: Any) -> tuple[Any, ...]:
    """Check a finished value as a whole: ``(True, shown, given)`` or ``(False, errors)``."""
    try:
        value = shape.check(raw)
    except pydantic.ValidationError as error:
        return (False, errors_of(error))
    return (True, value, shape.checked_input(value, raw))


def check_root(root_check: Callable[[Any], Any], given: Any) -> tuple[Any, ...]:
    try:
        return (True, root_check(given))
    except pydantic.ValidationError as error:
        return (False, errors_of(error))


def unset_field(shape: RecordShape, partial: Any, spec: FieldSpec) -> None:
    shape.unset_field(partial, spec)


def set_dataclass(partial: Any, name: str, value: Any) -> None:
    object.__setattr__(partial, name, value)


def copy_partial(shape: RecordShape, partial: Any) -> Any:
    return shape.copy_partial(partial)


def locate(errors: ErrorList, path: tuple[str | int, ...]) -> ErrorList:
    return [{**error, "loc": (*path, *error["loc"])} for error in errors]


def string_too_long(text: str, limit: int) -> ErrorList:
    return [{"type": "string_too_long", "loc": (), "input": text, "ctx": {"max_length": limit}}]


def list_too_long(partial: list[Any], limit: int, count: int) -> ErrorList:
    ctx = {"field_type": "List", "max_length": limit, "actual_length": count}
    return [{"type": "too_long", "loc": (), "input": partial, "ctx": ctx}]


def validation_error(title: Callable[[], str], errors: ErrorList) -> pydantic.ValidationError:
    return _validation_error(title(), errors)
