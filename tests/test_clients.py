"""``midstream.from_openai`` / ``from_anthropic`` on the real SDK clients, against a loopback server.

The server's responder writes each answer as the provider would stream it: the target JSON cut into token-sized
pieces, framed as chat chunks or Messages events. The examples follow instructor's streaming tutorial.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
from midstream import IncompleteJSONError
from midstream.clients import from_anthropic, from_openai
from midstream.testing import ReplayServer, sse_body
from pydantic import BaseModel, Field

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

MESSAGES = [{"role": "user", "content": "go"}]


# -- the models of the tutorial -------------------------------------------------------------------------------------


class Idea(BaseModel):
    title: str
    description: str


class Recommendation(BaseModel):
    item: str
    reason: str


class Ingredient(BaseModel):
    name: str
    quantity: str


class Recipe(BaseModel):
    name: str
    ingredients: list[Ingredient]
    steps: list[str]


class User(BaseModel):
    name: str
    age: int
    bio: str


class Shortlist(BaseModel):
    picks: list[str] = Field(max_length=3)
    notes: str


class Loose(BaseModel):
    name: str
    tags: list[str] = []


IDEAS = {
    "items": [
        {"title": "Solar kettle", "description": "Boils water with a mirror dish."},
        {"title": "Seed library", "description": "Lend seeds, return seeds from the harvest."},
        {"title": "Repair cafe", "description": "Neighbours fix each other's things."},
    ]
}
RECIPE = {
    "name": "Pancakes",
    "ingredients": [
        {"name": "flour", "quantity": "200 g"},
        {"name": "milk", "quantity": "300 ml"},
        {"name": "eggs", "quantity": "2"},
    ],
    "steps": ["Whisk everything.", "Rest 10 minutes.", "Fry thin."],
}
USER = {"name": "Ada Lovelace", "age": 36, "bio": "Wrote the first program."}
TOO_MANY = {"picks": ["a", "b", "c", "d", "e"], "notes": "padding " * 150}
SHORTLIST = {"picks": ["a", "b", "c"], "notes": "three only"}


# -- streaming answers as the providers do ---------------------------------------------------------------------------


def tokens(text: str, seed: int = 0) -> list[str]:
    """``text`` cut into token-sized pieces (1 to 6 characters)."""
    rng = random.Random(seed)
    pieces, position = [], 0
    while position < len(text):
        size = rng.randint(1, 6)
        pieces.append(text[position : position + size])
        position += size
    return pieces


def openai_body(answer: Any, *, tool: bool = False, finish: str = "stop", cut: int | None = None) -> bytes:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    if cut is not None:
        text = text[:cut]
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return json.dumps({**base, "choices": [choice]}).encode()

    payloads = [chunk({"role": "assistant", "content": None if tool else ""})]
    for number, piece in enumerate(tokens(text)):
        if tool:
            call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
            if number == 0:
                call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "x", "arguments": piece}}
            payloads.append(chunk({"tool_calls": [call]}))
        else:
            payloads.append(chunk({"content": piece}))
    payloads.append(chunk({}, finish))
    usage = {"prompt_tokens": 10, "completion_tokens": len(payloads), "total_tokens": 10 + len(payloads)}
    payloads.append(json.dumps({**base, "choices": [], "usage": usage}).encode())
    return sse_body(payloads, "openai")


def anthropic_body(answer: Any, *, stop: str = "tool_use", cut: int | None = None) -> bytes:
    text = json.dumps(answer)
    if cut is not None:
        text = text[:cut]
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 1},
    }
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "x", "input": {}},
        },
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": piece}}
            for piece in tokens(text)
        ),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": 42},
        },
        {"type": "message_stop"},
    ]
    return sse_body([json.dumps(event).encode() for event in events], "anthropic")


class Script:
    """A responder answering the n-th request with the n-th body (the last one again after that)."""

    def __init__(self, *bodies: bytes) -> None:
        self.bodies = bodies
        self.count = 0

    def __call__(self, method: str, path: str, request: Any) -> bytes:
        body = self.bodies[min(self.count, len(self.bodies) - 1)]
        self.count += 1
        return body


class PacedServer(ReplayServer):
    """A ReplayServer that writes its pieces slowly and records which bodies it wrote to the end, so a test can
    see the client hang up mid-body (the base server swallows the broken pipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.completed: dict[int, bool] = {}
        self.ended: set[int] = set()

    def _pieces(self, body: bytes, number: int) -> Iterator[bytes]:
        self.completed[number] = False
        try:
            for piece in super()._pieces(body, number):
                time.sleep(0.0005)
                yield piece
            self.completed[number] = True
        finally:
            self.ended.add(number)

    def wait_ended(self, number: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while number not in self.ended:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


def openai_sync(server: ReplayServer) -> Any:
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0)


def openai_async(server: ReplayServer) -> Any:
    return openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0)


