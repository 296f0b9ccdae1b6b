"""``Parser(forget_items_at=path)``: the finished children of the container at ``path`` are dropped right after
their ``end`` event, while paths, events and ``is_complete`` keep counting document positions."""

from __future__ import annotations

import copy
import json
import re
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import midstream
import pytest
from _support import assert_json_equal, json_equal, split_at
from hypothesis import given
from hypothesis import strategies as st
from midstream import Event, Parser

DOCS = Path(__file__).resolve().parents[1] / "docs" / "parser.md"

PathT = tuple[str | int, ...]


def fed(*chunks: bytes | str, **options: Any) -> Parser:
    parser = Parser(**options)
    for chunk in chunks:
        parser.feed(chunk)
    return parser


def ends(events: Sequence[Event], depth: int) -> list[tuple[PathT, Any]]:
    return [(event.path, event.value) for event in events if event.kind == "end" and len(event.path) == depth]


# --- arrays -------------------------------------------------------------------------------------------------


def test_root_array_keeps_only_the_open_item() -> None:
    parser = fed('[{"id": 0}, {"id": 1}, {"id": 2, "tags": ["a"', events=True, forget_items_at=())
    assert parser.value == [{"id": 2, "tags": ["a"]}]
    assert parser.path == (2, "tags")
    assert ends(parser.drain_events(), 1) == [((0,), {"id": 0}), ((1,), {"id": 1})]
    parser.feed("]}, 7, ")
    assert parser.value == []
    assert parser.path == (4,)
    assert ends(parser.drain_events(), 1) == [((2,), {"id": 2, "tags": ["a"]}), ((3,), 7)]
    parser.feed("[1, 2]]")
    events = parser.drain_events()
    assert ends(events, 1) == [((4,), [1, 2])]
    assert events[-1] == Event("end", (), [])
    assert parser.finish() == []


def test_paths_keep_document_indices() -> None:
    parser = fed("[10, 11, 12, 13, 14, ", forget_items_at=())
    assert parser.value == []
    assert parser.path == (5,)
    parser.feed('"six')
    assert parser.value == ["six"]
    assert parser.path == (5,)
    parser.feed('th", 99')
    assert parser.value == []  # 99 may still become 990
    assert parser.path == (6,)
    parser.feed(" ")
    assert parser.value == []
    assert parser.path == ()  # between items: the next one's place is not known before the comma
    assert parser.is_complete((6,))
    parser.feed(",")
    assert parser.path == (7,)


def test_open_string_item_grows_in_place() -> None:
    parser = fed('["a", "b", "He', forget_items_at=())
    live = parser.value
    assert live == ["He"]
    parser.feed("llo")
    assert parser.value is live
    assert live == ["Hello"]
    parser.feed('"')
    assert live == []


def test_is_complete_counts_dropped_items() -> None:
    parser = fed('[{"id": 0}, {"id": 1}, {"id": 2', forget_items_at=())
    assert parser.is_complete((0,))
    assert parser.is_complete((1,))
    assert not parser.is_complete((2,))
    assert not parser.is_complete((2, "id"))
    assert not parser.is_complete((3,))
    # What was inside a dropped item can no longer be checked.
    assert not parser.is_complete((0, "id"))
    parser.feed(", ")
    assert parser.is_complete((2, "id"))
    assert not parser.is_complete((2,))
    parser.feed('"x": 5}, 3')
    assert parser.is_complete((2,))
    assert not parser.is_complete((3,))
    parser.feed("]")
    assert parser.is_complete(())
    assert [parser.is_complete((index,)) for index in range(5)] == [True, True, True, True, False]


def test_is_complete_after_a_nested_forgetting_array_finished() -> None:
    parser = fed('{"items": [1, 2, 3], "more": [4, ', forget_items_at=("items",))
    assert parser.value == {"items": [], "more": [4]}
    assert [parser.is_complete(("items", index)) for index in range(4)] == [True, True, True, False]
    assert parser.is_complete(("items",))
    assert parser.is_complete(("more", 0))


