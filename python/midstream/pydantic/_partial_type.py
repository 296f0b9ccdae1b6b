"""``Partial[Model]``: the type of a partial, for annotations; at run time a generated all-optional model."""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel

from midstream.pydantic._shapes import factory_takes_data

T = TypeVar("T")

if TYPE_CHECKING:
    # Partials are instances of the model itself, so for a type checker Partial[Model] is Model.
    Partial: typing.TypeAlias = Annotated[T, "midstream.Partial"]
else:

    class Partial:
        """``Partial[Model]``: ``Model`` with every field optional (default ``None`` or the declared default),
        nested models partial too. Cached per model. ``ModelStream`` partials are instances of ``Model`` itself;
        use this type to validate or annotate partial data (``Partial[User].model_validate({"name": "Ad"})``)."""

        def __class_getitem__(cls, model: type[BaseModel]) -> type[BaseModel]:
            return partial_model(model)


_partials: dict[type[BaseModel], type[BaseModel]] = {}


def partial_model(model: type[BaseModel]) -> type[BaseModel]:
    """The all-optional counterpart of ``model`` (and of every model it refers to), built once."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"Partial[...] takes a pydantic model class, not {model!r}")
    if model in _partials:
        return _partials[model]
    building: dict[type[BaseModel], str] = {}
    made: dict[str, type[BaseModel]] = {}
    _build(model, building, made)
    namespace: dict[str, Any] = dict(made)
    for partial in made.values():
        partial.model_rebuild(_types_namespace=namespace)
    return _partials[model]


def _build(model: type[BaseModel], building: dict[type[BaseModel], str], made: dict[str, type[BaseModel]]) -> str:
    """Create the partial class of ``model`` (forward references stand for classes still being built)."""
    name = f"Partial{model.__name__}"
    while name in made:  # two models with one name
        name += "_"
    building[model] = name
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation = _partial_annotation(info.annotation, building, made)
        takes_data = factory_takes_data(info)
        default = None if info.is_required() or takes_data else info.get_default(call_default_factory=True)
        fields[field_name] = (
            annotation | None,
            pydantic.Field(default=default, alias=info.alias, validation_alias=info.validation_alias),
        )
    config = pydantic.ConfigDict(**{k: v for k, v in model.model_config.items() if k != "validate_assignment"})  # type: ignore[typeddict-item]
    partial = pydantic.create_model(name, __config__=config, __doc__=model.__doc__, **fields)
    made[name] = partial
    _partials[model] = partial
    return name


def _partial_annotation(annotation: Any, building: dict[type[BaseModel], str], made: dict[str, type[BaseModel]]) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in _partials:
            return _partials[annotation]
        if annotation in building:
            return typing.ForwardRef(building[annotation])
        return made[_build(annotation, building, made)]
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is None or not args:
        return annotation
    if origin is Annotated:
        # Constraints and discriminators do not hold for partial data (a tag may not have arrived yet).
        return _partial_annotation(args[0], building, made)
    if origin is types.UnionType:
        origin = Union  # `X | Y` has no subscriptable origin
    if origin in (typing.Literal,):
        return annotation
    converted = tuple(_partial_annotation(arg, building, made) for arg in args)
    try:
        return origin[converted]  # Union[...] too
    except TypeError:
        return annotation
