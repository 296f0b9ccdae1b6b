"""iter_items / aiter_items: each finished item once, validated, as soon as it finishes; memory stays flat."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import midstream
import pydantic
import pytest
from pydantic import BaseModel, field_validator


class Row(BaseModel):
    id: int
    kind: Literal["a", "b"]
    text: str


def test_items_arrive_as_soon_as_they_finish() -> None:
    chunks = ['{"rows": [{"id": 1, "kind": "a", "text": "x"}', ', {"id": 2, "kind": "b"', ', "text": "y"}', "]}"]
    arrivals: list[tuple[int, int]] = []  # (chunk index when it arrived, row id)
    fed = 0

    def source() -> Iterator[str]:
        nonlocal fed
        for fed, chunk in enumerate(chunks):  # noqa: B007 - `fed` is read by the consumer below
            yield chunk

    for row in midstream.iter_items(Row, source(), path=("rows",)):
        assert isinstance(row, Row)
        arrivals.append((fed, row.id))
    assert arrivals == [(0, 1), (2, 2)]


def test_root_array_and_scalar_items() -> None:
    assert list(midstream.iter_items(int, ["[1, 2", "3, 4]"])) == [1, 23, 4]
    assert list(midstream.iter_items(str, [b'["a\xc3', b'\xa9", "b"]'])) == ["aé", "b"]


def test_nested_path_and_other_keys_ignored() -> None:
    doc = {"meta": {"n": 2, "rows": "not these"}, "data": {"rows": [{"id": 7, "kind": "a", "text": ""}]}}
    text = json.dumps(doc)
    rows = list(midstream.iter_items(Row, [text[i : i + 3] for i in range(0, len(text), 3)], path=("data", "rows")))
    assert rows == [Row(id=7, kind="a", text="")]


def test_each_item_validated_exactly_once() -> None:
    seen: list[int] = []

    class Counted(BaseModel):
        id: int

        @field_validator("id")
        @classmethod
        def count(cls, value: int) -> int:
            seen.append(value)
            return value

    text = json.dumps([{"id": i} for i in range(50)])
    items = list(midstream.iter_items(Counted, (text[i : i + 2] for i in range(0, len(text), 2))))
    assert [item.id for item in items] == list(range(50))
    assert seen == list(range(50))


def test_invalid_items_skipped_then_reported_with_their_index() -> None:
    text = (
        '[{"id": 1, "kind": "a", "text": ""}, {"id": "x", "kind": "a", "text": ""}, {"id": 3, "kind": "c", "text": ""}]'
    )
    got: list[int] = []
    with pytest.raises(pydantic.ValidationError) as info:
        for row in midstream.iter_items(Row, [text]):
            got.append(row.id)
    assert got == [1]
    assert [(e["loc"], e["type"]) for e in info.value.errors()] == [
        ((1, "id"), "int_parsing"),
        ((2, "kind"), "literal_error"),
    ]


def test_fail_fast_raises_at_the_bad_item() -> None:
    text = (
        '[{"id": 1, "kind": "a", "text": ""}, {"id": 2, "kind": "z", "text": ""}, {"id": 3, "kind": "a", "text": ""}]'
    )
    got: list[int] = []
    with pytest.raises(pydantic.ValidationError):
        for row in midstream.iter_items(Row, [text[:60], text[60:]], fail_fast=True):
            got.append(row.id)
    assert got == [1]


def test_missing_array_is_an_error_and_truncation_is_incomplete() -> None:
    with pytest.raises(pydantic.ValidationError, match="rows"):
        list(midstream.iter_items(Row, ['{"other": []}'], path=("rows",)))
    with pytest.raises(midstream.IncompleteJSONError):
        list(midstream.iter_items(int, ["[1, 2"]))
    with pytest.raises(pydantic.ValidationError, match="list"):
        list(midstream.iter_items(int, ['{"rows": {"a": 1}}'], path=("rows",)))


def test_aiter_items() -> None:
    async def source() -> AsyncIterator[bytes]:
        for chunk in (b'{"rows": [{"id": 1, "kind": "a", "text": "x"}, ', b'{"id": 2, "kind": "b", "text": "y"}]}'):
            yield chunk

    async def collect() -> list[Row]:
        return [row async for row in midstream.aiter_items(Row, source(), path=("rows",))]

    assert [row.id for row in asyncio.run(collect())] == [1, 2]


def _big_array(total_bytes: int) -> Iterator[bytes]:
    """A ~total_bytes JSON array of Rows in 64 KB chunks, generated on the fly (never held whole)."""
    item = {"id": 0, "kind": "a", "text": "lorem ipsum dolor sit amet " * 10}
    size = len(json.dumps(item)) + 2
    count = total_bytes // size
    buffer = bytearray(b"[")
    for i in range(count):
        item["id"] = i
        buffer += json.dumps(item).encode()
        buffer += b", " if i + 1 < count else b"]"
        if len(buffer) >= 65536:
            yield bytes(buffer)
            buffer.clear()
    yield bytes(buffer)


def test_memory_stays_flat_over_a_30_mb_array() -> None:
    total = 30 * 1024 * 1024
    tracemalloc.start()
    try:
        count = 0
        for row in midstream.iter_items(Row, _big_array(total)):
            count += 1
            assert row.id == count - 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count > 100_000
    # Everything held at once would be well over 100 MB of Python objects; a flat stream needs ~1 MB.
    assert peak < 16 * 1024 * 1024, peak


def test_items_before_a_syntax_error_are_handed_over_and_early_exit_is_clean() -> None:
    got: list[int] = []
    with pytest.raises(midstream.JSONError):
        for value in midstream.iter_items(int, ["[1, 2, 3 4]"]):
            got.append(value)
    assert got == [1, 2, 3]
    items = midstream.iter_items(int, ["[1, 2, 3, 4]"])
    assert next(items) == 1
    items.close()  # items still queued: closing must not raise


@pytest.mark.parametrize("item_type", [Any, dict, dict[str, Any]])
def test_untyped_items_that_begin_and_end_within_one_feed(item_type: Any) -> None:
    """An item that opens after earlier ones were forgotten, and finishes in the same feed, is forgotten before
    the builder sees it begin: nothing live to show, and it is still yielded whole (regression: IndexError)."""
    text = '{"tasks": [{"a": {"b": [1, "]"]}}, {"query": {"x": 1}}, {"z": [2, {"w": "}"}]}]}'
    expected = json.loads(text)["tasks"]
    for size in (1, 2, 3, 7, 16, len(text)):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        assert list(midstream.iter_items(item_type, chunks, path=("tasks",))) == expected