def test_nested_path() -> None:
    document: dict[str, Any] = {
        "meta": {"items": [1, 2]},
        "data": {"count": 3, "items": [{"id": 1, "sub": [1, 2]}, {"id": 2}, [3]], "after": [4, 5]},
        "items": [6, 7],
    }
    parser = Parser(events=True, forget_items_at=("data", "items"))
    text = json.dumps(document)
    cut = text.index('{"id": 2') + 6
    parser.feed(text[:cut])
    assert parser.value == {"meta": {"items": [1, 2]}, "data": {"count": 3, "items": [{}]}}
    assert parser.path == ("data", "items", 1, "id")
    parser.feed(text[cut:])
    events = parser.drain_events()
    assert ends(events, 3) == [
        (("meta", "items", 0), 1),
        (("meta", "items", 1), 2),
        (("data", "items", 0), {"id": 1, "sub": [1, 2]}),
        (("data", "items", 1), {"id": 2}),
        (("data", "items", 2), [3]),
        (("data", "after", 0), 4),
        (("data", "after", 1), 5),
    ]
    emptied = copy.deepcopy(document)
    emptied["data"]["items"] = []
    assert events[-1] == Event("end", (), emptied)
    assert parser.finish() == emptied


def test_path_may_be_a_list_and_hold_indices() -> None:
    text = '[[1, 2, 3], [4, 5], {"a": [6, 7]}]'
    assert fed(text, forget_items_at=[0]).finish() == [[], [4, 5], {"a": [6, 7]}]
    assert fed(text, forget_items_at=(2, "a")).finish() == [[1, 2, 3], [4, 5], {"a": []}]
    assert fed(text, forget_items_at=(1,)).finish() == [[1, 2, 3], [], {"a": [6, 7]}]


def test_snapshot_holds_only_the_open_item() -> None:
    parser = fed('{"x": [{"a": 1}, {"b": [1, {"c": "te', forget_items_at=("x",))
    snapshot = parser.snapshot()
    assert snapshot == {"x": [{"b": [1, {"c": "te"}]}]}
    assert parser.value == snapshot
    assert snapshot["x"] is not parser.value["x"]
    assert snapshot["x"][0] is not parser.value["x"][0]
    parser.feed('xt"}]}, 5')
    assert snapshot == {"x": [{"b": [1, {"c": "te"}]}]}
    assert parser.snapshot() == {"x": []}
    parser.feed(", {")
    assert parser.snapshot() == {"x": [{}]}
    assert parser.path == ("x", 3)


def test_scalar_or_absent_path_changes_nothing() -> None:
    text = '{"data": 5, "items": [1, 2], "s": "abc", "o": {"k": [1]}}'
    for path in [("data",), ("s",), ("s", 0), ("missing",), ("items", 5), ("o", "k", 0), (0,), ("o", "x", "k")]:
        parser = fed(text, events=True, forget_items_at=path)
        assert parser.finish() == json.loads(text), path
        assert parser.drain_events() == fed(text, events=True).drain_events(), path


def test_root_scalar() -> None:
    assert fed('"abc"', forget_items_at=()).finish() == "abc"
    assert fed("12 ", forget_items_at=()).finish() == 12


def test_duplicate_keys_forget_every_occurrence() -> None:
    parser = fed('{"items": [1, 2], "items": [3, 4, "x', forget_items_at=("items",))
    assert parser.value == {"items": ["x"]}
    assert parser.path == ("items", 2)
    assert parser.is_complete(("items", 1))
    assert not parser.is_complete(("items", 2))
    parser.feed('"]}')
    assert parser.finish() == {"items": []}


# --- objects ------------------------------------------------------------------------------------------------


def test_root_object_members_are_deleted_by_key() -> None:
    parser = fed('{"a": 1, "b": [1, 2], "c": "te', events=True, forget_items_at=())
    assert parser.value == {"c": "te"}
    assert parser.path == ("c",)
    assert ends(parser.drain_events(), 1) == [(("a",), 1), (("b",), [1, 2])]
    # The keys of dropped members are not remembered.
    assert not parser.is_complete(("a",))
    assert not parser.is_complete(("c",))
    parser.feed('xt", "d": ')
    assert parser.value == {}
    assert parser.path == ("d",)
    parser.feed("{")
    assert parser.value == {"d": {}}
    parser.feed('"e": 1}}')
    events = parser.drain_events()
    assert ends(events, 1) == [(("c",), "text"), (("d",), {"e": 1})]
    assert events[-1] == Event("end", (), {})
    assert parser.finish() == {}