def anthropic_sync(server: ReplayServer) -> Any:
    return anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)


def anthropic_async(server: ReplayServer) -> Any:
    return anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)


def dumps(value: Any) -> Any:
    if isinstance(value, list):
        return [dumps(item) for item in value]
    return value.model_dump() if isinstance(value, BaseModel) else value


# -- OpenAI, sync ---------------------------------------------------------------------------------------------------


def test_list_of_ideas_streams_partial_lists_then_the_final() -> None:
    with ReplayServer(openai_body(IDEAS), max_chunk=16) as server:
        client = from_openai(openai_sync(server))
        stream = client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, response_model=list[Idea], stream=True
        )
        seen = [dumps(ideas) for ideas in stream]
        final = stream.get_final_response()
    assert all(isinstance(ideas, list) for ideas in seen)
    assert [len(ideas) for ideas in seen] == sorted(len(ideas) for ideas in seen)  # the list only grows
    assert seen[0] == [] or seen[0][0]["title"] in ("", None) or len(seen[0][0]["title"]) < 12
    assert seen[-1] == IDEAS["items"]
    assert len(seen) > 10
    assert [idea.title for idea in final] == [idea["title"] for idea in IDEAS["items"]]
    assert all(isinstance(idea, Idea) for idea in final)
    assert stream.finish_reason == "stop"
    assert stream.usage is not None and stream.usage["total_tokens"] > 10
    assert stream.attempt == 1

    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    body = request.json
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == MESSAGES
    json_schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema"
    assert json_schema["name"] == "IdeaList"
    assert json_schema["strict"] is True
    schema = json_schema["schema"]
    assert schema["required"] == ["items"] and schema["additionalProperties"] is False
    assert schema["$defs"]["Idea"]["additionalProperties"] is False


def test_responses_stream_is_a_context_manager_with_a_final_response() -> None:
    with ReplayServer(openai_body(USER), max_chunk=8) as server:
        client = from_openai(openai_sync(server))
        with client.responses.stream(model="gpt-4o", messages=MESSAGES, response_model=User) as stream:
            states = [user.model_dump() for user in stream]
            user = stream.get_final_response()
    assert user == User(**USER)
    # filled field by field: the name grows, then age appears whole, then the bio grows
    names = [s["name"] for s in states if s["name"] is not None]
    assert names == sorted(names, key=len) and names[-1] == "Ada Lovelace" and len(set(names)) > 2
    assert {s["age"] for s in states} == {None, 36}
    first_age = next(i for i, s in enumerate(states) if s["age"] == 36)
    assert states[first_age]["name"] == "Ada Lovelace"
    assert all(s["bio"] is None for s in states[:first_age])


def test_progress_percentage() -> None:
    with ReplayServer(openai_body(USER)) as server:
        client = from_openai(openai_sync(server))
        stream = client.chat.completions.create_partial(model="gpt-4o", messages=MESSAGES, response_model=User)
        progress = [round(stream.progress * 100) for _ in stream]
        assert stream.progress == 1.0
    assert progress == sorted(progress)
    assert progress[0] == 0 and progress[-1] == 100
    assert {33, 67} <= set(progress)


