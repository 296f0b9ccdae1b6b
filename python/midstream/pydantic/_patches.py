"""``PartialPatches``: the JSON Patch operations between consecutive typed partials.

A stream's partials are snapshots that share every finished part (a finished item, model or string is the same
object in every later partial), so the walk from one partial to the next only goes where objects differ: down the
open path, plus an identity check per item of the lists on it (``map(operator.is_not, ...)``, in C). What it finds
there becomes operations on the JSON form of the partial, ``TypeAdapter(tp).dump_python(partial, mode="json")``
(``partial.model_dump(mode="json")`` for a model): a string that grew is an ``append`` of what it gained, a new item
an ``add`` of its JSON, a field that changed a ``replace``.

How a value is turned into JSON is always pydantic's own: the fields a walk does not go into are dumped by their
model (``model_dump(include=...)``), new items by their type's adapter. The walk goes into a model only when its
JSON form is its fields under their names, each dumped by its own type (no computed fields, serializers, excluded
fields, extra fields or ``serialize_by_alias``); into a string only when it is a plain ``str`` field; into lists
and ``dict[str, ...]``. Anything else (a dataclass, a TypedDict, a union of non-models, ``Any``) is compared as
JSON: dumped before and after, and the two diffed, at a cost in the size of that value.
"""

from __future__ import annotations

import operator
import types
from itertools import compress
from typing import Annotated, Any, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel

from midstream.patch import Format, Op, coalesce, pointer

__all__ = ["PartialPatches"]

_MISSING: Any = object()
Path = tuple[str | int, ...]


class PartialPatches:
    """The operations from one partial of ``tp`` to the next, for a client that applies them to the JSON it has.

    ``update(partial)`` gives the operations that turn the JSON form of the partial last given (``null`` before the
    first) into that of ``partial``; ``ModelStream.drain_patches`` calls it with the stream's partial. The first
    non-empty batch is a ``replace`` of the whole document (``""``), so a client that (re)connects starts from it.

    >>> from pydantic import BaseModel
    >>> class Idea(BaseModel):
    ...     title: str
    ...     votes: int = 0
    >>> patches = PartialPatches(list[Idea])
    >>> patches.update([Idea.model_construct(title="Sw", votes=0)])
    [{'op': 'replace', 'path': '', 'value': [{'title': 'Sw', 'votes': 0}]}]
    >>> patches.update([Idea(title="Swap shelf", votes=0), Idea.model_construct(title="", votes=0)])
    [{'op': 'append', 'path': '/0/title', 'value': 'ap shelf'}, {'op': 'add', 'path': '/1', 'value': {'title': '', \
'votes': 0}}]

    Where the operations under one container take more bytes than the container, it is sent whole
    (``midstream.patch.coalesce``).

    ``exclude_unset=True`` follows ``model_dump(mode="json", exclude_unset=True)`` instead: a field not seen yet is
    absent rather than ``null`` (or its default), and is added when it arrives; fewer bytes, and a client can tell
    "not arrived" from ``null``.
    """

    def __init__(self, tp: Any, *, exclude_unset: bool = False) -> None:
        self.type = tp
        self.exclude_unset = exclude_unset
        self._plan = plan_of(tp)
        self._last: Any = None
        self._started = False

    def update(self, partial: Any, format: Format = "midstream") -> list[Op]:
        """The operations from the last partial given to ``partial`` (which becomes the last). ``format="rfc6902"``:
        strictly standard operations (a grown string is a ``replace`` of the whole string)."""
        if format not in ("midstream", "rfc6902"):
            raise ValueError(f"format must be 'midstream' or 'rfc6902', not {format!r}")
        last, self._last = self._last, partial
        if not self._started:
            if partial is None:
                return []
            self._started = True
            return [{"op": "replace", "path": "", "value": self.dump(partial)}]
        if last is partial:
            return []
        ops: list[Op] = []
        _Walk(ops, append=format == "midstream", exclude_unset=self.exclude_unset).run(self._plan, last, partial)
        return coalesce(ops, lambda tokens, budget: self._whole(partial, tokens, budget))

    def _whole(self, partial: Any, tokens: tuple[str, ...], budget: int) -> Any:
        """``coalesce``'s ``whole``: the JSON of the value at ``tokens``, found along the plans the walk follows
        (``None`` where it leaves them, or where the value is surely bigger than ``budget``)."""
        plan, value = self._plan, partial
        for token in tokens:
            if isinstance(plan, UnionPlan):
                plan = plan.members.get(type(value), plan)
            if isinstance(plan, ModelPlan) and type(value) is plan.cls and self._shows(value, token, plan):
                plan, value = plan.by_name[token], value.__dict__.get(token)
            elif isinstance(plan, ContainerPlan) and type(value) is list and plan.container is list:
                plan, value = plan.inner, value[int(token)]
            elif isinstance(plan, ContainerPlan) and type(value) is dict and plan.container is dict:
                plan, value = plan.inner, value[token]
            else:
                return None
        return plan.dump(value, self.exclude_unset) if _within(value, budget) else None

    def _shows(self, model: Any, name: str, plan: ModelPlan) -> bool:
        """Whether the JSON form of ``model`` has the field ``name``."""
        return name in plan.by_name and (not self.exclude_unset or name in model.model_fields_set)

    def dump(self, value: Any) -> Any:
        """The JSON form of a value of the type, as the operations build it (pydantic's ``mode="json"``, and
        ``exclude_unset`` as given)."""
        return self._plan.dump(value, self.exclude_unset)

    def reset(self) -> None:
        """Start again from ``null`` (a new connection): the next non-empty batch replaces the whole document."""
        self._last, self._started = None, False


