"""Shapes: what the partial builder needs to know about each place in the document.

A shape answers three questions for one place: which shape a child at a key or index has, what a finished scalar
there looks like once it is checked (``check``), and how to validate the finished value (``validate``). Shapes are
made from types by the compiler (``_compile.compile_shape``), lazily and cached per type, so a model with 40 fields
costs nothing until a field is seen, and self-referencing models terminate.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import enum
import json
import types
import typing
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Literal, Union, get_args, get_origin

import typing_extensions
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import SchemaValidator

from midstream.pydantic._cache import cached_property
from midstream.pydantic._reuse import UnionValidated, Validated, children_validator, passes_as_instance

# JSON kinds, as in the `begin` events of the native parser.
OBJECT, ARRAY, STRING = "object", "array", "string"
JsonKind = Literal["object", "array", "string", "number", "boolean", "null"]


class Shape:
    """A place in the document. Subclasses say how children and finished values are handled there."""

    #: the annotation this shape was compiled from (with its constraints, without its own validators)
    annotation: Any
    #: whether a string here is shown while it grows, and the length past which it is invalid
    grows = False
    max_length: int | None = None
    #: whether the value here stays out of the partial until the enclosing part validates it (its own
    #: ``before``/``wrap``/``plain`` validator must see the raw value)
    hidden = False

    def resolve(self, kind: str) -> Shape:
        """The shape to use once the JSON kind of the value here is known (unions pick a variant here)."""
        return self

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.annotation)

    @cached_property
    def as_raw(self) -> RawShape:
        """This place's type checked as a whole (a value of a JSON kind it does not follow), made once."""
        return RawShape(self.annotation)

    def check(self, raw: Any) -> Any:
        """Validate a finished value that was not built child by child; raises ``pydantic.ValidationError``.

        In JSON mode, as ``model_validate_json`` validates it (its error types and lax rules are JSON's)."""
        return self.adapter.validate_json(json.dumps(raw))

    def checked_input(self, value: Any, raw: Any) -> Any:
        """What the enclosing part is validated from, for ``value`` as ``check(raw)`` returned it.

        A container validated whole is handed over as ``Validated`` (its validators ran: they must not run
        again); a scalar as it is (its own validators, left out of ``check``, run with the enclosing part)."""
        return value


class RawShape(Shape):
    """A place whose value is shown as parsed and checked as a whole when it finishes (``Any``, ``dict``...)."""

    def __init__(self, annotation: Any, *, live: bool | None = None, union: bool = False) -> None:
        self.annotation = annotation
        self.passthrough = annotation is Any or annotation is object
        self.grows = self.passthrough
        # Untyped containers show the parser's own partial value while they grow; typed ones show once checked.
        self.live = self.passthrough or annotation in (dict, list) if live is None else live
        # A union whose variant the builder could not tell: checked whole, as the union.
        self.union = union

    def check(self, raw: Any) -> Any:
        return raw if self.passthrough else super().check(raw)

    def checked_input(self, value: Any, raw: Any) -> Any:
        if self.passthrough:
            return value
        return UnionValidated(value) if self.union else Validated(value, json_kind(raw))


class DoneShape(RawShape):
    """A place marked ``midstream.Done`` that is not a scalar (a model, a list, a dict, an untyped value): nothing
    is shown until its value has finished; it is then validated as a whole, once, and shown final."""

    def __init__(self, inner: Shape) -> None:
        super().__init__(inner.annotation, live=False)
        self.grows = False
        self.inner = inner

    def checked_input(self, value: Any, raw: Any) -> Any:
        inner = self.inner
        if isinstance(inner, RecordShape):
            return inner.given(value)  # as the record's place takes it (the instance, or marked with its class)
        if isinstance(inner, RawShape):
            return inner.checked_input(value, raw)
        if isinstance(inner, UnionShape | PendingUnionShape):
            return UnionValidated(value)
        return Validated(value, json_kind(raw))


