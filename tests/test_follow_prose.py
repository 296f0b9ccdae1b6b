"""Prose before a tool call, and content that only looks like JSON for a few characters (issue 13, item 3).

A model often writes a sentence before its tool call ("the user wants the weather; ...", "1. look it up", "null
hypothesis: ..."). Several such openings are valid JSON prefixes for a character or two, so the answer cannot be
decided from the first character. The rule under test (``midstream.providers.follow``): content is held while it
is a valid JSON prefix that could still be prose; it is followed as soon as it is certainly JSON (an object's
first key began, an array's first element is a container or string, or a comma follows its first element); a
tool call that comes while content is held wins; held content that stops being a JSON prefix is dropped, and the
tool call after it followed. Every entry point that follows an answer is checked, sync and async, from decoded
payloads, raw SSE bytes and the real SDKs, with the content cut at every position.
"""

from __future__ import annotations

import asyncio
import doctest
import itertools
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import midstream
import midstream.providers._content_start
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from midstream.providers._content_start import ContentStart
from midstream.testing import ReplayServer, sse_body
from pydantic import BaseModel

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")


class Day(BaseModel):
    day: str
    high: int


class Forecast(BaseModel):
    city: str
    days: list[Day]


ARGS = {"city": "Paris", "days": [{"day": "Mon", "high": 21}, {"day": "Tue", "high": 19}]}
ARGS_TEXT = json.dumps(ARGS)
CALL = Forecast(**ARGS)

#: Prose that models write before a tool call; the first ones are valid JSON prefixes for a few characters.
PROSE = [
    "the user wants the weather; I will call the tool.",
    "first, look up Paris.",
    "- step one: the forecast",
    "1. look it up",
    "null hypothesis: it rains",
    "true story: it rained",
    "fine, checking.",
    "no.",
    "-1 degrees? Let me check.",
    '"Quoted," said the model.',
    "[1] Smith et al. say so.",
    "[ ] todo: call the tool",
    "[link](https://example.com) first",
    "{name} asked for Paris",
    "\n\n  Let me check the weather in Paris.",
    "l'utilisateur veut la météo à Paris ☀",
]


# -- streams as the providers send them ---------------------------------------------------------------------------


