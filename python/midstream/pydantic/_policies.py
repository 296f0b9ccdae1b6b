"""Streaming policies per field, in plain Pydantic: ``Done`` and ``NotNull`` in ``typing.Annotated``.

``title: Annotated[str, Done]``: the field keeps its default (``None`` for a required field) until its value is
complete, then shows it, final. ``steps: list[Annotated[Step, Done]]``: an item appears only once complete.
``title: Annotated[str, NotNull]`` in ``Step``: a ``Step`` is not shown at all (left out of its list, its field
left at its default) until ``title`` has a value; with ``Done`` too, until ``title`` is complete.

The markers are plain objects in ``Annotated``'s metadata: pydantic ignores them, so validation and the JSON
schema are the model's own. The engines build the partial as always; a type that carries a marker gets a *view*
of each partial: the open path is walked (a finished part needs nothing: its ``Done`` fields are final, its
``NotNull`` fields as validated), the open models that hold back a field are copied with it reset, a list's open
last item is dropped while it is held back. Cost: the open path, per partial.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["Done", "NotNull", "Policy", "policy_of"]


class _Marker:
    """A streaming policy, used as ``Annotated[X, midstream.Done]``; pydantic ignores it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"midstream.{self._name}"


#: The field (or item) is shown only once its value is complete.
Done = _Marker("Done")
#: The object holding this field is shown only once the field has a value.
NotNull = _Marker("NotNull")

Path = tuple[str | int, ...]


@dataclass
class FieldPolicy:
    name: str
    done: bool
    not_null: bool
    inner: Policy | None
    default: Callable[[], Any]


@dataclass
class Policy:
    """What a type holds back: a model's fields (``cls``), or a list's items (``item_done``, ``inner``)."""

    cls: type[BaseModel] | None = None
    fields: list[FieldPolicy] = field(default_factory=list)
    item_done: bool = False
    inner: Policy | None = None


_policies: dict[Any, Policy | None] = {}


def _peel(annotation: Any) -> tuple[bool, bool, Any]:
    """(``Done`` in it, ``NotNull`` in it, the type under ``Annotated`` and ``Optional``)."""
    done = not_null = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            inner, *metadata = get_args(annotation)
            done = done or any(item is Done for item in metadata)
            not_null = not_null or any(item is NotNull for item in metadata)
            annotation = inner
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return done, not_null, annotation
            annotation = members[0]
        else:
            return done, not_null, annotation


def policy_of(annotation: Any) -> Policy | None:
    """What ``annotation`` holds back while it streams, or ``None`` if it carries no marker (cached per type)."""
    _, _, annotation = _peel(annotation)
    try:
        if annotation in _policies:
            return _policies[annotation]
    except TypeError:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        policy = Policy(cls=annotation)
        _policies[annotation] = policy  # before its fields: a recursive model refers back to it
        for name, info in annotation.model_fields.items():
            done, not_null, inner_type = _peel(info.annotation)
            done = done or any(item is Done for item in info.metadata)
            not_null = not_null or any(item is NotNull for item in info.metadata)
            inner = policy_of(inner_type)
            if done or not_null or inner is not None:
                default = _default_of(info)
                policy.fields.append(FieldPolicy(name, done, not_null, inner, default))
        result: Policy | None = policy if policy.fields else None
    elif get_origin(annotation) is list and get_args(annotation):
        item_done, _, item_type = _peel(get_args(annotation)[0])
        inner = policy_of(item_type)
        result = Policy(item_done=item_done, inner=inner) if item_done or inner is not None else None
    else:
        result = None
    _policies[annotation] = result
    return result


def _default_of(info: Any) -> Callable[[], Any]:
    """What a partial shows in a field not seen yet: ``None`` for a required field, else its default."""
    if info.is_required():
        return lambda: None
    return lambda: info.get_default(call_default_factory=True)


class PolicyView:
    """The views of one stream's partials. ``view(partial)`` is the partial with what is held back left out; the
    same object as last time when neither the partial nor what is held back changed."""

    def __init__(self, policy: Policy, is_complete: Callable[[Path], bool]) -> None:
        self.policy = policy
        self.is_complete = is_complete
        self._partial: Any = None
        self._asked: list[tuple[Path, bool]] = []
        self._view: Any = None

    def view(self, partial: Any) -> Any:
        if partial is None:
            return None
        if partial is self._partial and all(self.is_complete(path) == was for path, was in self._asked):
            return self._view
        asked: list[tuple[Path, bool]] = []

        def complete(path: Path) -> bool:
            answer = self.is_complete(path)
            asked.append((path, answer))
            return answer

        value, hidden = _view(self.policy, partial, (), complete)
        if hidden:  # the root itself is held back: nothing to show yet
            value = None
        elif value is not partial and self._view is not None and value == self._view:
            value = self._view  # what is shown did not change (a held-back field grew): the same object
        self._partial, self._asked, self._view = partial, asked, value
        return value


def _view(policy: Policy, value: Any, path: Path, complete: Callable[[Path], bool]) -> tuple[Any, bool]:
    """``value`` (at ``path``) as shown, and whether it is held back altogether."""
    if value is None or complete(path):
        return value, False
    if policy.cls is not None:
        if not isinstance(value, policy.cls):
            return value, False
        updates: dict[str, Any] = {}
        for spec in policy.fields:
            now = value.__dict__.get(spec.name)
            where = (*path, spec.name)
            if spec.done and not complete(where):
                shown = spec.default()
            elif spec.inner is not None and now is not None:
                shown, hidden = _view(spec.inner, now, where, complete)
                if hidden:
                    shown = spec.default()
            else:
                shown = now
            if spec.not_null and shown is None:
                return None, True
            if shown is not now:
                updates[spec.name] = shown
        return (value.model_copy(update=updates) if updates else value), False
    if type(value) is not list or not value:
        return value, False
    last = len(value) - 1
    item = value[last]
    where = (*path, last)
    if complete(where):
        return value, False
    if policy.item_done:
        return value[:last], False
    if policy.inner is not None:
        shown, hidden = _view(policy.inner, item, where, complete)
        if hidden:
            return value[:last], False
        if shown is not item:
            return [*value[:last], shown], False
    return value, False
