"""Edge cases of provider streams, end to end: the SDKs' own stream helpers, truncation at every event boundary,
error events mid-stream, refusals, fenced JSON, items of an array, HTTP errors, two tool calls given to ``stream``,
async raw bytes, CRLF framing with keep-alive comments.

Recorded streams come from ``tests/data/streams`` (through ``test_replay``); the hand-made ones are framed as
each provider frames them (``midstream.testing.sse_body``). What a stream carries is read from its payloads by
``arrived`` below, independently of the adapters.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import midstream
import pytest
from _support import value_at
from midstream.testing import ReplayServer, sse_body, sse_payloads
from pydantic import BaseModel
from test_replay import (
    MESSAGES,
    STREAMS,
    anthropic_client,
    collect,
    genai_client,
    openai_client,
    sdk_astream,
    sdk_stream,
)

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")
genai = pytest.importorskip("google.genai")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- the answers' types ------------------------------------------------------------------------------------------


class Weather(BaseModel):  # openai-chat/json-schema-content (and -n3-choices)
    city: str
    temperature: int
    units: Literal["c", "f"]


class GetWeatherArgs(BaseModel):  # the first call of openai-chat/parallel-tool-calls, and tool-strict
    city: str
    country: str
    units: Literal["c", "f"]


class Element(BaseModel):
    location: str
    temperature: int
    condition: str


class Elements(BaseModel):  # the tool input of vercel-ai/anthropic-json-tool.1 and .2
    elements: list[Element]


class Forecast(BaseModel):  # the items of openai-chat/json-object-content's "forecast"
    day: str
    high: str
    low: str
    condition: str


class Report(BaseModel):  # the hand-made answers
    title: str
    tags: list[str]
    score: int | None = None
    note: str | None = None


class Item(BaseModel):
    id: int
    name: str


# -- running midstream and keeping what it gave ------------------------------------------------------------------


def snap(value: Any) -> Any:
    """A copy of a partial (updated in place by midstream) as plain JSON-like data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return copy.deepcopy(value)


@dataclass
class Run:
    """What ``midstream.stream`` gave: each partial yielded (copied), the final value or the error that ended it."""

    partials: list[Any]
    stream: Any
    value: Any = None
    error: BaseException | None = None

    @property
    def partial(self) -> Any:
        return snap(self.stream.model.partial)

    def outcome(self) -> tuple[Any, ...]:
        return (type(self.error).__name__ if self.error else None, snap(self.value), self.partials, self.partial)


def run_stream(tp: Any, source: Iterable[Any], **options: Any) -> Run:
    stream = midstream.stream(tp, source, **options)
    run = Run([], stream)
    try:
        for partial in stream:
            run.partials.append(snap(partial))
        run.value = stream.final()
    except Exception as error:
        run.error = error
    return run


async def arun_stream(tp: Any, source: AsyncIterator[Any], **options: Any) -> Run:
    stream = midstream.stream(tp, source, **options)
    assert isinstance(stream, midstream.AsyncPartialStream)
    run = Run([], stream)
    try:
        async for partial in stream:
            run.partials.append(snap(partial))
        run.value = await stream.final()
    except Exception as error:
        run.error = error
    return run


Update = tuple[int, Any, Any, Any, bool, Any]  # index, id, name, partial, complete, value


def snap_update(update: midstream.ToolCallUpdate) -> Update:
    value = snap(update.value) if update.complete else None
    return (update.index, update.id, update.name, snap(update.partial), update.complete, value)


@dataclass
class CallsRun:
    updates: list[Update]
    error: BaseException | None = None

    def completed(self) -> dict[int, Any]:
        return {index: value for index, _, _, _, complete, value in self.updates if complete}

    def outcome(self) -> tuple[Any, ...]:
        return (type(self.error).__name__ if self.error else None, self.updates)


def run_calls(source: Iterable[Any], tools: Any = None, **options: Any) -> CallsRun:
    run = CallsRun([])
    try:
        for update in midstream.stream_tool_calls(source, tools, **options):
            run.updates.append(snap_update(update))
    except Exception as error:
        run.error = error
    return run


async def arun_calls(source: AsyncIterator[Any], tools: Any = None, **options: Any) -> CallsRun:
    run = CallsRun([])
    try:
        async for update in midstream.stream_tool_calls(source, tools, **options):
            run.updates.append(snap_update(update))
    except Exception as error:
        run.error = error
    return run


def pieces(data: bytes, seed: int, most: int = 24) -> list[bytes]:
    """``data`` cut at seeded random points."""
    rng = random.Random(seed)
    out = []
    at = 0
    while at < len(data):
        size = rng.randint(1, most)
        out.append(data[at : at + size])
        at += size
    return out


async def agen(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        await asyncio.sleep(0)
        yield item


def sse_events(body: bytes) -> list[bytes]:
    """The SSE body as its events, each with its blank line (the bodies here are LF-framed)."""
    return [block + b"\n\n" for block in body.split(b"\n\n") if block]


def consistent(partial: Any, full: Any) -> bool:
    """Whether a partial (a JSON value, or a model dump with ``None`` for fields not shown yet) can grow into
    ``full``: strings are prefixes, lists no longer, shown values equal."""
    if isinstance(partial, dict):
        if not isinstance(full, dict):
            return False
        for key, value in partial.items():
            if key not in full:
                return False
            if value is not None and not consistent(value, full[key]):  # None: a field not shown yet
                return False
        return True
    if isinstance(partial, list):
        return isinstance(full, list) and len(partial) <= len(full) and all(map(consistent, partial, full))
    if isinstance(partial, str):
        return isinstance(full, str) and full.startswith(partial)
    return bool(partial == full)


def parsed_prefix(text: str) -> midstream.Parser:
    parser = midstream.Parser()
    parser.feed(text)
    return parser


# -- hand-made streams, framed as each provider frames them -------------------------------------------------------

CHAT_BASE = {
    "id": "chatcmpl-edge",
    "object": "chat.completion.chunk",
    "created": 1727346169,
    "model": "gpt-4o-2024-08-06",
    "system_fingerprint": "fp_edge",
}


def chat_chunk(delta: dict[str, Any] | None = None, finish: str | None = None) -> dict[str, Any]:
    return {**CHAT_BASE, "choices": [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish}]}


def chat_body(*chunks: dict[str, Any], done: bool = True) -> bytes:
    body = sse_body([json.dumps(chunk).encode() for chunk in chunks], "openai")
    return body if done else body.removesuffix(b"data: [DONE]\n\n")


def chat_content(*texts: str, finish: str = "stop") -> bytes:
    return chat_body(
        chat_chunk({"role": "assistant", "content": ""}),
        *(chat_chunk({"content": text}) for text in texts),
        chat_chunk(finish=finish),
    )