def test_nested_object() -> None:
    text = '{"rows": {"r1": {"v": 1}, "r2": {"v": 2}}, "n": 2}'
    parser = Parser(events=True, forget_items_at=("rows",))
    parser.feed(text[: text.index('"r2"') + 11])
    assert parser.value == {"rows": {"r2": {}}}
    assert parser.path == ("rows", "r2", "v")
    parser.feed(text[text.index('"r2"') + 11 :])
    assert ends(parser.drain_events(), 2) == [(("rows", "r1"), {"v": 1}), (("rows", "r2"), {"v": 2})]
    assert parser.finish() == {"rows": {}, "n": 2}


# --- the argument -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["items", b"items", 5, {"a": 1}, {"a"}, iter(("a",)), 1.5])
def test_path_must_be_a_tuple_or_list(path: Any) -> None:
    with pytest.raises(TypeError, match="forget_items_at"):
        Parser(forget_items_at=path)


@pytest.mark.parametrize("path", [(None,), ("a", 1.0), (True,), ("a", b"b"), (("a",),)])
def test_path_elements_must_be_str_or_int(path: Any) -> None:
    with pytest.raises(TypeError, match="forget_items_at"):
        Parser(forget_items_at=path)


def test_negative_index_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        Parser(forget_items_at=("a", -1))


def test_none_and_empty_are_accepted() -> None:
    assert fed("[1, 2]", forget_items_at=None).finish() == [1, 2]
    assert fed("[1, 2]", forget_items_at=[]).finish() == []


# --- against a parser without the option --------------------------------------------------------------------

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=12,
)
small_objects = st.dictionaries(st.sampled_from(["id", "name", "tags", "é"]), json_values, max_size=3)


@st.composite
def documents(draw: st.DrawFn) -> tuple[Any, PathT]:
    """A document and a forget path: mostly a big array of objects (at the root or nested), sometimes an object
    of members, sometimes any document with a path that walks into it (to a container, a scalar or nowhere)."""
    shape = draw(st.sampled_from(["root array", "nested array", "nested object", "any"]))
    if shape == "root array":
        return draw(st.lists(small_objects, max_size=8)), ()
    if shape == "nested array":
        items = draw(st.lists(small_objects | json_values, max_size=8))
        return {"meta": draw(json_values), "data": {"n": len(items), "items": items, "after": [1]}}, ("data", "items")
    if shape == "nested object":
        members = draw(st.dictionaries(st.text(max_size=4), json_values, max_size=6))
        return [draw(json_values), {"rows": members}], (1, "rows")
    document = draw(json_values)
    path: list[str | int] = []
    value: Any = document
    while isinstance(value, (list, dict)) and value and draw(st.booleans()):
        steps: list[str | int] = list(range(len(value))) if isinstance(value, list) else list(value)
        step = draw(st.sampled_from(steps))
        path.append(step)
        value = value[step]
    if draw(st.integers(0, 4)) == 0:
        path.append(draw(st.sampled_from(["zz", 7])))
    return document, tuple(path)


def container_at(value: Any, path: PathT) -> Any:
    """The value at ``path``, or None if the path does not lead anywhere (yet)."""
    for element in path:
        found = (isinstance(value, dict) and isinstance(element, str) and element in value) or (
            isinstance(value, list) and isinstance(element, int) and element < len(value)
        )
        if not found:
            return None
        value = value[element]
    return value


def forgetting(value: Any, path: PathT, keep: Any) -> Any:
    """A copy of ``value`` where the container at ``path`` holds only the children ``keep(child_path)`` allows."""
    value = copy.deepcopy(value)
    container = container_at(value, path)
    if isinstance(container, list):
        container[:] = [child for index, child in enumerate(container) if keep((*path, index))]
    elif isinstance(container, dict):
        for key in [key for key in container if not keep((*path, key))]:
            del container[key]
    return value