class LeafShape(Shape):
    """A scalar: shown once finished and checked (Literals, Enums, numbers); strings also show as they grow.

    The check is pydantic's JSON-mode validation of the scalar, as ``model_validate_json`` would do it, with the
    field's constraints but without its validators (those run once, with the enclosing model)."""

    def __init__(self, annotation: Any, *, grows: bool, max_length: int | None, plain: bool) -> None:
        self.annotation = annotation
        self.grows = grows
        self.max_length = max_length
        # A plain `str`/`int`/`float`/`bool`/`None` needs no adapter for a JSON value of its own kind.
        self.plain = plain

    def resolve(self, kind: str) -> Shape:
        if kind in (OBJECT, ARRAY):
            return self.as_raw
        return self

    def check(self, raw: Any) -> Any:
        if self.plain:
            kind = type(raw)
            if kind is self.annotation:
                return raw
            if self.annotation is float and kind is int and -_FLOAT_EXACT <= raw <= _FLOAT_EXACT:
                return float(raw)  # beyond this, pydantic's JSON parser rounds (or gives inf): ask it below
        return self.adapter.validate_json(json.dumps(raw))


class UnionLeafShape(LeafShape):
    """A scalar that several variants of a union take: checked against the whole union (whose variants may have
    validators of their own), and handed to the enclosing part as checked."""

    def __init__(self, annotation: Any) -> None:
        super().__init__(annotation, grows=False, max_length=None, plain=False)

    def checked_input(self, value: Any, raw: Any) -> Any:
        return UnionValidated(value)


#: Integers up to this size convert to the float pydantic's JSON parser gives for them.
_FLOAT_EXACT = 2**53


class UncheckedShape(Shape):
    """A place with its own ``before``/``wrap``/``plain`` validator: its raw value is what the enclosing part
    validates, so nothing is checked or shown here until that part finishes."""

    hidden = True

    def __init__(self, annotation: Any) -> None:
        self.annotation = annotation

    def check(self, raw: Any) -> Any:
        return raw


@dataclasses.dataclass(eq=False)
class FieldSpec:
    """One field of a record: its attribute name, the JSON key it is read from, and its (lazy) shape."""

    name: str
    key: str
    compile_shape: Callable[[], Shape]

    @cached_property
    def shape(self) -> Shape:
        return self.compile_shape()

    @cached_property
    def hidden(self) -> bool:
        """A field whose own validator reads the raw value shows nothing until its record validates it."""
        return self.shape.hidden


class RecordShape(Shape):
    """An object with declared fields: a Pydantic model, a dataclass or a TypedDict."""

    #: the type whose instances the partials are
    cls: type
    #: validated from the raw JSON value rather than from its children's validated values
    validates_raw = False

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.annotation = cls

    @cached_property
    def fields(self) -> dict[str, FieldSpec]:
        """Fields by every JSON key that may name them."""
        raise NotImplementedError

    @cached_property
    def keys_by_name(self) -> dict[str, tuple[str, ...]]:
        """Every JSON key each field may be read from (alias, name...), by field name; the one it is written under
        first."""
        keys: dict[str, list[str]] = {}
        for key, spec in self.fields.items():
            spellings = keys.setdefault(spec.name, [spec.key])
            if key not in spellings:
                spellings.append(key)
        return {name: tuple(spellings) for name, spellings in keys.items()}

    @cached_property
    def field_count(self) -> int:
        return len({spec.name for spec in self.fields.values()})

    def resolve(self, kind: str) -> Shape:
        return self if kind == OBJECT else self.as_raw

    def new_partial(self) -> Any:
        raise NotImplementedError

    def set_field(self, partial: Any, spec: FieldSpec, value: Any) -> None:
        raise NotImplementedError

    def unset_field(self, partial: Any, spec: FieldSpec) -> None:
        raise NotImplementedError

    def get_field(self, partial: Any, spec: FieldSpec) -> Any:
        raise NotImplementedError

    def copy_partial(self, partial: Any) -> Any:
        """A shallow copy of a partial instance, for a partial handed out that must not change."""
        return copy.copy(partial)

    @cached_property
    def children_validator(self) -> SchemaValidator:
        """The validator of the record from its children's finished values (finished parts as ``Validated``)."""
        return children_validator(self.cls)

    @cached_property
    def passes_as_instance(self) -> bool:
        """Whether its validated instance is handed over as it is, not in a ``Validated`` marker."""
        return passes_as_instance(self.cls)

    def given(self, value: Any) -> Any:
        """What the part holding a validated instance is validated from."""
        return value if self.passes_as_instance else Validated(value, self.cls)

    def validate(self, data: dict[str, Any]) -> Any:
        """Validate the record from its children's finished values (finished parts as ``Validated``)."""
        return self.children_validator.validate_python(data)

    def checked_input(self, value: Any, raw: Any) -> Any:
        return self.given(value)


