"""``midstream.patch``: patches of a parser's value, the reference applier, and the RFC 6902 form.

The property that matters: for any document cut anywhere, and drains at any points, applying every drained batch in
turn from ``None`` gives exactly ``Parser.value`` after each drain: with ``apply`` on midstream's form, and with the
``jsonpatch`` library on the RFC 6902 form. Then the merge rules (one ``append`` per string per drain, nothing added
inside a value added in the same drain), and the applier's own contract (RFC 6901 escaping, copies, errors).
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Annotated, Any

import jsonpatch  # type: ignore[import-untyped]
import midstream
import pydantic
import pytest
from _support import assert_json_equal, split_at
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream.patch import (
    ParserPatches,
    PatchError,
    apply,
    coalesce,
    json_size_within,
    op_size,
    parse_pointer,
    pointer,
    to_rfc6902,
)
from midstream.testing.strategies import chunkings, json_texts


def _drained(text: bytes, cuts: list[int], drain_every: int, form: str = "midstream") -> list[tuple[Any, list[Any]]]:
    """(``Parser.value``, the batch drained) at every drain: after each ``drain_every`` chunks, and at the end."""
    parser = midstream.Parser(events=True)
    patches = ParserPatches(parser)
    out = []
    chunks = split_at(text, cuts)
    for number, chunk in enumerate(chunks, 1):
        parser.feed(chunk)
        if number % drain_every == 0 or number == len(chunks):
            batch = patches.drain(form)  # type: ignore[arg-type]
            out.append((copy.deepcopy(parser.value), batch))
    parser.finish()
    out.append((copy.deepcopy(parser.value), patches.drain(form)))  # type: ignore[arg-type]
    return out


def _drawn(data: Any, text: bytes, drain_every: int, form: str = "midstream") -> list[tuple[Any, list[Any]]]:
    """``_drained`` at cuts drawn by ``chunkings`` (which favours the places parsers get wrong)."""
    chunks = data.draw(chunkings(text))
    cuts = [sum(len(chunk) for chunk in chunks[:i]) for i in range(1, len(chunks))]
    return _drained(text, cuts, drain_every, form)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), text=json_texts(), drain_every=st.integers(1, 6))
def test_applying_every_batch_gives_the_value_after_every_drain(data: Any, text: bytes, drain_every: int) -> None:
    doc: Any = None
    for value, batch in _drawn(data, text, drain_every):
        before = copy.deepcopy(doc)
        new = apply(doc, batch)
        assert_json_equal(doc, before, "apply changed its input")
        assert_json_equal(new, value, f"after {batch!r}")
        doc = new
    assert_json_equal(doc, json.loads(text))


@settings(max_examples=200, deadline=None)
@given(data=st.data(), text=json_texts(), drain_every=st.integers(1, 6))
def test_the_rfc6902_form_applies_with_jsonpatch(data: Any, text: bytes, drain_every: int) -> None:
    doc: Any = None
    for value, batch in _drawn(data, text, drain_every, "rfc6902"):
        assert all(op["op"] in ("add", "replace", "remove") for op in batch)
        doc = jsonpatch.apply_patch(doc, batch)
        assert_json_equal(doc, value, f"after {batch!r}")


@settings(max_examples=200, deadline=None)
@given(data=st.data(), text=json_texts(), drain_every=st.integers(1, 8))
def test_batches_are_merged(data: Any, text: bytes, drain_every: int) -> None:
    for _, batch in _drawn(data, text, drain_every):
        appended = [op["path"] for op in batch if op["op"] == "append"]
        assert len(appended) == len(set(appended)), f"two appends to one string in {batch!r}"
        added = [op["path"] for op in batch if op["op"] in ("add", "replace")]
        for op in batch:
            inside = [path for path in added if path != op["path"] and _under(op["path"], path)]
            assert not inside, f"{op!r} is inside {inside[0]!r}, added in the same batch"


def _under(path: str, ancestor: str) -> bool:
    return ancestor == "" or path.startswith(ancestor + "/")


def test_a_string_that_grows_is_appended_and_an_item_finished_in_one_drain_is_one_add() -> None:
    parser = midstream.Parser(events=True)
    patches = ParserPatches(parser)
    long = "a title long enough that sending the list again costs more than two operations"
    parser.feed(f'{{"items": [{{"title": "{long}')
    assert patches.drain() == [{"op": "replace", "path": "", "value": {"items": [{"title": long}]}}]
    parser.feed("l")
    parser.feed('lo"')
    parser.feed(', "n": 1')
    assert patches.drain() == [{"op": "append", "path": "/items/0/title", "value": "llo"}]
    parser.feed('2}, {"title": "x", "tags": ["a", "b"], "n": 3}')
    assert patches.drain() == [
        {"op": "add", "path": "/items/0/n", "value": 12},
        {"op": "add", "path": "/items/1", "value": {"title": "x", "tags": ["a", "b"], "n": 3}},
    ]
    assert patches.drain() == []
    assert patches.drain("rfc6902") == []


def _drains(*pieces: str) -> list[list[Any]]:
    """``Parser.drain_patches`` after each piece fed."""
    parser = midstream.Parser(events=True)
    drained = []
    for piece in pieces:
        parser.feed(piece)
        drained.append(parser.drain_patches())
    return drained


def test_the_operations_under_a_container_become_one_replace_where_that_is_fewer_bytes() -> None:
    first = '{"items": [{"title": "' + "t" * 200 + '"}, {"title": "He'
    _, batch = _drains(first, 'llo", "n": 12, "ok": true}, {"t": 1')
    # Three operations under /items/1 (an append, two adds) take more bytes than the item itself (but the list, with
    # its long first item, takes more than its four).
    assert batch == [
        {"op": "replace", "path": "/items/1", "value": {"title": "Hello", "n": 12, "ok": True}},
        {"op": "add", "path": "/items/2", "value": {}},
    ]
    _, batch = _drains('{"a": {"long": "' + "n" * 200 + '", "s": "x', 'y", "n": 1}}')
    # The object is bigger than its two operations: they stay.
    assert batch == [{"op": "append", "path": "/a/s", "value": "y"}, {"op": "add", "path": "/a/n", "value": 1}]


def test_coalesce_keeps_what_cannot_be_replaced_and_sizes_exactly() -> None:
    ops: list[Any] = [
        {"op": "add", "path": "/a", "value": {}},
        {"op": "add", "path": "/b/x", "value": 1},
        {"op": "add", "path": "/b/y", "value": 2},
        {"op": "remove", "path": "/c/0"},
        {"op": "append", "path": "/c/1", "value": "z"},
    ]
    asked = []

    def whole(tokens: tuple[str, ...], budget: int) -> Any:
        asked.append(tokens)
        return {"b": {"x": 1, "y": 2}}["b"] if tokens == ("b",) else None

    assert coalesce(ops, whole) == [ops[0], {"op": "replace", "path": "/b", "value": {"x": 1, "y": 2}}, *ops[3:]]
    assert sorted(asked) == [("b",), ("c",)]  # /a was added by the batch: nothing inside it is a candidate
    assert coalesce([*ops, {"op": "replace", "path": "", "value": 1}], whole) == [
        *ops,
        {"op": "replace", "path": "", "value": 1},
    ]
    for value in ({"é": ["x\n", 1.5, None, True, {}], "k": []}, "s" * 50, [], {}, 0):
        exact = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        assert json_size_within(value, exact) == exact
        assert json_size_within(value, exact - 1) is None
    assert op_size({"op": "add", "path": "/é", "value": 1}) == len('{"op":"add","path":"/é","value":1}'.encode())


def test_rfc6902_replaces_a_grown_string_whole() -> None:
    parser = midstream.Parser(events=True)
    patches = ParserPatches(parser)
    parser.feed('{"a~b/c": "He')
    patches.drain()
    parser.feed("llo")
    assert patches.drain("rfc6902") == [{"op": "replace", "path": "/a~0b~1c", "value": "Hello"}]
    assert to_rfc6902([{"op": "append", "path": "/a~0b~1c", "value": "lo"}], parser.value) == [
        {"op": "replace", "path": "/a~0b~1c", "value": "Hello"}
    ]


@pytest.mark.parametrize(
    ("path", "tokens"),
    [((), ""), (("a",), "/a"), (("a/b", "m~n", 0), "/a~1b/m~0n/0"), (("",), "/"), (("~1",), "/~01")],
)
def test_json_pointers_escape_as_rfc6901_says(path: tuple[Any, ...], tokens: str) -> None:
    assert pointer(path) == tokens
    assert parse_pointer(tokens) == [str(part) for part in path]


def test_apply_follows_rfc6902_and_shares_nothing() -> None:
    doc = {"a": [1, 2], "s": "x", "o": {"k": None}}
    value = {"deep": [1]}
    ops: list[Any] = [
        {"op": "add", "path": "/a/1", "value": 9},
        {"op": "add", "path": "/a/-", "value": value},
        {"op": "append", "path": "/s", "value": "yz"},
        {"op": "remove", "path": "/o/k"},
        {"op": "replace", "path": "/o", "value": [True]},
    ]
    new = apply(doc, ops)
    assert new == {"a": [1, 9, 2, {"deep": [1]}], "s": "xyz", "o": [True]}
    assert doc == {"a": [1, 2], "s": "x", "o": {"k": None}}
    assert jsonpatch.apply_patch(doc, to_rfc6902(ops, new)) == new
    value["deep"].append(2)
    assert new["a"][3] == {"deep": [1]}
    assert apply(None, [{"op": "replace", "path": "", "value": {"x": 1}}]) == {"x": 1}


@pytest.mark.parametrize(
    "op",
    [
        {"op": "add", "path": "/missing/x", "value": 1},
        {"op": "add", "path": "/a/5", "value": 1},
        {"op": "add", "path": "/a/01", "value": 1},
        {"op": "replace", "path": "/nope", "value": 1},
        {"op": "remove", "path": "/a/2"},
        {"op": "append", "path": "/a", "value": "x"},
        {"op": "move", "path": "/a", "from": "/s"},
        {"op": "add", "path": "a", "value": 1},
        {"op": "remove", "path": ""},
    ],
)
def test_an_operation_that_does_not_apply_is_a_patch_error(op: dict[str, Any]) -> None:
    with pytest.raises(PatchError) as raised:
        apply({"a": [1, 2], "s": "x"}, [{"op": "add", "path": "/z", "value": 0}, op])
    assert raised.value.index == 1 and raised.value.op == op


def test_draining_needs_events() -> None:
    parser = midstream.Parser()
    parser.feed("[1")
    with pytest.raises(ValueError, match="events"):
        ParserPatches(parser).drain()
    with pytest.raises(ValueError, match="format"):
        ParserPatches(midstream.Parser(events=True)).drain("json-patch")  # type: ignore[arg-type]


def test_bytes_on_the_wire() -> None:
    """docs/patches.md's figures: a 30 KB answer in 1-8 byte chunks, a batch every 64 chunks, sent as compact JSON."""
    from midstream.bench import TOKEN_SIZED, build, cut

    document = build("structured", 30_000)
    chunks = cut(document, TOKEN_SIZED).byte_chunks
    parser = midstream.Parser(events=True)
    patches = ParserPatches(parser)
    sent = snapshots = 0
    doc: Any = None
    for number, chunk in enumerate(chunks, 1):
        parser.feed(chunk)
        if number % 64 == 0 or number == len(chunks):
            batch = patches.drain()
            doc = apply(doc, batch)
            sent += len(json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode()) if batch else 0
            snapshots += len(json.dumps(parser.value, ensure_ascii=False, separators=(",", ":")).encode())
    final = len(json.dumps(document.expected, ensure_ascii=False, separators=(",", ":")).encode())
    assert doc == document.expected
    assert sent / final <= 1.6, sent / final  # the target; 1.53x when measured
    assert snapshots / final > 40  # 52.9x: what patches save


