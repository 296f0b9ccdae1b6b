"""The recorded provider streams, replayed over a real loopback socket to the official SDKs.

Every fixture is served by ``midstream.testing.ReplayServer`` (cut at random points) and consumed by the SDK
that speaks its protocol, sync and async: the SDK must yield one object per recorded payload, each dumping back
to exactly the recorded JSON. Two fixtures make the SDK raise, and that is what is asserted for them (see
``SDK_FAILURES``). The server's own options (errors, dropped streams, responders) are tested here too.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import re
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from _support import STREAMS as STREAM_DIR
from midstream.testing import RecordedStream, ReplayServer, recorded_streams, sse_body, sse_payloads

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")
genai = pytest.importorskip("google.genai")
httpx2 = pytest.importorskip("httpx2")
httpx = pytest.importorskip("httpx")
#: How a dropped connection surfaces: httpx2's error (openai, anthropic, google-genai 3), or httpx's (google-genai
#: before 3, the release that still supports CPython 3.10).
PEER_CLOSED = (httpx2.RemoteProtocolError, httpx.RemoteProtocolError)

pytestmark = pytest.mark.filterwarnings(
    # google-genai's async client subclasses aiohttp.ClientSession (when aiohttp is installed).
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)

STREAMS = recorded_streams(STREAM_DIR)

#: Every fixture's protocol, as read from its payloads (a new fixture must be added here).
PROVIDERS = {
    **{
        f"openai-chat/{stem}": "openai"
        for stem in (
            "content-logprobs",
            "json-object-content",
            "json-schema-content",
            "json-schema-max-tokens",
            "json-schema-n3-choices",
            "parallel-tool-calls",
            "plain-text",
            "refusal-logprobs",
            "refusal",
            "tool-non-strict",
            "tool-strict",
            "tools-strict-2",
        )
    },
    "vercel-ai/anthropic-json-output-format.1": "anthropic",
    "vercel-ai/anthropic-json-tool.1": "anthropic",
    "vercel-ai/anthropic-json-tool.2": "anthropic",
    "vercel-ai/anthropic-refusal": "anthropic",
    "vercel-ai/anthropic-text": "anthropic",
    "vercel-ai/anthropic-tool-no-args": "anthropic",
    "vercel-ai/deepseek-tool-call": "openai",
    "vercel-ai/google-stream-tool-call-arguments": "gemini",
    "vercel-ai/google-text": "gemini",
    "vercel-ai/google-tool-call": "gemini",
    "vercel-ai/google-vertex-stream-tool-call-arguments-nested.1": "gemini",
    "vercel-ai/groq-tool-call": "openai",
    "vercel-ai/mistral-incremental-tool-call": "openai",
    "vercel-ai/mistral-tool-call": "openai",
    "vercel-ai/openai-custom-tool.1": "openai-responses",
    "vercel-ai/openai-error.1": "openai-responses",
    # A Responses API stream (one function call whose arguments wrap several tool uses), not a chat one.
    "vercel-ai/parallel-tool-call-wrapper.1": "openai-responses",
    "vercel-ai/xai-tool-call": "openai",
}

#: Fixtures the SDK does not get through: (exception, objects yielded before it, text in its message).
SDK_FAILURES: dict[str, tuple[type[BaseException], int, str]] = {
    # The Responses API's `error` event: the openai SDK raises on any payload with an "error" key.
    "vercel-ai/openai-error.1": (openai.APIError, 2, "You exceeded your current quota"),
    # Upstream fixture bug: lines 1 and 6 lack the `}` closing "response" (so in vercel/ai too). The SDK's
    # sse.json() raises on the first event.
    "vercel-ai/parallel-tool-call-wrapper.1": (json.JSONDecodeError, 0, "Expecting ',' delimiter"),
}

#: How each Gemini fixture is replayed: through the Gemini API client and the Vertex AI client alike.
GEMINI_FLAVORS = ("gemini-api", "vertex")

#: (stream name, client flavor) for every replay.
CASES = [
    (name, flavor)
    for name, stream in STREAMS.items()
    for flavor in (GEMINI_FLAVORS if stream.provider == "gemini" else (stream.provider,))
]

REQUEST_PATHS = {
    "openai": r"/v1/chat/completions",
    "openai-responses": r"/v1/responses",
    "anthropic": r"/v1/messages",
    # google-genai 3.x asks v1 by default (v1beta before; GOOGLE_GENAI_API_VERSION changes it).
    "gemini-api": r"/v1(beta)?/models/gemini-2\.0-flash:streamGenerateContent\?alt=sse",
    "vertex": r"/v1(beta1)?/projects/test-project/locations/us-central1/publishers/google/models/"
    r"gemini-2\.0-flash:streamGenerateContent\?alt=sse",
}

MESSAGES = [{"role": "user", "content": "hi"}]


# -- the SDK calls ------------------------------------------------------------------------------------------------


def openai_client(server: ReplayServer) -> Any:
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0)


def anthropic_client(server: ReplayServer) -> Any:
    return anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)


def genai_client(server: ReplayServer, flavor: str = "gemini-api") -> Any:
    options = genai.types.HttpOptions(base_url=server.base_url)
    if flavor == "vertex":
        # A token that needs no refresh stands in for Google credentials; nothing leaves the loopback server.
        google_oauth2 = pytest.importorskip("google.oauth2.credentials")
        credentials = google_oauth2.Credentials(token="test")
        return genai.Client(
            vertexai=True,
            project="test-project",
            location="us-central1",
            credentials=credentials,
            http_options=options,
        )
    return genai.Client(vertexai=False, api_key="test", http_options=options)


def sdk_stream(server: ReplayServer, flavor: str) -> Iterator[Any]:
    """What the sync SDK yields for the stream ``server`` serves."""
    if flavor == "openai":
        with openai_client(server) as client:
            yield from client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    elif flavor == "openai-responses":
        with openai_client(server) as client:
            yield from client.responses.create(model="gpt-4o", input="hi", stream=True)
    elif flavor == "anthropic":
        with anthropic_client(server) as client:
            yield from client.messages.create(model="claude-test", max_tokens=64, messages=MESSAGES, stream=True)
    else:
        with genai_client(server, flavor) as client:
            yield from client.models.generate_content_stream(model="gemini-2.0-flash", contents="hi")


async def sdk_astream(server: ReplayServer, flavor: str) -> AsyncIterator[Any]:
    """What the async SDK yields for the stream ``server`` serves."""
    if flavor in ("openai", "openai-responses"):
        async with openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0) as client:
            if flavor == "openai":
                stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
            else:
                stream = await client.responses.create(model="gpt-4o", input="hi", stream=True)
            async for item in stream:
                yield item
    elif flavor == "anthropic":
        async with anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0) as client:
            stream = await client.messages.create(model="claude-test", max_tokens=64, messages=MESSAGES, stream=True)
            async for item in stream:
                yield item
    else:
        client = genai_client(server, flavor)
        try:
            async for item in await client.aio.models.generate_content_stream(model="gemini-2.0-flash", contents="hi"):
                yield item
        finally:
            await client.aio.aclose()
            client.close()


def collect(items: Iterator[Any]) -> tuple[list[Any], BaseException | None]:
    """Everything ``items`` yields, and the exception that stopped it (if any)."""
    got: list[Any] = []
    try:
        for item in items:
            got.append(item)
    except Exception as error:
        return got, error
    return got, None


def acollect(items: AsyncIterator[Any]) -> tuple[list[Any], BaseException | None]:
    async def run() -> tuple[list[Any], BaseException | None]:
        got: list[Any] = []
        try:
            async for item in items:
                got.append(item)
        except Exception as error:
            return got, error
        return got, None

    return asyncio.run(run())


# -- what the SDK objects must dump back to ----------------------------------------------------------------------


def wire(obj: Any, flavor: str) -> dict[str, Any]:
    """An SDK object as the JSON it was built from (the fields the payload set, under their wire names)."""
    if flavor in GEMINI_FLAVORS:
        data: dict[str, Any] = obj.model_dump(mode="json", by_alias=True, exclude_unset=True)
        data.pop("sdkHttpResponse", None)  # added by the SDK: the response headers
        return data
    dumped: dict[str, Any] = obj.model_dump(mode="json", exclude_unset=True)
    return dumped


def expected_objects(stream: RecordedStream, flavor: str) -> list[dict[str, Any]]:
    """The payloads the SDK turns into objects, as those objects dump back."""
    if stream.provider == "anthropic":
        # The SDK drops `ping` events (by their `event:` name) and yields the rest.
        return [event for event in stream.events if event["type"] != "ping"]
    if stream.provider == "gemini":
        return [gemini_as_dumped(event, flavor) for event in stream.events]
    return stream.events


def gemini_as_dumped(event: Any, flavor: str, key: str = "") -> Any:
    """A Gemini payload as google-genai dumps it back: bytes fields (``thoughtSignature``) re-encoded with the
    URL-safe base64 alphabet pydantic serializes bytes with; the Gemini API client drops Vertex's ``createTime``.
    """
    if isinstance(event, dict):
        return {
            name: gemini_as_dumped(value, flavor, name)
            for name, value in event.items()
            if not (flavor == "gemini-api" and name == "createTime")
        }
    if isinstance(event, list):
        return [gemini_as_dumped(value, flavor) for value in event]
    if key == "thoughtSignature":
        return base64.urlsafe_b64encode(base64.b64decode(event)).decode()
    return event


# -- the fixtures ------------------------------------------------------------------------------------------------


def test_every_fixture_is_classified() -> None:
    assert {name: stream.provider for name, stream in STREAMS.items()} == PROVIDERS


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_fixture_framing(name: str) -> None:
    stream = STREAMS[name]
    assert tuple(sse_payloads(stream.body)) == stream.payloads
    assert stream.body.endswith(b"data: [DONE]\n\n") == stream.sends_done == (stream.provider == "openai")
    if stream.path.suffix == ".sse":
        assert stream.body == stream.path.read_bytes()
    else:
        assert stream.body == sse_body(stream.payloads, stream.provider)
        assert stream.payloads == tuple(line for line in stream.path.read_bytes().splitlines() if line)
    event_lines = [line for line in stream.body.split(b"\n") if line.startswith(b"event:")]
    if stream.provider in ("anthropic", "openai-responses"):
        # One `event: <type>` per payload, naming the payload's type (read from the prefix when malformed).
        assert len(event_lines) == len(stream.payloads)
        for line, payload in zip(event_lines, stream.payloads, strict=True):
            assert payload.startswith(b'{"type":"' + line.removeprefix(b"event: ") + b'"')
    else:
        assert event_lines == []
    assert len(stream.events) + len(stream.malformed) == len(stream.payloads)
    assert stream.malformed == ((0, 5) if name == "vercel-ai/parallel-tool-call-wrapper.1" else ())


# -- every fixture through its SDK -------------------------------------------------------------------------------


def check_replay(stream: RecordedStream, flavor: str, got: list[Any], error: BaseException | None) -> None:
    if stream.name in SDK_FAILURES:
        kind, count, message = SDK_FAILURES[stream.name]
        assert isinstance(error, kind), repr(error)
        assert message in str(error)
        assert [wire(obj, flavor) for obj in got] == expected_objects(stream, flavor)[:count]
        return
    if error is not None:
        raise error
    want = expected_objects(stream, flavor)
    assert len(got) == len(want)
    for index, (obj, event) in enumerate(zip(got, want, strict=True)):
        assert wire(obj, flavor) == event, f"{stream.name} object {index}"


def check_request(server: ReplayServer, flavor: str) -> None:
    [request] = server.requests
    assert request.method == "POST"
    assert re.fullmatch(REQUEST_PATHS[flavor], request.path), request.path
    assert request.headers["content-type"] == "application/json"
    if flavor in GEMINI_FLAVORS:
        assert request.json == {"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}
        assert request.headers.get("x-goog-api-key" if flavor == "gemini-api" else "authorization") in (
            "test",
            "Bearer test",
        )
    elif flavor == "anthropic":
        assert request.json["stream"] is True
        # anthropic 2.x sends the API key as a bearer token; earlier versions as x-api-key.
        assert "Bearer test" in (request.headers.get("authorization"), "Bearer " + request.headers.get("x-api-key", ""))
    else:
        assert request.json["stream"] is True
        assert request.headers["authorization"] == "Bearer test"


@pytest.mark.parametrize(("name", "flavor"), CASES)
def test_sdk_replays_fixture(name: str, flavor: str) -> None:
    stream = STREAMS[name]
    with ReplayServer(stream.body, seed=len(name), max_chunk=48) as server:
        got, error = collect(sdk_stream(server, flavor))
    check_replay(stream, flavor, got, error)
    check_request(server, flavor)


@pytest.mark.parametrize(("name", "flavor"), CASES)
def test_async_sdk_replays_fixture(name: str, flavor: str) -> None:
    stream = STREAMS[name]
    with ReplayServer(stream.body, seed=len(name) + 1, max_chunk=48) as server:
        got, error = acollect(sdk_astream(server, flavor))
    check_replay(stream, flavor, got, error)
    check_request(server, flavor)


ANTHROPIC_STREAMS = sorted(name for name, stream in STREAMS.items() if stream.provider == "anthropic")


def anthropic_final(stream: RecordedStream) -> dict[str, Any]:
    """The message the events build: message_start's, with each block's deltas applied and message_delta's."""
    message = dict(stream.events[0]["message"])
    blocks: dict[int, dict[str, Any]] = {}
    for event in stream.events:
        if event["type"] == "content_block_start":
            blocks[event["index"]] = dict(event["content_block"], _json="")
        elif event["type"] == "content_block_delta":
            delta = event["delta"]
            if delta["type"] == "text_delta":
                blocks[event["index"]]["text"] += delta["text"]
            elif delta["type"] == "input_json_delta":
                blocks[event["index"]]["_json"] += delta["partial_json"]
        elif event["type"] == "message_delta":
            message.update(event["delta"])
    for block in blocks.values():
        partial = block.pop("_json")
        if block["type"] == "tool_use":
            block["input"] = json.loads(partial) if partial else {}
    message["content"] = [blocks[index] for index in sorted(blocks)]
    return message