# --- plans: what the walk may go into, worked out once per type ----------------------------------------------


class Plan:
    """How the values of one type are walked and dumped. The base plan walks into nothing: its values are
    compared as JSON."""

    def __init__(self, annotation: Any) -> None:
        self.annotation = annotation
        self._adapter: pydantic.TypeAdapter[Any] | None = None

    def dump(self, value: Any, exclude_unset: bool = False) -> Any:
        """``value``'s JSON form, as pydantic serializes this type."""
        if self._adapter is None:
            self._adapter = pydantic.TypeAdapter(self.annotation)
        return self._adapter.dump_python(value, mode="json", warnings=False, exclude_unset=exclude_unset)

    def walks(self, old: Any, new: Any) -> bool:
        """Whether the walk goes into ``old`` and ``new`` (two values of this type that are not the same object)."""
        return False


class StrPlan(Plan):
    def walks(self, old: Any, new: Any) -> bool:
        return type(old) is str and type(new) is str


class ContainerPlan(Plan):
    """A ``list[X]`` or a ``dict[str, X]`` (``container``), its items' or values' plan ``inner``."""

    def __init__(self, annotation: Any, container: type[list[Any]] | type[dict[str, Any]], inner: Plan) -> None:
        super().__init__(annotation)
        self.container = container
        self.inner = inner

    def walks(self, old: Any, new: Any) -> bool:
        return type(old) is self.container and type(new) is self.container


class ModelPlan(Plan):
    def __init__(self, cls: type[BaseModel]) -> None:
        super().__init__(cls)
        self.cls = cls
        self.fields: list[tuple[str, Plan]] = []  # filled after registration, so a recursive model can refer to it
        self.by_name: dict[str, Plan] = {}

    def walks(self, old: Any, new: Any) -> bool:
        return type(old) is self.cls and type(new) is self.cls


class UnionPlan(Plan):
    """A union of models the walk can go into: two values of the same member class are walked by its plan."""

    def __init__(self, annotation: Any, members: dict[type, ModelPlan]) -> None:
        super().__init__(annotation)
        self.members = members

    def walks(self, old: Any, new: Any) -> bool:
        return type(old) is type(new) and type(new) in self.members

    def member(self, value: Any) -> ModelPlan:
        return self.members[type(value)]


_plans: dict[Any, Plan] = {}


def plan_of(annotation: Any) -> Plan:
    """The plan of a type (cached; a recursive model's plan refers to itself)."""
    try:
        return _plans[annotation]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation: planned each time
        return _make_plan(annotation)
    plan = _make_plan(annotation)
    _plans[annotation] = plan
    return plan