# --- patches of typed partials (ModelStream.drain_patches, PartialPatches) --------------------------------------


class Step(pydantic.BaseModel):
    title: str
    minutes: int
    tags: list[str] = []


class Plan(pydantic.BaseModel):
    goal: str
    steps: list[Step]
    weight: float = 1


def _typed_batches(tp: Any, text: bytes, size: int) -> list[tuple[Any, list[Any]]]:
    """(the partial's JSON, the batch drained) after every ``size``-byte chunk, then after ``finish()``."""
    stream = midstream.ModelStream(tp)
    dump = pydantic.TypeAdapter(tp).dump_python
    out = []
    for chunk in split_at(text, list(range(size, len(text), size))):
        partial = stream.feed(chunk)
        out.append((None if partial is None else dump(partial, mode="json", warnings=False), stream.drain_patches()))
    out.append((dump(stream.finish(), mode="json"), stream.drain_patches()))
    return out


def test_typed_patches_append_add_and_touch_only_the_open_path() -> None:
    steps = [{"title": f"step {n} " * 3, "minutes": n, "tags": ["a", "bb"]} for n in range(300)]
    text = json.dumps({"goal": "ship it", "steps": steps, "weight": 2}).encode()
    doc: Any = None
    open_item = 0
    for value, batch in _typed_batches(Plan, text, 5):
        doc = apply(doc, batch)
        assert_json_equal(doc, value, f"after {batch!r}")
        for op in batch:
            path = parse_pointer(op["path"])
            if path[:1] == ["steps"] and len(path) > 1:
                # Nothing before the item that was open at the last drain is sent again: O(what changed).
                assert int(path[1]) >= open_item, (op, open_item)
        open_item = max(0, len(value["steps"] or []) - 1) if value else 0
    assert doc == json.loads(text) | {"weight": 2.0}
    ops = [op for _, batch in _typed_batches(Plan, text, 5) for op in batch]
    assert sum(op["op"] == "append" for op in ops) > 1000  # strings grow by appends, not resent
    assert sum(op["op"] == "add" and op["path"].count("/") == 2 for op in ops) == 300  # each item added once


