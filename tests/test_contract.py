"""The partial-value contract (DESIGN.md), checked against an independent reference.

A test-side serializer writes random JSON values with random whitespace and random escaping, and records where
every value starts and ends and, in strings, after which byte each decoded character is complete. From those
spans alone, ``expected_partial(doc, cut)`` says what the partial value of the first ``cut`` bytes must be:

- a value whose last byte is in the prefix appears in full, except a number, which is final only once the byte
  after it is in (at the root, only after ``finish()``);
- an open container appears with its begun children; an object key appears once its value's first byte is in;
- an open string appears with the characters fully decoded so far (an escape, a UTF-8 sequence or a surrogate
  pair counts only once its last byte is in);
- unfinished numbers and literals are absent; before the root begins the value is ``None``.

Then the parser is fed the document in random chunks (bytes and str) and checked after every chunk.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import midstream
import pytest
from _support import assert_json_equal, is_refinement, json_equal, split_at, value_at
from hypothesis import given
from hypothesis import strategies as st

# --- the test-side serializer -------------------------------------------------------------------------------

WHITESPACE = (b" ", b"\n", b"\t", b"\r", b"  ", b"\r\n", b" \t\n\r ")
SHORT_ESCAPES = {"\b": b"\\b", "\f": b"\\f", "\n": b"\\n", "\r": b"\\r", "\t": b"\\t"}
#: The ``kind`` of each node is the value of its ``begin`` event.
SCALAR_KINDS = ("number", "boolean", "null")


@dataclass
class Node:
    """One value in the serialized text: its byte span ``[start, end)`` and final Python value."""

    kind: str  # "object", "array", "string", "number", "boolean" or "null"
    start: int
    end: int = -1
    value: Any = None
    members: list[Member] = field(default_factory=list)
    #: Strings: ``(end, char)`` for each decoded character; it is complete once ``end`` bytes are in.
    chars: list[tuple[int, str]] = field(default_factory=list)

    def begun(self, cut: int) -> bool:
        return self.start < cut

    def complete(self, cut: int) -> bool:
        if self.kind == "number":
            return self.end < cut  # finished by the byte after it
        return self.end <= cut


@dataclass
class Member:
    """A child of an array (``element`` = index) or object (``element`` = key)."""

    element: str | int
    node: Node
    #: The child's place is known (``Parser.path`` names it) once this many bytes are in: after the key's
    #: closing quote, or after the comma before an array element (the first element: once it begins).
    placed_at: int


@dataclass
class Document:
    text: bytes
    root: Node

    def nodes(self) -> Iterator[tuple[tuple[str | int, ...], Node]]:
        """Every value with its path, parents first."""
        stack: list[tuple[tuple[str | int, ...], Node]] = [((), self.root)]
        while stack:
            path, node = stack.pop()
            yield path, node
            stack.extend(((*path, member.element), member.node) for member in reversed(node.members))


class Writer:
    """Serializes a value with random whitespace and escaping, recording spans. ``plain``: neither."""

    def __init__(self, rnd: random.Random, *, plain: bool = False) -> None:
        self.rnd = rnd
        self.plain = plain
        self.out = bytearray()

    def document(self, value: Any) -> Document:
        self.space()
        root = self.value(value)
        self.space()
        return Document(bytes(self.out), root)

    def space(self) -> None:
        if not self.plain and self.rnd.random() < 0.35:
            self.out += self.rnd.choice(WHITESPACE)

    def value(self, value: Any) -> Node:
        start = len(self.out)
        if value is None or isinstance(value, bool):
            self.out += b"null" if value is None else b"true" if value else b"false"
            return Node("null" if value is None else "boolean", start, len(self.out), value)
        if isinstance(value, (int, float)):
            text = str(value) if isinstance(value, int) else self.float_text(value)
            self.out += text.encode()
            return Node("number", start, len(self.out), json.loads(text))
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, list):
            return self.array(value)
        return self.object(value)

    def float_text(self, value: float) -> str:
        text = repr(value)
        if self.plain:
            return text
        return self.rnd.choice((text, text, text.upper(), f"{value:.17e}", f"{value:.17g}", f"{value:E}"))

    def array(self, items: list[Any]) -> Node:
        node = Node("array", len(self.out))
        self.out += b"["
        self.space()
        placed = 0
        for index, item in enumerate(items):
            if index:
                self.out += b","
                placed = len(self.out)
                self.space()
            child = self.value(item)
            if index == 0:
                placed = child.start + 1
            node.members.append(Member(index, child, placed))
            self.space()
        self.out += b"]"
        node.end = len(self.out)
        node.value = [member.node.value for member in node.members]
        return node

    def object(self, members: dict[str, Any]) -> Node:
        node = Node("object", len(self.out))
        self.out += b"{"
        self.space()
        for index, (key, item) in enumerate(members.items()):
            if index:
                self.out += b","
                self.space()
            key_node = self.string(key)
            self.space()
            self.out += b":"
            self.space()
            child = self.value(item)
            node.members.append(Member(key, child, key_node.end))
            self.space()
        self.out += b"}"
        node.end = len(self.out)
        node.value = {member.element: member.node.value for member in node.members}
        return node

    def string(self, text: str) -> Node:
        node = Node("string", len(self.out), value=text)
        self.out += b'"'
        ascii_only = not self.plain and self.rnd.random() < 0.3
        for char in text:
            self.out += self.encode_char(char, ascii_only)
            node.chars.append((len(self.out), char))
        self.out += b'"'
        node.end = len(self.out)
        return node

    def encode_char(self, char: str, ascii_only: bool) -> bytes:
        code = ord(char)
        roll = 1.0 if self.plain else self.rnd.random()
        if char == '"' or char == "\\":
            return b"\\" + char.encode() if roll > 0.3 else self.u_escape(code)
        if code < 0x20:
            short = SHORT_ESCAPES.get(char)
            return short if short is not None and roll > 0.3 else self.u_escape(code)
        if char == "/":
            return b"/" if roll > 0.5 else b"\\/" if roll > 0.2 else self.u_escape(code)
        if code < 0x80:
            return char.encode() if roll > 0.1 else self.u_escape(code)
        if ascii_only or roll < 0.15:
            return self.u_escape(code)
        return char.encode("utf-8")

    def u_escape(self, code: int) -> bytes:
        """``\\uXXXX`` (random hex case), or a surrogate pair of them for an astral character."""
        if code > 0xFFFF:
            code -= 0x10000
            return self.u_escape(0xD800 + (code >> 10)) + self.u_escape(0xDC00 + (code & 0x3FF))
        digits = "".join(self.rnd.choice((digit.lower(), digit.upper())) for digit in f"{code:04x}")
        return f"\\u{digits}".encode()


# --- the reference ------------------------------------------------------------------------------------------

ABSENT = object()


def partial(node: Node, cut: int) -> Any:
    """The partial value of ``node`` given the first ``cut`` bytes, or ``ABSENT``."""
    if not node.begun(cut):
        return ABSENT
    if node.complete(cut):
        return node.value
    if node.kind in SCALAR_KINDS:
        return ABSENT
    if node.kind == "string":
        return "".join(char for end, char in node.chars if end <= cut)
    if node.kind == "array":
        items = []
        for member in node.members:
            item = partial(member.node, cut)
            if item is ABSENT:
                break
            items.append(item)
        return items
    members = {}
    for member in node.members:
        item = partial(member.node, cut)
        if item is ABSENT:
            break
        members[member.element] = item
    return members


def expected_partial(doc: Document, cut: int) -> Any:
    value = partial(doc.root, cut)
    return None if value is ABSENT else value


def expected_path(doc: Document, cut: int) -> tuple[str | int, ...]:
    """The path of the value being written: down through open containers to the begun, unfinished child, or
    to the next child whose place is known (after a key or an array comma) but which has not begun."""
    path: list[str | int] = []
    node = doc.root
    while node.kind in ("array", "object") and node.begun(cut) and not node.complete(cut):
        for member in node.members:
            child = member.node
            if child.begun(cut) and not child.complete(cut):
                path.append(member.element)
                node = child
                break
            if not child.begun(cut):
                if member.placed_at <= cut:
                    path.append(member.element)
                return tuple(path)
        else:
            return tuple(path)
    return tuple(path)


# --- strategies ---------------------------------------------------------------------------------------------

SPECIAL_CHARS = '"\\/\x00\x01\x08\x0c\n\r\t\x1f\x7f\x80\u00e9\u07ff\u0800\u2028\ufeff\uffff\U0001f680\U0010ffff'
characters = st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARS))
texts = st.text(characters, max_size=10)
integers = st.one_of(
    st.integers(-(2**64), 2**64),
    st.integers(-(10**300), 10**300),
    st.sampled_from([0, -1, 10**18, -(10**19), 2**63, 10**4000 + 7]),  # 4001 digits: within the default limit
)
floats = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([-0.0, 0.1, 5e-324, 1e300]))
scalars = st.one_of(st.none(), st.booleans(), integers, floats, texts)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(texts, children, max_size=5)),
    max_leaves=20,
)


def draw_cuts(data: st.DataObject, length: int) -> list[int]:
    """Chunk boundaries: every position, or a random set of them."""
    if length < 2:
        return []
    if data.draw(st.booleans(), label="one by one"):
        return list(range(1, length))
    return sorted(data.draw(st.sets(st.integers(1, length - 1), max_size=min(25, length - 1)), label="cuts"))


def make_document(value: Any, rnd: random.Random) -> Document:
    doc = Writer(rnd).document(value)
    # The serializer itself must be right, or the reference means nothing.
    assert_json_equal(json.loads(doc.text), doc.root.value, "test serializer")
    return doc


def pieces_and_ends(doc: Document, data: st.DataObject, as_str: bool) -> list[tuple[Any, int]]:
    """The chunks to feed and, for each, the byte length of the prefix once it is fed."""
    document: bytes | str = doc.text.decode("utf-8") if as_str else doc.text
    pieces = split_at(document, draw_cuts(data, len(document)))
    ends, position = [], 0
    for piece in pieces:
        position += len(piece.encode("utf-8")) if isinstance(piece, str) else len(piece)
        ends.append(position)
    return list(zip(pieces, ends, strict=True))


# --- the properties -----------------------------------------------------------------------------------------


def check_stream(doc: Document, chunks: list[tuple[Any, int]]) -> None:
    parser = midstream.Parser()
    nodes = list(doc.nodes())
    assert parser.value is None
    assert parser.path == ()
    previous: Any = None
    previous_cut = 0
    history = []
    for piece, cut in chunks:
        parser.feed(piece)
        assert parser.offset == cut
        expected = expected_partial(doc, cut)
        snapshot = parser.snapshot()
        assert_json_equal(snapshot, expected, f"snapshot after {cut} bytes of {doc.text!r}")
        assert_json_equal(parser.value, expected, f"value after {cut} bytes of {doc.text!r}")
        assert is_refinement(previous, snapshot), f"{previous!r} -> {snapshot!r}"
        for path, node in nodes:
            assert parser.is_complete(path) == node.complete(cut), f"is_complete({path}) after {cut} bytes"
            if node.complete(previous_cut):
                # Finished values never change; finished containers are the very same objects.
                old, new = value_at(previous, path), value_at(snapshot, path)
                assert json_equal(old, new)
                if isinstance(new, (list, dict)):
                    assert old is new, f"finished {path} was replaced"
        assert parser.path == expected_path(doc, cut), f"path after {cut} bytes of {doc.text!r}"
        assert parser.done == doc.root.complete(cut)
        history.append((snapshot, expected))
        previous, previous_cut = snapshot, cut

    final = parser.finish()
    assert_json_equal(final, json.loads(doc.text), "finish()")
    assert parser.done
    assert all(parser.is_complete(path) for path, _ in nodes)
    # Later feeds never touched an earlier snapshot.
    for cut, (snapshot, expected) in enumerate(history):
        assert_json_equal(snapshot, expected, f"snapshot #{cut} after the stream ended")


@given(value=json_values, rnd=st.randoms(use_true_random=False), data=st.data())
def test_partial_values_follow_the_contract_bytes(value: Any, rnd: random.Random, data: st.DataObject) -> None:
    doc = make_document(value, rnd)
    check_stream(doc, pieces_and_ends(doc, data, as_str=False))


@given(value=json_values, rnd=st.randoms(use_true_random=False), data=st.data())
def test_partial_values_follow_the_contract_str(value: Any, rnd: random.Random, data: st.DataObject) -> None:
    doc = make_document(value, rnd)
    check_stream(doc, pieces_and_ends(doc, data, as_str=True))


@given(value=json_values, rnd=st.randoms(use_true_random=False), data=st.data())
def test_events_follow_the_contract(value: Any, rnd: random.Random, data: st.DataObject) -> None:
    doc = make_document(value, rnd)
    nodes = dict(doc.nodes())
    parser = midstream.Parser(events=True)
    events: list[midstream.Event] = []
    text_so_far: dict[tuple[str | int, ...], str] = defaultdict(str)

    def check_batch(batch: list[midstream.Event], cut: int | None) -> None:
        deltas = Counter(event.path for event in batch if event.kind == "delta")
        assert all(count == 1 for count in deltas.values()), "at most one delta per string per feed"
        events.extend(batch)
        for event in batch:
            if event.kind == "delta":
                assert event.value, "deltas are not empty"
                text_so_far[event.path] += event.value
        began = {event.path for event in events if event.kind == "begin"}
        ended = {event.path for event in events if event.kind == "end"}
        if cut is None:  # after finish()
            assert began == ended == set(nodes)
            return
        assert began == {path for path, node in nodes.items() if node.begun(cut)}
        assert ended == {path for path, node in nodes.items() if node.complete(cut)}
        for path, node in nodes.items():
            if node.kind == "string" and node.begun(cut):
                assert text_so_far[path] == partial(node, cut), f"deltas of {path} after {cut} bytes"

    for piece, cut in pieces_and_ends(doc, data, as_str=data.draw(st.booleans(), label="str")):
        parser.feed(piece)
        check_batch(parser.drain_events(), cut)
    parser.finish()
    check_batch(parser.drain_events(), None)
    assert parser.drain_events() == []

    begins: dict[Any, int] = {}
    ends: dict[Any, int] = {}
    for index, event in enumerate(events):
        node = nodes[event.path]
        if event.kind == "begin":
            assert event.path not in begins, f"two begins for {event.path}"
            begins[event.path] = index
            assert event.value == node.kind
        elif event.kind == "end":
            assert event.path in begins and event.path not in ends, f"end of {event.path} without one begin"
            ends[event.path] = index
            assert_json_equal(event.value, node.value, f"end value of {event.path}")
        else:
            assert event.kind == "delta"
            assert node.kind == "string"
            assert begins[event.path] < index and event.path not in ends
    assert set(begins) == set(ends) == set(nodes)
    for index, event in enumerate(events):
        # Everything about a value happens between its parents' begin and end: children end before parents.
        for depth in range(len(event.path)):
            parent = event.path[:depth]
            assert begins[parent] < index < ends[parent], f"{event} outside its parent {parent}"
    for path, node in nodes.items():
        if node.kind == "string":
            assert text_so_far[path] == node.value


# --- the reference itself -----------------------------------------------------------------------------------


def test_reference_on_a_known_document() -> None:
    """The reference (and the parser) on a hand-checked document, cut at every byte."""
    doc = Writer(random.Random(0), plain=True).document({"a": [12, "é"], "b": True})
    assert doc.text == '{"a":[12,"é"],"b":true}'.encode()
    a_open, a_12, a_str = {"a": []}, {"a": [12]}, {"a": [12, ""]}
    a_done = {"a": [12, "é"]}
    expected = [None, {}, {}, {}, {}, {}, a_open, a_open, a_open, a_12, a_str, a_str]
    expected += [a_done] * 11 + [{"a": [12, "é"], "b": True}] * 2
    assert len(expected) == len(doc.text) + 1
    paths = [(), (), (), (), ("a",), ("a",), ("a",), ("a", 0), ("a", 0), ("a", 1), ("a", 1), ("a", 1)]
    paths += [("a", 1), ("a",), (), (), (), (), ("b",), ("b",), ("b",), ("b",), ("b",), (), ()]
    assert len(paths) == len(expected)
    for cut in range(len(doc.text) + 1):
        assert_json_equal(expected_partial(doc, cut), expected[cut], f"reference at {cut}")
        assert expected_path(doc, cut) == paths[cut], f"reference path at {cut}"
        parser = midstream.Parser()
        parser.feed(doc.text[:cut])
        assert_json_equal(parser.value, expected[cut], f"parser at {cut}")
        assert parser.path == paths[cut], f"parser path at {cut}"


def test_reference_escapes_count_once_complete() -> None:
    rnd = random.Random(1)
    writer = Writer(rnd, plain=True)
    writer.out += b'"'
    start = len(writer.out)
    writer.out += writer.u_escape(0x1F680)
    assert writer.out[start:].lower() == b"\\ud83d\\ude80"
    doc = Writer(rnd, plain=True).document("a\U0001f680")
    string = doc.root
    assert string.chars == [(2, "a"), (6, "\U0001f680")]
    assert [partial(string, cut) for cut in range(1, 8)] == [
        "",
        "a",
        "a",
        "a",
        "a",
        "a\U0001f680",
        "a\U0001f680",
    ]


@pytest.mark.parametrize(
    ("old", "new", "ok"),
    [
        (None, {"a": 1}, True),
        ("ab", "abc", True),
        ("ab", "b", False),
        ([1, "x"], [1, "xy", {}], True),
        ([1, "x"], [1], False),
        ([1], [2], False),
        ([1], [1.0], False),
        ({"a": "x"}, {"a": "xy", "b": 1}, True),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, False),
        ({"a": 1}, {"b": 1}, False),
        ({"a": None}, {"a": 0}, False),
        ([[]], [{}], False),
    ],
)
def test_is_refinement(old: Any, new: Any, ok: bool) -> None:
    assert is_refinement(old, new) is ok


# --- damaged documents --------------------------------------------------------------------------------------

NOISE = b'{}[],:"\\ \n0123456789-+.eEtrufalsnu\x00\x1f\x7f\xff\xc3\xa9\xe2\x82\xac\xf0\x9f\xed\xa0'


def damage(text: bytes, rnd: random.Random) -> bytes:
    """``text`` with one to three random edits: a byte deleted, inserted or replaced, or the end cut off."""
    data = bytearray(text)
    for _ in range(rnd.randint(1, 3)):
        edit = rnd.choice(("delete", "insert", "replace", "truncate"))
        at = rnd.randrange(len(data) + 1)
        if edit == "delete" and at < len(data):
            del data[at]
        elif edit == "insert":
            data.insert(at, rnd.choice(NOISE))
        elif edit == "replace" and at < len(data):
            data[at] = rnd.choice(NOISE)
        elif edit == "truncate":
            del data[at:]
    return bytes(data)


def outcome_and_value(chunks: list[bytes]) -> tuple[tuple[Any, ...], Any]:
    """``(accepted, error type, offset, msg, line, column)`` and the value at the end (or after the error)."""
    parser = midstream.Parser()
    try:
        for chunk in chunks:
            parser.feed(chunk)
        value = parser.finish()
    except midstream.JSONError as error:
        return (False, type(error).__name__, error.offset, error.msg, error.line, error.column), parser.snapshot()
    return (True, None, None, None, None, None), value


@given(value=json_values, rnd=st.randoms(use_true_random=False), data=st.data())
def test_damaged_documents_fail_the_same_way_however_they_are_cut(
    value: Any, rnd: random.Random, data: st.DataObject
) -> None:
    text = damage(Writer(rnd).document(value).text, rnd)
    whole, whole_value = outcome_and_value([text])
    for chunks in (split_at(text, range(len(text))), split_at(text, draw_cuts(data, len(text)))):
        outcome, partial_value = outcome_and_value(chunks)
        assert outcome == whole, f"{text!r} cut as {chunks!r}"
        assert_json_equal(partial_value, whole_value, f"value of {text!r} cut as {chunks!r}")
    accepted, error, offset = whole[:3]
    if accepted:
        assert_json_equal(whole_value, json.loads(text), f"accepted {text!r}")
        return
    with pytest.raises(ValueError):
        json.loads(text.decode("utf-8"))  # rejected by json.loads too (bad UTF-8 included), and vice versa
    # Everything before the offset is still a prefix of some JSON text ...
    prefix = midstream.Parser()
    prefix.feed(text[:offset])
    # ... and what was parsed before the error is kept (refined at most by a number the bad byte ended).
    assert is_refinement(prefix.snapshot(), whole_value)
    if error == "IncompleteJSONError":
        assert offset == len(text)
        assert_json_equal(whole_value, prefix.snapshot())
    elif "integer string conversion" in whole[3]:
        pass  # two huge ints merged: rejected where the number began, once it ended
    else:
        assert error == "JSONError"
        assert offset < len(text)
        with pytest.raises(midstream.JSONError) as caught:
            prefix.feed(text[offset : offset + 1])
        assert (type(caught.value).__name__, caught.value.offset) == (error, offset)