class ModelShape(RecordShape):
    cls: type[BaseModel]

    @cached_property
    def fields(self) -> dict[str, FieldSpec]:
        model = self.cls
        config = model.model_config
        by_name = bool(config.get("validate_by_name") or config.get("populate_by_name"))
        by_alias = config.get("validate_by_alias", True)
        fields: dict[str, FieldSpec] = {}
        unchecked = _compile.fields_with_raw_validators(model)
        for name, info in model.model_fields.items():
            compiler = (
                _compile.unchecked_compiler(info)
                if name in unchecked
                else _compile.field_compiler(info, strict=self.strict)
            )
            spec = FieldSpec(name, _compile.json_key(name, info), compiler)
            if by_alias:
                fields[spec.key] = spec
            if by_name or not by_alias:
                fields.setdefault(name, spec)
        return fields

    @cached_property
    def strict(self) -> bool:
        return bool(self.cls.model_config.get("strict"))

    @cached_property
    def validates_raw(self) -> bool:
        """A ``before``/``wrap`` model validator must see the document's own dicts: validate from the raw value."""
        validators = self.cls.__pydantic_decorators__.model_validators.values()
        return any(v.info.mode in ("before", "wrap") for v in validators)

    @cached_property
    def _defaults(self) -> dict[str, Callable[[], Any]]:
        """How each field's value in a fresh partial is made.

        Required fields, and defaults computed from the other fields (not there yet), are None. Factories are
        called directly: ``model_construct`` would inspect each factory's signature on every call."""
        return {name: _default_maker(info) for name, info in self.cls.model_fields.items()}

    @cached_property
    def blank(self) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...], bool] | None:
        """What a fresh partial is made of, when ``model_construct``'s generic steps can be skipped: the field
        values shared as they are (None for required fields), the ones made anew for each partial, and whether it
        keeps extra keys. None for a model whose partials ``model_construct`` must make (a ``model_post_init`` or
        private attributes to set up, a root model)."""
        cls = self.cls
        if cls.__pydantic_post_init__ or cls.__pydantic_root_model__:
            return None
        shared: dict[str, Any] = {}
        made: list[tuple[str, Callable[[], Any]]] = []
        for name, info in cls.model_fields.items():
            constant, default = _default_of(info)
            shared[name] = default if constant else None  # a placeholder keeps the fields' order
            if not constant:
                made.append((name, default))
        return shared, tuple(made), cls.model_config.get("extra") == "allow"

    def new_partial(self) -> BaseModel:
        blank = self.blank
        if blank is None:
            values = {name: make() for name, make in self._defaults.items()}
            return self.cls.model_construct(_fields_set=set(), **values)
        # What model_construct does for such a model, without its per-field alias and default lookups.
        shared, made, keeps_extra = blank
        values = shared.copy()
        for name, make in made:
            values[name] = make()
        partial = self.cls.__new__(self.cls)
        _object_setattr(partial, "__dict__", values)
        _object_setattr(partial, "__pydantic_fields_set__", set())
        _object_setattr(partial, "__pydantic_extra__", {} if keeps_extra else None)
        _object_setattr(partial, "__pydantic_private__", None)
        return partial

    def copy_partial(self, partial: Any) -> Any:
        if self.blank is None:
            return copy.copy(partial)
        # What BaseModel.__copy__ does for a partial made by new_partial (no private attributes to copy).
        extra = partial.__pydantic_extra__
        twin = self.cls.__new__(self.cls)
        _object_setattr(twin, "__dict__", partial.__dict__.copy())
        _object_setattr(twin, "__pydantic_fields_set__", set(partial.__pydantic_fields_set__))
        _object_setattr(twin, "__pydantic_extra__", None if extra is None else dict(extra))
        _object_setattr(twin, "__pydantic_private__", None)
        return twin

    def set_field(self, partial: Any, spec: FieldSpec, value: Any) -> None:
        partial.__dict__[spec.name] = value
        partial.__pydantic_fields_set__.add(spec.name)

    def unset_field(self, partial: Any, spec: FieldSpec) -> None:
        partial.__dict__[spec.name] = self._defaults[spec.name]()
        partial.__pydantic_fields_set__.discard(spec.name)

    def get_field(self, partial: Any, spec: FieldSpec) -> Any:
        return partial.__dict__.get(spec.name)

    def check(self, raw: Any) -> Any:
        return self.cls.model_validate_json(json.dumps(raw))


