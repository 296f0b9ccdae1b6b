"""The compiler: a type (a model, dataclass, TypedDict, list, dict, union, scalar, ``Annotated``...) into its shape
(``_shapes``), cached per type (``compile_shape``), and the fields of a record into the shapes of their values
(``field_compiler``). A shape's children are compiled when first needed, so self-referencing types terminate.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections import abc
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import pydantic
import typing_extensions
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from midstream.pydantic._cache import TypeCache
from midstream.pydantic._markers import Done
from midstream.pydantic._shapes import (
    DataclassShape,
    DictShape,
    DoneShape,
    DoneUnionShape,
    LeafShape,
    ListShape,
    ModelShape,
    RawShape,
    Shape,
    TypedDictShape,
    UncheckedShape,
    UnionShape,
    strip_annotated,
)

RAWVALIDATOR_TYPES: tuple[type, ...] = (pydantic.BeforeValidator, pydantic.PlainValidator, pydantic.WrapValidator)
VALIDATOR_TYPES: tuple[type, ...] = (
    pydantic.AfterValidator,
    pydantic.BeforeValidator,
    pydantic.PlainValidator,
    pydantic.WrapValidator,
)

_shapes: TypeCache[Shape] = TypeCache("__midstream_shape__")


def compile_shape(annotation: Any) -> Shape:
    """The shape of ``annotation``, cached (so recursive types share one shape per type)."""
    return _shapes.get(annotation, _compile)


def compiler(annotation: Any) -> Callable[[], Shape]:
    return lambda: compile_shape(annotation)


def fields_with_raw_validators(model: type[BaseModel]) -> set[str]:
    """Fields whose own validators take the raw input (``mode='before'``, ``'wrap'``, ``'plain'``)."""
    names: set[str] = set()
    for decorator in model.__pydantic_decorators__.field_validators.values():
        if decorator.info.mode in ("before", "wrap", "plain"):
            fields = decorator.info.fields
            names.update(model.model_fields if "*" in fields else fields)
    for name, info in model.model_fields.items():
        if info.metadata and any(isinstance(m, RAWVALIDATOR_TYPES) for m in info.metadata):
            names.add(name)
    return names


def unchecked_compiler(info: FieldInfo) -> Callable[[], Shape]:
    return lambda: UncheckedShape(info.annotation)


def field_compiler(info: FieldInfo, *, strict: bool = False) -> Callable[[], Shape]:
    annotation = info.annotation
    if not (info.metadata or strict or info.discriminator is not None):
        return compiler(annotation)  # most fields: the annotation as it is
    metadata = list(info.metadata)
    if strict:
        metadata.append(pydantic.Strict())
    if info.discriminator is not None:
        metadata.append(pydantic.Field(discriminator=info.discriminator))
    if metadata:
        annotation = typing.Annotated[(annotation, *metadata)]  # type: ignore[assignment]
    return compiler(annotation)


def json_key(name: str, info: FieldInfo) -> str:
    alias = info.validation_alias
    if alias is None:
        return info.alias or name
    if isinstance(alias, str):
        return alias
    if isinstance(alias, pydantic.AliasChoices):
        first = alias.choices[0]
        if isinstance(first, str):
            return first
    return info.alias or name


def _constraints(metadata: list[Any]) -> list[Any]:
    """Metadata that constrains a value, without the validators (they run once, with the enclosing model)."""
    kept: list[Any] = []
    for item in metadata:
        if isinstance(item, VALIDATOR_TYPES):
            continue
        if isinstance(item, FieldInfo):
            kept.extend(m for m in item.metadata if not isinstance(m, VALIDATOR_TYPES))
            if item.discriminator is not None:
                kept.append(pydantic.Field(discriminator=item.discriminator))
            continue
        if _acted_on_by_pydantic(item):
            kept.append(item)
    return kept


def _acted_on_by_pydantic(item: Any) -> bool:
    """Whether pydantic reads this ``Annotated`` metadata when it validates: annotated-types constraints, pydantic's
    own markers, objects that build their own schema. Anything else (a docstring, ``midstream.Done``) it ignores,
    and so does the shape: ``Annotated[Model, "doc"]`` is the model's shape."""
    if isinstance(item, annotated_types.BaseMetadata | annotated_types.GroupedMetadata):
        return True
    if hasattr(item, "__get_pydantic_core_schema__") or hasattr(item, "__get_pydantic_json_schema__"):
        return True
    return type(item).__module__.partition(".")[0] in ("pydantic", "pydantic_core")


def _max_length(metadata: list[Any]) -> int | None:
    lengths = [item.max_length for item in metadata if isinstance(item, annotated_types.MaxLen)]
    lengths += [
        item.max_length for item in metadata if isinstance(item, pydantic.StringConstraints) and item.max_length
    ]
    return min(lengths) if lengths else None


