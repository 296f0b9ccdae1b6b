"""Validators that take already-validated nested instances as they are.

Pydantic does not re-validate a model instance it is given (``revalidate_instances='never'``), but it still runs
that model's ``mode='after'`` model validators on it, because they wrap the model's schema from outside. A parent
validated from its finished children would so run each child's validators a second time. The validator built here
is the type's own core schema with every nested model or dataclass schema (the node that carries the class's
``ref``, wrappers included) replaced by an ``is-instance`` check: each part's validators run once, when it finishes.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic_core import SchemaValidator

from midstream.pydantic._cache import TypeCache

# `_use_prebuilt=False` below: pydantic-core would otherwise swap a model node for the class's own prebuilt
# validator, undoing the replacement.
_WRAPPERS = ("function-after", "function-before", "function-wrap", "function-plain")


def reusing_validator(tp: Any, *, root_record: bool) -> SchemaValidator:
    """A validator for ``tp`` that accepts nested model instances as they are.

    With ``root_record`` the outermost model of ``tp`` itself is validated in full (its fields, its validators);
    otherwise every model in ``tp`` is expected as an instance (the root of a ``list[Item]``, say).
    """
    cache = _record_validators if root_record else _validators
    return cache.get(tp, lambda: _build(tp, root_record))


_record_validators: TypeCache[SchemaValidator] = TypeCache("__midstream_record_validator__")
_validators: TypeCache[SchemaValidator] = TypeCache("__midstream_validator__")


def _build(tp: Any, root_record: bool) -> SchemaValidator:
    schema: dict[str, Any] = TypeAdapter(tp).core_schema  # type: ignore[assignment]
    if not root_record:
        return SchemaValidator(_replace_nested(schema), _use_prebuilt=False)
    definitions: list[dict[str, Any]] = []
    root = schema
    if schema["type"] == "definitions":
        definitions = schema["definitions"]
        root = schema["schema"]
    if root["type"] == "definition-ref":  # a self-referencing type: validate its definition in full here
        root = next(d for d in definitions if d.get("ref") == root["schema_ref"])
        root = {key: value for key, value in root.items() if key != "ref"}
    inner = _keep_outer(root)
    if definitions:
        inner = {"type": "definitions", "schema": inner, "definitions": [_replace_nested(d) for d in definitions]}
    return SchemaValidator(inner, _use_prebuilt=False)


def _keep_outer(node: dict[str, Any]) -> dict[str, Any]:
    """The root model's own schema, with the models nested inside it replaced."""
    kept = dict(node)
    if node["type"] in _WRAPPERS or node["type"] in ("model", "dataclass"):
        kept["schema"] = _keep_outer(node["schema"]) if node["type"] in _WRAPPERS else _replace_nested(node["schema"])
        return kept
    return _replace_nested(node)  # type: ignore[no-any-return]


def _replace_nested(node: Any) -> Any:
    if isinstance(node, dict):
        if "ref" in node and node.get("type") != "definition-ref":
            cls = _class_of(node)
            if cls is not None:
                return {"type": "is-instance", "cls": cls, "ref": node["ref"]}
        return {key: _replace_nested(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_nested(item) for item in node]
    return node


def _class_of(node: dict[str, Any]) -> type | None:
    """The model or dataclass a schema node validates, looking through validator wrappers."""
    while node.get("type") in _WRAPPERS:
        node = node["schema"]
    if node.get("type") in ("model", "dataclass"):
        return node["cls"]  # type: ignore[no-any-return]
    return None