class Tagged(pydantic.BaseModel):
    """Dumped otherwise than field by field: compared as JSON, still exact."""

    model_config = pydantic.ConfigDict(serialize_by_alias=True)
    name: str = pydantic.Field(alias="Name")
    code: str
    hidden: str = pydantic.Field(default="", exclude=True)

    @pydantic.field_serializer("code")
    def _upper(self, code: str | None) -> str:
        return (code or "").upper()  # a partial holds None until the field arrives

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def size(self) -> int:
        return len(self.name or "")


class Holder(pydantic.BaseModel):
    items: list[Tagged]
    extra: dict[str, Any] = {}
    when: Annotated[str, pydantic.PlainSerializer(lambda s: f"<{s}>")] = ""


def test_typed_patches_follow_pydantics_own_serializers() -> None:
    text = json.dumps(
        {
            "items": [{"Name": "alpha", "code": "ab", "hidden": "x"}, {"Name": "beta", "code": "cd"}],
            "extra": {"k": [1, {"z": "deep"}]},
            "when": "now",
        }
    ).encode()
    for size in (1, 3, 7):
        doc: Any = None
        for value, batch in _typed_batches(Holder, text, size):
            doc = apply(doc, batch)
            assert_json_equal(doc, value, f"after {batch!r}")
        assert doc["items"][0] == {"Name": "alpha", "code": "AB", "size": 5} and doc["when"] == "<now>"