def _discriminator(metadata: list[Any]) -> str | None:
    for item in metadata:
        value = getattr(item, "discriminator", None)
        if isinstance(value, str):
            return value
    return None


def _compile(annotation: Any) -> Shape:
    base, metadata = strip_annotated(annotation)
    if any(item is Done for item in metadata):
        return _done(compile_shape(_annotate(base, [item for item in metadata if item is not Done])))
    if any(isinstance(item, RAWVALIDATOR_TYPES) for item in metadata):
        # Its validator must see the raw value: left to the enclosing part, shown when that part validates.
        return UncheckedShape(annotation)
    constraints = _constraints(metadata)
    checked = typing.Annotated[(base, *constraints)] if constraints else base
    # A strict model's strictness reaches into its lists, dicts and unions, not into other models.
    strict = [c for c in constraints if isinstance(c, pydantic.Strict)]
    structural = len(strict) == len(constraints)
    if isinstance(base, _TYPE_ALIASES):
        return _compile(typing.Annotated[(base.__value__, *metadata)] if metadata else base.__value__)
    if base is Any or base is object:
        return RawShape(base)
    if isinstance(base, type) and issubclass(base, BaseModel) and structural:
        if not base.__pydantic_complete__:
            base.model_rebuild()
        return compile_shape(base) if constraints else ModelShape(base)
    if dataclasses.is_dataclass(base) and isinstance(base, type) and structural:
        return compile_shape(base) if constraints else DataclassShape(base)
    if typing_extensions.is_typeddict(base) and structural:
        return compile_shape(base) if constraints else TypedDictShape(base)
    origin = get_origin(base)
    args = get_args(base)
    if origin is Union or origin is types.UnionType:
        discriminator = _discriminator(metadata)
        # Constraints on `Optional[str]` (max_length...) apply to the value inside.
        inner = [m for m in constraints if getattr(m, "discriminator", None) is None]
        options = [compiler(_annotate(arg, inner) if arg is not type(None) else arg) for arg in args]
        return UnionShape(checked, options, discriminator)
    if origin in (list, set, frozenset) or origin in _SEQUENCES:
        item = args[0] if args else Any
        container = origin if origin in (set, frozenset) else None
        return ListShape(checked, compiler(_annotate(item, strict)), _max_length(constraints), container)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return ListShape(checked, compiler(_annotate(args[0], strict)), _max_length(constraints), tuple)
        return RawShape(checked)
    if origin is dict or origin in _MAPPINGS:
        if not args or strip_annotated(args[0])[0] is not str:
            return RawShape(checked)
        return DictShape(checked, compiler(_annotate(args[1], strict)))
    if base in (list, dict, tuple, set):
        return RawShape(checked)
    if origin is not None and origin is not Literal:
        return RawShape(checked)
    is_str = base is str
    plain = not constraints and base in (str, int, float, bool, type(None))
    return LeafShape(checked, grows=is_str, max_length=_max_length(constraints) if is_str else None, plain=plain)


def _done(shape: Shape) -> Shape:
    """``Annotated[T, Done]``: the shape of ``T``, shown only once finished. A scalar is checked natively as a
    number is (no longer shown while it grows); anything else is validated whole when it finishes (``DoneShape``).
    So ``Done`` costs nothing per chunk: the engines themselves hold the value back."""
    if type(shape) is LeafShape and shape.grows:
        return LeafShape(shape.annotation, grows=False, max_length=shape.max_length, plain=shape.plain)
    if isinstance(shape, LeafShape | DoneShape | DoneUnionShape) or shape.hidden:
        return shape  # already shown only once finished (a Literal, an Enum, a number...; a raw-validated place)
    if isinstance(shape, UnionShape):
        return DoneUnionShape(shape, _done)  # each variant, once picked, held back as it would be alone
    if type(shape) is RawShape and not shape.live:
        return shape  # a typed value checked whole: shown once finished already
    return DoneShape(shape)


def _annotate(annotation: Any, metadata: list[Any]) -> Any:
    return typing.Annotated[(annotation, *metadata)] if metadata else annotation


_TYPE_ALIASES = tuple(
    {getattr(typing, "TypeAliasType", typing_extensions.TypeAliasType), typing_extensions.TypeAliasType}
)

# `get_origin` maps the typing aliases (typing.Sequence, typing.List...) onto these.
_SEQUENCES = {abc.Sequence, abc.MutableSequence, abc.Set, abc.MutableSet}
_MAPPINGS = {abc.Mapping, abc.MutableMapping}
