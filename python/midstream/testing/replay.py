"""Replay recorded provider streams over a real loopback HTTP server, cut at random points.

Official SDKs talk to a real socket, so a test can point them at a :class:`ReplayServer` and check what they
make of a recorded stream, framed as the provider frames it::

    streams = recorded_streams(Path("tests/data/streams"))
    with ReplayServer(streams["openai-chat/plain-text"].body, seed=1) as server:
        client = openai.OpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0)
        chunks = list(client.chat.completions.create(model="gpt-4o", messages=[], stream=True))
    server.requests[0].path    # '/v1/chat/completions'

Standard library only.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, cast

from midstream import sse
from midstream.providers.registry import guess_provider

__all__ = [
    "Provider",
    "RecordedRequest",
    "RecordedStream",
    "ReplayServer",
    "Responder",
    "chat_stream",
    "recorded_streams",
    "sse_body",
    "sse_payloads",
]

#: The wire protocol a stream speaks: ``"openai"`` is Chat Completions (and the OpenAI-compatible APIs of
#: Mistral, Groq, xAI and DeepSeek), ``"openai-responses"`` the OpenAI Responses API, ``"anthropic"`` the
#: Messages API, ``"gemini"`` Google's ``streamGenerateContent?alt=sse`` (Gemini API and Vertex AI alike).
Provider = Literal["openai", "openai-responses", "anthropic", "gemini"]

#: Providers whose streams end with ``data: [DONE]``: Chat Completions and every OpenAI-compatible chat API
#: recorded here (Mistral, Groq, xAI and DeepSeek all send it). The Responses API, Anthropic and Gemini end
#: with their last event (``response.completed``/``response.failed``, ``message_stop``, the last chunk).
_SENDS_DONE: frozenset[Provider] = frozenset({"openai"})
#: Providers that name each event on the wire (``event: <type>`` before ``data:``), with the payload's ``type``.
_NAMES_EVENTS: frozenset[Provider] = frozenset({"openai-responses", "anthropic"})


@dataclass(frozen=True)
class RecordedStream:
    """One recorded provider stream, framed as the provider sends it (``.jsonl`` recordings are re-framed)."""

    #: ``"<folder>/<file stem>"``, e.g. ``"openai-chat/plain-text"``, ``"vercel-ai/anthropic-text"``.
    name: str
    provider: Provider
    #: The exact SSE bytes to serve (``data: [DONE]`` included where the provider sends it).
    body: bytes
    #: Each event's data (the text after ``data: ``), in order, without the final ``[DONE]``.
    payloads: tuple[bytes, ...]
    #: The payloads that parse as JSON objects, in order (the ones in ``malformed`` are left out).
    events: list[dict[str, Any]]
    #: Indices into ``payloads`` of those that are not valid JSON objects (recorded as found: an upstream
    #: fixture that a strict client cannot parse is itself something to test).
    malformed: tuple[int, ...]
    #: The fixture file.
    path: Path

    @property
    def sends_done(self) -> bool:
        """Whether the stream ends with ``data: [DONE]``."""
        return self.provider in _SENDS_DONE


def recorded_streams(root: str | os.PathLike[str]) -> dict[str, RecordedStream]:
    """Every recorded stream under ``root`` (the ``fixtures/streams`` folder), by name, sorted.

    ``*.sse`` files are raw SSE bytes and are served as they are. ``*.jsonl`` files hold one event payload per
    line and are re-framed as the provider frames them (see :func:`sse_body`); their provider is read from the
    payloads themselves (see :func:`_classify`).
    """
    streams: dict[str, RecordedStream] = {}
    for path in sorted(Path(root).glob("*/*")):
        if path.suffix == ".sse":
            body = path.read_bytes()
            payloads = tuple(sse_payloads(body))
        elif path.suffix == ".jsonl":
            payloads = tuple(line for line in path.read_bytes().splitlines() if line.strip())
            body = b""
        else:
            continue
        events, malformed = _parse_payloads(payloads)
        name = f"{path.parent.name}/{path.stem}"
        if not events:
            raise ValueError(f"{path}: no JSON event in the recorded stream")
        provider = _classify(events[0], path)
        if path.suffix == ".jsonl":
            body = sse_body(payloads, provider)
        streams[name] = RecordedStream(name, provider, body, payloads, events, malformed, path)
    return streams


def sse_body(payloads: tuple[bytes, ...] | list[bytes], provider: Provider) -> bytes:
    """Frame event payloads as ``provider`` sends them on the wire.

    Each payload becomes ``data: <payload>\\n\\n``; for the Responses API and Anthropic an ``event: <type>\\n``
    line (the payload's ``type``) comes first; Chat Completions (and its compatibles) end with ``data: [DONE]``.
    """
    parts: list[bytes] = []
    for payload in payloads:
        if provider in _NAMES_EVENTS:
            kind = _event_type(payload)
            if kind is not None:
                parts.append(b"event: " + kind.encode() + b"\n")
        parts.append(b"data: " + payload + b"\n\n")
    if provider in _SENDS_DONE:
        parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def chat_stream(text: str, *, finish: str = "stop", model: str = "replay", seed: int = 0) -> bytes:
    """``text`` as the content of a Chat Completions SSE stream, in token-sized pieces (1 to 6 characters, seeded),
    ending with ``finish`` as the finish reason."""
    base = {"id": "chatcmpl-replay", "object": "chat.completion.chunk", "created": 0, "model": model}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return json.dumps({**base, "choices": [choice]}, ensure_ascii=False).encode()

    rng = random.Random(seed)
    payloads = [chunk({"role": "assistant", "content": ""})]
    position = 0
    while position < len(text):
        size = rng.randint(1, 6)
        payloads.append(chunk({"content": text[position : position + size]}))
        position += size
    payloads.append(chunk({}, finish))
    return sse_body(payloads, "openai")


def sse_payloads(body: bytes) -> Iterator[bytes]:
    """The data of each event in an SSE body (multi-line data joined with ``\\n``), without ``[DONE]``: the body
    decoded by :mod:`midstream.sse`, the package's one SSE reader (an unterminated last block is discarded, as the
    WHATWG standard says)."""
    for event in sse.decode([body]):
        if event.data != "[DONE]":
            yield event.data.encode()


def _parse_payloads(payloads: tuple[bytes, ...]) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    events: list[dict[str, Any]] = []
    malformed: list[int] = []
    for index, payload in enumerate(payloads):
        try:
            event = json.loads(payload)
        except ValueError:
            malformed.append(index)
            continue
        if isinstance(event, dict):
            events.append(event)
        else:
            malformed.append(index)
    return events, tuple(malformed)


def _event_type(payload: bytes) -> str | None:
    """The payload's ``type``, read even from a payload that is not valid JSON (an ``event:`` line is needed)."""
    try:
        event = json.loads(payload)
    except ValueError:
        # A truncated payload still starts with its type: '{"type":"response.created",...'.
        head = payload.split(b",", 1)[0]
        prefix = b'{"type":"'
        if head.startswith(prefix) and head.endswith(b'"'):
            return head[len(prefix) : -1].decode()
        return None
    kind = event.get("type") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) else None


