"""A wide schema whose model classes are created anew on every call: the cost of a *first* partial.

A 3-level schema with ``fields_per_model`` fields per model (the root; ``nested_per_model`` of its fields are nested
models of the same width, and so are some of theirs), fields of ten scalar kinds, nested models referred to
plainly, as ``Optional`` and in a list. :meth:`WideSchema.build` creates every class with ``pydantic.create_model``
on each call, so no cache (midstream's compiled plans, instructor's partial classes) helps a measurement of the
first partial from a type never seen before.

>>> schema = wide_schema(8, 2)
>>> root = schema.build()
>>> root.model_validate_json(schema.text) == root.model_validate_json(schema.text)
True
>>> root is schema.build()
False
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel

from midstream.bench.chunking import TOKEN_SIZED, cut_bytes

#: The schema of DESIGN.md's first-partial target: 40 fields per model, 4 of them nested models at the two upper
#: levels (1 + 4 + 16 models).
WIDE_FIELDS = 40
WIDE_NESTED = 4

#: Scalar field kinds, cycled through: (annotation, default or ..., the JSON value of field i).
SCALAR_KINDS: tuple[tuple[Any, Any, Callable[[int], Any]], ...] = (
    (str, ..., lambda i: f"text {i}"),
    (int, ..., lambda i: i),
    (float, ..., lambda i: i + 0.5),
    (bool, ..., lambda i: i % 2 == 0),
    (list[str], ..., lambda i: [f"tag{i}", "x"]),
    (Literal["alpha", "beta", "gamma"], ..., lambda i: ("alpha", "beta", "gamma")[i % 3]),
    (str | None, None, lambda i: None if i % 4 == 0 else f"maybe {i}"),
    (dict[str, int], ..., lambda i: {"k": i}),
    (Annotated[int, pydantic.Field(ge=0)], ..., lambda i: i * 3),
    (list[int], pydantic.Field(default_factory=list), lambda i: [i, i + 1]),
)
#: How the nested models are referred to, cycled through: plain, optional, in a list.
NESTED_KINDS = ("model", "optional", "list")


@dataclass(frozen=True)
class ModelSpec:
    """One model of the schema: its name, its scalar fields and its nested-model fields."""

    name: str
    scalars: tuple[tuple[str, int], ...]  # (field name, index into SCALAR_KINDS)
    nested: tuple[tuple[str, str, ModelSpec], ...]  # (field name, one of NESTED_KINDS, the nested model)

    @property
    def n_models(self) -> int:
        return 1 + sum(child.n_models for _, _, child in self.nested)

    @property
    def n_fields(self) -> int:
        return len(self.scalars) + sum(1 + child.n_fields for _, _, child in self.nested)


@dataclass(frozen=True)
class WideSchema:
    """The schema, one document for it, and that document in token-sized ``str`` chunks."""

    root: ModelSpec
    fields_per_model: int
    text: str
    chunks: tuple[str, ...] = field(repr=False)

    @property
    def label(self) -> str:
        return f"3 levels, {self.fields_per_model} fields per model, {self.root.n_models} models"

    def build(self) -> type[BaseModel]:
        """The root model class, created anew (with all its nested classes)."""
        return _create(self.root)


def _create(spec: ModelSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, kind in spec.scalars:
        annotation, default, _ = SCALAR_KINDS[kind]
        fields[name] = (annotation, default)
    for name, how, child in spec.nested:
        cls = _create(child)
        if how == "optional":
            fields[name] = (cls | None, None)
        elif how == "list":
            fields[name] = (list[cls], ...)  # type: ignore[valid-type]
        else:
            fields[name] = (cls, ...)
    model: type[BaseModel] = pydantic.create_model(spec.name, **fields)
    return model


def _spec(name: str, level: int, n_fields: int, n_nested: int, offset: int) -> ModelSpec:
    nested_here = n_nested if level < 3 else 0
    nested_at = {1 + (j * n_fields) // max(nested_here, 1) for j in range(nested_here)}  # spread, the first at 1
    scalars: list[tuple[str, int]] = []
    nested: list[tuple[str, str, ModelSpec]] = []
    for i in range(n_fields):
        field_name = f"{name.lower()}_f{i:02d}"
        if i in nested_at:
            j = len(nested)
            child = _spec(f"{name}N{j}", level + 1, n_fields, n_nested, offset + i)
            nested.append((field_name, NESTED_KINDS[j % len(NESTED_KINDS)], child))
        else:
            scalars.append((field_name, (offset + i) % len(SCALAR_KINDS)))
    return ModelSpec(name, tuple(scalars), tuple(nested))


def _value(spec: ModelSpec) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for order, (name, kind) in enumerate(spec.scalars):
        value[name] = SCALAR_KINDS[kind][2](order)
    for name, how, child in spec.nested:
        value[name] = [_value(child), _value(child)] if how == "list" else _value(child)
    return dict(sorted(value.items()))  # declaration order: the field names sort by index


def wide_schema(fields_per_model: int = WIDE_FIELDS, nested_per_model: int = WIDE_NESTED) -> WideSchema:
    root = _spec("Root", 1, fields_per_model, nested_per_model, 0)
    text = json.dumps(_value(root), ensure_ascii=False)
    chunks = tuple(chunk.decode() for chunk in cut_bytes(text.encode(), TOKEN_SIZED))
    return WideSchema(root, fields_per_model, text, chunks)