def chat_call(index: int, arguments: str, name: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if name is not None:
        call.update(id=f"call_{index}", type="function")
        call["function"]["name"] = name
    return chat_chunk({"tool_calls": [call]})


RESPONSE = {
    "id": "resp_edge",
    "object": "response",
    "created_at": 1741257730,
    "status": "in_progress",
    "model": "gpt-4o",
    "output": [],
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
}


def responses_body(*events: dict[str, Any]) -> bytes:
    numbered = [{**event, "sequence_number": number} for number, event in enumerate(events)]
    return sse_body([json.dumps(event).encode() for event in numbered], "openai-responses")


def responses_message(*deltas: str, kind: str = "output_text", end: str = "completed") -> list[dict[str, Any]]:
    """A Responses stream whose one message streams ``deltas`` as ``output_text`` (or ``refusal``) deltas."""
    item = {"type": "message", "id": "msg_edge", "status": "in_progress", "role": "assistant", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []} if kind == "output_text" else {"type": kind}
    where = {"item_id": "msg_edge", "output_index": 0, "content_index": 0}
    extra = {"logprobs": []} if kind == "output_text" else {}
    return [
        {"type": "response.created", "response": RESPONSE},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.content_part.added", **where, "part": part},
        *({"type": f"response.{kind}.delta", **where, "delta": delta, **extra} for delta in deltas),
        *([{"type": f"response.{end}", "response": {**RESPONSE, "status": end}}] if end else []),
    ]


def responses_calls(*calls: tuple[str, list[str]]) -> list[dict[str, Any]]:
    """A Responses stream of function calls, each ``(name, argument pieces)``, one after the other."""
    events: list[dict[str, Any]] = [{"type": "response.created", "response": RESPONSE}]
    for index, (name, texts) in enumerate(calls):
        item = {"type": "function_call", "id": f"fc_{index}", "call_id": f"call_{index}", "name": name}
        events.append({"type": "response.output_item.added", "output_index": index, "item": {**item, "arguments": ""}})
        where = {"item_id": f"fc_{index}", "output_index": index}
        events += [{"type": "response.function_call_arguments.delta", **where, "delta": text} for text in texts]
        events.append({"type": "response.function_call_arguments.done", **where, "arguments": "".join(texts)})
    events.append({"type": "response.completed", "response": {**RESPONSE, "status": "completed"}})
    return events


ANTHROPIC_START = STREAMS["vercel-ai/anthropic-json-tool.1"].events[0]  # a real message_start


def anthropic_body(*events: dict[str, Any]) -> bytes:
    return sse_body([json.dumps(event).encode() for event in (ANTHROPIC_START, *events)], "anthropic")


def anthropic_text(index: int, *texts: str, stop: bool = True) -> list[dict[str, Any]]:
    return [
        {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}
            for text in texts
        ),
        *([{"type": "content_block_stop", "index": index}] if stop else []),
    ]


def anthropic_tool(index: int, name: str, *jsons: str, stop: bool = True) -> list[dict[str, Any]]:
    block = {"type": "tool_use", "id": f"toolu_{index}", "name": name, "input": {}}
    return [
        {"type": "content_block_start", "index": index, "content_block": block},
        *(
            {"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": j}}
            for j in jsons
        ),
        *([{"type": "content_block_stop", "index": index}] if stop else []),
    ]


def anthropic_end(reason: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": None},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    ]


def gemini_body(*payloads: dict[str, Any]) -> bytes:
    return sse_body([json.dumps(payload).encode() for payload in payloads], "gemini")


def gemini_text(text: str, finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": "gemini-2.0-flash"}


# -- what a stream's first events carry, read from the payloads ---------------------------------------------------


@dataclass
class Call:
    text: str | None = ""  # the arguments so far; None for Gemini's streamed partialArgs (not text on the wire)
    ended: bool = False  # Gemini streamed call: its last piece arrived

    @property
    def complete(self) -> bool:
        if self.text is None:
            return self.ended
        try:
            json.loads(self.text)
        except ValueError:
            return False
        return True


@dataclass
class Arrived:
    content: str = ""  # choice 0's text
    calls: list[Call] = field(default_factory=list)
    finished: bool = False  # a stop reason arrived

    @property
    def answer_complete(self) -> bool:
        """Whether all the text of the answer ``stream`` follows (the one call's arguments, or the content)."""
        if self.calls:
            return self.calls[0].complete
        try:
            json.loads(self.content)
        except ValueError:
            return False
        return True


def arrived(provider: str, body: bytes) -> Arrived:
    seen = Arrived()
    keyed: dict[Any, Call] = {}

    def begin(key: Any, text: str | None = "") -> Call:
        call = keyed[key] = Call(text)
        seen.calls.append(call)
        return call

    for payload in sse_payloads(body):
        try:
            data = json.loads(payload)
        except ValueError:
            continue  # the two recorded Responses events that are cut short (created, completed)
        if provider == "openai":
            for choice in data.get("choices") or []:
                if choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                seen.content += delta.get("content") or ""
                for fragment in delta.get("tool_calls") or []:
                    call = keyed.get(fragment["index"]) or begin(fragment["index"])
                    call.text = (call.text or "") + (fragment.get("function", {}).get("arguments") or "")
                seen.finished |= bool(choice.get("finish_reason"))
        elif provider == "anthropic":
            kind = data["type"]
            if kind == "content_block_start" and data["content_block"]["type"] == "tool_use":
                begin(data["index"])
            elif kind == "content_block_delta":
                delta = data["delta"]
                if delta["type"] == "text_delta":
                    seen.content += delta["text"]
                elif delta["type"] == "input_json_delta":
                    keyed[data["index"]].text = (keyed[data["index"]].text or "") + delta["partial_json"]
            elif kind == "message_delta":
                seen.finished = True
        elif provider == "openai-responses":
            kind = data["type"]
            if kind == "response.output_text.delta":
                seen.content += data["delta"]
            elif kind == "response.output_item.added" and data["item"]["type"] == "function_call":
                begin(data["output_index"], data["item"].get("arguments") or "")
            elif kind == "response.function_call_arguments.delta":
                call = keyed[data["output_index"]]
                call.text = (call.text or "") + data["delta"]
            elif kind in ("response.completed", "response.incomplete"):
                seen.finished = True
        else:
            for candidate in data.get("candidates") or []:
                for part in (candidate.get("content") or {}).get("parts") or []:
                    if "text" in part and not part.get("thought"):
                        seen.content += part["text"]
                    function = part.get("functionCall")
                    if function is None:
                        continue
                    if "args" in function:
                        begin(len(seen.calls), json.dumps(function["args"]))
                        continue
                    if "name" in function:
                        begin(len(seen.calls), None)
                    if not function.get("willContinue") and seen.calls:
                        seen.calls[-1].ended = True
                if candidate.get("finishReason"):
                    seen.finished = True
                    for call in seen.calls:
                        call.ended = True
    return seen


# =================================================================================================================
# (1) the SDKs' stream helpers: openai chat.completions.stream(...) and anthropic messages.stream(...)

HELPER_CONTENT = [
    ("openai-chat/json-schema-content", Weather, Weather),
    ("openai-chat/json-schema-n3-choices", Weather, Weather),
    ("openai-chat/json-object-content", Any, {"type": "json_object"}),
    ("openai-chat/tool-strict", GetWeatherArgs, None),  # its one tool call is followed
]


def _check_completion(completion: Any, response_format: Any, value: Any) -> None:
    """midstream's final value is what the helper itself accumulated."""
    message = completion.choices[0].message
    if response_format is Weather:
        assert message.parsed == value
    elif message.tool_calls:
        assert json.loads(message.tool_calls[0].function.arguments) == snap(value)
    else:
        assert json.loads(message.content) == value


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("name", "tp", "response_format"), HELPER_CONTENT, ids=[c[0] for c in HELPER_CONTENT])
def test_openai_chat_stream_helper_gives_what_the_raw_bytes_give(
    name: str, tp: Any, response_format: Any, asynchronous: bool
) -> None:
    body = STREAMS[name].body
    raw = run_stream(tp, pieces(body, 1), provider="openai")
    assert raw.error is None, repr(raw.error)
    options = {} if response_format is None else {"response_format": response_format}

    async def run_async(server: ReplayServer) -> tuple[Run, Any]:
        async with openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0) as client:
            helper = client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, **options)
            async with helper as events:
                got = await arun_stream(tp, events)
                return got, await events.get_final_completion()

    with ReplayServer(body, seed=5, max_chunk=32) as server:
        if asynchronous:
            got, completion = asyncio.run(run_async(server))
        else:
            with (
                openai_client(server) as client,
                client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, **options) as events,
            ):
                got = run_stream(tp, events)
                completion = events.get_final_completion()
    assert got.error is None, repr(got.error)
    assert got.partials == raw.partials  # the same partials, one by one
    assert got.value == raw.value
    _check_completion(completion, response_format, got.value)