def test_an_item_that_finishes_invalid_is_removed_from_the_patched_list() -> None:
    stream = midstream.ModelStream(list[Step])
    stream.feed('[{"title": "ok", "minutes": 1}, {"title": "no minutes"')
    doc = apply(None, stream.drain_patches())
    assert len(doc) == 2
    stream.feed("}]")
    batch = stream.drain_patches()
    assert batch == [{"op": "remove", "path": "/1"}]
    assert apply(doc, batch) == [{"title": "ok", "minutes": 1, "tags": []}]


def test_partial_patches_reset_and_hand_given_values() -> None:
    patches = midstream.PartialPatches(dict[str, list[int]])
    assert patches.update(None) == []
    assert patches.update({"a": [1, 2]}) == [{"op": "replace", "path": "", "value": {"a": [1, 2]}}]
    # Values given by hand may shrink or lose keys: still exact.
    moved = patches.update({"b/~": [1]})
    assert moved == [{"op": "add", "path": "/b~1~0", "value": [1]}, {"op": "remove", "path": "/a"}]
    assert patches.update({"b/~": []}) == [{"op": "remove", "path": "/b~1~0/0"}]
    patches.reset()
    assert patches.update({"b/~": []}) == [{"op": "replace", "path": "", "value": {"b/~": []}}]
    with pytest.raises(ValueError, match="format"):
        patches.update({}, format="diff")  # type: ignore[arg-type]
    assert patches.dump({"x": [True]}) == {"x": [1]}


