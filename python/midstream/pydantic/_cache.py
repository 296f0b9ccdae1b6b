"""Per-type caches that do not keep the types alive.

A value for a class is stored in the class's own ``__dict__``, so it goes when the class goes (apps that create
models per request do not leak); anything else (``list[Item]``, ``Annotated[...]``, builtins) goes into a bounded
LRU, and unhashable annotations are not cached at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class TypeCache(Generic[V]):
    def __init__(self, attribute: str, size: int = 256) -> None:
        self.attribute = attribute
        self.size = size
        self.others: OrderedDict[Any, V] = OrderedDict()

    def get(self, key: Any, make: Callable[[], V]) -> V:
        if isinstance(key, type):
            stored: V | None = key.__dict__.get(self.attribute)
            if stored is not None:
                return stored
        try:
            if key in self.others:  # annotations, and builtin types (which take no attribute)
                self.others.move_to_end(key)
                return self.others[key]
        except TypeError:  # unhashable: not cached
            return make()
        value = make()
        try:
            if not isinstance(key, type):
                raise TypeError
            type.__setattr__(key, self.attribute, value)
        except (TypeError, AttributeError):
            self._remember(key, value)
        return value

    def _remember(self, key: Any, value: V) -> None:
        self.others[key] = value
        if len(self.others) > self.size:
            self.others.popitem(last=False)