HELPER_CALLS = ["openai-chat/parallel-tool-calls", "openai-chat/tools-strict-2", "openai-chat/tool-non-strict"]
TOOLS = {"GetWeatherArgs": GetWeatherArgs}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("name", HELPER_CALLS)
def test_openai_chat_stream_helper_tool_calls(name: str, asynchronous: bool) -> None:
    body = STREAMS[name].body
    raw = run_calls(pieces(body, 2), TOOLS, provider="openai")
    assert raw.error is None and raw.completed(), raw

    async def run_async(server: ReplayServer) -> tuple[CallsRun, Any]:
        async with (
            openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0) as client,
            client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as events,
        ):
            got = await arun_calls(events, TOOLS)
            return got, await events.get_final_completion()

    with ReplayServer(body, seed=6, max_chunk=32) as server:
        if asynchronous:
            got, completion = asyncio.run(run_async(server))
        else:
            with (
                openai_client(server) as client,
                client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as events,
            ):
                got = run_calls(events, TOOLS)
                completion = events.get_final_completion()
    assert got.outcome() == raw.outcome()
    calls = completion.choices[0].message.tool_calls
    assert [(u[0], u[1], u[2]) for u in got.updates if u[4]] == [
        (i, c.id, c.function.name) for i, c in enumerate(calls)
    ]
    assert list(got.completed().values()) == [json.loads(call.function.arguments) for call in calls]


ANTHROPIC_CONTENT = [
    ("vercel-ai/anthropic-json-output-format.1", Any),
    ("vercel-ai/anthropic-json-tool.1", Elements),
    ("vercel-ai/anthropic-json-tool.2", Elements),  # prose first, then the tool call
    ("vercel-ai/anthropic-tool-no-args", Any),  # no argument text at all: {}
]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("name", "tp"), ANTHROPIC_CONTENT, ids=[c[0] for c in ANTHROPIC_CONTENT])
def test_anthropic_message_stream_gives_what_the_raw_bytes_give(name: str, tp: Any, asynchronous: bool) -> None:
    body = STREAMS[name].body
    raw = run_stream(tp, pieces(body, 3), provider="anthropic")
    assert raw.error is None, repr(raw.error)

    async def run_async(server: ReplayServer) -> tuple[Run, Any]:
        client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)
        async with client, client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events:
            got = await arun_stream(tp, events)
            return got, await events.get_final_message()

    with ReplayServer(body, seed=7, max_chunk=32) as server:
        if asynchronous:
            got, message = asyncio.run(run_async(server))
        else:
            with (
                anthropic_client(server) as client,
                client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events,
            ):
                got = run_stream(tp, events)
                message = events.get_final_message()
    assert got.error is None, repr(got.error)
    assert got.partials == raw.partials
    assert got.value == raw.value
    block = message.content[-1]
    assert (block.input if block.type == "tool_use" else json.loads(block.text)) == snap(got.value)


def anthropic_two_tools() -> bytes:
    return anthropic_body(
        *anthropic_text(0, "Checking both."),
        *anthropic_tool(1, "GetWeatherArgs", '{"city": "Par', 'is", "country": "FR", ', '"units": "c"}'),
        *anthropic_tool(2, "get_time", '{"zone": ', '"Europe/Paris"}'),
        *anthropic_end("tool_use"),
    )


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("name", ["vercel-ai/anthropic-json-tool.2", "vercel-ai/anthropic-tool-no-args", "two-tools"])
def test_anthropic_message_stream_tool_calls(name: str, asynchronous: bool) -> None:
    body = anthropic_two_tools() if name == "two-tools" else STREAMS[name].body
    raw = run_calls(pieces(body, 4), TOOLS, provider="anthropic")
    assert raw.error is None and raw.completed(), raw

    async def run_async(server: ReplayServer) -> tuple[CallsRun, Any]:
        client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)
        async with client, client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events:
            got = await arun_calls(events, TOOLS)
            return got, await events.get_final_message()

    with ReplayServer(body, seed=8, max_chunk=32) as server:
        if asynchronous:
            got, message = asyncio.run(run_async(server))
        else:
            with (
                anthropic_client(server) as client,
                client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events,
            ):
                got = run_calls(events, TOOLS)
                message = events.get_final_message()
    assert got.outcome() == raw.outcome()
    tool_uses = [block for block in message.content if block.type == "tool_use"]
    assert [(u[1], u[2]) for u in got.updates if u[4]] == [(block.id, block.name) for block in tool_uses]
    assert list(got.completed().values()) == [block.input for block in tool_uses]


def test_openai_chat_stream_helper_length_error_is_the_sdks() -> None:
    """With response_format, the helper itself raises on finish_reason="length": midstream lets it through."""
    body = STREAMS["openai-chat/json-schema-max-tokens"].body
    with (
        ReplayServer(body) as server,
        openai_client(server) as client,
        client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, response_format=Weather) as events,
    ):
        got = run_stream(Weather, events)
    assert isinstance(got.error, openai.LengthFinishReasonError), repr(got.error)
    # Without the helper's check (the plain stream), the cut answer is IncompleteJSONError.
    plain = run_stream(Weather, [body], provider="openai")
    assert isinstance(plain.error, midstream.IncompleteJSONError)
    assert plain.partial == {"city": None, "temperature": None, "units": None}


RESPONSES_CONTENT = responses_body(
    *responses_message('{"title": "Cut', ' me", "tags": ["a",', ' "b"], "sc', 'ore": 7}')
)
RESPONSES_CALLS = responses_body(*responses_calls(("f", ['{"a": ', "[1, 2", "]}"]), ("g", ['{"b"', ': "x"}'])))


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_openai_responses_stream_helper(asynchronous: bool) -> None:
    """openai's client.responses.stream(...) helper: its events are read like the raw ones."""
    raw = run_stream(Report, pieces(RESPONSES_CONTENT, 1), provider="openai-responses")
    raw_calls = run_calls(pieces(RESPONSES_CALLS, 2), provider="openai-responses")
    assert raw.value == Report(title="Cut me", tags=["a", "b"], score=7)
    assert raw_calls.completed() == {0: {"a": [1, 2]}, 1: {"b": "x"}}

    async def run_async(server: ReplayServer, calls: bool) -> Any:
        async with (
            openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0) as client,
            client.responses.stream(model="gpt-4o", input="hi") as events,
        ):
            return await (arun_calls(events) if calls else arun_stream(Report, events))

    def run_sync(server: ReplayServer, calls: bool) -> Any:
        with openai_client(server) as client, client.responses.stream(model="gpt-4o", input="hi") as events:
            return run_calls(events) if calls else run_stream(Report, events)

    for body, calls, want in ((RESPONSES_CONTENT, False, raw), (RESPONSES_CALLS, True, raw_calls)):
        with ReplayServer(body, max_chunk=16) as server:
            got = asyncio.run(run_async(server, calls)) if asynchronous else run_sync(server, calls)
        assert got.outcome() == want.outcome()