def check_final_message(stream: RecordedStream, final: Any) -> None:
    want = anthropic_final(stream)
    got = final.model_dump(mode="json", exclude_unset=True)
    for key in ("id", "model", "role", "stop_reason", "stop_sequence", "content"):
        assert got[key] == want[key], key
    if "stop_details" in want:
        assert got["stop_details"] == want["stop_details"]


@pytest.mark.parametrize("name", ANTHROPIC_STREAMS)
def test_anthropic_message_stream(name: str) -> None:
    stream = STREAMS[name]
    with (
        ReplayServer(stream.body, seed=7) as server,
        anthropic_client(server) as client,
        client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events,
    ):
        kinds = [event.type for event in events]
        final = events.get_final_message()
    assert "ping" not in kinds
    assert kinds.count("content_block_delta") == sum(e["type"] == "content_block_delta" for e in stream.events)
    check_final_message(stream, final)


@pytest.mark.parametrize("name", ANTHROPIC_STREAMS)
def test_async_anthropic_message_stream(name: str) -> None:
    stream = STREAMS[name]

    async def run(server: ReplayServer) -> Any:
        client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)
        async with client, client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as events:
            async for _ in events:
                pass
            return await events.get_final_message()

    with ReplayServer(stream.body, seed=8) as server:
        final = asyncio.run(run(server))
    check_final_message(stream, final)