def anthropic_events(
    texts: Iterable[str], args: Iterable[str] | None = (ARGS_TEXT,), *, stop: str | None = "tool_use"
) -> list[dict[str, Any]]:
    """A Messages stream: a text block with ``texts``, then (unless ``args`` is None) a tool_use block."""
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": _MESSAGE},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}
            for text in texts
            if text
        ),
        {"type": "content_block_stop", "index": 0},
    ]
    if args is not None:
        block = {"type": "tool_use", "id": "toolu_1", "name": "forecast", "input": {}}
        events += [
            {"type": "content_block_start", "index": 1, "content_block": block},
            *(
                {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": a}}
                for a in args
            ),
            {"type": "content_block_stop", "index": 1},
        ]
    if stop is not None:
        events += [
            {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": _USAGE},
            {"type": "message_stop"},
        ]
    return events


_MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-test",
    "content": [],
    "stop_reason": None,
    "stop_sequence": None,
    "usage": {"input_tokens": 5, "output_tokens": 1},
}
_USAGE = {"output_tokens": 9}


def openai_chunks(
    texts: Iterable[str], args: Iterable[str] | None = (ARGS_TEXT,), *, finish: str = "tool_calls"
) -> list[dict[str, Any]]:
    """A Chat Completions stream: content ``texts``, then (unless ``args`` is None) one tool call."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": text}) for text in texts if text]
    for number, piece in enumerate(args or ()):
        call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
        if number == 0:
            call.update(id="call_1", type="function")
            call["function"]["name"] = "forecast"
        chunks.append(chunk({"tool_calls": [call]}))
    return [*chunks, chunk({}, finish)]


def gemini_payloads(texts: Iterable[str]) -> list[dict[str, Any]]:
    """A Gemini stream: text parts, then the call, whole, in the last chunk."""

    def chunk(part: dict[str, Any], **more: Any) -> dict[str, Any]:
        return {"candidates": [{"content": {"role": "model", "parts": [part]}, "index": 0, **more}]}

    call = {"functionCall": {"name": "forecast", "args": ARGS}}
    return [*(chunk({"text": text}) for text in texts if text), chunk(call, finishReason="STOP")]


def anthropic_bytes(events: list[dict[str, Any]]) -> bytes:
    return sse_body([json.dumps(event, ensure_ascii=False).encode() for event in events], "anthropic")


def openai_bytes(chunks: list[dict[str, Any]]) -> bytes:
    return sse_body([json.dumps(chunk, ensure_ascii=False).encode() for chunk in chunks], "openai")


def cut(data: Any, cuts: Iterable[int]) -> list[Any]:
    points = sorted({0, len(data), *(c for c in cuts if 0 <= c <= len(data))})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


async def agen(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        await asyncio.sleep(0)
        yield item


# -- what an entry point gave -------------------------------------------------------------------------------------


def dump(value: Any) -> Any:
    if isinstance(value, list):
        return [dump(item) for item in value]
    return value.model_dump() if isinstance(value, BaseModel) else value


def failure(error: Exception) -> tuple[str, Any]:
    return (type(error).__name__, getattr(error, "offset", None))


def streamed(tp: Any, source: Any, **options: Any) -> tuple[str, Any]:
    """``midstream.stream``'s final value, or the error (with its offset) that ended it."""
    try:
        return ("ok", dump(midstream.stream(tp, source, **options).final()))
    except Exception as error:
        return failure(error)


def astreamed(tp: Any, source: AsyncIterator[Any], **options: Any) -> tuple[str, Any]:
    async def run() -> Any:
        return await midstream.stream(tp, source, **options).final()

    try:
        return ("ok", dump(asyncio.run(run())))
    except Exception as error:
        return failure(error)


def items(source: Any, **options: Any) -> tuple[Any, ...]:
    got: list[Any] = []
    try:
        for item in midstream.iter_items(Day, source, path=("days",), **options):
            got.append(dump(item))
    except Exception as error:
        return (*failure(error), got)
    return ("ok", got)


def aitems(source: AsyncIterator[Any], **options: Any) -> tuple[str, Any]:
    async def run() -> list[Any]:
        return [dump(item) async for item in midstream.aiter_items(Day, source, path=("days",), **options)]

    try:
        return ("ok", asyncio.run(run()))
    except Exception as error:
        return failure(error)


OK = ("ok", ARGS)
OK_ITEMS = ("ok", ARGS["days"])

#: (name, how to make the source from a list of text deltas, its provider= option)
SOURCES = [
    ("anthropic-payloads", lambda texts: anthropic_events(texts), None),
    ("anthropic-bytes", lambda texts: [anthropic_bytes(anthropic_events(texts))], "anthropic"),
    ("openai-payloads", lambda texts: openai_chunks(texts), None),
    ("openai-bytes", lambda texts: [openai_bytes(openai_chunks(texts))], "openai"),
    ("gemini-payloads", lambda texts: gemini_payloads(texts), None),
]


# -- the tool call after prose is followed, through every entry point ------------------------------------------------


@pytest.mark.parametrize("prose", PROSE)
@pytest.mark.parametrize(("name", "make", "provider"), SOURCES, ids=[s[0] for s in SOURCES])
def test_prose_then_a_tool_call_gives_the_call(prose: str, name: str, make: Any, provider: str | None) -> None:
    texts = [prose[:3], prose[3:]]
    assert streamed(Forecast, make(texts), provider=provider) == OK
    assert astreamed(Forecast, agen(make(texts)), provider=provider) == OK
    assert items(make(texts), provider=provider) == OK_ITEMS
    assert aitems(agen(make(texts)), provider=provider) == OK_ITEMS


@pytest.mark.parametrize("prose", PROSE)
def test_stream_tool_calls_after_prose(prose: str) -> None:
    updates = list(midstream.stream_tool_calls(anthropic_events([prose]), tools={"forecast": Forecast}))
    assert [(u.index, u.name, u.value) for u in updates if u.complete] == [(0, "forecast", CALL)]


@pytest.mark.parametrize("prose", PROSE)
def test_every_cut_of_the_prose_gives_the_call(prose: str) -> None:
    """The prose cut into two text deltas at every character, and its event's bytes cut at every byte."""
    for k in range(len(prose) + 1):
        assert streamed(Forecast, anthropic_events([prose[:k], prose[k:]])) == OK, k
        assert streamed(Forecast, openai_chunks([prose[:k], prose[k:]])) == OK, k
    body = anthropic_bytes(anthropic_events([prose]))
    start = body.index(b'"text_delta"')
    for k in range(start, start + len(prose.encode()) + 40):
        assert streamed(Forecast, [body[:k], body[k:]], provider="anthropic") == OK, k


def cuts_of(data: Any) -> st.SearchStrategy[list[int]]:
    """Cut positions anywhere in ``data`` (at most 8)."""
    return st.lists(st.integers(0, len(data)), max_size=8)


@given(prose=st.sampled_from(PROSE), data=st.data())
def test_any_chunking_of_prose_then_a_call_gives_the_call(prose: str, data: st.DataObject) -> None:
    texts = cut(prose, data.draw(cuts_of(prose)))
    assert streamed(Forecast, anthropic_events(texts)) == OK
    body = anthropic_bytes(anthropic_events(texts))
    assert streamed(Forecast, cut(body, data.draw(cuts_of(body))), provider="anthropic") == OK
    body = openai_bytes(openai_chunks(texts))
    assert streamed(Forecast, cut(body, data.draw(cuts_of(body))), provider="openai") == OK


@pytest.mark.parametrize("prose", ["the user wants the weather; ", "1. look it up", "null hypothesis: "])
def test_prose_then_a_call_through_the_sdks(prose: str) -> None:
    texts = cut(prose, [1, 2, 5])
    anthropic_body = anthropic_bytes(anthropic_events(texts))
    with ReplayServer(anthropic_body, seed=4, max_chunk=7) as server:
        client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
        with client:
            raw = client.messages.create(model="claude-test", max_tokens=64, messages=[], stream=True)
            assert streamed(Forecast, raw) == OK
            with client.messages.stream(model="claude-test", max_tokens=64, messages=[]) as helper:
                assert streamed(Forecast, helper) == OK

        async def run_async() -> Any:
            async with anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0) as aclient:
                raw = await aclient.messages.create(model="claude-test", max_tokens=64, messages=[], stream=True)
                return dump(await midstream.stream(Forecast, raw).final())

        assert asyncio.run(run_async()) == ARGS
    with (
        ReplayServer(openai_bytes(openai_chunks(texts)), seed=5, max_chunk=7) as server,
        openai.OpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0) as oclient,
    ):
        raw = oclient.chat.completions.create(model="gpt-4o", messages=[], stream=True)
        assert items(raw) == OK_ITEMS


