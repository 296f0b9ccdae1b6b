"""Property tests of ``Done`` / ``NotNull`` / ``state(path)`` (issue 17) over random models.

Hypothesis draws a model: fields of strings, numbers, booleans, Literals, ``int | str``, lists, ``dict[str, X]`` and
nested models, to a few levels, each field required or optional, with ``Done`` and ``NotNull`` on any field and
``Done`` on any list's item type and any dict's value type.
It draws a document of that model, feeds it in random 1-8 byte (or character) chunks, and checks after every chunk:

1. no partial shows a ``Done`` value other than its final one (the field is at its default, ``None``, until then);
   a list of ``Done`` items (a dict of ``Done`` values) holds final items only;
2. no object is visible while a ``NotNull`` field of it has no value (unless the object has finished: its final
   value is ``null``);
3. everything else shown is consistent with the final value (strings are prefixes, lists prefixes, scalars final);
4. ``state(path)`` of every path of the final value only moves forward, and agrees with the partial: a visible
   value at a ``complete`` path is final, a ``pending`` field shows its default, a ``pending`` item is not shown;
5. ``finish()`` equals ``model_validate_json`` of the whole text, and every state is then ``complete``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream import Done, ModelStream, NotNull
from pydantic import BaseModel, create_model

ORDER = {"pending": 0, "incomplete": 1, "complete": 2}
SCALARS = ("str", "int", "float", "bool", "literal", "int|str")


@dataclass(frozen=True)
class ListKind:
    item: Kind
    item_done: bool


@dataclass(frozen=True)
class DictKind:
    value: Kind
    value_done: bool


@dataclass(frozen=True)
class FieldSpec:
    kind: Kind
    done: bool
    not_null: bool
    optional: bool


@dataclass(frozen=True)
class ModelKind:
    fields: tuple[FieldSpec, ...]


Kind = str | ListKind | DictKind | ModelKind


def _fields(kinds: st.SearchStrategy[Kind]) -> st.SearchStrategy[tuple[FieldSpec, ...]]:
    field = st.builds(FieldSpec, kinds, st.booleans(), st.booleans(), st.booleans())
    return st.lists(field, min_size=1, max_size=4).map(tuple)


kinds: st.SearchStrategy[Kind] = st.recursive(
    st.sampled_from(SCALARS),
    lambda inner: (
        st.builds(ListKind, inner, st.booleans())
        | st.builds(DictKind, inner, st.booleans())
        | _fields(inner).map(ModelKind)
    ),
    max_leaves=8,
)
roots = _fields(kinds).map(ModelKind)

_counter = itertools.count()


def python_type(kind: Kind) -> Any:
    """The annotation for ``kind``: a fresh model class for each model kind."""
    if isinstance(kind, ListKind):
        item = python_type(kind.item)
        return list[Annotated[item, Done]] if kind.item_done else list[item]  # type: ignore[valid-type]
    if isinstance(kind, DictKind):
        value = python_type(kind.value)
        return dict[str, Annotated[value, Done]] if kind.value_done else dict[str, value]  # type: ignore[valid-type]
    if isinstance(kind, ModelKind):
        definitions: dict[str, Any] = {}
        for index, spec in enumerate(kind.fields):
            annotation = python_type(spec.kind)
            if spec.optional:
                annotation = annotation | None
            markers = [m for m, on in ((Done, spec.done), (NotNull, spec.not_null)) if on]
            if markers:
                annotation = Annotated[(annotation, *markers)]
            definitions[f"f{index}"] = (annotation, None) if spec.optional else (annotation, ...)
        return create_model(f"Random{next(_counter)}", **definitions)
    scalars = {
        "str": str,
        "int": int,
        "float": float,
        "bool": bool,
        "literal": Literal["red", "green"],
        "int|str": int | str,
    }
    return scalars[kind]


def data_of(kind: Kind) -> st.SearchStrategy[Any]:
    if isinstance(kind, ListKind):
        return st.lists(data_of(kind.item), max_size=3)
    if isinstance(kind, DictKind):
        return st.dictionaries(st.sampled_from(["k", "é", 'q"']), data_of(kind.value), max_size=3)
    if isinstance(kind, ModelKind):
        return st.fixed_dictionaries(
            {
                f"f{index}": (st.none() | data_of(spec.kind)) if spec.optional else data_of(spec.kind)
                for index, spec in enumerate(kind.fields)
            }
        )
    return {
        "str": st.text('ab"\\é\n', max_size=8),
        "int": st.integers(-1000, 10**6),
        "float": st.floats(-1e6, 1e6, allow_nan=False),
        "bool": st.booleans(),
        "literal": st.sampled_from(["red", "green"]),
        "int|str": st.integers(-9, 99) | st.text("ab1", max_size=4),
    }[kind]


def dumped(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [dumped(item) for item in value]
    if isinstance(value, dict):
        return {key: dumped(item) for key, item in value.items()}
    return value


def check_shown(shown: Any, final: Any, kind: Kind, where: str) -> None:
    """Properties 1-3 for ``shown`` (not ``None``) against ``final`` (a recursive walk: the test's own depth)."""
    if isinstance(kind, ModelKind):
        assert type(shown) is type(final), where
        for index, spec in enumerate(kind.fields):
            name = f"f{index}"
            now, then = getattr(shown, name), getattr(final, name)
            if spec.done:
                assert now is None or dumped(now) == dumped(then), f"{where}.{name}: Done shows {now!r}"
            if spec.not_null and now is None:
                assert then is None and dumped(shown) == dumped(final), f"{where}: visible without {name}"
            if now is not None:
                assert then is not None, f"{where}.{name}"
                check_shown(now, then, spec.kind, f"{where}.{name}")
    elif isinstance(kind, ListKind):
        assert isinstance(shown, list) and len(shown) <= len(final), where
        for index, item in enumerate(shown):
            if kind.item_done:
                assert dumped(item) == dumped(final[index]), f"{where}[{index}]: Done item not final"
            check_shown(item, final[index], kind.item, f"{where}[{index}]")
    elif isinstance(kind, DictKind):
        assert isinstance(shown, dict) and list(shown) == list(final)[: len(shown)], where
        for key, value in shown.items():
            if kind.value_done:
                assert dumped(value) == dumped(final[key]), f"{where}[{key!r}]: Done value not final"
            check_shown(value, final[key], kind.value, f"{where}[{key!r}]")
    elif kind == "str" or (kind == "int|str" and isinstance(shown, str) and isinstance(final, str)):
        assert final.startswith(shown), where
    else:
        assert shown == final, where


def paths_of(final: Any, kind: Kind, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path of the final value: each field (``None`` or not) and list item, to the leaves."""
    found: list[tuple[str | int, ...]] = [path]
    if isinstance(kind, ModelKind):
        for index, spec in enumerate(kind.fields):
            value = getattr(final, f"f{index}")
            if value is not None:
                found += paths_of(value, spec.kind, (*path, f"f{index}"))
            else:
                found.append((*path, f"f{index}"))
    elif isinstance(kind, ListKind):
        for index, item in enumerate(final):
            found += paths_of(item, kind.item, (*path, index))
    elif isinstance(kind, DictKind):
        for key, value in final.items():
            found += paths_of(value, kind.value, (*path, key))
    return found


_INVISIBLE = object()


def shown_at(shown: Any, path: tuple[str | int, ...]) -> Any:
    value = shown
    for step in path:
        if value is None:
            return _INVISIBLE
        if isinstance(value, dict):
            if step not in value:
                return _INVISIBLE
            value = value[step]
        elif isinstance(step, str):
            value = getattr(value, step)
        elif step < len(value):
            value = value[step]
        else:
            return _INVISIBLE
    return value


@settings(max_examples=200, deadline=None)
@given(data=st.data(), kind=roots)
def test_random_models_keep_their_policies_at_every_chunking(data: st.DataObject, kind: ModelKind) -> None:
    model = python_type(kind)
    document = data.draw(data_of(kind), label="document")
    text = json.dumps(document, ensure_ascii=data.draw(st.booleans(), label="ascii")).encode()
    final = model.model_validate_json(text)
    # Byte by byte half the time: every cut point, so every moment an object is open without its NotNull field.
    sizes = data.draw(st.just([1]) | st.lists(st.integers(1, 8), min_size=1, max_size=8), label="chunk sizes")
    source: bytes | str = text.decode() if data.draw(st.booleans(), label="feed str") else text
    paths = paths_of(final, kind)
    stream = ModelStream(model)
    before = dict.fromkeys(paths, 0)
    position = 0
    while position < len(source):
        size = sizes[position % len(sizes)]
        shown = stream.feed(source[position : position + size])
        position += size
        assert shown is stream.partial
        if shown is not None:
            check_shown(shown, final, kind, "root")
        for path in paths:
            state = stream.state(path)
            assert ORDER[state] >= before[path], (path, state)
            before[path] = ORDER[state]
            at = shown_at(shown, path)
            if at is _INVISIBLE:
                continue
            if state == "complete" and at is not None:
                assert dumped(at) == dumped(shown_at(final, path)), (path, at)
            if state == "pending":
                assert at is None, (path, at)
    assert dumped(stream.finish()) == dumped(final)
    assert all(stream.state(path) == "complete" for path in paths)


@pytest.mark.parametrize("depth", [150])
def test_a_deep_recursive_marked_model_is_viewed_without_recursion(depth: int) -> None:
    import sys

    class Node(BaseModel):
        label: Annotated[str, NotNull, Done]
        child: Node | None = None

    text = '{"label": "x", "child": ' * depth + '{"label": "end"}' + "}" * depth
    stream = ModelStream(Node)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)
    try:
        view = stream.feed(text[:-depth])  # the innermost node is complete, none of its parents
        held = ModelStream(Node).feed(text[: -depth - 3])  # the innermost label open: held back, and so its node
    finally:
        sys.setrecursionlimit(limit)
    assert held is not None
    inner = held
    for _ in range(depth - 1):
        inner = inner.child
    assert inner.label == "x" and inner.child is None  # the node with the open label is not shown
    labels = []
    while view is not None:
        labels.append(view.label)
        view = view.child
    assert labels == ["x"] * depth + ["end"]  # every label complete: every node shown
    stream.feed(text[-depth:])
    assert stream.finish() == Node.model_validate_json(text)


def _held(field_kind: Kind, *, done: bool = False) -> ModelKind:
    """A model whose first field is NotNull (and Done), then a string."""
    return ModelKind((FieldSpec(field_kind, done, True, False), FieldSpec("str", False, False, False)))


#: Every container of NotNull models, fed byte by byte below (the random test may miss a cut point).
EXACT_CASES = {
    "list of held models": ModelKind((FieldSpec(ListKind(_held("str"), False), False, False, False),)),
    "dict of held models": ModelKind((FieldSpec(DictKind(_held("str"), False), False, False, False),)),
    "held model in a held model": ModelKind((FieldSpec(_held(_held("str")), False, True, True),)),
    "list of held models, Done name": ModelKind(
        (FieldSpec(ListKind(_held("str", done=True), False), False, False, False),)
    ),
    "held list in a list": ModelKind((FieldSpec(ListKind(_held(ListKind("int", True)), False), False, False, False),)),
}
EXACT_DATA = {
    "list of held models": {"f0": [{"f1": "a", "f0": "bc"}, {"f0": "d", "f1": "e"}, {"f1": "", "f0": ""}]},
    "dict of held models": {"f0": {"k": {"f1": "x", "f0": "y"}, "q": {"f0": "z", "f1": ""}}},
    "held model in a held model": {"f0": {"f1": "a", "f0": {"f1": "b", "f0": "cd"}}},
    "list of held models, Done name": {"f0": [{"f1": "a", "f0": "bc"}, {"f0": "d", "f1": "e"}]},
    "held list in a list": {"f0": [{"f1": "a", "f0": [1, 22]}, {"f0": [], "f1": "b"}]},
}


@pytest.mark.parametrize("case", list(EXACT_CASES))
def test_containers_of_held_models_at_every_byte(case: str) -> None:
    kind = EXACT_CASES[case]
    model = python_type(kind)
    text = json.dumps(EXACT_DATA[case]).encode()
    final = model.model_validate_json(text)
    stream = ModelStream(model)
    shown_any_open = False
    for index in range(len(text)):
        shown = stream.feed(text[index : index + 1])
        if shown is not None:
            check_shown(shown, final, kind, "root")
            shown_any_open = shown_any_open or dumped(shown) != dumped(final)
    assert shown_any_open  # the partials did show something before the end
    assert dumped(stream.finish()) == dumped(final)