class DataclassShape(RecordShape):
    @cached_property
    def fields(self) -> dict[str, FieldSpec]:
        infos: dict[str, FieldInfo] | None = getattr(self.cls, "__pydantic_fields__", None)
        hints = typing.get_type_hints(self.cls, include_extras=True)
        fields: dict[str, FieldSpec] = {}
        for field in dataclasses.fields(self.cls):
            if not field.init:
                continue
            info = infos.get(field.name) if infos else None
            if info is not None:
                spec = FieldSpec(field.name, _compile.json_key(field.name, info), _compile.field_compiler(info))
            else:
                spec = FieldSpec(field.name, field.name, _compile.compiler(hints[field.name]))
            fields[spec.key] = spec
        return fields

    def new_partial(self) -> Any:
        partial: Any = object.__new__(self.cls)
        for field in dataclasses.fields(self.cls):
            self._set_default(partial, field)
        return partial

    def _set_default(self, partial: Any, field: dataclasses.Field[Any]) -> None:
        if field.default is not dataclasses.MISSING:
            value = field.default
        elif field.default_factory is not dataclasses.MISSING:
            value = field.default_factory()
        else:
            value = None
        # object.__setattr__ also works on frozen and slotted dataclasses.
        object.__setattr__(partial, field.name, value)

    def set_field(self, partial: Any, spec: FieldSpec, value: Any) -> None:
        object.__setattr__(partial, spec.name, value)

    def unset_field(self, partial: Any, spec: FieldSpec) -> None:
        field = next(f for f in dataclasses.fields(self.cls) if f.name == spec.name)
        self._set_default(partial, field)

    def get_field(self, partial: Any, spec: FieldSpec) -> Any:
        return getattr(partial, spec.name, None)


class TypedDictShape(RecordShape):
    """A TypedDict: its partial is a plain dict holding the keys seen so far."""

    @cached_property
    def fields(self) -> dict[str, FieldSpec]:
        hints = typing.get_type_hints(self.cls, include_extras=True)
        return {name: FieldSpec(name, name, _compile.compiler(hint)) for name, hint in hints.items()}

    def new_partial(self) -> dict[str, Any]:
        return {}

    def set_field(self, partial: Any, spec: FieldSpec, value: Any) -> None:
        partial[spec.key] = value

    def unset_field(self, partial: Any, spec: FieldSpec) -> None:
        partial.pop(spec.key, None)

    def get_field(self, partial: Any, spec: FieldSpec) -> Any:
        return partial.get(spec.key)

    def copy_partial(self, partial: Any) -> Any:
        return dict(partial)


class ListShape(Shape):
    """An array: ``list[X]``, ``tuple[X, ...]``, ``set[X]``, ``Sequence[X]``."""

    def __init__(
        self, annotation: Any, item: Callable[[], Shape], max_length: int | None, container: type | None = None
    ) -> None:
        self.annotation = annotation
        self._item = item
        self.max_length = max_length
        #: what the finished items are gathered into, when not a list (a strict model takes no list for a tuple)
        self.container = container

    @cached_property
    def item(self) -> Shape:
        return self._item()

    def resolve(self, kind: str) -> Shape:
        return self if kind == ARRAY else self.as_raw

    def checked_input(self, value: Any, raw: Any) -> Any:
        return Validated(value, ARRAY)