# =================================================================================================================
# (2) truncation at every event boundary


@dataclass(frozen=True)
class Case:
    name: str
    provider: str
    body: bytes
    tp: Any = Any

    @property
    def events(self) -> list[bytes]:
        return sse_events(self.body)

    def cut(self, k: int) -> bytes:
        return b"".join(self.events[:k])


def recorded(name: str, tp: Any = Any) -> Case:
    stream = STREAMS[name]
    return Case(name, stream.provider, stream.body, tp)


INTERLEAVED = chat_body(
    chat_chunk({"role": "assistant", "content": None}),
    chat_call(0, "", "GetWeatherArgs"),
    chat_call(1, '{"tic', "get_stock_price"),
    chat_call(0, '{"city": "Par'),
    chat_call(1, 'ker": "ACME"'),
    chat_call(0, 'is", "country": "FR", '),
    chat_call(1, ', "exchange": "NYSE"}'),
    chat_call(0, '"units": "c"}'),
    chat_chunk(finish="tool_calls"),
)

STREAM_CASES = [
    recorded("openai-chat/json-schema-content", Weather),
    recorded("vercel-ai/anthropic-json-tool.2", Elements),
    recorded("vercel-ai/anthropic-json-output-format.1"),
    recorded("vercel-ai/parallel-tool-call-wrapper.1"),  # Responses: one function call
    Case("hand/responses-content", "openai-responses", RESPONSES_CONTENT, Report),
    recorded("vercel-ai/google-vertex-stream-tool-call-arguments-nested.1"),
]

CALL_CASES = [
    recorded("openai-chat/parallel-tool-calls"),
    Case("hand/interleaved-chat-calls", "openai", INTERLEAVED),
    recorded("vercel-ai/anthropic-json-tool.2"),
    Case("hand/responses-calls", "openai-responses", RESPONSES_CALLS),
    recorded("vercel-ai/parallel-tool-call-wrapper.1"),
    recorded("vercel-ai/google-stream-tool-call-arguments"),
]


def cut_params(cases: list[Case]) -> list[Any]:
    params = []
    for case in cases:
        for k in range(len(case.events) + 1):
            params.append(pytest.param(case, k, id=f"{case.name}-cut{k}"))
    return params


FULL: dict[str, Any] = {}


def full_answer(case: Case) -> Any:
    if case.name not in FULL:
        run = run_stream(case.tp, [case.body], provider=case.provider)
        assert run.error is None, repr(run.error)
        FULL[case.name] = run.value
    return FULL[case.name]


def full_calls(case: Case) -> dict[int, Any]:
    key = "calls:" + case.name
    if key not in FULL:
        run = run_calls([case.body], TOOLS, provider=case.provider)
        assert run.error is None, repr(run.error)
        FULL[key] = run.completed()
    return FULL[key]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("case", "k"), cut_params(STREAM_CASES))
def test_stream_cut_after_every_event(case: Case, k: int) -> None:
    full = full_answer(case)
    prefix = case.cut(k)
    seen = arrived(case.provider, prefix)
    run = run_stream(case.tp, pieces(prefix, k), provider=case.provider)
    if seen.answer_complete:
        assert run.error is None, repr(run.error)
        assert run.value == full  # the whole answer arrived: whatever came after it does not matter
        return
    assert isinstance(run.error, midstream.IncompleteJSONError), repr(run.error)
    # Nothing received is lost, nothing is made up: every partial can grow into the answer, finished fields
    # are final, and what finished in the text received is finished in the partial.
    full_data = snap(full)
    assert all(consistent(partial, full_data) for partial in run.partials)
    partial = run.partial
    assert partial is None or consistent(partial, full_data), partial
    model = run.stream.model
    for key in full_data:
        if model.is_complete((key,)):
            assert partial[key] == full_data[key], key
    if seen.calls and seen.calls[0].text is None:
        return  # Gemini partialArgs: no text to compare with
    followed = seen.calls[0].text if seen.calls else seen.content
    if not seen.calls and followed.strip() and not followed.lstrip().startswith(("{", "[")):
        return  # only the prose before a tool call arrived: no answer began
    reference = parsed_prefix(followed or "")
    for key in reference.value or {}:
        assert model.is_complete((key,)) == reference.is_complete((key,)), key


@pytest.mark.parametrize(("case", "k"), cut_params(CALL_CASES))
def test_stream_tool_calls_cut_after_every_event(case: Case, k: int) -> None:
    full = full_calls(case)
    prefix = case.cut(k)
    seen = arrived(case.provider, prefix)
    run = run_calls(pieces(prefix, k), TOOLS, provider=case.provider)
    want = {index: full[index] for index, call in enumerate(seen.calls) if call.complete}
    # Calls that completed before the cut keep their value, yielded before the end.
    assert run.completed() == want
    if all(call.complete for call in seen.calls):
        assert run.error is None, repr(run.error)
    else:
        assert isinstance(run.error, midstream.IncompleteJSONError), repr(run.error)
    for index, _, _, partial, _, _ in run.updates:
        assert partial is None or consistent(partial, full[index]), (index, partial)


def _sdk_items(client: Any, flavor: str, model: str) -> Iterator[Any]:
    if flavor == "openai":
        yield from client.chat.completions.create(model=model, messages=MESSAGES, stream=True)
    elif flavor == "anthropic":
        yield from client.messages.create(model=model, max_tokens=64, messages=MESSAGES, stream=True)
    else:
        yield from client.models.generate_content_stream(model=model, contents="hi")


SDK_CUTS = [
    ("openai-chat/json-schema-content", "openai", "stream"),
    ("openai-chat/parallel-tool-calls", "openai", "calls"),
    ("vercel-ai/anthropic-json-tool.2", "anthropic", "stream"),
    ("vercel-ai/anthropic-json-tool.2", "anthropic", "calls"),
    ("vercel-ai/google-vertex-stream-tool-call-arguments-nested.1", "gemini-api", "stream"),
    ("vercel-ai/google-stream-tool-call-arguments", "gemini-api", "calls"),
]


@pytest.mark.parametrize(("name", "flavor", "entry"), SDK_CUTS)
def test_cut_sdk_streams_end_as_the_cut_raw_bytes_do(name: str, flavor: str, entry: str) -> None:
    """The same stream cut after every event, served to the SDK (which sees a clean end): midstream gives, from
    the SDK's objects, exactly what it gives from the raw bytes."""
    case = recorded(name, Elements if "anthropic" in name and entry == "stream" else Any)
    prefixes = {f"cut-{k}": case.cut(k) for k in range(len(case.events) + 1)}

    def respond(method: str, path: str, request: Any) -> bytes:
        found = re.search(r"models/(cut-\d+):", path)
        return prefixes[found.group(1) if found else request["model"]]

    with ReplayServer(respond, seed=3, max_chunk=40) as server:
        if flavor == "openai":
            client = openai_client(server)
        elif flavor == "anthropic":
            client = anthropic_client(server)
        else:
            client = genai_client(server)
        with client:
            for model, prefix in prefixes.items():
                source = _sdk_items(client, flavor, model)
                if entry == "stream":
                    got = run_stream(case.tp, source).outcome()
                    want = run_stream(case.tp, sse_events(prefix), provider=case.provider).outcome()
                else:
                    got = run_calls(source, TOOLS).outcome()
                    want = run_calls(sse_events(prefix), TOOLS, provider=case.provider).outcome()
                assert got == want, model


