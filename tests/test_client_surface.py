"""``from_openai`` and ``from_anthropic`` offer one surface (issue 13, item 8): the same entry points, with the same
signatures, driven by the same tests on the real ``openai`` and ``anthropic`` clients against a loopback
``ReplayServer``, sync and async — so code (instructor's included) switches provider without a rewrite, and the
two wrappers cannot drift apart."""

from __future__ import annotations

import asyncio
import doctest
import inspect
import json
from typing import Any

import midstream
import midstream.clients.anthropic
import pytest
from midstream.clients import from_anthropic, from_openai
from midstream.clients.anthropic import openai_style_to_anthropic
from midstream.testing import ReplayServer
from pydantic import BaseModel
from test_clients import (
    IDEAS,
    SHORTLIST,
    TOO_MANY,
    USER,
    Idea,
    PacedServer,
    Script,
    Shortlist,
    User,
    anthropic_async,
    anthropic_body,
    anthropic_sync,
    openai_async,
    openai_body,
    openai_sync,
)

PROVIDERS = ["openai", "anthropic"]
#: where an entry point lives: instructor's names for both providers, and the top level
PLACES = {"chat.completions": ("chat", "completions"), "messages": ("messages",), "top-level": ()}
METHODS = ["create-stream", "create", "create_partial", "create_iterable"]
MODEL = {"openai": "gpt-4o", "anthropic": "claude-test"}
PATH = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
SYSTEM = "You extract users from text."
INSTRUCTOR_MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Ada Lovelace, 36"}]


def body(provider: str, answer: Any) -> bytes:
    return openai_body(answer) if provider == "openai" else anthropic_body(answer)


def wrap(provider: str, asynchronous: bool, server: ReplayServer) -> Any:
    if provider == "openai":
        return from_openai((openai_async if asynchronous else openai_sync)(server))
    return from_anthropic((anthropic_async if asynchronous else anthropic_sync)(server))


def place(client: Any, where: str) -> Any:
    target = client
    for name in PLACES[where]:
        target = getattr(target, name)
    return target


def dumps(value: Any) -> Any:
    if isinstance(value, list):
        return [dumps(item) for item in value]
    return value.model_dump() if hasattr(value, "model_dump") else value


async def drain(values: Any) -> list[Any]:
    return [dumps(value) async for value in values]


def call(client: Any, where: str, method: str, asynchronous: bool, **kwargs: Any) -> tuple[list[Any], Any]:
    """What one entry point gives: the values it streamed, and its final value."""
    entry = place(client, where)
    if method == "create":
        result = entry.create(response_model=User, **kwargs)
        return [], dumps(asyncio.run(result) if asynchronous else result)
    if method == "create_iterable":
        items = entry.create_iterable(response_model=Idea, **kwargs)
        got = asyncio.run(drain(items)) if asynchronous else [dumps(item) for item in items]
        return got, got
    stream = (
        entry.create(response_model=User, stream=True, **kwargs)
        if method == "create-stream"
        else entry.create_partial(response_model=User, **kwargs)
    )
    if asynchronous:

        async def run() -> tuple[list[Any], Any]:
            seen = await drain(stream)
            return seen, dumps(await stream.get_final_response())

        return asyncio.run(run())
    seen = [dumps(partial) for partial in stream]
    return seen, dumps(stream.get_final_response())


# -- every entry point, on both providers, sync and async --------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("where", list(PLACES))
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_entry_point_on_every_provider(provider: str, asynchronous: bool, where: str, method: str) -> None:
    answer = IDEAS if method == "create_iterable" else USER
    with ReplayServer(body(provider, answer), max_chunk=16) as server:
        client = wrap(provider, asynchronous, server)
        seen, final = call(client, where, method, asynchronous, model=MODEL[provider], messages=INSTRUCTOR_MESSAGES)
    if method == "create_iterable":
        assert final == IDEAS["items"]
    else:
        assert final == USER
        if method != "create":
            assert seen[-1] == USER and len(seen) > 3  # partials came while the answer arrived
    (request,) = server.requests
    sent = request.json
    assert request.path == PATH[provider]
    assert sent["stream"] is True and sent["model"] == MODEL[provider]
    if provider == "anthropic":  # the OpenAI-style system message written as Anthropic takes it
        assert sent["system"] == SYSTEM and sent["messages"] == INSTRUCTOR_MESSAGES[1:]
    else:
        assert sent["messages"] == INSTRUCTOR_MESSAGES


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_responses_stream_with_a_final_response(provider: str, asynchronous: bool) -> None:
    with ReplayServer(body(provider, USER), max_chunk=8) as server:
        client = wrap(provider, asynchronous, server)
        kwargs = {"model": MODEL[provider], "messages": INSTRUCTOR_MESSAGES, "response_model": User}
        if asynchronous:

            async def run() -> tuple[list[Any], Any]:
                async with client.responses.stream(**kwargs) as stream:
                    return await drain(stream), await stream.get_final_response()

            seen, final = asyncio.run(run())
        else:
            with client.responses.stream(**kwargs) as stream:
                seen = [dumps(user) for user in stream]
                final = stream.get_final_response()
    assert final == User(**USER) and seen[-1] == USER
    assert server.requests[0].path == PATH[provider]
    if provider == "anthropic":
        assert server.requests[0].json["system"] == SYSTEM


