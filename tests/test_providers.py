"""Provider adapters: every recorded stream read as raw SSE bytes, cut anywhere, and the deviations of
OpenAI-compatible servers, error events and refusals."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import midstream
import pytest
from _support import STREAMS
from midstream.providers import Finished, RefusalDelta, TextDelta, ToolCallDelta, adapter_for
from midstream.providers.source import EventReader
from midstream.tool_calls import ToolCallStreams

OPENAI_CHAT = sorted((STREAMS / "openai-chat").glob("*.sse"))
VERCEL = sorted((STREAMS / "vercel-ai").glob("*.jsonl"))
ANSWERS = [path for path in VERCEL if "error" not in path.name]  # the error stream raises: tested on its own


def provider_of(path: Path) -> str:
    name = path.name
    if name.startswith("anthropic"):
        return "anthropic"
    if name.startswith("google"):
        return "gemini"
    if name.startswith(("openai", "parallel-tool-call-wrapper")):
        return "openai-responses"
    return "openai"  # the OpenAI-compatible ones: mistral, groq, xai, deepseek


def sse_bytes(path: Path) -> bytes:
    """The stream as it is sent: .sse files as they are; .jsonl payloads framed as SSE (with `event:` lines where
    the provider sends them)."""
    if path.suffix == ".sse":
        return path.read_bytes()
    framed = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        # The type is read without parsing: two recorded Responses events are not valid JSON (cut by the recorder).
        found = re.match(r'\{"type":"([^"]+)"', line)
        kind = found.group(1) if found else None
        head = f"event: {kind}\n" if provider_of(path) in ("anthropic", "openai-responses") and kind else ""
        framed.append(f"{head}data: {line}\n\n")
    return "".join(framed).encode()


def payloads(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".sse":
        lines = [line[6:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("data: ")]
    else:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            continue  # [DONE], and the two recorded events that are cut short
    return parsed


def read(body: bytes, provider: str, seed: int, max_cut: int = 64) -> list[Any]:
    """The updates of a raw stream fed in random pieces."""
    rng = random.Random(seed)
    reader = EventReader(provider)
    updates: list[Any] = []
    at = 0
    while at < len(body):
        size = rng.randint(1, max_cut)
        updates += reader.item(body[at : at + size])
        at += size
    return updates + reader.end()


def expected_outputs(path: Path) -> tuple[str, dict[int, tuple[str | None, str]]]:
    """Written independently of the adapters, from the payloads: the content text of choice 0, and each tool call's
    (name, arguments text) — good enough for these recordings, whose shapes are known."""
    content: list[str] = []
    calls: dict[int, tuple[str | None, str]] = {}
    provider = provider_of(path)
    for data in payloads(path):
        if provider == "openai":
            for choice in data.get("choices") or []:
                if choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                content.append(delta.get("content") or "")
                for number, call in enumerate(delta.get("tool_calls") or []):
                    key = call.get("index", len(calls) if call.get("id") else len(calls) - 1 + number)
                    name, text = calls.get(key, (None, ""))
                    fn = call.get("function") or {}
                    calls[key] = (name or fn.get("name") or None, text + (fn.get("arguments") or ""))
        elif provider == "anthropic":
            if data["type"] == "content_block_start" and data["content_block"]["type"] == "tool_use":
                calls[data["index"]] = (data["content_block"]["name"], "")
            if data["type"] == "content_block_delta":
                delta = data["delta"]
                if delta["type"] == "text_delta":
                    content.append(delta["text"])
                elif delta["type"] == "input_json_delta":
                    name, text = calls[data["index"]]
                    calls[data["index"]] = (name, text + delta["partial_json"])
        elif provider == "openai-responses":
            if data["type"] == "response.output_text.delta":
                content.append(data["delta"])
            if data["type"] == "response.output_item.added" and data["item"]["type"] == "function_call":
                calls[data["output_index"]] = (data["item"]["name"], data["item"].get("arguments") or "")
            if data["type"] == "response.function_call_arguments.delta":
                name, text = calls[data["output_index"]]
                calls[data["output_index"]] = (name, text + data["delta"])
        else:
            for part in (data.get("candidates") or [{}])[0].get("content", {}).get("parts", []):
                if "text" in part and not part.get("thought"):
                    content.append(part["text"])
                call = part.get("functionCall") or {}
                if "args" in call:
                    calls[len(calls)] = (call["name"], json.dumps(call["args"]))
    return "".join(content), calls


def _renumber(calls: dict[int, tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    return [calls[key] for key in sorted(calls)]


@pytest.mark.parametrize("path", OPENAI_CHAT + ANSWERS, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_recorded_stream_gives_its_content_and_tool_calls(path: Path, seed: int) -> None:
    updates = read(sse_bytes(path), provider_of(path), seed)
    content = "".join(u.text for u in updates if isinstance(u, TextDelta) and u.choice == 0)
    calls: dict[int, tuple[str | None, str]] = {}
    for update in updates:
        if isinstance(update, ToolCallDelta) and update.choice == 0:
            name, text = calls.get(update.index, (None, ""))
            calls[update.index] = (name or update.name, text + update.arguments)
    want_content, want_calls = expected_outputs(path)
    assert content == want_content
    if "vertex" in path.name or "stream-tool-call-arguments" in path.name:
        return  # streamed partialArgs: checked below against the arguments object
    if want_calls:
        got = [(name, json.loads(text or "{}")) for name, text in _renumber(calls)]
        assert got == [(name, json.loads(text or "{}")) for name, text in _renumber(want_calls)]
    else:
        assert not calls


def test_openai_json_schema_content_streams_into_a_model() -> None:
    body = (STREAMS / "openai-chat" / "json-schema-content.sse").read_bytes()
    text, _ = expected_outputs(STREAMS / "openai-chat" / "json-schema-content.sse")
    chunks = [body[i : i + 5] for i in range(0, len(body), 5)]
    final = midstream.stream(Any, chunks, provider="openai").final()
    assert final == json.loads(text)


def test_truncated_answer_ends_incomplete_with_what_arrived() -> None:
    path = STREAMS / "openai-chat" / "json-schema-max-tokens.sse"
    updates = read(path.read_bytes(), "openai", 0)
    assert any(isinstance(u, Finished) and u.truncated for u in updates)
    partials = midstream.stream(Any, [path.read_bytes()], provider="openai")
    with pytest.raises(midstream.IncompleteJSONError):
        partials.final()


def test_refusal_raises_with_its_text() -> None:
    path = STREAMS / "openai-chat" / "refusal.sse"
    refusal = "".join(u.text for u in read(path.read_bytes(), "openai", 0) if isinstance(u, RefusalDelta))
    assert refusal.startswith("I'm sorry")
    with pytest.raises(midstream.RefusalError) as error:
        midstream.stream(Any, [path.read_bytes()], provider="openai").final()
    assert error.value.refusal == refusal


def test_anthropic_refusal_carries_the_explanation() -> None:
    path = STREAMS / "vercel-ai" / "anthropic-refusal.jsonl"
    with pytest.raises(midstream.RefusalError) as error:
        midstream.stream(Any, [sse_bytes(path)], provider="anthropic").final()
    assert "cyber" in error.value.refusal or len(error.value.refusal) > 10


def test_responses_error_event_raises_provider_error() -> None:
    path = STREAMS / "vercel-ai" / "openai-error.1.jsonl"
    with pytest.raises(midstream.ProviderError) as error:
        read(sse_bytes(path), "openai-responses", 0)
    assert error.value.code == "insufficient_quota"
    assert "quota" in error.value.message


# --- OpenAI-compatible deviations, each on a hand-made stream -------------------------------------------------------


def chat_sse(*deltas: dict[str, Any], done: bool = True, crlf: bool = False, ping: bool = False) -> bytes:
    out = []
    for delta in deltas:
        finish = delta.pop("finish_reason", None)
        chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        out.append(f"data:{json.dumps(chunk)}\n\n")
        if ping:
            out.append(": ping\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    text = "".join(out)
    return (text.replace("\n", "\r\n") if crlf else text).encode()


def tool_values(body: bytes, tools: Any = None) -> list[tuple[int, str | None, Any]]:
    calls = ToolCallStreams(tools)
    reader = EventReader("openai")
    updates = []
    for cut in range(0, len(body), 3):
        updates += calls.take(reader.item(body[cut : cut + 3]))
    updates += calls.take(reader.end()) + calls.end()
    return [(u.index, u.name, u.value) for u in updates if u.complete]


def test_whole_arguments_in_one_chunk_without_index() -> None:
    body = chat_sse(
        {"tool_calls": [{"id": "a", "function": {"name": "f", "arguments": '{"x": 1}'}}]},
        {
            "tool_calls": [{"id": "b", "function": {"name": "g", "arguments": '{"y": 2}'}}],
            "finish_reason": "tool_calls",
        },
        done=False,
        crlf=True,
        ping=True,
    )
    assert tool_values(body) == [(0, "f", {"x": 1}), (1, "g", {"y": 2})]


def test_repeated_index_with_a_new_id_is_a_new_call_and_empty_names_continue() -> None:
    body = chat_sse(
        {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"x"'}}]},
        {"tool_calls": [{"index": 0, "function": {"name": "", "arguments": ": 1}"}}]},
        {"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}}]},
    )
    assert tool_values(body) == [(0, "f", {"x": 1}), (1, "g", {})]


def test_interleaved_parallel_calls_stream_independently() -> None:
    def piece(index: int, text: str, name: str | None = None) -> dict[str, Any]:
        function = {"arguments": text} if name is None else {"name": name, "arguments": text}
        return {"tool_calls": [{"index": index, **({"id": f"id{index}"} if name else {}), "function": function}]}

    body = chat_sse(
        piece(0, '{"city": "Pa', "weather"),
        piece(1, '{"ticker": ', "stock"),
        piece(0, 'ris"}'),
        piece(1, '"ACME"}'),
    )
    from pydantic import BaseModel

    class Weather(BaseModel):
        city: str

    reader = EventReader("openai")
    calls = ToolCallStreams({"weather": Weather})
    updates = []
    partial_cities = []  # read at once: a partial is updated in place, like ModelStream's
    for event in body.split(b"\n\n"):
        for update in calls.take(reader.item(event + b"\n\n")):
            updates.append(update)
            if update.index == 0 and isinstance(update.partial, Weather) and not update.complete:
                partial_cities.append(update.partial.city)
    updates += calls.take(reader.end()) + calls.end()
    first_complete = next(u for u in updates if u.complete)
    assert first_complete.index == 0 and first_complete.value == Weather(city="Paris")
    assert [u.value for u in updates if u.complete] == [Weather(city="Paris"), {"ticker": "ACME"}]
    assert "Pa" in partial_cities  # typed partials while it streams


def test_error_payload_in_a_chat_stream_raises() -> None:
    body = b'data: {"error": {"message": "Rate limit", "type": "rate_limit_error", "code": 429}}\n\n'
    with pytest.raises(midstream.ProviderError) as error:
        EventReader("openai").item(body)
    assert (error.value.message, error.value.type, error.value.code) == ("Rate limit", "rate_limit_error", "429")


def test_anthropic_error_event_and_unknown_provider() -> None:
    with pytest.raises(midstream.ProviderError, match="Overloaded"):
        adapter_for("anthropic").payload(
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        )
    with pytest.raises(ValueError, match="unknown provider"):
        adapter_for("nope")


def test_stream_follows_the_single_tool_call_after_prose() -> None:
    events = [
        {"type": "message_start", "message": {}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me look."}},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t", "name": "f"}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"a": '}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "[1]}"}},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
    ]
    assert midstream.stream(Any, events).final() == {"a": [1]}