@pytest.mark.parametrize("case", STREAM_CASES[:3] + STREAM_CASES[4:5], ids=lambda case: case.name)
def test_async_cut_streams_end_as_the_sync_ones(case: Case) -> None:
    async def both(prefix: bytes) -> tuple[Run, CallsRun]:
        return await arun_stream(case.tp, agen(pieces(prefix, 9)), provider=case.provider), await arun_calls(
            agen(pieces(prefix, 10)), TOOLS, provider=case.provider
        )

    for k in range(len(case.events) + 1):
        prefix = case.cut(k)
        got, got_calls = asyncio.run(both(prefix))
        events = sse_events(prefix)
        assert got.outcome() == run_stream(case.tp, events, provider=case.provider).outcome(), k
        assert got_calls.outcome() == run_calls(events, TOOLS, provider=case.provider).outcome(), k


TOKEN_LIMITS = [
    pytest.param("openai", chat_content('{"title": "Lo', 'ng", "tags": ["x", "y', finish="length"), id="openai-length"),
    pytest.param(
        "openai-responses",
        responses_body(*responses_message('{"title": "Lo', 'ng", "tags": ["x", "y', end="incomplete")),
        id="responses-incomplete",
    ),
    pytest.param(
        "anthropic",
        anthropic_body(*anthropic_text(0, '{"title": "Lo', 'ng", "tags": ["x", "y'), *anthropic_end("max_tokens")),
        id="anthropic-max_tokens",
    ),
    pytest.param(
        "gemini",
        gemini_body(gemini_text('{"title": "Lo'), gemini_text('ng", "tags": ["x", "y', finish="MAX_TOKENS")),
        id="gemini-MAX_TOKENS",
    ),
    pytest.param(
        "openai",
        chat_body(chat_chunk({"content": '{"title": "Long", "tags": ["x", "y'}), done=False),
        id="openai-no-done",
    ),
]


@pytest.mark.parametrize(("provider", "body"), TOKEN_LIMITS)
def test_token_limit_ends_incomplete_with_what_arrived(provider: str, body: bytes) -> None:
    run = run_stream(Report, pieces(body, 11), provider=provider)
    assert isinstance(run.error, midstream.IncompleteJSONError), repr(run.error)
    assert run.partial == {"title": "Long", "tags": ["x", "y"], "score": None, "note": None}
    assert run.stream.model.is_complete(("title",)) and not run.stream.model.is_complete(("tags",))
    calls = run_calls(pieces(body, 12), provider=provider)
    assert calls.outcome() == (None, [])  # no tool call: nothing to say


# =================================================================================================================
# (3) provider errors mid-stream

BEFORE = ['{"title": "Ed', 'ge", "tags": ["a", ', '"b']  # the answer's text before the error
BEFORE_PARTIAL = {"title": "Edge", "tags": ["a", "b"], "score": None, "note": None}

ERRORS = {
    "openai": (
        "openai",
        chat_body(
            chat_chunk({"role": "assistant", "content": ""}),
            *(chat_chunk({"content": text}) for text in BEFORE),
            {"error": {"message": "The server is overloaded", "type": "server_error", "code": "overloaded"}},
            done=False,
        ),
        ("The server is overloaded", "server_error", "overloaded"),
    ),
    "anthropic": (
        "anthropic",
        anthropic_body(
            *anthropic_text(0, *BEFORE, stop=False),
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        ),
        ("Overloaded", "overloaded_error", None),
    ),
    "gemini": (
        "gemini",
        gemini_body(
            *(gemini_text(text) for text in BEFORE),
            {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}},
        ),
        ("The model is overloaded.", "UNAVAILABLE", "503"),
    ),
    "responses-error": (
        "openai-responses",
        responses_body(
            *responses_message(*BEFORE, end=""),
            {"type": "error", "error": {"type": "server_error", "code": "server_error", "message": "Try again"}},
        ),
        ("Try again", "server_error", "server_error"),
    ),
    "responses-failed": (
        "openai-responses",
        responses_body(
            *responses_message(*BEFORE, end=""),
            {
                "type": "response.failed",
                "response": {**RESPONSE, "status": "failed", "error": {"code": "server_error", "message": "Failed"}},
            },
        ),
        ("Failed", None, "server_error"),
    ),
}
SDK_FLAVOR = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini-api"}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_event_raises_provider_error_after_the_partials_before_it(name: str) -> None:
    provider, body, (message, kind, code) = ERRORS[name]
    run = run_stream(Report, sse_events(body), provider=provider)  # one event per network chunk
    assert isinstance(run.error, midstream.ProviderError), repr(run.error)
    assert (run.error.message, run.error.type, run.error.code) == (message, kind, code)
    assert run.error.payload
    assert run.partials[-1] == run.partial == BEFORE_PARTIAL  # nothing received is lost


@pytest.mark.parametrize("name", list(ERRORS))
def test_async_error_event(name: str) -> None:
    provider, body, (message, _, _) = ERRORS[name]
    run = asyncio.run(arun_stream(Report, agen(sse_events(body)), provider=provider))
    assert isinstance(run.error, midstream.ProviderError) and run.error.message == message
    assert run.partial == BEFORE_PARTIAL


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_event_in_the_same_chunk_as_the_deltas_before_it(name: str) -> None:
    provider, body, _ = ERRORS[name]
    run = run_stream(Report, [body], provider=provider)
    assert isinstance(run.error, midstream.ProviderError)
    assert run.partial == BEFORE_PARTIAL


def test_gemini_error_payload_is_as_received() -> None:
    _, body, _ = ERRORS["gemini"]
    run = run_stream(Report, sse_events(body), provider="gemini")
    assert isinstance(run.error, midstream.ProviderError)
    assert run.error.payload == {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}


@pytest.mark.parametrize("name", ["openai", "anthropic", "gemini", "responses-error", "responses-failed"])
def test_error_event_through_the_sdk(name: str) -> None:
    """The SDKs raise their own exception on most error events (midstream lets it through, with the partial
    built so far); the Responses ``response.failed`` event is yielded by the SDK and becomes ProviderError."""
    provider, body, (message, _, _) = ERRORS[name]
    flavor = SDK_FLAVOR.get(provider, provider)
    with ReplayServer(body, seed=2, max_chunk=16) as server:
        _, sdk_error = collect(sdk_stream(server, flavor))
        run = run_stream(Report, sdk_stream(server, flavor))
    if sdk_error is None:
        assert name == "responses-failed"
        assert isinstance(run.error, midstream.ProviderError) and run.error.message == message
    else:
        assert type(run.error) is type(sdk_error), repr(run.error)
    assert run.partial == BEFORE_PARTIAL


def test_error_after_a_finished_tool_call_keeps_it() -> None:
    body = chat_body(
        chat_call(0, '{"city": "Oslo", "country": "NO", "units": "c"}', "GetWeatherArgs"),
        chat_call(1, '{"ticker": "AC', "get_stock_price"),
        {"error": {"message": "Internal error", "type": "server_error"}},
        done=False,
    )
    run = run_calls(sse_events(body), TOOLS, provider="openai")
    assert isinstance(run.error, midstream.ProviderError) and run.error.message == "Internal error"
    assert run.completed() == {0: {"city": "Oslo", "country": "NO", "units": "c"}}
    assert run.updates[-1] == (1, "call_1", "get_stock_price", {"ticker": "AC"}, False, None)