# -- the server's options, through the SDKs ----------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["openai", "anthropic", "gemini-api"])
@pytest.mark.parametrize("status", [400, 429, 500])
def test_http_error_reaches_the_sdk(flavor: str, status: int) -> None:
    error = {"error": {"message": "replayed failure", "type": "test_error"}}
    with ReplayServer(status=status, error=error) as server:
        got, raised = collect(sdk_stream(server, flavor))
    assert got == []
    assert len(server.requests) == 1  # max_retries=0 (google-genai does not retry by default)
    if flavor == "gemini-api":
        assert isinstance(raised, genai.errors.ClientError if status < 500 else genai.errors.ServerError)
        assert (raised.code, raised.message) == (status, "replayed failure")
        return
    module = openai if flavor == "openai" else anthropic
    kinds = {400: module.BadRequestError, 429: module.RateLimitError, 500: module.InternalServerError}
    assert isinstance(raised, kinds[status])
    assert raised.status_code == status
    assert "replayed failure" in str(raised)


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.8])
@pytest.mark.parametrize(
    ("name", "flavor"),
    [
        ("openai-chat/plain-text", "openai"),
        ("vercel-ai/openai-custom-tool.1", "openai-responses"),
        ("vercel-ai/anthropic-json-output-format.1", "anthropic"),
        ("vercel-ai/google-vertex-stream-tool-call-arguments-nested.1", "gemini-api"),
    ],
)
def test_dropped_stream_raises_after_the_events_before_it(name: str, flavor: str, fraction: float) -> None:
    stream = STREAMS[name]
    cut = int(len(stream.body) * fraction)
    with ReplayServer(stream.body, stop_after=cut) as server:
        got, error = collect(sdk_stream(server, flavor))
    assert isinstance(error, PEER_CLOSED if flavor == "gemini-api" else httpx2.RemoteProtocolError), repr(error)
    # Exactly the events whose blank line arrived: the one the cut splits is dropped, as SSE says.
    complete = stream.body[:cut].rpartition(b"\n\n")[0] + b"\n\n"
    whole = len(list(sse_payloads(complete)))
    if flavor == "anthropic":
        whole -= complete.count(b"event: ping\n")
    assert [wire(obj, flavor) for obj in got] == expected_objects(stream, flavor)[:whole]