def _make_plan(annotation: Any) -> Plan:
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = get_args(annotation)
        if any(_serializes(item) for item in metadata):
            return Plan(annotation)
        plan = plan_of(inner)
        return plan if type(plan) is Plan else _with_annotation(plan, annotation)
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _with_annotation(plan_of(members[0]), annotation)
        plans = [plan_of(member) for member in members]
        if all(isinstance(plan, ModelPlan) for plan in plans):
            return UnionPlan(annotation, {plan.cls: plan for plan in plans if isinstance(plan, ModelPlan)})
        return Plan(annotation)
    if annotation is str:
        return StrPlan(annotation)
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        return ContainerPlan(annotation, list, plan_of(item))
    if origin is dict:
        key, value = get_args(annotation) or (str, Any)
        return ContainerPlan(annotation, dict, plan_of(value)) if key is str else Plan(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and _walkable_model(annotation):
        plan = ModelPlan(annotation)
        _plans[annotation] = plan  # before its fields: they may refer back to it
        plan.fields = [(name, plan_of(_field_annotation(info))) for name, info in annotation.model_fields.items()]
        plan.by_name = dict(plan.fields)
        return plan
    return Plan(annotation)


def _with_annotation(plan: Plan, annotation: Any) -> Plan:
    """``plan`` dumping through ``annotation`` (``Optional[X]``, ``Annotated[X, ...]``): the same walk."""
    if isinstance(plan, (ModelPlan, UnionPlan)):
        return plan  # a model dumps the same whatever wraps it (no serializer: checked above)
    copy = object.__new__(type(plan))
    copy.__dict__.update(plan.__dict__)
    copy.annotation, copy._adapter = annotation, None
    return copy


def _field_annotation(info: Any) -> Any:
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def _serializes(metadata: Any) -> bool:
    """Whether an ``Annotated`` item may change how the value is dumped (a serializer, a custom schema)."""
    kinds = (pydantic.PlainSerializer, pydantic.WrapSerializer)
    return isinstance(metadata, kinds) or hasattr(metadata, "__get_pydantic_core_schema__")


def _walkable_model(cls: type[BaseModel]) -> bool:
    """Whether ``cls``'s JSON form is its fields under their names, each dumped by its own type."""
    decorators = cls.__pydantic_decorators__
    config = cls.model_config
    return not (
        cls.model_computed_fields
        or decorators.field_serializers
        or decorators.model_serializers
        or getattr(cls, "__pydantic_root_model__", False)
        or config.get("extra") == "allow"
        or config.get("serialize_by_alias")
        or any(info.exclude or getattr(info, "exclude_if", None) for info in cls.model_fields.values())
    )


def _within(value: Any, budget: int) -> bool:
    """Whether a partial's value may take at most ``budget`` bytes as JSON: a lower bound on its size (its strings
    and keys, a byte per other value) from a walk that stops once past the budget."""
    size = 0
    pending = [value]
    while pending and size <= budget:
        item = pending.pop()
        kind = type(item)
        if kind is str:
            size += len(item) + 2
        elif kind is list:
            size += 1 + len(item)
            pending += item
        elif kind is dict:
            size += 2 + sum(len(str(key)) + 3 for key in item)
            pending += item.values()
        elif isinstance(item, BaseModel):
            size += _keys_size(kind)
            pending += item.__dict__.values()
        else:
            size += 1
    return size <= budget


def _keys_size(cls: type[BaseModel]) -> int:
    """The bytes a model's JSON object takes besides its values: braces, quoted field names, colons, commas."""
    size = _KEYS_SIZES.get(cls)
    if size is None:
        size = _KEYS_SIZES[cls] = 2 + sum(len(name) + 3 for name in cls.model_fields) + len(cls.model_fields)
    return size


_KEYS_SIZES: dict[type[BaseModel], int] = {}


# --- the walk -------------------------------------------------------------------------------------------------


class _Walk:
    """One update's walk: an explicit stack, so a deep document (a recursive model) costs no Python recursion."""

    def __init__(self, ops: list[Op], *, append: bool, exclude_unset: bool) -> None:
        self.ops = ops
        self.append = append
        self.exclude_unset = exclude_unset
        # Tasks: (plan, old, new, path) to walk, or (None, old_json, new_json, path) to diff as JSON.
        self.stack: list[tuple[Plan | None, Any, Any, Path]] = []

    def run(self, plan: Plan, old: Any, new: Any) -> None:
        self._values(plan, old, new, ())
        stack = self.stack
        while stack:
            plan_or_none, old, new, path = stack.pop()
            if plan_or_none is None:
                self._json(old, new, path)
            else:
                self._values(plan_or_none, old, new, path)

    def _values(self, plan: Plan, old: Any, new: Any, path: Path) -> None:
        """Two values of ``plan``'s type (not the same object)."""
        if not plan.walks(old, new):
            unset = self.exclude_unset
            self.stack.append((None, plan.dump(old, unset), plan.dump(new, unset), path))
        elif isinstance(plan, StrPlan):
            self._string(old, new, path)
        elif isinstance(plan, (ModelPlan, UnionPlan)):
            self._model(plan if isinstance(plan, ModelPlan) else plan.member(new), old, new, path)
        elif isinstance(plan, ContainerPlan):
            (self._list if plan.container is list else self._dict)(plan, old, new, path)

    def _string(self, old: str, new: str, path: Path) -> None:
        if self.append and new.startswith(old):
            if len(new) > len(old):
                self.ops.append({"op": "append", "path": pointer(path), "value": new[len(old) :]})
        elif new != old:
            self.ops.append({"op": "replace", "path": pointer(path), "value": new})

    def _model(self, plan: ModelPlan, old: Any, new: Any, path: Path) -> None:
        old_fields, new_fields = old.__dict__, new.__dict__
        if self.exclude_unset:  # a field not seen yet is absent from the JSON
            old_fields = {name: old_fields[name] for name in old.model_fields_set if name in old_fields}
            new_fields = {name: new_fields[name] for name in new.model_fields_set if name in new_fields}
        tasks: list[tuple[Plan | None, Any, Any, Path]] = []
        dumped: list[str] = []
        for name, field in plan.fields:
            before, after = old_fields.get(name, _MISSING), new_fields.get(name, _MISSING)
            if before is after:
                continue
            if before is not _MISSING and after is not _MISSING and field.walks(before, after):
                tasks.append((field, before, after, (*path, name)))
            else:
                dumped.append(name)
        if dumped:
            # Dumped by the model itself, as model_dump would: its defaults, its None for a field not seen yet.
            include = set(dumped)
            unset = self.exclude_unset
            before_json = old.model_dump(mode="json", include=include, warnings=False, exclude_unset=unset)
            after_json = new.model_dump(mode="json", include=include, warnings=False, exclude_unset=unset)
            tasks += [(None, before_json.get(n, _MISSING), after_json.get(n, _MISSING), (*path, n)) for n in dumped]
        self.stack += reversed(tasks)  # popped in field order

    def _list(self, plan: ContainerPlan, old: Any, new: Any, path: Path) -> None:
        # An item that finished invalid leaves the partial (it is reported by finish()): removed from the end.
        self.ops += [{"op": "remove", "path": pointer((*path, i))} for i in range(len(old) - 1, len(new) - 1, -1)]
        item = plan.inner
        changed = compress(range(len(new)), map(operator.is_not, old, new))  # finished items are shared: skipped
        tasks: list[tuple[Plan | None, Any, Any, Path]] = [(item, old[i], new[i], (*path, i)) for i in changed]
        unset = self.exclude_unset
        tasks += [(None, _MISSING, item.dump(new[i], unset), (*path, i)) for i in range(len(old), len(new))]
        self.stack += reversed(tasks)

    def _dict(self, plan: ContainerPlan, old: Any, new: Any, path: Path) -> None:
        value = plan.inner
        tasks: list[tuple[Plan | None, Any, Any, Path]] = []
        for key, after in new.items():
            before = old.get(key, _MISSING)
            if before is after:
                continue
            if before is _MISSING:
                tasks.append((None, _MISSING, value.dump(after, self.exclude_unset), (*path, key)))
            else:
                tasks.append((value, before, after, (*path, key)))
        tasks += [(None, old[key], _MISSING, (*path, key)) for key in old.keys() - new.keys()]
        self.stack += reversed(tasks)

    def _json(self, old: Any, new: Any, path: Path) -> None:
        """Two JSON values (``_MISSING``: absent): the operations from one to the other."""
        if new is _MISSING:
            if old is not _MISSING:
                self.ops.append({"op": "remove", "path": pointer(path)})
            return
        if old is _MISSING:
            self.ops.append({"op": "add", "path": pointer(path), "value": new})
            return
        kind = type(new)
        if kind is not type(old):
            self.ops.append({"op": "replace", "path": pointer(path), "value": new})
        elif kind is str:
            self._string(old, new, path)
        elif kind is dict:
            tasks = [(None, old.get(key, _MISSING), value, (*path, key)) for key, value in new.items()]
            tasks += [(None, old[key], _MISSING, (*path, key)) for key in old.keys() - new.keys()]
            self.stack += reversed(tasks)
        elif kind is list:
            self.ops += [{"op": "remove", "path": pointer((*path, i))} for i in range(len(old) - 1, len(new) - 1, -1)]
            before = old + [_MISSING] * (len(new) - len(old))
            self.stack += reversed([(None, before[i], value, (*path, i)) for i, value in enumerate(new)])
        elif old != new:
            self.ops.append({"op": "replace", "path": pointer(path), "value": new})