def test_anthropic_error_between_tool_calls_through_the_message_stream() -> None:
    body = anthropic_body(
        *anthropic_tool(0, "GetWeatherArgs", '{"city": "Oslo", ', '"country": "NO", "units": "c"}'),
        *anthropic_tool(1, "g", '{"x": [1, ', stop=False),
        {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}},
    )
    raw = run_calls(sse_events(body), TOOLS, provider="anthropic")
    assert isinstance(raw.error, midstream.ProviderError) and raw.error.type == "api_error"
    with (
        ReplayServer(body, max_chunk=16) as server,
        anthropic_client(server) as client,
        client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events,
    ):
        got = run_calls(events, TOOLS)
    assert isinstance(got.error, anthropic.APIStatusError), repr(got.error)
    assert got.updates == raw.updates  # the SDK's error, after the same updates
    assert got.completed() == {0: {"city": "Oslo", "country": "NO", "units": "c"}}


# =================================================================================================================
# (4) refusals

OPENAI_REFUSAL = "I'm sorry, I can't assist with that request."
ANTHROPIC_REFUSAL = (
    "This request triggered restrictions on violative cyber content and was blocked under Anthropic's Usage Policy."
)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_openai_chat_refusal_through_the_stream_helper(asynchronous: bool) -> None:
    body = STREAMS["openai-chat/refusal"].body

    async def run_async(server: ReplayServer) -> tuple[Run, Any]:
        async with (
            openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0) as client,
            client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, response_format=Weather) as events,
        ):
            return await arun_stream(Weather, events), await events.get_final_completion()

    with ReplayServer(body, max_chunk=20) as server:
        if asynchronous:
            run, completion = asyncio.run(run_async(server))
        else:
            with (
                openai_client(server) as client,
                client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, response_format=Weather) as events,
            ):
                run = run_stream(Weather, events)
                completion = events.get_final_completion()
    assert isinstance(run.error, midstream.RefusalError), repr(run.error)
    assert run.error.refusal == OPENAI_REFUSAL == completion.choices[0].message.refusal


RESPONSES_REFUSAL = responses_body(*responses_message("I'm sorry, ", "I can't ", "help with that.", kind="refusal"))


@pytest.mark.parametrize("source", ["raw", "raw-async", "sdk", "sdk-async"])
def test_responses_refusal(source: str) -> None:
    if source == "raw":
        run = run_stream(Report, pieces(RESPONSES_REFUSAL, 1), provider="openai-responses")
    elif source == "raw-async":
        run = asyncio.run(arun_stream(Report, agen(pieces(RESPONSES_REFUSAL, 2)), provider="openai-responses"))
    else:
        with ReplayServer(RESPONSES_REFUSAL, max_chunk=20) as server:
            if source == "sdk":
                run = run_stream(Report, sdk_stream(server, "openai-responses"))
            else:
                run = asyncio.run(arun_stream(Report, sdk_astream(server, "openai-responses")))
    assert isinstance(run.error, midstream.RefusalError), repr(run.error)
    assert run.error.refusal == "I'm sorry, I can't help with that."


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_anthropic_refusal_through_the_message_stream(asynchronous: bool) -> None:
    body = STREAMS["vercel-ai/anthropic-refusal"].body

    async def run_async(server: ReplayServer) -> Run:
        client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)
        async with client, client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events:
            return await arun_stream(Elements, events)

    with ReplayServer(body) as server:
        if asynchronous:
            run = asyncio.run(run_async(server))
        else:
            with (
                anthropic_client(server) as client,
                client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events,
            ):
                run = run_stream(Elements, events)
    assert isinstance(run.error, midstream.RefusalError), repr(run.error)
    assert run.error.refusal == ANTHROPIC_REFUSAL


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("openai", STREAMS["openai-chat/refusal"].body),
        ("anthropic", STREAMS["vercel-ai/anthropic-refusal"].body),
        ("openai-responses", RESPONSES_REFUSAL),
    ],
    ids=["openai", "anthropic", "responses"],
)
def test_stream_tool_calls_raises_the_refusal(provider: str, body: bytes) -> None:
    run = run_calls([body], provider=provider)
    assert isinstance(run.error, midstream.RefusalError)


# =================================================================================================================
# (5) fenced=True, end to end

FENCED_VALUE = {
    "title": "Fenced ✓ answer",
    "tags": ["json", "markdown", "日本語"],
    "score": 42,
    "note": 'backticks ``` inside, "quoted"',
}
FENCED_TEXT = "Here it is:\n```json\n" + json.dumps(FENCED_VALUE, ensure_ascii=False, indent=2) + "\n```\nDone."


