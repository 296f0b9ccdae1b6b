"""``NotNull``: objects held back until a field has a value, shown through a view of each partial.

``title: Annotated[str, NotNull]`` in ``Step``: a ``Step`` is not shown at all (left out of its list, its field in
the parent left at its default) until ``title`` has a value; with ``Done`` too, until ``title`` is complete (``Done``
itself is kept by the engines: ``_compile._done``). A finished object is shown as it validated, ``null`` and all.

The engines build the partial as always; a type from which a ``NotNull`` can be reached gets a *view* of each
partial (``PolicyView``). Only an open object can be held back, and every open object is on the engine's open path
(``TypedParser.path``), so the view walks down that path, no further: the open models whose ``NotNull`` field has no
value are left out, their parents copied with that field at its default; the view is the same object as last time
while what it shows did not change. Cost: one ``path`` call and the open path's depth, per partial; types without
``NotNull`` get no view at all.

Both walks here (over the types, over the open path) keep explicit stacks: recursive models, deep documents.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from midstream.pydantic._compile import compile_shape
from midstream.pydantic._markers import NotNull
from midstream.pydantic._shapes import RecordShape

__all__ = ["Policy", "PolicyView", "policy_of"]

JsonPath = tuple[str | int, ...]


@dataclass
class FieldPolicy:
    """A field of a model that is ``NotNull``, or that leads to one (``inner``)."""

    name: str
    keys: tuple[str, ...]  # the JSON keys it may be read from, its own first
    not_null: bool
    inner: Policy | None
    default: Callable[[], Any]


@dataclass
class Policy:
    """What a type holds back: a model's fields (``cls``), a list's items or a dict's values (``inner``)."""

    cls: type[BaseModel] | None = None
    fields: list[FieldPolicy] = field(default_factory=list)
    inner: Policy | None = None  # a list's items, a dict's values
    mapping: bool = False  # a dict (``dict[str, X]``), not a list
    #: the fields by each JSON key they may be read from (to follow the open path)
    by_key: dict[str, FieldPolicy] = field(default_factory=dict)
    #: the names of the ``NotNull`` fields
    not_null_names: tuple[str, ...] = ()

    def add(self, spec: FieldPolicy) -> None:
        self.fields.append(spec)
        self.by_key.update(dict.fromkeys(spec.keys, spec))
        if spec.not_null:
            self.not_null_names += (spec.name,)


_policies: dict[Any, Policy | None] = {}


def _peel(annotation: Any) -> tuple[bool, Any]:
    """(``NotNull`` in it, the type under ``Annotated`` and ``Optional``)."""
    not_null = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            inner, *metadata = get_args(annotation)
            not_null = not_null or any(item is NotNull for item in metadata)
            annotation = inner
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return not_null, annotation
            annotation = members[0]
        else:
            return not_null, annotation


def policy_of(annotation: Any) -> Policy | None:
    """What ``annotation`` holds back while it streams, or ``None`` if no ``NotNull`` can be reached from it (cached
    per type).

    Two passes: the models and lists reachable from ``annotation`` with the ``NotNull`` fields each holds, then a
    policy for each type from which one can be reached. A recursive model with no marker gets none: it costs
    nothing."""
    _, annotation = _peel(annotation)
    cached = _cached(annotation)
    if cached is not None or _known(annotation):
        return cached
    graph = _reachable(annotation)
    marked = {key for key, node in graph.items() if node.direct}
    grew = True
    while grew:  # a type is marked when it holds a NotNull or can reach a marked type
        grew = False
        for key, node in graph.items():
            if key not in marked and any(child in marked for child in node.children):
                marked.add(key)
                grew = True
    built: dict[Any, Policy] = {key: Policy() for key in marked}
    for key, node in graph.items():
        if key not in marked:
            _policies[key] = None
            continue
        policy = built[key]
        if node.model is not None:
            policy.cls = node.model
            shape = compile_shape(node.model)
            assert isinstance(shape, RecordShape)
            keys = shape.keys_by_name  # every JSON key a field may be read from, to follow the open path
            for name, not_null, child, info in node.fields:
                inner = built.get(child) or _cached(child)
                if not_null or inner is not None:
                    policy.add(FieldPolicy(name, keys[name], not_null, inner, _default_of(info)))
        else:
            policy.inner = built.get(node.children[0]) or _cached(node.children[0])
            policy.mapping = node.mapping
        _policies[key] = policy
    if not _known(annotation):
        _policies[annotation] = None  # not a model or a list: nothing to hold back
    return _policies[annotation]


@dataclass
class _Node:
    """One type reachable from an annotation: a model (its fields), a list (its item) or a dict (its value)."""

    model: type[BaseModel] | None = None
    fields: list[tuple[str, bool, Any, Any]] = field(default_factory=list)
    children: list[Any] = field(default_factory=list)
    mapping: bool = False
    direct: bool = False  # holds a NotNull itself, or refers to a type already known to be marked


def _reachable(annotation: Any) -> dict[Any, _Node]:
    """The models, lists and dicts reachable from ``annotation`` (not cached yet), each with what it refers to."""
    graph: dict[Any, _Node] = {}
    todo = [annotation]
    while todo:
        current = todo.pop()
        if _known(current) or current in graph:
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            node = _Node(model=current)
            for name, info in current.model_fields.items():
                not_null, inner_type = _peel(info.annotation)
                not_null = not_null or any(item is NotNull for item in info.metadata)
                node.fields.append((name, not_null, inner_type, info))
                node.children.append(inner_type)
                node.direct = node.direct or not_null
        elif get_origin(current) is list and get_args(current):
            node = _Node(children=[_peel(get_args(current)[0])[1]])
        elif get_origin(current) is dict and len(get_args(current)) == 2 and get_args(current)[0] is str:
            node = _Node(children=[_peel(get_args(current)[1])[1]], mapping=True)
        else:
            continue
        graph[current] = node
        todo.extend(child for child in node.children if _hashable(child))
    for node in graph.values():
        node.direct = node.direct or any(_cached(child) is not None for child in node.children)
    return graph


