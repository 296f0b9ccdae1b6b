"""End to end: every recorded stream served by a loopback server that cuts it at random points, read by the real
openai / anthropic / google-genai SDKs (sync and async) and by a raw byte reader, then handed to midstream.

The answers are checked against what the recorded payloads' complete text parses to (``expected_outputs``, written
from the payloads independently of the adapters).
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import midstream
import pytest
from midstream.testing import RecordedStream, ReplayServer
from test_providers import expected_outputs
from test_replay import CASES, STREAMS, sdk_astream, sdk_stream

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: streams whose recorded text is an answer midstream can check (not prose, not an error, not cut-short JSON)
USABLE = [
    (name, flavor)
    for name, flavor in CASES
    if not STREAMS[name].malformed and not any(word in name for word in ("error", "custom-tool", "refusal"))
]


def answer(stream: RecordedStream) -> tuple[Any, list[tuple[str | None, Any]]]:
    """The JSON content (None when the content is prose or empty) and the tool calls' (name, arguments)."""
    content, calls = expected_outputs(stream.path)
    try:
        parsed = json.loads(content) if content.strip() else None
    except ValueError:
        parsed = None
    return parsed, [(name, json.loads(text or "{}")) for name, text in (calls[key] for key in sorted(calls))]


def raw_bytes(server: ReplayServer) -> Iterator[bytes]:
    request = urllib.request.Request(server.base_url + "/v1/stream", data=b"{}", method="POST")
    with urllib.request.urlopen(request) as response:
        while piece := response.read1(4096):
            yield piece


def tool_results(updates: Any) -> list[tuple[str | None, Any]]:
    return [(update.name, update.value) for update in updates if update.complete]


def _partial_vertex(stream: RecordedStream) -> bool:
    return "stream-tool-call-arguments" in stream.name  # streamed partialArgs: arguments known only by replaying


@pytest.mark.parametrize(("name", "flavor"), USABLE)
def test_sdk_stream_object_gives_the_answer(name: str, flavor: str) -> None:
    stream = STREAMS[name]
    content, calls = answer(stream)
    if not calls and content is None:
        pytest.skip("prose answer")
    with ReplayServer(stream.body, seed=sum(name.encode()), max_chunk=40) as server:
        if calls:
            got = tool_results(midstream.stream_tool_calls(sdk_stream(server, flavor)))
        else:
            got_content = midstream.stream(Any, sdk_stream(server, flavor)).final()
    if calls:
        if _partial_vertex(stream):  # the same as reading the recorded bytes directly
            calls = tool_results(midstream.stream_tool_calls([stream.body], provider="gemini"))
            assert calls and all(isinstance(value, dict) and value for _, value in calls)
        assert got == calls
    else:
        assert got_content == content


@pytest.mark.parametrize(("name", "flavor"), [case for case in USABLE if case[1] != "vertex"])
def test_raw_sse_bytes_give_the_same_answer_as_the_sdk(name: str, flavor: str) -> None:
    stream = STREAMS[name]
    content, calls = answer(stream)
    provider = "gemini" if flavor == "gemini-api" else flavor
    with ReplayServer(stream.body, seed=7, max_chunk=13) as server:
        from_bytes = tool_results(midstream.stream_tool_calls(raw_bytes(server), provider=provider))
    with ReplayServer(stream.body, seed=8, max_chunk=29) as server:
        from_sdk = tool_results(midstream.stream_tool_calls(sdk_stream(server, flavor)))
    assert from_bytes == from_sdk
    if calls and not _partial_vertex(stream):
        assert from_bytes == calls
    if content is not None:
        with ReplayServer(stream.body, seed=9, max_chunk=5) as server:
            assert midstream.stream(Any, raw_bytes(server), provider=provider).final() == content


@pytest.mark.parametrize(("name", "flavor"), USABLE)
def test_async_sdk_stream_object_gives_the_answer(name: str, flavor: str) -> None:
    stream = STREAMS[name]
    content, calls = answer(stream)

    async def run(server: ReplayServer) -> Any:
        source: AsyncIterator[Any] = sdk_astream(server, flavor)
        if calls:
            return [(u.name, u.value) async for u in midstream.stream_tool_calls(source) if u.complete]
        return await midstream.stream(Any, source).final()

    if not calls and content is None:
        pytest.skip("prose answer")
    with ReplayServer(stream.body, seed=3, max_chunk=50) as server:
        got = asyncio.run(run(server))
    if calls and _partial_vertex(stream):
        calls = tool_results(midstream.stream_tool_calls([stream.body], provider="gemini"))
    assert got == (calls or content)


def test_streamed_vertex_arguments_match_the_whole_call() -> None:
    """The Gemini API fixture sends each call whole as well as streamed (`google-stream-tool-call-arguments`):
    both spellings agree."""
    stream = STREAMS["vercel-ai/google-stream-tool-call-arguments"]
    with ReplayServer(stream.body, seed=1, max_chunk=17) as server:
        got = tool_results(midstream.stream_tool_calls(sdk_stream(server, "gemini-api")))
    assert got == [("getWeather", {"location": "Boston"}), ("getWeather", {"location": "San Francisco"})]


def test_a_dropped_connection_ends_incomplete_with_the_parts_that_arrived() -> None:
    stream = STREAMS["openai-chat/json-schema-content"]
    content, _ = answer(stream)
    with ReplayServer(stream.body, seed=2, max_chunk=30, stop_after=len(stream.body) // 2) as server:
        partials = midstream.stream(Any, raw_bytes_tolerant(server), provider="openai")
        with pytest.raises(midstream.IncompleteJSONError):
            partials.final()
    partial = partials.model.partial
    assert isinstance(partial, dict) and partial  # what arrived is still there
    for key, value in partial.items():
        if partials.model.is_complete((key,)):
            assert content[key] == value


def raw_bytes_tolerant(server: ReplayServer) -> Iterator[bytes]:
    """Raw bytes until the connection drops (the reader's error is the end of the stream)."""
    try:
        yield from raw_bytes(server)
    except Exception:  # http.client.IncompleteRead: the server closed mid-body
        return