def test_dropped_stream_async() -> None:
    stream = STREAMS["openai-chat/json-object-content"]
    with ReplayServer(stream.body, stop_after=10_000) as server:
        got, error = acollect(sdk_astream(server, "openai"))
    assert isinstance(error, httpx2.RemoteProtocolError), repr(error)
    assert 0 < len(got) < len(stream.events)


def test_responder_routes_by_path_and_sees_the_request() -> None:
    chat, messages = STREAMS["openai-chat/refusal"], STREAMS["vercel-ai/anthropic-text"]
    seen: list[tuple[str, str, Any]] = []

    def respond(method: str, path: str, body: Any) -> bytes:
        seen.append((method, path, body["model"]))
        return chat.body if path.endswith("/chat/completions") else messages.body

    with ReplayServer(respond) as server:
        chunks, error = collect(sdk_stream(server, "openai"))
        assert error is None
        events, error = collect(sdk_stream(server, "anthropic"))
        assert error is None
    assert len(chunks) == len(chat.events)
    assert len(events) == len(messages.events) - 1  # one ping
    assert seen == [("POST", "/v1/chat/completions", "gpt-4o"), ("POST", "/v1/messages", "claude-test")]
    assert [request.json["model"] for request in server.requests] == ["gpt-4o", "claude-test"]


