"""Validators that take the parts the builder already validated as they are.

The builder validates each part once, when it finishes: a model, dataclass or TypedDict from its children's values,
an opaque container (a fixed tuple, a ``dict`` with int keys, an undecided union) from its JSON value. The part
that holds it is then validated from those values and must not run their validators again: pydantic would run a
nested model's ``mode='after'`` validators a second time even on an instance, and everything inside a TypedDict or
a tuple, which have no instances to recognise.

So the builder hands each finished part to the enclosing validation wrapped in a marker, and the validator built
here is the type's own core schema with a ``function-wrap`` at every *place* a part can sit (a field of a model,
dataclass or TypedDict, the items of a list, tuple or set, the values of a dict, the root), placed below the
place's own validators: a marker is unwrapped there, anything else is validated as before. So a part's own
validators at the place that holds it (``Annotated[Part, AfterValidator(f)]``, a ``field_validator``) still run,
once, with the enclosing part, exactly as they do for a scalar. Inside a union the marker says which variant it
is (``Validated.token``: the record's class, or the JSON kind), and only that variant unwraps it; a value checked
against the whole union (``UnionValidated``) is unwrapped at the union itself.

One kind of part needs no marker: a model with no model validators of its own, which does not revalidate
instances (``passes_as_instance``). pydantic takes an instance of it as it is, so the builder hands over the
instance itself and the places that hold such a model get no wrapper: no Python call per nested model.

``before``/``wrap``/``plain`` validators never see a marker: the builder leaves the places that have them unchecked
and hands over their raw value (see ``_shapes.UncheckedShape``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pydantic
from pydantic import TypeAdapter
from pydantic_core import SchemaValidator

from midstream.pydantic._cache import TypeCache

__all__ = [
    "PYDANTIC_FLOOR",
    "UnionValidated",
    "Validated",
    "children_validator",
    "passes_as_instance",
    "reusing_validator",
]

#: The oldest pydantic midstream works with (pyproject.toml declares it; CI tests it): the first whose
#: SchemaValidator takes ``_use_prebuilt`` (see ``_build``).
PYDANTIC_FLOOR = (2, 13)
if tuple(int(part) for part in pydantic.VERSION.split(".")[:2]) < PYDANTIC_FLOOR:
    raise ImportError(
        f"midstream needs pydantic>={'.'.join(map(str, PYDANTIC_FLOOR))}, found pydantic {pydantic.VERSION}"
    )

Token = type | str  # a record's class, or the JSON kind ("object" / "array") of another container


class Validated:
    """A finished part's validated value on its way into the validation of the part that holds it.

    ``token`` tells the variants of a union apart: the class of a model, dataclass or TypedDict, else the JSON kind
    of the container."""

    __slots__ = ("token", "value")

    def __init__(self, value: Any, token: Token) -> None:
        self.value = value
        self.token = token

    # A part in a set or frozenset: hashed and compared as its value.
    def __hash__(self) -> int:
        return hash(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Validated) and self.value == other.value

    def __repr__(self) -> str:
        return f"Validated({self.value!r})"


class UnionValidated(Validated):
    """A value validated against the whole union of its place (the variant was pydantic's to pick)."""

    __slots__ = ()

    def __init__(self, value: Any) -> None:
        super().__init__(value, "union")


def reusing_validator(tp: Any) -> SchemaValidator:
    """The validator of ``tp`` that takes the builder's markers as they are, at every place (cached per type)."""
    return _validators.get(tp, _build)


def children_validator(tp: Any) -> SchemaValidator:
    """The same for a record validated from the dict of its children's values: no marker can come at the root, so
    the root gets no wrapper (cached per type)."""
    return _children_validators.get(tp, lambda key: _build(key, root=False))


def passes_as_instance(cls: type) -> bool:
    """Whether a validated instance of ``cls`` is handed over as it is: a model with no model validators of its own
    that does not revalidate instances (pydantic then takes the instance as it is, running nothing again)."""
    return _passing.get(cls, _passes_as_instance)


def _passes_as_instance(cls: type) -> bool:
    schema = getattr(cls, "__pydantic_core_schema__", None)
    return isinstance(schema, dict) and _plain_model(schema, _definitions(schema))


def _definitions(schema: dict[str, Any]) -> dict[str, Any]:
    return {d["ref"]: d for d in schema.get("definitions", ()) if isinstance(d, dict) and "ref" in d}


def _plain_model(node: dict[str, Any], definitions: dict[str, Any]) -> bool:
    """A model node with nothing around it (no model validator), that takes its instances as they are."""
    if node.get("type") == "definitions":
        node = node["schema"]
    node = _target(node, definitions)
    if node.get("type") != "model" or node.get("root_model"):
        return False
    revalidate = node.get("revalidate_instances") or (node.get("config") or {}).get("revalidate_instances")
    return revalidate in (None, "never")


_validators: TypeCache[SchemaValidator] = TypeCache("__midstream_validator__")
_children_validators: TypeCache[SchemaValidator] = TypeCache("__midstream_children_validator__")
_passing: TypeCache[bool] = TypeCache("__midstream_passes_as_instance__")


def _build(tp: Any, *, root: bool = True) -> SchemaValidator:
    schema = _copy(TypeAdapter(tp).core_schema)
    definitions = _definitions(schema)
    unions: set[int] = set()
    places = list(_places(schema))
    holder: list[Any] = [schema]
    if root:
        places.append((schema, "schema") if schema["type"] == "definitions" else (holder, 0))
    for place in places:
        _wrap_place(*place, definitions, unions)
    schema = holder[0]
    # `_use_prebuilt=False`: pydantic-core (2.11+) would otherwise swap a model node for the class's own prebuilt
    # validator, dropping the wrappers inside it. The keyword exists from pydantic 2.13 (pydantic-core 2.46), the
    # floor pyproject.toml declares.
    return SchemaValidator(schema, _use_prebuilt=False)


# ---------------------------------------------------------------------------------------------------------------------
# places


#: Wrappers a place's own validators and default add above its type; a marker passes down through them.
_PLACE_WRAPPERS = frozenset({"default", "function-after", "function-before", "function-wrap"})
_UNIONS = frozenset({"union", "tagged-union", "nullable"})
#: Nodes that never receive a part (scalars): their places are left unwrapped.
_SCALARS = frozenset(
    {
        "any",
        "none",
        "bool",
        "int",
        "float",
        "decimal",
        "complex",
        "str",
        "bytes",
        "date",
        "time",
        "datetime",
        "timedelta",
        "literal",
        "enum",
        "is-instance",
        "is-subclass",
        "callable",
        "url",
        "multi-host-url",
        "uuid",
        "json",
        "missing-sentinel",
    }
)
_ARRAYS = frozenset({"list", "tuple", "set", "frozenset", "generator"})
_RECORDS = frozenset({"model", "dataclass", "typed-dict"})
#: Keys of a node that hold something other than its validation schema.
_NOT_VALIDATION = frozenset({"serialization", "metadata", "default", "cls", "function", "ref"})


def _places(schema: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """Every place in the schema, as (holder, key): ``holder[key]`` is the schema of the place. Iterative."""
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind in ("model-fields", "typed-dict"):
            fields = node.get("fields") or {}
            yield from ((field, "schema") for field in fields.values())
        elif kind == "dataclass-args":
            yield from ((field, "schema") for field in node["fields"])
        elif kind in _ARRAYS and isinstance(node.get("items_schema"), list):
            items = node["items_schema"]
            yield from ((items, index) for index in range(len(items)))
        elif kind in _ARRAYS and "items_schema" in node:
            yield node, "items_schema"
        elif kind == "dict" and "values_schema" in node:
            yield node, "values_schema"
        pending.extend(value for key, value in node.items() if key not in _NOT_VALIDATION)


def _base_slot(holder: Any, key: Any) -> tuple[Any, Any]:
    """Where the type of a place sits below its own validators and default (a class's own wrappers stay)."""
    node = holder[key]
    while isinstance(node, dict) and node.get("type") in _PLACE_WRAPPERS and "ref" not in node and "schema" in node:
        holder, key, node = node, "schema", node["schema"]
    return holder, key


def _wrap_place(holder: Any, key: Any, definitions: dict[str, Any], unions: set[int]) -> None:
    holder, key = _base_slot(holder, key)
    base = holder[key]
    if _receives_nothing(base, definitions) or _plain_model(base, definitions):
        return  # a scalar, or a model whose validated instance comes as it is
    target = _target(base, definitions)
    if target.get("type") in _UNIONS:
        _wrap_choices(target, definitions, unions)
        holder[key] = _wrapper(base, _unwrap_whole_union)
    else:
        holder[key] = _wrapper(base, _unwrap_any)


def _wrap_choices(union: dict[str, Any], definitions: dict[str, Any], unions: set[int]) -> None:
    """Let each variant of a union unwrap the markers that are its own (its class, or its JSON kind)."""
    if id(union) in unions:  # a union definition used at several places
        return
    unions.add(id(union))
    for holder, key in list(_choice_slots(union)):
        holder, key = _base_slot(holder, key)
        base = holder[key]
        target = _target(base, definitions)
        if _receives_nothing(base, definitions) or _plain_model(base, definitions):
            continue
        if target.get("type") in _UNIONS:
            _wrap_choices(target, definitions, unions)
            continue
        holder[key] = _wrapper(base, _variant_unwrapper(_token_of(target)))


def _choice_slots(union: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    kind = union["type"]
    if kind == "nullable":
        yield union, "schema"
    elif kind == "tagged-union":
        choices = union["choices"]
        yield from ((choices, tag) for tag in list(choices))
    else:
        for index, choice in enumerate(union["choices"]):
            if isinstance(choice, tuple | list):  # (schema, label)
                union["choices"][index] = choice = list(choice)
                yield choice, 0
            else:
                yield union["choices"], index


def _target(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The node itself, or the definition it refers to."""
    if node.get("type") == "definition-ref":
        return definitions.get(node["schema_ref"], node)  # type: ignore[no-any-return]
    return node


def _receives_nothing(node: Any, definitions: dict[str, Any]) -> bool:
    """A scalar, or an optional scalar: no part is ever handed to it. (A union of scalars may be: a scalar that
    several variants take is checked against the whole union, and handed over as such.)"""
    node = _below_after_validators(_target(node, definitions))
    if node.get("type") == "nullable":
        node = _below_after_validators(_target(node["schema"], definitions))
    return node.get("type") in _SCALARS


def _below_after_validators(node: dict[str, Any]) -> dict[str, Any]:
    while node.get("type") in ("default", "function-after") and "schema" in node and "ref" not in node:
        node = node["schema"]
    return node


def _token_of(node: dict[str, Any]) -> Token | None:
    """What a variant's markers carry: its class if it is a record (through the class's own wrappers), else the
    JSON kind of its container; None for a node of no fixed kind (``lax-or-strict``, a function...)."""
    inner = node
    while inner.get("type", "").startswith("function-") and "schema" in inner:
        inner = inner["schema"]
    if inner.get("type") in _RECORDS:
        return inner["cls"]  # type: ignore[no-any-return]
    if node.get("type") in _ARRAYS:
        return "array"
    if node.get("type") == "dict":
        return "object"
    return None


# ---------------------------------------------------------------------------------------------------------------------
# the wrappers


def _wrapper(node: dict[str, Any], unwrap: Callable[[Any, Any], Any]) -> dict[str, Any]:
    return {"type": "function-wrap", "function": {"type": "no-info", "function": unwrap}, "schema": node}


def _unwrap_any(value: Any, handler: Any) -> Any:
    """At a place that holds one type, every marker is for it."""
    if isinstance(value, Validated):
        return value.value
    return handler(value)


def _unwrap_whole_union(value: Any, handler: Any) -> Any:
    """At a union: a value checked against the whole union stops here; a variant's marker goes on to the variants."""
    if type(value) is UnionValidated:
        return value.value
    return handler(value)


def _variant_unwrapper(token: Token | None) -> Callable[[Any, Any], Any]:
    def unwrap(value: Any, handler: Any) -> Any:
        if type(value) is Validated and (value.token is token or (token is None and isinstance(value.token, str))):
            return value.value
        return handler(value)

    return unwrap


def _copy(schema: Any) -> Any:
    """A copy of the schema's dicts and lists (functions and classes shared), built without recursion."""
    root: list[Any] = [schema]
    pending: list[tuple[Any, Any, Any]] = [(root, 0, schema)]
    while pending:
        holder, key, node = pending.pop()
        if isinstance(node, dict):
            copy: Any = dict(node)
        elif isinstance(node, list):
            copy = list(node)
        else:
            continue
        holder[key] = copy
        pending.extend((copy, k, v) for k, v in (copy.items() if isinstance(copy, dict) else enumerate(copy)))
    return root[0]