def split_text(text: str, seed: int, most: int = 9) -> list[str]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(text)), k=min(len(text) - 1, len(text) // most + 1)))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def check_fenced(run: Run) -> None:
    assert run.error is None, repr(run.error)
    assert run.value == Report(**FENCED_VALUE)
    assert all(consistent(partial, FENCED_VALUE) for partial in run.partials)
    # It streamed: the title was seen growing before the tags began, and the tags before the score.
    assert any(p["title"] and p["tags"] is None for p in run.partials)
    assert any(p["tags"] and p["score"] is None for p in run.partials)


@pytest.mark.parametrize("seed", range(6))
def test_fenced_json_in_an_openai_chat_stream(seed: int) -> None:
    body = chat_content(*split_text(FENCED_TEXT, seed))
    check_fenced(run_stream(Report, pieces(body, seed, most=7), provider="openai", fenced=True))
    plain = run_stream(Report, [body], provider="openai")  # without fenced=True the prose is not JSON
    assert type(plain.error) is midstream.JSONError, repr(plain.error)


def test_fenced_json_through_the_sdks() -> None:
    body = chat_content(*split_text(FENCED_TEXT, 40))
    with ReplayServer(body, max_chunk=9) as server:
        with (
            openai_client(server) as client,
            client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as events,
        ):
            check_fenced(run_stream(Report, events, fenced=True))
        check_fenced(asyncio.run(arun_stream(Report, sdk_astream(server, "openai"), fenced=True)))
    anthropic_fenced = anthropic_body(*anthropic_text(0, *split_text(FENCED_TEXT, 41)), *anthropic_end("end_turn"))
    with ReplayServer(anthropic_fenced, max_chunk=9) as server:
        check_fenced(run_stream(Report, sdk_stream(server, "anthropic"), fenced=True))
    gemini_fenced = gemini_body(*(gemini_text(text) for text in split_text(FENCED_TEXT, 42)))
    check_fenced(asyncio.run(arun_stream(Report, agen(pieces(gemini_fenced, 3)), provider="gemini", fenced=True)))


@pytest.mark.parametrize("seed", range(4))
def test_fenced_raw_text_chunks(seed: int) -> None:
    chunks = split_text(FENCED_TEXT, seed, most=4)
    check_fenced(run_stream(Report, chunks, fenced=True))
    check_fenced(asyncio.run(arun_stream(Report, agen(chunks), fenced=True)))
    data = FENCED_TEXT.encode()  # bytes cut inside the UTF-8 of ✓ and 日本語
    check_fenced(run_stream(Report, pieces(data, seed, most=3), fenced=True))
    check_fenced(asyncio.run(arun_stream(Report, agen(pieces(data, seed + 10, most=3)), fenced=True)))
    assert type(run_stream(Report, chunks).error) is midstream.JSONError


# =================================================================================================================
# (6) iter_items over provider sources

FORECAST = [
    Forecast(day="Monday", high="20°C", low="14°C", condition="Sunny"),
    Forecast(day="Tuesday", high="19°C", low="15°C", condition="Mostly Cloudy"),
    Forecast(day="Wednesday", high="18°C", low="14°C", condition="Cloudy"),
]
ITEMS = [Item(id=number, name=f"item {number}") for number in range(1, 6)]
ITEMS_TEXT = json.dumps([item.model_dump() for item in ITEMS])


class Counting:
    """An iterable that counts how many objects were taken from it."""

    def __init__(self, source: Iterable[Any]) -> None:
        self.source = source
        self.taken = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.source:
            self.taken += 1
            yield item


def lazily(counting: Counting, items: Iterator[Any]) -> tuple[list[Any], list[int]]:
    """The items, and how many source objects had been taken when each arrived."""
    got, taken = [], []
    for item in items:
        got.append(item)
        taken.append(counting.taken)
    return got, taken


ITEM_SOURCES = [
    ("openai-chat/json-object-content", "openai", Forecast, ("forecast",), FORECAST, False),
    ("hand/top-level-array", "openai", Item, (), ITEMS, False),
    ("hand/fenced-array", "openai", Item, (), ITEMS, True),
]


def item_body(name: str) -> bytes:
    if name == "hand/top-level-array":
        return chat_content(*split_text(ITEMS_TEXT, 5))
    if name == "hand/fenced-array":
        return chat_content(*split_text(f"Sure:\n```json\n{ITEMS_TEXT}\n```\n", 6))
    return STREAMS[name].body


@pytest.mark.parametrize(
    ("name", "flavor", "tp", "path", "want", "fenced"), ITEM_SOURCES, ids=[s[0] for s in ITEM_SOURCES]
)
def test_iter_items_over_an_sdk_stream(name: str, flavor: str, tp: Any, path: Any, want: Any, fenced: bool) -> None:
    body = item_body(name)
    raw = list(midstream.iter_items(tp, pieces(body, 4), path=path, provider=flavor, fenced=fenced))
    assert raw == want
    with ReplayServer(body, max_chunk=24) as server:
        counting = Counting(sdk_stream(server, flavor))
        got, taken = lazily(counting, midstream.iter_items(tp, counting, path=path, fenced=fenced))
    assert got == want
    assert taken[0] < taken[-1] <= counting.taken  # each item as soon as it finished, not all at the end

    async def run_async(server: ReplayServer) -> list[Any]:
        return [item async for item in midstream.aiter_items(tp, sdk_astream(server, flavor), path=path, fenced=fenced)]

    with ReplayServer(body, max_chunk=24) as server:
        assert asyncio.run(run_async(server)) == want


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_iter_items_over_an_anthropic_message_stream(asynchronous: bool) -> None:
    stream = STREAMS["vercel-ai/anthropic-json-output-format.1"]
    want = list(midstream.iter_items(dict[str, str], [stream.body], path=("characters",), provider="anthropic"))
    assert [c["name"] for c in want] == ["Theron Ironheart", "Lyra Starweaver", "Rook Shadowstep"]

    async def run_async(server: ReplayServer) -> list[Any]:
        client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)
        async with client, client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events:
            return [item async for item in midstream.aiter_items(dict[str, str], events, path=("characters",))]

    with ReplayServer(stream.body, max_chunk=40) as server:
        if asynchronous:
            got = asyncio.run(run_async(server))
        else:
            with (
                anthropic_client(server) as client,
                client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events,
            ):
                got = list(midstream.iter_items(dict[str, str], events, path=("characters",)))
    assert got == want


