"""What to ask for: the JSON schema of a response model, wrapped in an object when the provider needs one.

``Target(list[Idea])`` asks for ``{"items": [...]}`` (providers want an object at the top) and unwraps every
partial and the final value; ``Target(User)`` asks for ``User`` itself::

    target = Target(list[Idea])
    target.name, target.strict     # ('IdeaList', True)
    target.unwrap(wrapper)         # wrapper.items
"""

from __future__ import annotations

import copy
import re
import typing
from collections.abc import Iterable
from typing import Any

import pydantic

__all__ = ["Target", "strict_schema"]

_NAME = re.compile(r"[^a-zA-Z0-9_-]")


class Target:
    """A response model and the type midstream parses for it (the model, or ``{"items": model}``)."""

    def __init__(self, response_model: Any) -> None:
        self.response_model = response_model
        self.wrapped = not _is_object_type(response_model)
        if self.wrapped:
            name = _type_name(response_model)
            self.stream_type: Any = pydantic.create_model(name, items=(response_model, ...))
        else:
            self.stream_type = response_model
        schema = pydantic.TypeAdapter(self.stream_type).json_schema()
        self.name = _NAME.sub("_", str(schema.get("title") or _type_name(self.stream_type)))[:64] or "response"
        self.description = str(
            schema.get("description")
            or f"Correctly extracted `{self.name}` with all the required parameters with correct types"
        )
        self.schema, self.strict = strict_schema(schema)

    def stream_path(self, path: Iterable[str | int]) -> tuple[str | int, ...]:
        """A path of the user's value as a path of ``stream_type``'s value."""
        return ("items", *path) if self.wrapped else tuple(path)

    def unwrap(self, value: Any) -> Any:
        """The user's value from a (partial) value of ``stream_type``."""
        if not self.wrapped:
            return value
        items = getattr(value, "items", None) if value is not None else None
        return [] if items is None else items


def strict_schema(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``schema`` with ``additionalProperties: false`` on every object, and whether it fits OpenAI's strict mode
    (every object lists its properties, all of them required, and allows no others)."""
    schema = copy.deepcopy(schema)
    strict = True

    def walk(node: Any) -> None:
        nonlocal strict
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") == "object":
            properties = node.get("properties")
            extra = node.get("additionalProperties", False)
            if not isinstance(properties, dict) or extra is not False:
                strict = False  # a dict (free keys) or a model allowing extra fields
            else:
                node["additionalProperties"] = False
                if set(node.get("required", ())) != set(properties):
                    strict = False  # a field with a default: strict mode would make it required
        for value in node.values():
            walk(value)

    walk(schema)
    return schema, strict


def _is_object_type(tp: Any) -> bool:
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return True
    try:
        return pydantic.TypeAdapter(tp).json_schema().get("type") == "object"
    except Exception:
        return False


def _type_name(tp: Any) -> str:
    args = typing.get_args(tp)
    if args:
        return "".join(_type_name(arg) for arg in args) + "List"
    return _NAME.sub("_", getattr(tp, "__name__", None) or "Response")