def _classify(first: dict[str, Any], path: Path) -> Provider:
    """The protocol of a stream, from its first JSON event, as the provider layer tells it
    (:func:`midstream.providers.registry.guess_provider`, the package's one provider sniffer)."""
    provider = guess_provider(first)
    if provider is None:
        raise ValueError(f"{path}: cannot tell which provider sent {str(first)[:200]}")
    return cast(Provider, provider)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received."""

    method: str
    #: The request target as sent, query string included: ``/v1beta/models/m:streamGenerateContent?alt=sse``.
    path: str
    #: Header names lower-cased (a repeated header keeps its last value).
    headers: dict[str, str]
    body: bytes
    #: The body parsed as JSON, or ``None`` when it is empty or not JSON.
    json: Any = field(default=None)


#: Makes the body to stream for one request: ``(method, path, request_json) -> bytes``.
Responder = Callable[[str, str, Any], bytes]


class ReplayServer:
    """A threaded HTTP server on ``127.0.0.1`` that answers every request with a streamed body.

    Any method and path get ``200``, ``content-type: text/event-stream`` and the body in chunked transfer
    encoding (``HEAD``: the headers only), cut into pieces of ``1..max_chunk`` bytes (``random.Random``; request
    ``n`` uses a generator seeded from ``(seed, n)``), each written and flushed on its own with Nagle off, so the
    client sees arbitrary splits. Then the connection closes.

    - ``body``: the bytes, or a :data:`Responder` called for each request.
    - ``stop_after=k``: close the connection after ``k`` body bytes, without ending the chunked body (a dropped
      stream: the client sees an incomplete read).
    - ``status``/``error``: answer with that status and ``error`` (default ``{"error": {...}}``) as a JSON body
      instead of streaming (``status=200`` with ``error`` set also sends the JSON).
    - ``headers``: extra response headers (e.g. ``{"retry-after": "0"}``).

    Use it as a context manager (or ``start()``/``close()``); ``base_url`` is ``http://127.0.0.1:<port>``, and
    ``requests`` lists what was received. A responder that raises is answered with 500 and the exception is kept
    in ``errors``; ``disconnects`` counts the streams the client closed before their end (a closed stream).
    """

    def __init__(
        self,
        body: bytes | Responder = b"",
        *,
        seed: int = 0,
        max_chunk: int = 64,
        stop_after: int | None = None,
        status: int = 200,
        error: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str = "text/event-stream",
        pace: float = 0.0,
    ) -> None:
        if max_chunk < 1:
            raise ValueError("max_chunk must be at least 1")
        if stop_after is not None and stop_after < 0:
            raise ValueError("stop_after must not be negative")
        self.body = body
        self.seed = seed
        self.max_chunk = max_chunk
        self.stop_after = stop_after
        self.status = status
        self.error = error
        self.headers = dict(headers or {})
        self.content_type = content_type
        self.pace = pace  # seconds to wait before each piece, so a stream takes time as a model's does
        self.errors: list[BaseException] = []
        self.disconnects = 0
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("the server is not running: use it in a with block or call start()")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def start(self) -> ReplayServer:
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.replay = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self._requests.append(request)
            return len(self._requests) - 1

    def _body_for(self, request: RecordedRequest) -> bytes:
        if callable(self.body):
            return self.body(request.method, request.path, request.json)
        return self.body

    def _pieces(self, body: bytes, number: int) -> Iterator[bytes]:
        """``body`` (cut at ``stop_after``) in random pieces of ``1..max_chunk`` bytes."""
        rng = random.Random(f"{self.seed}/{number}")
        end = len(body) if self.stop_after is None else min(self.stop_after, len(body))
        position = 0
        while position < end:
            size = rng.randint(1, self.max_chunk)
            if self.pace:
                time.sleep(self.pace)
            yield body[position : min(position + size, end)]
            position += size


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    replay: ReplayServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked transfer encoding needs HTTP/1.1

    def _serve(self) -> None:
        replay = cast(_HTTPServer, self.server).replay
        self.close_connection = True
        request = self._read_request()
        number = replay._record(request)
        if replay.error is not None or replay.status != 200:
            self._send_json(replay.status, replay.error or _default_error(replay.status), replay.headers)
            return
        try:
            body = replay._body_for(request)
        except Exception as exc:
            with replay._lock:
                replay.errors.append(exc)
            self._send_json(500, {"error": {"message": f"responder raised {exc!r}", "type": "server_error"}}, {})
            return
        self.send_response(200)
        self.send_header("content-type", replay.content_type)
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("connection", "close")
        for name, value in replay.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()
        if self.command == "HEAD":
            return
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for piece in replay._pieces(body, number):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            if replay.stop_after is None or replay.stop_after >= len(body):
                self.wfile.write(b"0\r\n\r\n")  # else a dropped stream: the connection closes mid-body
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            with replay._lock:  # the client stopped reading (it may close a stream early): counted, nothing to do
                replay.disconnects += 1

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler dispatches method X to do_X: every method gets the same answer.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _read_request(self) -> RecordedRequest:
        headers = {name.lower(): value for name, value in self.headers.items()}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        else:
            raw = self.rfile.read(int(headers.get("content-length") or 0))
        parsed: Any = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        return RecordedRequest(self.command, self.path, headers, raw, parsed)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _send_json(self, status: int, payload: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests assert on server.requests instead


def _default_error(status: int) -> dict[str, Any]:
    return {"error": {"message": f"replayed HTTP {status}", "type": "replay_error", "code": status}}