def _hashable(annotation: Any) -> bool:
    try:
        hash(annotation)
    except TypeError:
        return False
    return True


def _known(annotation: Any) -> bool:
    return not _hashable(annotation) or annotation in _policies


def _cached(annotation: Any) -> Policy | None:
    return _policies.get(annotation) if _hashable(annotation) else None


def _default_of(info: Any) -> Callable[[], Any]:
    """What a partial shows in a field not seen yet: ``None`` for a required field, else its default."""
    if info.is_required():
        return lambda: None
    return lambda: info.get_default(call_default_factory=True)


class PolicyView:
    """The views of one stream's partials. ``view(partial)`` is the partial with what is held back left out; the
    same object as last time when what it shows did not change. ``open_path`` is the engine's open path (JSON keys
    and indices of the value being written: ``TypedParser.path``)."""

    def __init__(self, policy: Policy, open_path: Callable[[], JsonPath]) -> None:
        self.policy = policy
        self.open_path = open_path
        self._partial: Any = None
        self._path: JsonPath = ()
        self._view: Any = None

    def view(self, partial: Any) -> Any:
        if partial is None:
            return None
        path = self.open_path()
        if partial is self._partial and path == self._path:
            return self._view
        value, hidden = _view(self.policy, partial, path)
        if hidden:  # the root itself is held back: nothing to show yet
            value = None
        elif value is not partial and self._view is not None and _same_shown(value, self._view):
            value = self._view  # what is shown did not change (a held-back part grew): the same object
        self._partial, self._path, self._view = partial, path, value
        return value


def _view(policy: Policy, partial: Any, path: JsonPath) -> tuple[Any, bool]:
    """``partial`` as shown, and whether it is held back altogether.

    Only what is open can be held back (a finished object is shown as it validated), and what is open is on the
    engine's open path: the walk goes down that path (a loop, not recursion) while the types have policies, then
    back up, leaving out each open object whose ``NotNull`` field has no value and copying its parents."""
    levels: list[tuple[Policy, Any, Any]] = []  # (policy, open value, the field or key followed down)
    held = False  # whether an open object lacks a NotNull field (else the partial is shown as it is)
    value: Any = partial
    depth, steps = 0, len(path)
    while True:
        step = path[depth] if depth < steps else None
        depth += 1
        if policy.cls is not None:
            if not isinstance(value, policy.cls):
                break
            fields = value.__dict__
            for name in policy.not_null_names:
                if fields[name] is None:
                    held = True
            spec = policy.by_key.get(step) if isinstance(step, str) else None
            child = fields.get(spec.name) if spec is not None and spec.inner is not None else None
            levels.append((policy, value, spec if child is not None else None))
            if child is None:
                break
            policy, value = spec.inner, child  # type: ignore[union-attr,assignment]
        elif policy.mapping:
            if type(value) is not dict or policy.inner is None or not isinstance(step, str) or step not in value:
                break  # the value at `step` has not begun
            levels.append((policy, value, step))
            policy, value = policy.inner, value[step]
        else:
            if type(value) is not list or not value or policy.inner is None or not isinstance(step, int):
                break
            if len(value) == step:
                break  # item `step` has not begun: every item shown has finished
            # Item `step` has begun: it is the last one. (The partial leaves out items that finished invalid; with
            # those, the last item is taken as open: that may hold back a finished item, never show an open one.)
            levels.append((policy, value, None))
            policy, value = policy.inner, value[-1]
    if not held:
        return partial, False  # the common case: nothing open is held back
    result: tuple[Any, bool] | None = None  # the level below: as shown, and whether it is held back
    for policy, value, followed in reversed(levels):
        if policy.mapping:  # a dict, its open value (at key `followed`) below
            if result is not None:
                below, held = result
                if held:
                    result = ({key: item for key, item in value.items() if key != followed}, False)
                elif below is not value[followed]:
                    result = ({**value, followed: below}, False)
                else:
                    result = (value, False)
            else:
                result = (value, False)
            continue
        if policy.cls is None:  # a list, its open last item below
            if result is not None:
                below, held = result
                if held:
                    result = (value[:-1], False)
                elif below is not value[-1]:
                    result = ([*value[:-1], below], False)
                else:
                    result = (value, False)
            else:
                result = (value, False)
            continue
        updates: dict[str, Any] = {}
        if result is not None and followed is not None:
            below, held = result
            if held:
                updates[followed.name] = followed.default()
            elif below is not value.__dict__[followed.name]:
                updates[followed.name] = below
        fields = value.__dict__
        if any(updates.get(name, fields.get(name)) is None for name in policy.not_null_names):
            result = (None, True)
        else:
            result = (value.model_copy(update=updates) if updates else value, False)
    return result if result is not None else (partial, False)


def _same_shown(a: Any, b: Any) -> bool:
    """Whether two views show the same: compared where they differ in identity only (views share every finished
    part, and a list's items but the last), so the cost is the open path."""
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if x is y:
            continue
        if type(x) is not type(y):
            return False
        if isinstance(x, BaseModel):
            left, right = x.__dict__, y.__dict__
            if left.keys() != right.keys():
                return False
            pending.extend((value, right[key]) for key, value in left.items() if value is not right[key])
        elif type(x) is list:
            if len(x) != len(y) or (len(x) > 1 and x[:-1] != y[:-1]):  # C-level, identity first, per item
                return False
            if x:
                pending.append((x[-1], y[-1]))
        elif x != y:
            return False
    return True