# -- content that is (or may be) the answer -----------------------------------------------------------------------

#: content that is the whole answer (no tool call): (text, the value)
ANSWERS = [
    ('{"city": "Rome", "days": []}', {"city": "Rome", "days": []}),
    ('  [{"day": "Mon", "high": 1}]', [{"day": "Mon", "high": 1}]),
    ("[1, 2]", [1, 2]),
    ("[1]", [1]),
    ("[]", []),
    ("{}", {}),
    ("42", 42),
    ("-1.5e3 ", -1500.0),
    ("true", True),
    ("null", None),
    ('"text"', "text"),
]


@pytest.mark.parametrize(("text", "value"), ANSWERS)
def test_json_content_without_a_tool_call_is_the_answer_at_every_cut(text: str, value: Any) -> None:
    for k in range(len(text) + 1):
        assert streamed(Any, anthropic_events([text[:k], text[k:]], None, stop="end_turn")) == ("ok", value), k
        assert streamed(Any, openai_chunks([text[:k], text[k:]], None, finish="stop")) == ("ok", value), k


@pytest.mark.parametrize("text", ["42", "1.5", "true", "null", '"x"', "[1]", "[]", "{}", " 7 "])
def test_content_that_may_still_be_prose_gives_way_to_a_later_tool_call(text: str) -> None:
    for k in range(len(text) + 1):
        assert streamed(Forecast, anthropic_events([text[:k], text[k:]])) == OK, k