def test_recipe_new_item_detection() -> None:
    with ReplayServer(openai_body(RECIPE), max_chunk=5) as server:
        client = from_openai(openai_sync(server))
        announced: list[str] = []
        seen = 0
        for recipe in client.chat.completions.create_partial(model="gpt-4o", messages=MESSAGES, response_model=Recipe):
            ingredients = recipe.ingredients or []
            if len(ingredients) > seen:  # a new item appeared
                seen = len(ingredients)
                announced.append(f"new ingredient #{seen}")
    assert announced == ["new ingredient #1", "new ingredient #2", "new ingredient #3"]


def test_create_iterable_yields_each_item_once() -> None:
    with ReplayServer(openai_body(IDEAS)) as server:
        client = from_openai(openai_sync(server))
        ideas = list(client.chat.completions.create_iterable(model="gpt-4o", messages=MESSAGES, response_model=Idea))
    assert ideas == [Idea(**idea) for idea in IDEAS["items"]]
    assert server.requests[0].json["response_format"]["json_schema"]["name"] == "IdeaList"


def test_create_iterable_retry_continues_from_the_next_item() -> None:
    """Items a failed attempt handed over are not handed over again: the new attempt continues after them."""
    first = {"items": [IDEAS["items"][0], {"title": "Broken", "description": 5}, IDEAS["items"][2]]}
    server = PacedServer(Script(openai_body(first), openai_body(IDEAS)), max_chunk=16)
    with server:
        client = from_openai(openai_sync(server))
        stream = client.chat.completions.create_iterable(
            model="gpt-4o", messages=MESSAGES, response_model=Idea, max_retries=1
        )
        ideas = list(stream)
    assert ideas == [Idea(**idea) for idea in IDEAS["items"]]  # each position once: no repeat of the first
    assert len(server.requests) == 2


def test_create_without_stream_returns_the_validated_model() -> None:
    with ReplayServer(openai_body(USER)) as server:
        client = from_openai(openai_sync(server))
        user = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, response_model=User)
    assert user == User(**USER)


def test_tools_mode_forces_the_function() -> None:
    with ReplayServer(openai_body(USER, tool=True, finish="tool_calls")) as server:
        client = from_openai(openai_sync(server), mode="tools")
        stream = client.chat.completions.create_partial(model="gpt-4o", messages=MESSAGES, response_model=User)
        assert list(stream)[-1] == User(**USER)
        assert stream.finish_reason == "tool_calls"
    body = server.requests[0].json
    assert "response_format" not in body
    (tool,) = body["tools"]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "User" and tool["function"]["strict"] is True
    assert tool["function"]["parameters"]["required"] == ["name", "age", "bio"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "User"}}


def test_schema_with_a_default_is_not_strict() -> None:
    with ReplayServer(openai_body({"name": "x"})) as server:
        client = from_openai(openai_sync(server))
        loose = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, response_model=Loose)
    assert loose == Loose(name="x")
    assert server.requests[0].json["response_format"]["json_schema"]["strict"] is False


def test_retry_reasks_with_the_validation_errors() -> None:
    server = PacedServer(Script(openai_body(TOO_MANY), openai_body(SHORTLIST)), max_chunk=16)
    with server:
        client = from_openai(openai_sync(server))
        stream = client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, response_model=Shortlist, stream=True, max_retries=2
        )
        seen = [(stream.attempt, s.model_dump()) for s in stream]
        final = stream.get_final_response()
        assert server.wait_ended(0)
    assert final == Shortlist(**SHORTLIST)
    assert stream.attempt == 2
    assert {attempt for attempt, _ in seen} == {1, 2}
    assert max(len(s["picks"] or []) for attempt, s in seen if attempt == 1) == 3  # never showed a 4th pick
    assert len(server.requests) == 2
    assert server.completed == {0: False, 1: True}  # the client hung up on the first body
    messages = server.requests[1].json["messages"]
    assert messages[: len(MESSAGES)] == MESSAGES
    assistant, reask = messages[len(MESSAGES) :]
    assert assistant["role"] == "assistant" and assistant["content"].startswith('{"picks": ["a", "b", "c", "d')
    assert reask["role"] == "user" and "picks" in reask["content"] and "at most 3" in reask["content"]


