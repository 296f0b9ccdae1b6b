"""What every entry point takes as its source (issue 13, item 8): an iterable of chunks, payloads or SDK events, or
one whole ``str``/``bytes``/``bytearray``/``memoryview`` (one chunk: iterating it would give characters or ints).
Anything else is a ``TypeError`` that says what a source is, raised by ``stream`` and ``stream_tool_calls``
when they are called and by ``iter_items``/``aiter_items`` at the first item."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import midstream
import pytest
from midstream.testing import sse_body
from pydantic import BaseModel

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")


class Point(BaseModel):
    x: int
    y: int


POINT = '{"x": 1, "y": 2}'
WHOLES: list[Callable[[str], Any]] = [
    lambda text: text,
    lambda text: text.encode(),
    lambda text: bytearray(text.encode()),
    lambda text: memoryview(text.encode()),
]
WHOLE_IDS = ["str", "bytes", "bytearray", "memoryview"]


def anthropic_sse(arguments: str) -> bytes:
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "m", "type": "message", "role": "assistant", "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "p"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": arguments}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
        {"type": "message_stop"},
    ]
    return sse_body([json.dumps(event).encode() for event in events], "anthropic")


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


# -- one whole text is one chunk ---------------------------------------------------------------------------------


@pytest.mark.parametrize("whole", WHOLES, ids=WHOLE_IDS)
def test_a_whole_json_text_is_one_chunk(whole: Callable[[str], Any]) -> None:
    assert midstream.stream(Point, whole(POINT)).final() == Point(x=1, y=2)
    assert [p.model_dump() for p in midstream.stream(Point, whole(POINT))] == [{"x": 1, "y": 2}]
    assert list(midstream.iter_items(int, whole("[1, 2, 3]"))) == [1, 2, 3]
    assert run(collect(midstream.aiter_items(int, whole("[1, 2, 3]")))) == [1, 2, 3]
    fenced = whole('Here:\n```json\n{"x": 1, "y": 2}\n```')
    assert midstream.stream(Point, fenced, fenced=True).final() == Point(x=1, y=2)


@pytest.mark.parametrize("whole", WHOLES, ids=WHOLE_IDS)
def test_a_whole_sse_body_is_one_chunk(whole: Callable[[str], Any]) -> None:
    body = whole(anthropic_sse('{"x": 3, "y": 4}').decode())
    assert midstream.stream(Point, body, provider="anthropic").final() == Point(x=3, y=4)
    calls = list(midstream.stream_tool_calls(body, {"p": Point}, provider="anthropic"))
    assert [(c.name, c.value) for c in calls if c.complete] == [("p", Point(x=3, y=4))]
    items = list(midstream.iter_items(int, whole(anthropic_sse("[5, 6]").decode()), provider="anthropic"))
    assert items == [5, 6]
    aitems = midstream.aiter_items(int, whole(anthropic_sse("[7]").decode()), provider="anthropic")
    assert run(collect(aitems)) == [7]


def test_a_whole_text_in_a_list_is_still_read_as_chunks() -> None:
    assert midstream.stream(Point, [POINT[:5], POINT[5:]]).final() == Point(x=1, y=2)
    assert midstream.stream(Point, [POINT.encode()]).final() == Point(x=1, y=2)


# -- anything else is a TypeError that says what a source is -----------------------------------------------------

NOT_SOURCES = [
    pytest.param(5, "got int$", id="int"),
    pytest.param(None, "got NoneType$", id="None"),
    pytest.param(1.5, "got float$", id="float"),
    pytest.param(object(), "got object$", id="object"),
    pytest.param({"x": 1, "y": 2}, "a dict is one payload", id="dict"),
    pytest.param(Point(x=1, y=2), "one object, not a stream", id="pydantic-model"),
]
SOURCE_IS = "a stream source is an iterable of text chunks, payloads or SDK stream events, or one str/bytes"
ASYNC_SOURCE_IS = "a stream source is an async iterable of"


@pytest.mark.parametrize(("source", "message"), NOT_SOURCES)
def test_stream_and_stream_tool_calls_reject_it_when_called(source: Any, message: str) -> None:
    with pytest.raises(TypeError, match=SOURCE_IS) as raised:
        midstream.stream(Point, source)
    assert raised.match(message)
    with pytest.raises(TypeError, match=message):
        midstream.stream_tool_calls(source)
    with pytest.raises(TypeError, match=message):
        midstream.stream(Point, source, provider="openai")


@pytest.mark.parametrize(("source", "message"), NOT_SOURCES)
def test_iter_items_and_aiter_items_reject_it(source: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        next(iter(midstream.iter_items(int, source)))
    with pytest.raises(TypeError, match=ASYNC_SOURCE_IS):
        run(collect(midstream.aiter_items(int, source)))


def test_a_sync_source_given_to_an_async_entry_point_and_back() -> None:
    with pytest.raises(TypeError, match="a sync source takes the sync entry point"):
        run(collect(midstream.aiter_items(int, ["[1]"])))

    async def chunks() -> AsyncIterator[str]:
        yield "[1]"

    with pytest.raises(TypeError, match="an async source takes the async entry point"):
        next(iter(midstream.iter_items(int, chunks())))


def test_an_sdk_stream_manager_that_was_not_entered() -> None:
    client = anthropic.Anthropic(api_key="test", base_url="http://127.0.0.1:9", max_retries=0)
    manager = client.messages.stream(model="claude-test", max_tokens=8, messages=[])  # sends nothing yet
    with pytest.raises(TypeError, match=r"enter it first .*with \.\.\. as stream"):
        midstream.stream(Point, manager)


def test_a_whole_sdk_response_is_not_a_stream() -> None:
    completion = openai.types.chat.ChatCompletion.model_validate(
        {"id": "c", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
    )
    with pytest.raises(TypeError, match=r"got openai\.types\.chat\.chat_completion\.ChatCompletion: one object"):
        midstream.stream(Point, completion)