def test_responder_that_raises_gives_500() -> None:
    def respond(method: str, path: str, body: Any) -> bytes:
        raise KeyError("no route")

    with ReplayServer(respond) as server:
        _, error = collect(sdk_stream(server, "openai"))
    assert isinstance(error, openai.InternalServerError)
    assert [type(exc) for exc in server.errors] == [KeyError]


# -- the server on the wire --------------------------------------------------------------------------------------


def raw_exchange(server: ReplayServer, request: bytes) -> tuple[bytes, list[bytes]]:
    """Send ``request`` on a socket; return the response head and its body's chunks, as framed."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    chunks = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n"
            return head, chunks
        chunks.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def test_body_is_cut_at_seeded_random_points() -> None:
    body = STREAMS["openai-chat/tool-strict"].body
    request = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
    cuts = {}
    for seed in (1, 2):
        with ReplayServer(body, seed=seed, max_chunk=9) as server:
            head, first = raw_exchange(server, request)
            _, again = raw_exchange(server, request)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"\r\ncontent-type: text/event-stream\r\n" in head.lower() + b"\r\n"
        assert b"transfer-encoding: chunked" in head.lower()
        for chunks in (first, again):
            assert b"".join(chunks) == body
            assert all(1 <= len(chunk) <= 9 for chunk in chunks)
        assert [len(c) for c in first] != [len(c) for c in again]  # each request has its own cuts
        cuts[seed] = [len(c) for c in first]
        with ReplayServer(body, seed=seed, max_chunk=9) as server:
            _, replayed = raw_exchange(server, request)
        assert [len(c) for c in replayed] == cuts[seed]  # same seed, same request number: same cuts
    assert cuts[1] != cuts[2]


def test_any_method_and_path_is_answered_and_recorded() -> None:
    with ReplayServer(b"data: {}\n\n", headers={"x-replay": "yes"}) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        for method, path, payload in [
            ("GET", "/v1beta/models/m:streamGenerateContent?alt=sse", None),
            ("DELETE", "/anything", None),
            ("PUT", "/v1/x", b'{"a": [1, 2]}'),
            ("PATCH", "/v1/y", b"not json"),
            ("HEAD", "/v1/z", None),
            ("QUERY", "/v1/q", b"[]"),
        ]:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request(method, path, body=payload, headers={"X-Test": method})
            response = conn.getresponse()
            want = b"" if method == "HEAD" else b"data: {}\n\n"
            assert (response.status, response.read()) == (200, want)
            assert response.getheader("content-type") == "text/event-stream"
            assert response.getheader("x-replay") == "yes"
            conn.close()
    requests = server.requests
    assert [(r.method, r.path) for r in requests] == [
        ("GET", "/v1beta/models/m:streamGenerateContent?alt=sse"),
        ("DELETE", "/anything"),
        ("PUT", "/v1/x"),
        ("PATCH", "/v1/y"),
        ("HEAD", "/v1/z"),
        ("QUERY", "/v1/q"),
    ]
    assert [r.headers["x-test"] for r in requests] == ["GET", "DELETE", "PUT", "PATCH", "HEAD", "QUERY"]
    assert [r.json for r in requests] == [None, None, {"a": [1, 2]}, None, None, []]
    assert requests[3].body == b"not json"


def test_error_response_is_json() -> None:
    with ReplayServer(status=429, headers={"retry-after": "0"}) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("POST", "/v1/messages", body=b"{}")
        response = conn.getresponse()
        assert response.status == 429
        assert response.getheader("content-type") == "application/json"
        assert response.getheader("retry-after") == "0"
        assert json.loads(response.read())["error"]["code"] == 429
        conn.close()


def test_lifecycle() -> None:
    server = ReplayServer(b"")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    with server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    with pytest.raises(ValueError, match="max_chunk"):
        ReplayServer(b"", max_chunk=0)