def test_without_retries_the_invalid_answer_raises() -> None:
    import pydantic

    with ReplayServer(openai_body(TOO_MANY)) as server:
        client = from_openai(openai_sync(server))
        with pytest.raises(pydantic.ValidationError, match="at most 3"):
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES, response_model=Shortlist)
    assert len(server.requests) == 1


def test_truncation_raises_not_a_half_object() -> None:
    with ReplayServer(openai_body(USER, finish="length", cut=30)) as server:
        client = from_openai(openai_sync(server))
        stream = client.chat.completions.create_partial(
            model="gpt-4o", messages=MESSAGES, response_model=User, max_retries=2
        )
        with pytest.raises(IncompleteJSONError, match="cut short"):
            for _ in stream:
                pass
        assert stream.finish_reason == "length"
    assert len(server.requests) == 1  # truncation is not re-asked


def test_tools_mode_retry_hands_the_call_back() -> None:
    bodies = Script(openai_body(TOO_MANY, tool=True), openai_body(SHORTLIST, tool=True))
    with ReplayServer(bodies) as server:
        client = from_openai(openai_sync(server), mode="tools")
        final = client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, response_model=Shortlist, max_retries=1
        )
    assert final == Shortlist(**SHORTLIST)
    assistant, tool = server.requests[1].json["messages"][len(MESSAGES) :]
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert tool == {"role": "tool", "tool_call_id": "call_1", "content": tool["content"]}
    assert "at most 3" in tool["content"]


# -- OpenAI, async --------------------------------------------------------------------------------------------------


def test_async_recommendations() -> None:
    recommendations = {
        "items": [
            {"item": "Dune", "reason": "Sweeping world-building."},
            {"item": "Hyperion", "reason": "Stories within a story."},
        ]
    }

    async def main() -> tuple[list[Any], list[Recommendation], Any]:
        async with openai_async(server) as raw:
            client = from_openai(raw)
            stream = client.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, response_model=list[Recommendation], stream=True
            )
            seen = [dumps(r) async for r in stream]
            return seen, await stream.get_final_response(), stream.usage

    with ReplayServer(openai_body(recommendations)) as server:
        seen, final, usage = asyncio.run(main())
    assert seen[-1] == recommendations["items"]
    assert len(seen) > 5
    assert final == [Recommendation(**r) for r in recommendations["items"]]
    assert usage["prompt_tokens"] == 10


def test_async_responses_stream_and_create() -> None:
    async def main() -> tuple[User, User, list[Idea]]:
        async with openai_async(server) as raw:
            client = from_openai(raw)
            async with client.responses.stream(model="gpt-4o", messages=MESSAGES, response_model=User) as stream:
                async for _ in stream:
                    pass
                streamed = await stream.get_final_response()
            created = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, response_model=User)
            ideas = [
                idea
                async for idea in client.chat.completions.create_iterable(
                    model="gpt-4o", messages=MESSAGES, response_model=Idea
                )
            ]
            return streamed, created, ideas

    with ReplayServer(Script(openai_body(USER), openai_body(USER), openai_body(IDEAS))) as server:
        streamed, created, ideas = asyncio.run(main())
    assert streamed == created == User(**USER)
    assert ideas == [Idea(**idea) for idea in IDEAS["items"]]


def test_async_retry() -> None:
    async def main() -> tuple[list[int], Shortlist, int]:
        async with openai_async(server) as raw:
            client = from_openai(raw)
            stream = client.chat.completions.create_partial(
                model="gpt-4o", messages=MESSAGES, response_model=Shortlist, max_retries=1
            )
            attempts = [stream.attempt async for _ in stream]
            return attempts, await stream.get_final_response(), stream.attempt

    server = PacedServer(Script(openai_body(TOO_MANY), openai_body(SHORTLIST)), max_chunk=16)
    with server:
        attempts, final, attempt = asyncio.run(main())
        assert server.wait_ended(0)
    assert final == Shortlist(**SHORTLIST)
    assert attempt == 2 and set(attempts) == {1, 2}
    assert server.completed == {0: False, 1: True}
    assert "at most 3" in server.requests[1].json["messages"][-1]["content"]