def test_content_certainly_json_is_followed_and_a_later_tool_call_ignored() -> None:
    content = '{"city": "Rome", "days": []}'
    for k in range(len(content) + 1):
        got = streamed(Forecast, anthropic_events([content[:k], content[k:]]))
        assert got == ("ok", {"city": "Rome", "days": []}), k


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ('{"city": oops', 9),  # an object whose first key began: JSON, malformed
        ("[1, 2] are the options", 7),  # a comma after the first element: JSON, with prose after it
        ('["a"] then more', 6),
        ("[[1]] x", 6),
    ],
)
def test_malformed_json_content_is_an_error_even_before_a_tool_call(text: str, offset: int) -> None:
    for k in range(len(text) + 1):
        assert streamed(Forecast, anthropic_events([text[:k], text[k:]])) == ("JSONError", offset), k


@pytest.mark.parametrize(
    ("prose", "offset"),
    [
        ("the user wants the weather", 1),
        ("null hypothesis: it rains", 5),
        ("1. look it up", 2),
        ("- step one", 1),
        ("[1] Smith et al.", 4),
        ("Here you go", 0),
    ],
)
def test_prose_and_no_tool_call(prose: str, offset: int) -> None:
    for k in range(len(prose) + 1):
        texts = [prose[:k], prose[k:]]
        # The stream ended as the provider ends it: the prose was the answer, and it is not JSON.
        assert streamed(Forecast, anthropic_events(texts, None, stop="end_turn")) == ("JSONError", offset), k
        assert streamed(Forecast, openai_chunks(texts, None, finish="stop")) == ("JSONError", offset), k
        # Cut short, or stopped by the token limit, before any answer began: incomplete, not malformed.
        assert streamed(Forecast, anthropic_events(texts, None, stop=None)) == ("IncompleteJSONError", 0), k
        assert streamed(Forecast, anthropic_events(texts, None, stop="max_tokens")) == ("IncompleteJSONError", 0), k
        assert streamed(Forecast, openai_chunks(texts, None, finish="length")) == ("IncompleteJSONError", 0), k


@pytest.mark.parametrize("text", ["42", "-7", "1.5"])
def test_a_number_cut_by_the_token_limit_is_incomplete_not_finished(text: str) -> None:
    """``42`` cut by max_tokens might have been ``4217``: never taken for the complete answer."""
    assert streamed(int | float, anthropic_events([text], None, stop="max_tokens"))[0] == "IncompleteJSONError"
    assert streamed(int | float, openai_chunks([text], None, finish="length"))[0] == "IncompleteJSONError"
    assert streamed(int | float, openai_chunks([text], None, finish="stop")) == ("ok", json.loads(text))