def instructor_style(client: Any, model: str) -> tuple[list[Any], User]:
    """instructor's streaming code, written once, for whichever provider the client wraps."""
    stream = client.chat.completions.create(model=model, messages=INSTRUCTOR_MESSAGES, response_model=User, stream=True)
    partials = [user.model_dump() for user in stream]
    return partials, stream.get_final_response()


def test_instructor_code_switches_provider_unchanged() -> None:
    results = {}
    for provider in PROVIDERS:
        with ReplayServer(body(provider, USER), max_chunk=16) as server:
            results[provider] = instructor_style(wrap(provider, False, server), MODEL[provider])
            sent = server.requests[0].json
        if provider == "openai":
            assert sent["messages"] == INSTRUCTOR_MESSAGES  # the system message stays where OpenAI takes it
            assert "system" not in sent and "max_tokens" not in sent
        else:
            assert sent["system"] == SYSTEM  # moved to Anthropic's parameter, as instructor does
            assert sent["messages"] == INSTRUCTOR_MESSAGES[1:]
            assert sent["max_tokens"] == 1024
            assert sent["tool_choice"] == {"type": "tool", "name": "User"}
    assert results["openai"][1] == results["anthropic"][1] == User(**USER)
    assert results["openai"][0][-1] == results["anthropic"][0][-1] == USER


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_retries_through_the_shared_surface(provider: str, asynchronous: bool) -> None:
    server = PacedServer(Script(body(provider, TOO_MANY), body(provider, SHORTLIST)), max_chunk=16)
    with server:
        client = wrap(provider, asynchronous, server)
        final = client.create(
            model=MODEL[provider], messages=INSTRUCTOR_MESSAGES, response_model=Shortlist, max_retries=1
        )
        if asynchronous:
            final = asyncio.run(final)
        assert server.wait_ended(0)
    assert final == Shortlist(**SHORTLIST)
    assert server.completed == {0: False, 1: True}  # the first answer was cut off as soon as it failed
    retried = server.requests[1].json
    if provider == "anthropic":
        assert retried["system"] == SYSTEM and retried["messages"][0] == INSTRUCTOR_MESSAGES[1]
    assert "at most 3" in str(retried["messages"][-1])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_create_without_a_response_model_is_the_clients_own(provider: str) -> None:
    with ReplayServer(body(provider, USER)) as server:
        client = wrap(provider, False, server)
        events = list(client.chat.completions.create(model=MODEL[provider], messages=INSTRUCTOR_MESSAGES, stream=True))
        sent = server.requests[0].json
    assert events and type(events[0]).__module__.startswith(provider)  # the SDK's own stream objects
    assert "tools" not in sent and "response_format" not in sent
    if provider == "anthropic":  # still written for the provider: system moved, max_tokens given
        assert sent["system"] == SYSTEM and sent["max_tokens"] == 1024


def test_modes() -> None:
    with ReplayServer(body("anthropic", USER)) as server:
        client = wrap("anthropic", False, server)
        with pytest.raises(ValueError, match="mode must be 'tools'"):
            client.chat.completions.create_partial(model="m", messages=[], response_model=User, mode="json_schema")
        assert client.create(model="m", messages=[], response_model=User, mode="tools") == User(**USER)
    with ReplayServer(openai_body(USER, tool=True, finish="tool_calls")) as server:
        client = wrap("openai", False, server)
        assert client.messages.create(model="m", messages=[], response_model=User, mode="tools") == User(**USER)
        assert "tools" in server.requests[0].json
        with pytest.raises(ValueError, match="mode must be"):
            client.create(model="m", messages=[], response_model=User, mode="markdown")


# -- the surfaces match ------------------------------------------------------------------------------------------