def test_async_truncation_raises() -> None:
    async def main() -> None:
        async with openai_async(server) as raw:
            client = from_openai(raw)
            await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, response_model=User)

    with (
        ReplayServer(openai_body(USER, finish="length", cut=20)) as server,
        pytest.raises(IncompleteJSONError, match="finish_reason='length'"),
    ):
        asyncio.run(main())


# -- Anthropic ------------------------------------------------------------------------------------------------------


def test_anthropic_list_of_ideas() -> None:
    with ReplayServer(anthropic_body(IDEAS), max_chunk=16) as server:
        client = from_anthropic(anthropic_sync(server))
        stream = client.messages.create(model="claude-test", messages=MESSAGES, response_model=list[Idea], stream=True)
        seen = [dumps(ideas) for ideas in stream]
        final = stream.get_final_response()
    assert seen[-1] == IDEAS["items"] and len(seen) > 10
    assert final == [Idea(**idea) for idea in IDEAS["items"]]
    assert stream.finish_reason == "tool_use"
    assert stream.usage == {"input_tokens": 12, "output_tokens": 42}
    body = server.requests[0].json
    assert server.requests[0].path == "/v1/messages"
    assert body["max_tokens"] == 1024
    (tool,) = body["tools"]
    assert tool["name"] == "IdeaList" and tool["description"]
    assert tool["input_schema"]["required"] == ["items"]
    assert body["tool_choice"] == {"type": "tool", "name": "IdeaList"}


def test_anthropic_partial_iterable_and_create() -> None:
    bodies = Script(anthropic_body(USER), anthropic_body(IDEAS), anthropic_body(USER))
    with ReplayServer(bodies) as server:
        client = from_anthropic(anthropic_sync(server))
        users = [
            u.model_dump()
            for u in client.messages.create_partial(
                model="claude-test", max_tokens=300, messages=MESSAGES, response_model=User
            )
        ]
        ideas = list(client.messages.create_iterable(model="claude-test", messages=MESSAGES, response_model=Idea))
        with client.responses.stream(model="claude-test", messages=MESSAGES, response_model=User) as stream:
            user = stream.get_final_response()
    assert users[-1] == USER
    assert server.requests[0].json["max_tokens"] == 300
    assert ideas == [Idea(**idea) for idea in IDEAS["items"]]
    assert user == User(**USER)


def test_anthropic_retry() -> None:
    server = PacedServer(Script(anthropic_body(TOO_MANY), anthropic_body(SHORTLIST)), max_chunk=16)
    with server:
        client = from_anthropic(anthropic_sync(server))
        final = client.messages.create(model="claude-test", messages=MESSAGES, response_model=Shortlist, max_retries=1)
        assert server.wait_ended(0)
    assert final == Shortlist(**SHORTLIST)
    assert server.completed == {0: False, 1: True}
    assistant, user = server.requests[1].json["messages"][len(MESSAGES) :]
    (use,) = assistant["content"]
    assert use["type"] == "tool_use" and use["id"] == "toolu_1" and use["input"]["picks"][:4] == ["a", "b", "c", "d"]
    (result,) = user["content"]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_1" and result["is_error"] is True
    assert "at most 3" in result["content"]


def test_anthropic_max_tokens_truncation_raises() -> None:
    with ReplayServer(anthropic_body(USER, stop="max_tokens", cut=25)) as server:
        client = from_anthropic(anthropic_sync(server))
        with pytest.raises(IncompleteJSONError, match="max_tokens"):
            client.messages.create(model="claude-test", messages=MESSAGES, response_model=User, max_retries=1)
    assert len(server.requests) == 1


def test_anthropic_async() -> None:
    async def main() -> tuple[list[Any], User]:
        async with anthropic_async(server) as raw:
            client = from_anthropic(raw)
            stream = client.messages.create_partial(model="claude-test", messages=MESSAGES, response_model=User)
            seen = [u.model_dump() async for u in stream]
            return seen, await stream.get_final_response()

    with ReplayServer(anthropic_body(USER)) as server:
        seen, user = asyncio.run(main())
    assert seen[-1] == USER and user == User(**USER)