class Counting:
    """A source that counts the events taken from it so far."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.taken = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for event in self.events:
            self.taken += 1
            yield event


def test_an_object_answer_streams_before_the_stream_ends() -> None:
    """Following JSON content does not wait for the end: partials come while the events are still arriving."""
    text = json.dumps(ARGS)
    events = anthropic_events(cut(text, range(0, len(text), 3)), None, stop="end_turn")
    source = Counting(events)
    seen = []
    for partial in midstream.stream(Forecast, iter(source)):
        seen.append((source.taken, partial.city))
    assert seen[0][0] <= 4  # message_start, block start, '{"c', 'ity'
    assert any(city == "Paris" and at < len(events) - 3 for at, city in seen)


def test_items_of_an_array_answer_stream_before_the_end() -> None:
    text = json.dumps(ARGS["days"])
    events = anthropic_events(cut(text, range(0, len(text), 4)), None, stop="end_turn")
    source = Counting(events)
    first = next(iter(midstream.iter_items(Day, iter(source))))
    # handed over from the event that carries the first item's "}" (after message_start and the block's start)
    assert first == Day(day="Mon", high=21)
    assert source.taken == 2 + text.index("}") // 4 + 1 < len(events) - 4


#: content whose verdict is decided late, or after a failure: where a chunking-dependent rule would show
TRICKY = ["[1, 2] are", '{"a": oops', "[1] Smith", "42", "null hypothesis", '"quoted" said', "[ ] x", "[[1]] x"]


@given(
    text=st.sampled_from(TRICKY + TRICKY + [text for text, _ in ANSWERS] + PROSE),
    call=st.booleans(),
    stop=st.sampled_from(["tool_use", "end_turn", "max_tokens", None]),
    data=st.data(),
)
def test_every_chunking_gives_the_same_result_as_whole(
    text: str, call: bool, stop: str | None, data: st.DataObject
) -> None:
    args = (ARGS_TEXT,) if call else None
    whole = streamed(Any, anthropic_events([text], args, stop=stop))
    texts = cut(text, data.draw(cuts_of(text)))
    assert streamed(Any, anthropic_events(texts, args, stop=stop)) == whole
    body = anthropic_bytes(anthropic_events(texts, args, stop=stop))
    pieces = cut(body, data.draw(cuts_of(body)))
    assert streamed(Any, pieces, provider="anthropic") == whole
    assert astreamed(Any, agen(pieces), provider="anthropic") == whole


# -- fenced ------------------------------------------------------------------------------------------------------


def test_fenced_prose_ending_in_a_brace_then_a_tool_call() -> None:
    """The fence holds a ``{`` that may start a bare object; when a tool call is followed it is not added to the
    call's arguments."""
    for prose in ("see {", "options: [", "Let me check {\n"):
        assert streamed(Forecast, anthropic_events([prose]), fenced=True) == OK, prose


def test_fenced_content_is_still_followed() -> None:
    text = 'Here:\n```json\n{"city": "Rome", "days": []}\n```\nthen a call'
    assert streamed(Forecast, anthropic_events([text]), fenced=True) == ("ok", {"city": "Rome", "days": []})


def test_validation_errors_are_not_taken_for_prose() -> None:
    with pytest.raises(pydantic.ValidationError):
        midstream.stream(Forecast, anthropic_events(['{"city": 5, "days": []}'], None, stop="end_turn")).final()


# -- the verdict itself ------------------------------------------------------------------------------------------

VERDICTS = [
    ('{"', "json"),
    ('  {\n "a"', "json"),
    ("[{", "json"),
    ("[[", "json"),
    ('["', "json"),
    ("[1,", "json"),
    ("[true ,", "json"),
    ('{"a": oops', "json"),  # certain before it failed
    ("[1, 2] are", "json"),
    ("{", "held"),
    ("[", "held"),
    ("[1", "held"),
    ("[1]", "held"),
    ("[ ]", "held"),
    ("[]", "held"),
    ("{}", "held"),
    ("42", "held"),
    ("-", "held"),
    ("1.", "held"),
    ("null ", "held"),
    ('"text', "held"),
    ('"text"  ', "held"),
    ("", "held"),
    ("  \n", "held"),
    ("th", "prose"),
    ("null h", "prose"),
    ("1. ", "prose"),
    ("- ", "prose"),
    ("[1] S", "prose"),
    ("[ ] t", "prose"),
    ("[l", "prose"),
    ("{n", "prose"),
    ('"a" b', "prose"),
    ("é", "prose"),
]


@pytest.mark.parametrize(("text", "verdict"), VERDICTS)
def test_content_start_verdicts_whatever_the_cuts(text: str, verdict: str) -> None:
    whole = ContentStart()
    assert whole.feed(text) == verdict
    for k in range(len(text) + 1):
        start = ContentStart()
        start.feed(text[:k])
        assert start.feed(text[k:]) == verdict, k
    one_by_one = ContentStart()
    for char in text:
        one_by_one.feed(char)
    assert one_by_one.verdict == verdict
    if verdict == "prose":
        assert whole.error is not None and whole.error.offset == len(text.encode()) - len(text[-1].encode())


def test_content_start_docstring() -> None:
    result = doctest.testmod(midstream.providers._content_start)
    assert result.failed == 0 and result.attempted > 0


class Empty(BaseModel):
    pass


@pytest.mark.parametrize("prose", ["", "Let me check."])
def test_a_call_stopped_by_the_token_limit_before_its_arguments_is_incomplete(prose: str) -> None:
    """Anthropic sends no argument text for an empty input: ``{}`` -- unless the token limit stopped the stream."""
    ended = anthropic_events([prose], [], stop="tool_use")
    assert streamed(Empty, ended) == ("ok", {})
    assert [u.value for u in midstream.stream_tool_calls(ended, tools={"forecast": Empty}) if u.complete] == [Empty()]
    limited = anthropic_events([prose], [], stop="max_tokens")
    assert streamed(Empty, limited)[0] == "IncompleteJSONError"
    with pytest.raises(midstream.IncompleteJSONError):
        list(midstream.stream_tool_calls(limited, tools={"forecast": Empty}))