def surface(obj: Any) -> dict[str, Any]:
    """Every public name reachable from a wrapper: methods with their signatures, wrapper objects recursively (the
    SDK client itself, and plain values, by name only)."""
    out: dict[str, Any] = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        value = getattr(obj, name)
        if inspect.ismethod(value):
            out[name] = str(inspect.signature(value))
        elif type(value).__module__.startswith("midstream.clients"):
            out[name] = surface(value)
        else:
            out[name] = "attribute"
    return out


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_the_two_wrappers_offer_the_same_surface(asynchronous: bool) -> None:
    with ReplayServer(b"") as server:
        openai_surface = surface(wrap("openai", asynchronous, server))
        anthropic_surface = surface(wrap("anthropic", asynchronous, server))
    assert openai_surface == anthropic_surface
    entry_points = {"create", "create_partial", "create_iterable"}
    assert entry_points <= set(openai_surface)
    assert set(openai_surface["chat"]["completions"]) == entry_points
    assert set(openai_surface["messages"]) == entry_points
    assert set(openai_surface["responses"]) == {"stream"}
    assert inspect.signature(from_openai).parameters.keys() == inspect.signature(from_anthropic).parameters.keys()


# -- OpenAI-style arguments written for Anthropic ----------------------------------------------------------------


def test_system_messages_move_to_the_system_parameter() -> None:
    user = {"role": "user", "content": "hi"}
    assistant = {"role": "assistant", "content": "hello"}
    converted = openai_style_to_anthropic(
        {
            "messages": [{"role": "system", "content": "One."}, user, {"role": "developer", "content": "Two."}],
            "system": "Zero.",
            "max_tokens": 50,
        }
    )
    assert converted == {"messages": [user], "system": "Zero.\n\nOne.\n\nTwo.", "max_tokens": 50}
    blocks = openai_style_to_anthropic(
        {
            "messages": [
                {"role": "system", "content": [{"type": "text", "text": "A", "cache_control": {"type": "ephemeral"}}]},
                {"role": "system", "content": "B"},
                user,
                assistant,
            ]
        }
    )
    assert blocks["system"] == [
        {"type": "text", "text": "A", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "B"},
    ]
    assert blocks["messages"] == [user, assistant] and blocks["max_tokens"] == 1024
    untouched = {"messages": [user], "system": "S", "max_tokens": 9, "temperature": 0}
    assert openai_style_to_anthropic(untouched) == untouched
    assert openai_style_to_anthropic({"messages": ()}) == {"messages": (), "max_tokens": 1024}


def test_docstring_examples() -> None:
    result = doctest.testmod(midstream.clients.anthropic)
    assert result.failed == 0 and result.attempted > 0


# -- issue 13, item 4: what the clients hand out is kept as it was ------------------------------------------------


class Ideas(BaseModel):
    items: list[Idea]


@pytest.mark.parametrize("method", ["create-stream", "create_partial", "responses.stream"])
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_partials_kept_from_the_clients_are_snapshots(provider: str, asynchronous: bool, method: str) -> None:
    """Every partial a client hands out is a distinct object that later chunks never change."""
    with ReplayServer(body(provider, IDEAS), max_chunk=7) as server:
        client = wrap(provider, asynchronous, server)
        kwargs: dict[str, Any] = {"model": MODEL[provider], "messages": INSTRUCTOR_MESSAGES, "response_model": Ideas}
        if method == "create-stream":
            partials = client.chat.completions.create(stream=True, **kwargs)
        elif method == "create_partial":
            partials = client.chat.completions.create_partial(**kwargs)
        else:
            partials = client.responses.stream(**kwargs)

        async def collect() -> list[tuple[Any, Any]]:
            if method == "responses.stream":
                async with partials as opened:
                    return [(p, dumps(p)) async for p in opened]
            return [(p, dumps(p)) async for p in partials]

        if asynchronous:
            kept = asyncio.run(collect())
        elif method == "responses.stream":
            with partials as opened:
                kept = [(p, dumps(p)) for p in opened]
        else:
            kept = [(p, dumps(p)) for p in partials]
    assert len(kept) > 5 and kept[-1][1] == IDEAS
    assert len({id(partial) for partial, _ in kept}) == len(kept)
    for partial, then in kept:
        assert dumps(partial) == then
    first_item = next(p.items[0] for p, then in kept if len(then["items"] or []) > 1)
    assert kept[-1][0].items[0] is first_item  # a finished item is shared, not copied


def test_tool_call_updates_kept_are_snapshots() -> None:
    text = '{"items": [{"title": "a", "description": "bc"}, {"title": "d", "description": "ef"}]}'
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    events = [
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "Ideas", "arguments": ""},
                            }
                        ]
                    },
                }
            ]
        }
    ]
    events += [
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}}]}
        for piece in pieces
    ]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    kept = [(update.partial, dumps(update.partial)) for update in midstream.stream_tool_calls(events, [Ideas])]
    assert kept[-1][1] == json.loads(text) and len(kept) > 5
    for partial, then in kept:
        assert partial is None or dumps(partial) == then