def test_iter_items_hands_over_finished_items_before_a_cut_or_an_error() -> None:
    text_pieces = split_text(ITEMS_TEXT, 7)
    cut = chat_body(*(chat_chunk({"content": text}) for text in text_pieces[: len(text_pieces) // 2]), done=False)
    got: list[Any] = []
    with pytest.raises(midstream.IncompleteJSONError):
        got.extend(midstream.iter_items(Item, pieces(cut, 1), provider="openai"))
    assert got and got == ITEMS[: len(got)] and len(got) < len(ITEMS)
    failed = gemini_body(gemini_text(ITEMS_TEXT[:60]), {"error": {"code": 500, "message": "Internal", "status": "X"}})
    got = []
    with pytest.raises(midstream.ProviderError, match="Internal"):
        got.extend(midstream.iter_items(Item, sse_events(failed), provider="gemini"))
    assert got == ITEMS[:2]


# =================================================================================================================
# (7) HTTP errors and dropped connections are the SDK's own exceptions


def consume(entry: str, source: Any) -> None:
    if entry == "stream":
        midstream.stream(Any, source).final()
    elif entry == "stream_tool_calls":
        list(midstream.stream_tool_calls(source))
    else:
        list(midstream.iter_items(Any, source))


async def aconsume(entry: str, source: Any) -> None:
    if entry == "stream":
        await midstream.stream(Any, source).final()
    elif entry == "stream_tool_calls":
        async for _ in midstream.stream_tool_calls(source):
            pass
    else:
        async for _ in midstream.aiter_items(Any, source):
            pass


@pytest.mark.parametrize("entry", ["stream", "stream_tool_calls", "iter_items"])
@pytest.mark.parametrize("flavor", ["openai", "openai-responses", "anthropic", "gemini-api"])
def test_http_429_surfaces_as_the_sdk_exception(flavor: str, entry: str) -> None:
    error = {"error": {"message": "slow down", "type": "rate_limit_error", "code": 429}}
    with ReplayServer(status=429, error=error) as server:
        _, sdk_error = collect(sdk_stream(server, flavor))
        assert sdk_error is not None
        with pytest.raises(type(sdk_error)) as raised:
            consume(entry, sdk_stream(server, flavor))
        with pytest.raises(type(sdk_error)) as araised:
            asyncio.run(aconsume(entry, sdk_astream(server, flavor)))
    for exc in (raised.value, araised.value):
        assert getattr(exc, "status_code", getattr(exc, "code", None)) == 429
        assert not isinstance(exc, (midstream.JSONError, midstream.ProviderError))


def test_http_429_from_the_stream_helpers_is_raised_by_the_sdk() -> None:
    with ReplayServer(status=429) as server:
        with (
            openai_client(server) as client,
            pytest.raises(openai.RateLimitError),
            client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as events,
        ):
            midstream.stream(Any, events).final()
        with (
            anthropic_client(server) as client,
            pytest.raises(anthropic.RateLimitError),
            client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events,
        ):
            midstream.stream(Any, events).final()


@pytest.mark.parametrize(
    ("name", "flavor", "finished"),
    [
        ("openai-chat/json-object-content", "openai", ("weather",)),
        ("vercel-ai/anthropic-json-output-format.1", "anthropic", ("characters", 0)),
    ],
)
def test_dropped_connection_surfaces_as_the_sdk_exception_with_the_partial(
    name: str, flavor: str, finished: tuple[Any, ...]
) -> None:
    tp = Any
    stream = STREAMS[name]
    full = run_stream(tp, [stream.body], provider=stream.provider).value
    with ReplayServer(stream.body, stop_after=len(stream.body) // 2) as server:
        _, sdk_error = collect(sdk_stream(server, flavor))
        run = run_stream(tp, sdk_stream(server, flavor))
        arun = asyncio.run(arun_stream(tp, sdk_astream(server, flavor)))
    assert sdk_error is not None
    for got in (run, arun):
        assert type(got.error) is type(sdk_error), repr(got.error)
        assert got.partial and consistent(got.partial, full)
        assert got.stream.model.is_complete(finished)
        assert value_at(got.partial, finished) == value_at(full, finished)


# =================================================================================================================
# (8) stream() given an answer with two tool calls

TWO_CALLS = [
    ("openai-chat/parallel-tool-calls", "openai"),
    ("vercel-ai/google-stream-tool-call-arguments", "gemini-api"),
    ("hand/anthropic-two-tools", "anthropic"),
    ("hand/responses-two-calls", "openai-responses"),
]


def two_calls_body(name: str) -> bytes:
    if name == "hand/anthropic-two-tools":
        return anthropic_two_tools()
    if name == "hand/responses-two-calls":
        return responses_body(*responses_calls(("f", ['{"a": ', "1}"]), ("g", ["{}"])))
    return STREAMS[name].body


@pytest.mark.parametrize(("name", "flavor"), TWO_CALLS, ids=[c[0] for c in TWO_CALLS])
def test_stream_of_two_tool_calls_points_to_stream_tool_calls(name: str, flavor: str) -> None:
    body = two_calls_body(name)
    provider = "gemini" if flavor == "gemini-api" else flavor
    first = run_calls([body], provider=provider).completed()[0]
    with ReplayServer(body, max_chunk=30) as server:
        runs = [
            run_stream(Any, pieces(body, 1), provider=provider),
            run_stream(Any, sdk_stream(server, flavor)),
            asyncio.run(arun_stream(Any, sdk_astream(server, flavor))),
        ]
    for run in runs:
        assert type(run.error) is ValueError, repr(run.error)
        assert "stream_tool_calls" in str(run.error)
        assert run.partial == first  # the first call was streamed before the second began
    with pytest.raises(ValueError, match="stream_tool_calls"):
        list(midstream.iter_items(Any, [body], provider=provider))


def test_two_tool_calls_in_one_chunk_keep_the_first_calls_partial() -> None:
    run = run_stream(Any, [STREAMS["openai-chat/parallel-tool-calls"].body], provider="openai")
    assert type(run.error) is ValueError
    assert run.partial == {"city": "Edinburgh", "country": "GB", "units": "c"}


def test_stream_of_two_tool_calls_through_the_openai_helper() -> None:
    body = STREAMS["openai-chat/parallel-tool-calls"].body
    with (
        ReplayServer(body, max_chunk=30) as server,
        openai_client(server) as client,
        client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as events,
        pytest.raises(ValueError, match="stream_tool_calls"),
    ):
        midstream.stream(GetWeatherArgs, events).final()


# =================================================================================================================
# (9) async raw bytes, CRLF framing and keep-alive comments, interleaved calls through the SDK

ASYNC_RAW = [
    recorded("openai-chat/json-schema-content", Weather),
    recorded("openai-chat/parallel-tool-calls"),
    recorded("vercel-ai/anthropic-json-output-format.1"),
    recorded("vercel-ai/anthropic-json-tool.2", Elements),
    Case("hand/responses-content", "openai-responses", RESPONSES_CONTENT, Report),
    recorded("vercel-ai/google-vertex-stream-tool-call-arguments-nested.1"),
    recorded("vercel-ai/google-stream-tool-call-arguments"),
]


@pytest.mark.parametrize("case", ASYNC_RAW, ids=lambda case: case.name)
def test_async_raw_bytes_with_provider(case: Case) -> None:
    async def bytes_from(body: bytes, seed: int) -> AsyncIterator[bytes]:
        for piece in pieces(body, seed, most=17):
            await asyncio.sleep(0)
            yield piece

    want = run_stream(case.tp, sse_events(case.body), provider=case.provider)
    want_calls = run_calls(sse_events(case.body), TOOLS, provider=case.provider)
    got = asyncio.run(arun_stream(case.tp, bytes_from(case.body, 1), provider=case.provider))
    got_calls = asyncio.run(arun_calls(bytes_from(case.body, 2), TOOLS, provider=case.provider))
    assert got.outcome() == want.outcome()
    assert got_calls.outcome() == want_calls.outcome()
    assert want_calls.error is None
    if len(want_calls.completed()) > 1:  # two calls: stream() says to use stream_tool_calls
        assert type(want.error) is ValueError
    else:
        assert want.error is None, repr(want.error)


def crlf_with_keepalives(body: bytes) -> bytes:
    """The stream with CRLF line ends, a comment first and a keep-alive comment between every two events."""
    framed = b": connected\n\n" + b": keep-alive\n\n".join(sse_events(body))
    return framed.replace(b"\n", b"\r\n")


CRLF = [
    recorded("openai-chat/json-schema-content", Weather),
    recorded("openai-chat/parallel-tool-calls"),
    recorded("vercel-ai/anthropic-json-tool.2", Elements),
    Case("hand/responses-content", "openai-responses", RESPONSES_CONTENT, Report),
    recorded("vercel-ai/google-stream-tool-call-arguments"),
]


@pytest.mark.parametrize("case", CRLF, ids=lambda case: case.name)
def test_crlf_and_keepalive_comments(case: Case) -> None:
    body = crlf_with_keepalives(case.body)
    assert b"\n" not in body.replace(b"\r\n", b"")
    want = run_stream(case.tp, sse_events(case.body), provider=case.provider).outcome()
    want_calls = run_calls(sse_events(case.body), TOOLS, provider=case.provider).outcome()
    for seed in range(3):  # cut anywhere, between the CR and the LF of one line end too
        got = run_stream(case.tp, pieces(body, seed, most=5), provider=case.provider)
        assert got.outcome() == want
        got_calls = run_calls(pieces(body, seed + 5, most=5), TOOLS, provider=case.provider)
        assert got_calls.outcome() == want_calls


@pytest.mark.parametrize("flavor", ["openai", "anthropic"])
def test_crlf_and_keepalive_comments_through_the_sdk(flavor: str) -> None:
    case = CRLF[0] if flavor == "openai" else CRLF[2]
    with ReplayServer(crlf_with_keepalives(case.body), max_chunk=7) as server:
        got = run_stream(case.tp, sdk_stream(server, flavor))
    assert got.error is None and got.value == full_answer(case)


@pytest.mark.parametrize("source", ["create", "helper", "async-create"])
def test_interleaved_parallel_calls_through_the_sdk(source: str) -> None:
    want = {0: {"city": "Paris", "country": "FR", "units": "c"}, 1: {"ticker": "ACME", "exchange": "NYSE"}}
    with ReplayServer(INTERLEAVED, max_chunk=11) as server:
        if source == "create":
            run = run_calls(sdk_stream(server, "openai"), TOOLS)
        elif source == "async-create":
            run = asyncio.run(arun_calls(sdk_astream(server, "openai"), TOOLS))
        else:
            with (
                openai_client(server) as client,
                client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as events,
            ):
                run = run_calls(events, TOOLS)
    assert run.error is None and run.completed() == want
    # Call 1 finished first (its last fragment came before call 0's); each call's typed partials only grow.
    assert [u[0] for u in run.updates if u[4]] == [1, 0]
    assert [u[2] for u in run.updates if u[4]] == ["get_stock_price", "GetWeatherArgs"]
    cities = [u[3]["city"] for u in run.updates if u[0] == 0 and u[3]]
    assert cities[-1] == "Paris" and "Par" in cities and all("Paris".startswith(c or "") for c in cities)


def test_untyped_partials_are_yielded_as_strings_grow() -> None:
    body = chat_content('{"note": "a', "b", "c", '"}')
    dumps = [json.dumps(partial) for partial in run_stream(Any, [body], provider="openai").partials]
    assert dumps == ['{"note": "a"}', '{"note": "ab"}', '{"note": "abc"}']
