"""``midstream.testing``'s fuzz toolkit: the strategies, the contract checker, and the pytest fixtures."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import midstream
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream.testing import (
    Violation,
    check_prefixes,
    chunkings,
    find_violation,
    json_texts,
    json_values,
    model_instances,
    truncations,
)
from midstream.testing.contract import refines
from midstream.testing.strategies import interesting_cuts
from pydantic import BaseModel, Field


def midstream_prefix(data: bytes) -> Any:
    parser = midstream.Parser()
    parser.feed(data)
    return parser.value


def midstream_whole(data: bytes) -> Any:
    parser = midstream.Parser()
    parser.feed(data)
    return parser.finish()


# ---------------------------------------------------------------------------------------------------------------------
# strategies


@settings(max_examples=300, deadline=None)
@given(json_values())
def test_json_values_are_json(value: Any) -> None:
    assert json.loads(json.dumps(value)) == value


@settings(max_examples=300, deadline=None)
@given(json_texts())
def test_json_texts_are_utf8_json_of_their_value(text: bytes) -> None:
    value = json.loads(text)
    assert json.loads(json.dumps(value)) == value
    text.decode("utf-8")  # strict: no lone surrogates leak out unescaped


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_same_value_is_spelled_many_ways(data: st.DataObject) -> None:
    value = data.draw(json_values())
    spellings = {data.draw(json_texts(st.just(value))) for _ in range(4)}
    for text in spellings:
        assert json.loads(text) == value


def test_the_nasty_parts_are_generated() -> None:
    seen = dict.fromkeys(("escape", "astral", "non-ascii", "huge", "deep", "empty", "ascii-only"), False)

    @settings(max_examples=500, deadline=None, database=None)
    @given(json_texts())
    def look(text: bytes) -> None:
        seen["escape"] |= b"\\u" in text or b'\\"' in text
        seen["astral"] |= b"\\ud8" in text.lower() or any(b >= 0xF0 for b in text)
        seen["non-ascii"] |= any(b >= 0x80 for b in text)
        seen["huge"] |= re.search(rb"(?<![\w\\])\d{25,}|[eE]\+?30[0-8]", text) is not None
        seen["deep"] |= text.count(b"[") + text.count(b"{") > 30
        seen["empty"] |= text.strip() in (b"[]", b"{}")
        seen["ascii-only"] |= text.isascii() and b"\\u" in text

    look()
    assert all(seen.values()), seen


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_chunkings_rejoin_and_cut_at_hard_places(data: st.DataObject) -> None:
    text = data.draw(json_texts())
    chunks = data.draw(chunkings(text))
    assert b"".join(chunks) == text and all(chunks)
    prefix = data.draw(truncations(text))
    assert text.startswith(prefix) and len(prefix) < len(text)


def test_interesting_cuts_are_inside_characters_escapes_and_numbers() -> None:
    text = '{"a": "é\\u00e9", "b": 123, "c": true}'.encode()
    cuts = interesting_cuts(text)
    e_acute = text.index("é".encode())
    assert e_acute + 1 in cuts  # between the two bytes of é
    escape = text.index(b"\\u")
    assert {escape + 1, escape + 3} <= set(cuts)  # after the backslash, inside the hex digits
    number = text.index(b"123")
    assert number + 1 in cuts and number + 2 in cuts
    assert text.index(b"true") + 2 in cuts


class Tag(BaseModel):
    name: Annotated[str, Field(min_length=3, max_length=8)]
    weight: Annotated[int, Field(gt=0, le=10)]


class Node(BaseModel):
    label: str
    children: list[Node] = []


class Record(BaseModel):
    id: int
    title: str = Field(alias="Title")
    tags: list[Tag]
    parent: Node | None = None
    score: float | None = None  # floats() draws inf and nan too: model_instances must leave them out


class Reading(BaseModel):
    value: float | None  # inf and nan are drawn often; in a union pydantic dumps them as they are


@pytest.mark.parametrize("tp", [Record, Node, Reading, list[Tag], dict[str, int]])
def test_model_instances_validate(tp: Any) -> None:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(tp)

    @settings(max_examples=300, deadline=None, database=None)
    @given(json_texts(model_instances(tp)))
    def check(text: bytes) -> None:
        adapter.validate_json(text)

    check()


# ---------------------------------------------------------------------------------------------------------------------
# the contract checker


def test_refines_compares_like_the_contract() -> None:
    assert refines({"a": "ab", "b": [1]}, {"a": "abc", "b": [1, 2], "c": None}) is None
    assert refines(None, None) is None
    assert refines(1, 1.0) is None
    assert refines(True, 1) == ("changed", (), True, 1)
    assert refines(0.0, -0.0) == ("changed", (), 0.0, -0.0)
    assert refines({"a": {"b": 1}}, {"a": {}})[:2] == ("vanished", ("a", "b"))  # type: ignore[index]
    assert refines({"s": "abc"}, {"s": "abd"})[:2] == ("not a prefix", ("s",))  # type: ignore[index]
    assert refines([1, 2], [1])[:2] == ("vanished", (1,))  # type: ignore[index]
    assert refines([[]], [{}])[:2] == ("changed", (0,))  # type: ignore[index]
    deep: Any = "x"
    for _ in range(5_000):  # deeper than Python's recursion limit
        deep = [deep]
    assert refines(deep, deep) is None


def _kind(parse_prefix: Any, document: bytes) -> str | None:
    violation = check_prefixes(parse_prefix, document)
    return None if violation is None else violation.kind


def test_check_prefixes_names_every_kind_of_broken_promise() -> None:
    doc = b'{"a": "hello", "b": [1, 2], "c": 3}'

    def vanishing_key(data: bytes) -> Any:
        value = midstream_prefix(data)
        return {} if value and "b" in value and data.endswith(b"[") else value

    def wrong_string(data: bytes) -> Any:
        value = midstream_prefix(data)
        if value and value.get("a") == "he":
            value = {**value, "a": "HE"}
        return value

    def shrinking_list(data: bytes) -> Any:
        value = midstream_prefix(data)
        if value and value.get("b") == [1, 2] and len(data) == doc.index(b"]") + 2:  # [1, 2] then [1]
            value = {**value, "b": [1]}
        return value

    def extra_key(data: bytes) -> Any:
        value = midstream_prefix(data)
        return {**value, "z": 1} if value and len(data) == 10 else value

    def wrong_final(data: bytes) -> Any:
        return {"a": "hello"} if data == doc else midstream_prefix(data)

    def raises_at_the_end(data: bytes) -> Any:
        if data == doc:
            raise ValueError("nope")
        return midstream_prefix(data)

    assert _kind(midstream_prefix, doc) is None
    assert _kind(vanishing_key, doc) == "vanished"
    assert _kind(wrong_string, doc) == "not a prefix"
    assert _kind(shrinking_list, doc) == "vanished"
    assert _kind(extra_key, doc) == "not in final"
    assert _kind(wrong_final, doc) == "final differs"
    assert _kind(raises_at_the_end, doc) == "raised"
    violation = check_prefixes(wrong_string, doc)
    assert violation is not None and violation.path == ("a",)
    assert (violation.shown, violation.later, violation.later_prefix) == ("h", "HE", b'{"a": "he')
    assert "the string 'h' at ['a'], not a prefix of 'HE'" in str(violation)


def test_a_prefix_the_parser_cannot_show_is_skipped() -> None:
    def picky(data: bytes) -> Any:
        if not data.strip():
            raise ValueError("empty")
        return midstream_prefix(data)

    assert check_prefixes(picky, b'  [1, "x"]') is None


def test_find_violation_finds_nothing_in_midstream() -> None:
    assert find_violation(midstream_prefix, finish=midstream_whole, max_examples=300, seed=7) is None
    # without finish() a root number is never final: the checker says so rather than guessing
    root_number = check_prefixes(midstream_prefix, b"12")
    assert root_number is not None and root_number.kind == "final differs" and root_number.shown is None


def test_find_violation_finds_jiters_early_numbers() -> None:
    jiter = pytest.importorskip("jiter")

    def jiter_partial(data: bytes) -> Any:
        return jiter.from_json(data, partial_mode="trailing-strings")

    violation = find_violation(jiter_partial, max_examples=200, seed=0)
    assert isinstance(violation, Violation)
    # Shrunk to a number shown before the byte that finishes it: "1" shown for "10" ("changed"), or "0" shown for
    # "[0" and gone at "[0." ("vanished"): which one the shrinker reaches first depends on hypothesis's version.
    assert violation.kind in ("changed", "vanished")
    assert isinstance(violation.shown, int | float) and len(violation.document) <= 6
    assert ("which became" if violation.kind == "changed" else "which was gone") in str(violation)
    # the same search with the same seed finds the same example
    assert find_violation(jiter_partial, max_examples=200, seed=0) == violation


def test_find_violation_takes_the_documents_to_search() -> None:
    jiter = pytest.importorskip("jiter")
    only_strings = json_texts(st.text(max_size=20))
    # on strings alone jiter's trailing-strings mode keeps its promises
    found = find_violation(
        lambda data: jiter.from_json(data, partial_mode="trailing-strings"),
        max_examples=100,
        seed=1,
        documents=only_strings,
    )
    assert found is None or found.kind != "changed"


# ---------------------------------------------------------------------------------------------------------------------
# the pytest plugin, in a pytest run of its own


def test_the_pytest_fixtures_pass_and_fail_as_they_should(pytester: pytest.Pytester) -> None:
    pytest.importorskip("jiter")
    pytester.makepyfile(
        """
        import jiter
        import midstream

        def midstream_prefix(data):
            parser = midstream.Parser()
            parser.feed(data)
            return parser.value

        def midstream_whole(data):
            parser = midstream.Parser()
            parser.feed(data)
            return parser.finish()

        def test_midstream(partial_contract):
            partial_contract(midstream_prefix, finish=midstream_whole, max_examples=50)

        def test_jiter(partial_contract):
            partial_contract(lambda data: jiter.from_json(data, partial_mode="on"), max_examples=100)

        def test_one_document(partial_contract_document):
            partial_contract_document(midstream_prefix, b'{"a": [1, 2.5e3, "x\\\\u00e9"]}')
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")  # the plugin comes in through its entry point
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*partial-value contract broken: after the prefix*"])