def test_no_sdk_imported_by_midstream() -> None:
    import subprocess
    import sys

    code = "import sys, midstream.clients; print(any(m in sys.modules for m in ('openai', 'anthropic')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# -- the raw response body: the SDK sends, midstream reads ---------------------------------------------------------


def test_no_sdk_chunk_object_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clients read the raw body: the SDKs' own stream iterators (which build a model per chunk) never run."""

    def refused(self: Any) -> Iterator[Any]:
        raise AssertionError("an SDK Stream was iterated")

    monkeypatch.setattr(openai.Stream, "__stream__", refused)
    monkeypatch.setattr(anthropic.Stream, "__stream__", refused)
    with ReplayServer(openai_body(USER), max_chunk=16) as server:
        assert from_openai(openai_sync(server)).chat.completions.create(
            model="gpt-4o", messages=MESSAGES, response_model=User
        ) == User(**USER)
    with ReplayServer(anthropic_body(USER), max_chunk=16) as server:
        assert from_anthropic(anthropic_sync(server)).messages.create(
            model="claude-test", messages=MESSAGES, response_model=User
        ) == User(**USER)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_an_http_error_is_the_sdks_own_exception(asynchronous: bool) -> None:
    error = {"error": {"message": "Slow down", "type": "rate_limit_error", "code": "rate_limit"}}
    with ReplayServer(status=429, error=error) as server:
        if asynchronous:

            async def main() -> None:
                client = from_openai(openai_async(server))
                async for _ in client.chat.completions.create_partial(
                    model="gpt-4o", messages=MESSAGES, response_model=User
                ):
                    pass

            with pytest.raises(openai.RateLimitError, match="Slow down"):
                asyncio.run(main())
        else:
            stream = from_openai(openai_sync(server)).chat.completions.create_partial(
                model="gpt-4o", messages=MESSAGES, response_model=User
            )
            with pytest.raises(openai.RateLimitError, match="Slow down"):
                list(stream)
    anthropic_error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with ReplayServer(status=529, error=anthropic_error) as server:
        stream = from_anthropic(anthropic_sync(server)).messages.create_partial(
            model="claude-test", messages=MESSAGES, response_model=User
        )
        with pytest.raises(anthropic.APIStatusError, match="Overloaded"):
            list(stream)


def test_the_sdk_retries_the_http_request() -> None:
    """A 500 is retried by the SDK itself (its ``max_retries``), then the stream is read as usual."""
    answers = iter([None, openai_body(USER)])

    def responder(method: str, path: str, request: Any) -> bytes:
        body = next(answers)
        if body is None:
            raise RuntimeError("first request fails")  # answered with 500
        return body

    with ReplayServer(responder, headers={"retry-after-ms": "1"}) as server:
        raw = openai.OpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=1)
        value = from_openai(raw).chat.completions.create(model="gpt-4o", messages=MESSAGES, response_model=User)
        assert value == User(**USER)
        assert len(server.requests) == 2


@pytest.mark.parametrize("asynchronous", [False, True])
def test_closing_the_stream_closes_the_connection(asynchronous: bool) -> None:
    server = PacedServer(openai_body(RECIPE), max_chunk=8)
    with server:
        if asynchronous:

            async def main() -> list[Any]:
                stream = from_openai(openai_async(server)).chat.completions.create_partial(
                    model="gpt-4o", messages=MESSAGES, response_model=Recipe
                )
                seen = []
                async for partial in stream:
                    seen.append(partial)
                    if len(seen) == 3:
                        break
                await stream.close()
                return seen

            seen = asyncio.run(main())
        else:
            stream = from_openai(openai_sync(server)).chat.completions.create_partial(
                model="gpt-4o", messages=MESSAGES, response_model=Recipe
            )
            seen = []
            for partial in stream:
                seen.append(partial)
                if len(seen) == 3:
                    break
            stream.close()
        assert len(seen) == 3
        assert server.wait_ended(0)
    assert server.completed == {0: False}  # the server saw the client hang up mid-body