def test_a_deep_recursive_model_is_walked_without_recursion() -> None:
    class Node(pydantic.BaseModel):
        name: str
        child: Node | None = None

    depth = 200  # pydantic-core serializes at most ~250 levels
    text = ('{"name": "n", "child": ' * depth + '{"name": "leaf"}' + "}" * depth).encode()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)  # below the depth: only the walk's own stack may go that deep
    try:
        batches = _typed_batches(Node, text, 997)
    finally:
        sys.setrecursionlimit(limit)
    doc: Any = None
    for _, batch in batches:
        doc = apply(doc, batch)
    assert doc == batches[-1][0]
    assert any(op["path"].count("/child") > 150 for _, batch in batches[1:] for op in batch)


def test_parser_drain_patches_is_parser_patches_kept_with_the_parser() -> None:
    text = json.dumps({"items": [{"title": "t" * 40, "n": n, "tags": ["a", "b"]} for n in range(20)]})
    ours, theirs = midstream.Parser(events=True), midstream.Parser(events=True)
    patches = ParserPatches(theirs)
    doc: Any = None
    for number, chunk in enumerate(split_at(text.encode(), list(range(7, len(text), 7))), 1):
        ours.feed(chunk)
        theirs.feed(chunk)
        form = "rfc6902" if number % 5 == 0 else "midstream"
        batch = ours.drain_patches(form)  # type: ignore[arg-type]
        assert batch == patches.drain(form)  # type: ignore[arg-type]
        doc = jsonpatch.apply_patch(doc, batch) if form == "rfc6902" else apply(doc, batch)
        assert_json_equal(doc, ours.value)
    with pytest.raises(ValueError, match="events"):
        midstream.Parser().drain_patches()
    with pytest.raises(ValueError, match="format"):
        midstream.Parser(events=True).drain_patches("diff")  # type: ignore[arg-type]


def test_a_parser_and_its_patches_are_collected_together() -> None:
    import gc

    def alive() -> int:
        return sum(isinstance(thing, ParserPatches) for thing in gc.get_objects())

    gc.collect()
    before = alive()
    parser = midstream.Parser(events=True)
    parser.feed("[1, 2")
    parser.drain_patches()
    assert alive() == before + 1
    del parser
    gc.collect()
    assert alive() == before  # the parser <-> ParserPatches cycle is seen by the cycle collector


def test_exclude_unset_leaves_out_the_fields_not_seen_yet() -> None:
    stream = midstream.ModelStream(Plan)
    stream.feed('{"goal": "ship", "steps": [{"title": "wri')
    assert stream.drain_patches(exclude_unset=True) == [
        {"op": "replace", "path": "", "value": {"goal": "ship", "steps": [{"title": "wri"}]}}
    ]
    stream.feed('te", "minutes": 3}, {"title": "x"')
    doc = apply({"goal": "ship", "steps": [{"title": "wri"}]}, stream.drain_patches(exclude_unset=True))
    assert doc == {"goal": "ship", "steps": [{"title": "write", "minutes": 3}, {"title": "x"}]}
    assert doc == stream.partial.model_dump(mode="json", exclude_unset=True)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="exclude_unset=True"):
        stream.drain_patches()