class DictShape(Shape):
    """An object with arbitrary keys: ``dict[str, X]``, ``Mapping[str, X]``."""

    def __init__(self, annotation: Any, value: Callable[[], Shape]) -> None:
        self.annotation = annotation
        self._value = value

    @cached_property
    def value(self) -> Shape:
        return self._value()

    def resolve(self, kind: str) -> Shape:
        return self if kind == OBJECT else self.as_raw

    def checked_input(self, value: Any, raw: Any) -> Any:
        return Validated(value, OBJECT)


class UnionShape(Shape):
    """``A | B``: the variant is picked from the JSON kind, from the discriminator, or from the keys seen."""

    def __init__(self, annotation: Any, options: Sequence[Callable[[], Shape]], discriminator: str | None) -> None:
        self.annotation = annotation
        self._options = options
        self.discriminator = discriminator
        self._resolved: dict[str, Shape] = {}

    @cached_property
    def options(self) -> list[Shape]:
        return [compile_option() for compile_option in self._options]

    def resolve(self, kind: str) -> Shape:
        shape = self._resolved.get(kind)
        if shape is None:
            shape = self._resolved[kind] = self._resolve(kind, self)
        return shape

    def _resolve(self, kind: str, outer: UnionShape) -> Shape:
        """The variant for a value of this JSON kind. ``outer`` is the union of the place (this one, or one that
        holds it as an option): what a value is checked against when the variant is not certain."""
        candidates = [option for option in self.options if _accepts(option, kind)]
        if len(candidates) == 1:
            (only,) = candidates
            return only._resolve(kind, outer) if isinstance(only, UnionShape) else only.resolve(kind)
        records = [option for option in candidates if isinstance(option, RecordShape)]
        if kind == OBJECT and records and len(records) == len(candidates):
            return PendingUnionShape(self, records, outer)
        if kind not in (OBJECT, ARRAY):  # a scalar several variants take: pydantic's union picks
            return UnionLeafShape(outer.annotation)
        return RawShape(outer.annotation, union=True)

    def checked_input(self, value: Any, raw: Any) -> Any:
        return UnionValidated(value)


class DoneUnionShape(UnionShape):
    """A union marked ``midstream.Done``: the variant is picked as for the union, then shown only once finished."""

    def __init__(self, union: UnionShape, done: Callable[[Shape], Shape]) -> None:
        super().__init__(union.annotation, union._options, union.discriminator)
        self._done = done

    def _resolve(self, kind: str, outer: UnionShape) -> Shape:
        return self._done(super()._resolve(kind, outer))


class PendingUnionShape(Shape):
    """An object that may be one of several records, until its keys or its discriminator decide which.

    ``union`` holds the candidates (and the discriminator); ``outer`` is the union of the place, which validates
    the object when it finishes, so that pydantic's rules pick the final variant and locate the errors."""

    def __init__(self, union: UnionShape, records: list[RecordShape], outer: UnionShape) -> None:
        self.annotation = outer.annotation
        self.union = union
        self.records = records
        self.outer = outer

    @cached_property
    def by_tag(self) -> dict[Any, RecordShape]:
        """Variant by discriminator value (for a discriminated union)."""
        tags: dict[Any, RecordShape] = {}
        key = self.union.discriminator
        for record in self.records:
            spec = next((s for s in record.fields.values() if s.name == key), None)
            annotation = _field_annotation(record, key) if spec is not None else None
            for tag in _literal_values(annotation):
                tags[tag.value if isinstance(tag, enum.Enum) else tag] = record
        return tags

    @cached_property
    def tag_keys(self) -> frozenset[str]:
        """The JSON keys that carry the discriminator in the variants."""
        key = self.union.discriminator
        return frozenset(s.key for r in self.records for s in r.fields.values() if s.name == key)

    def narrow(self, candidates: list[RecordShape], key: str) -> list[RecordShape]:
        return [record for record in candidates if key in record.fields]


def _accepts(shape: Shape, kind: str) -> bool:
    """Whether a variant can take a JSON value of this kind without a lax conversion."""
    if isinstance(shape, RecordShape | DictShape):
        return kind == OBJECT
    if isinstance(shape, ListShape):
        return kind == ARRAY
    if isinstance(shape, UnionShape):
        return any(_accepts(option, kind) for option in shape.options)
    if isinstance(shape, LeafShape):
        return kind in _leaf_kinds(shape.annotation)
    return True


