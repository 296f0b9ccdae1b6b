"""Per-type caches that do not keep the types alive.

A value for a class is stored in the class's own ``__dict__``, so it goes when the class goes (apps that create
models per request do not leak); anything else (``list[Item]``, ``Annotated[...]``, builtins) goes into a bounded
LRU, and unhashable annotations are not cached at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

V = TypeVar("V")
K = TypeVar("K")


class TypeCache(Generic[V]):
    def __init__(self, attribute: str, size: int = 256) -> None:
        self.attribute = attribute
        self.size = size
        self.others: OrderedDict[Any, V] = OrderedDict()

    def get(self, key: K, make: Callable[[K], V]) -> V:
        """The value for ``key``, made by ``make(key)`` if there is none yet."""
        if isinstance(key, type):
            stored: V | None = key.__dict__.get(self.attribute)
            if stored is not None:
                return stored
        try:
            value = self.others[key]  # annotations, and builtin types (which take no attribute)
        except KeyError:
            pass
        except TypeError:  # unhashable: not cached
            return make(key)
        else:
            self.others.move_to_end(key)
            return value
        value = make(key)
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


S = TypeVar("S")


class cached_property(Generic[S, V]):  # named as the functools decorator it stands in for
    """``functools.cached_property`` without its lock: computed on first access, then an ordinary instance
    attribute. On CPython 3.10 and 3.11 the functools one takes a lock (one per class attribute, shared by every
    instance) on each first access; compiling a type makes a few of those per field, and on those versions that
    lock was a fifth of the time to a large model's first partial. A race computes a value twice, harmlessly: the
    shapes are immutable and every computation gives the same result."""

    def __init__(self, func: Callable[[S], V]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> cached_property[S, V]: ...

    @overload
    def __get__(self, instance: S, owner: type[Any] | None = None) -> V: ...

    def __get__(self, instance: S | None, owner: type[Any] | None = None) -> cached_property[S, V] | V:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value