@given(documents(), st.booleans(), st.lists(st.integers(0, 2000), max_size=30))
def test_same_events_and_bounded_value(case: tuple[Any, PathT], ascii_only: bool, cuts: list[int]) -> None:
    document, path = case
    data = json.dumps(document, ensure_ascii=ascii_only).encode()
    plain = Parser(events=True)
    forget = Parser(events=True, forget_items_at=path)
    for chunk in split_at(data, cuts):
        plain.feed(chunk)
        forget.feed(chunk)
        assert forget.path == plain.path
        held = container_at(forget.value, path)
        if isinstance(held, (list, dict)):
            assert len(held) <= 1
        # The forgetting container holds exactly the children the plain parser has not finished.
        expected = forgetting(plain.snapshot(), path, lambda child: not plain.is_complete(child))
        assert_json_equal(forget.snapshot(), expected, "snapshot")
        assert_json_equal(forget.value, expected, "value")
        whole = container_at(plain.value, path)
        if isinstance(whole, list):
            for index in range(len(whole) + 1):
                assert forget.is_complete((*path, index)) == plain.is_complete((*path, index))
        elif isinstance(whole, dict):
            # Dropped members' keys are not remembered; the open one is not complete either.
            assert not any(forget.is_complete((*path, key)) for key in whole)
    final = plain.finish()
    assert_json_equal(forget.finish(), forgetting(final, path, lambda child: False), "finish")
    plain_events, forget_events = plain.drain_events(), forget.drain_events()
    # The finished children arrive in `end` events, as without the option.
    depth = len(path) + 1
    children = [(p, v) for p, v in ends(plain_events, depth) if p[:-1] == path]
    assert [(p, v) for p, v in ends(forget_events, depth) if p[:-1] == path] == children
    if isinstance(container_at(final, path), (list, dict)):
        assert len(children) == len(container_at(final, path))
    # Every event is the same, but for the `end` of the container and its parents, which hold it empty.
    assert len(forget_events) == len(plain_events)
    for got, want in zip(forget_events, plain_events, strict=True):
        assert (got.kind, got.path) == (want.kind, want.path)
        if got.kind == "end" and path[: len(got.path)] == got.path:
            assert_json_equal(got.value, forgetting(want.value, path[len(got.path) :], lambda child: False))
        else:
            assert json_equal(got.value, want.value)


# --- memory -------------------------------------------------------------------------------------------------


def big_array(size: int) -> bytes:
    items = []
    total = 0
    index = 0
    while total < size:
        item = json.dumps({"id": index, "name": f"item {index}", "text": f"{index} lorem ipsum dolor " * 8})
        items.append(item.encode())
        total += len(item) + 2
        index += 1
    return b"[" + b", ".join(items) + b"]"


def stream(data: bytes, **options: Any) -> tuple[int, int]:
    """Feed ``data`` in 64 KB chunks, draining events after each; the items seen and the tracemalloc peak."""
    chunk = 64 * 1024
    seen = 0
    tracemalloc.start()
    try:
        parser = Parser(events=True, **options)
        for start in range(0, len(data), chunk):
            parser.feed(data[start : start + chunk])
            for event in parser.drain_events():
                if event.kind == "end" and len(event.path) == 1:
                    assert event.path == (seen,)
                    assert event.value["id"] == seen
                    seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return seen, peak


def test_memory_stays_bounded_for_a_big_array() -> None:
    data = big_array(30 * 1024 * 1024)
    items = data.count(b'"id"')
    seen, peak = stream(data, forget_items_at=())
    assert seen == items
    assert peak < 16 * 1024 * 1024, f"tracemalloc peak {peak / 2**20:.1f} MB"
    # The measure sees what the parser keeps: without the option a third of the document already costs more.
    _, kept = stream(data[: len(data) // 3])
    assert kept > 16 * 1024 * 1024, f"tracemalloc peak without forgetting {kept / 2**20:.1f} MB"


# --- the documentation --------------------------------------------------------------------------------------


def test_docs_example_shows_what_it_claims() -> None:
    section = DOCS.read_text(encoding="utf-8").split("## Forgetting finished items", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace: dict[str, Any] = {"midstream": midstream}
    checked = 0
    pending: str | None = None
    for line in block.splitlines():
        if pending is not None and line.startswith("# "):
            assert repr(eval(pending, namespace)) == line[2:].strip()
            checked += 1
            pending = None
            continue
        code, _, comment = line.partition("  # ")
        if comment:
            assert repr(eval(code, namespace)) == comment.strip()
            checked += 1
        elif code.startswith("["):
            pending = code
        else:
            exec(code, namespace)
    assert checked == 5