def _leaf_kinds(annotation: Any) -> frozenset[str]:
    base = strip_annotated(annotation)[0]
    if base is type(None):
        return frozenset({"null"})
    if base is bool:
        return frozenset({"boolean"})
    if base in (int, float):
        return frozenset({"number"})
    if get_origin(base) is Literal:
        kinds = set()
        for value in get_args(base):
            value = value.value if isinstance(value, enum.Enum) else value
            kinds.add(json_kind(value))
        return frozenset(kinds)
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return frozenset(json_kind(member.value) for member in base)
    return frozenset({"string"})


def json_kind(value: Any) -> str:
    """The JSON kind of a JSON-native value (as the parser's ``begin`` events name it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return OBJECT
    if isinstance(value, list):
        return ARRAY
    return STRING


# ---------------------------------------------------------------------------------------------------------------------
# what the shapes of records and unions need of their types


def _no_default_yet(info: FieldInfo) -> bool:
    return info.is_required() or factory_takes_data(info)


#: Whether a default factory takes the validated data, by factory: pydantic works it out from the factory's
#: signature on every call (~150 µs for a builtin such as ``list``, whose signature is parsed from its text).
_takes_data: weakref.WeakKeyDictionary[Callable[..., Any], bool] = weakref.WeakKeyDictionary()


def factory_takes_data(info: FieldInfo) -> bool:
    """Whether the field's default factory takes the validated data (pydantic's own answer, kept per factory)."""
    factory = info.default_factory
    if factory is None:
        return False
    try:
        return _takes_data[factory]
    except (KeyError, TypeError):  # not asked yet, or not weakly referable
        pass
    takes = bool(getattr(info, "default_factory_takes_validated_data", False))
    with contextlib.suppress(TypeError):
        _takes_data[factory] = takes
    return takes


_IMMUTABLE = (int, float, str, bool, bytes, type(None), tuple, frozenset, enum.Enum)


def _default_of(info: FieldInfo) -> tuple[bool, Any]:
    """A field's value in a fresh partial: ``(True, value)`` for one shared as it is, ``(False, make)`` for one
    made anew for each partial (a factory, or a copy of a mutable default)."""
    if _no_default_yet(info):
        return True, None
    factory = info.default_factory
    if factory is not None:
        return False, factory
    default = info.default
    if isinstance(default, _IMMUTABLE):
        return True, default
    return False, lambda: copy.deepcopy(default)


def _default_maker(info: FieldInfo) -> Callable[[], Any]:
    constant, default = _default_of(info)
    if constant:
        return lambda: default
    return default  # type: ignore[no-any-return]


_object_setattr = object.__setattr__


def strip_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    """Split ``Annotated[T, ...]`` into ``T`` and its metadata, flattening nested ``Annotated``."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = get_args(annotation)
            metadata = [*extra, *metadata]
        elif origin in _TYPED_DICT_QUALIFIERS:  # NotRequired[T] and the like: T
            annotation = get_args(annotation)[0]
        else:
            return annotation, metadata


def _field_annotation(record: RecordShape, name: str | None) -> Any:
    if isinstance(record, ModelShape):
        info = record.cls.model_fields.get(name or "")
        return info.annotation if info else None
    hints = typing.get_type_hints(record.cls)
    return hints.get(name or "")


def _literal_values(annotation: Any) -> list[Any]:
    base = strip_annotated(annotation)[0]
    if get_origin(base) is Literal:
        return list(get_args(base))
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return list(base)
    if get_origin(base) in (Union, types.UnionType):
        return [value for arg in get_args(base) for value in _literal_values(arg)]
    return []


_TYPED_DICT_QUALIFIERS = {
    getattr(module, name)
    for module in (typing, typing_extensions)
    for name in ("Required", "NotRequired", "ReadOnly")
    if hasattr(module, name)
}


# The compiler makes these shapes, and record shapes ask it for their fields' shapes when first needed.
from midstream.pydantic import _compile  # noqa: E402
