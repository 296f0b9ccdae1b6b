"""The FastAPI SSE example (``examples/fastapi_sse``) end to end: the real ``openai.AsyncOpenAI`` client against a
paced ``ReplayServer``, the app under uvicorn on a loopback port, read by a raw HTTP client and by headless
Chromium running the example's page.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import importlib.util
import json
import logging
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support import patched
from midstream.testing import ReplayServer, chat_stream

openai = pytest.importorskip("openai")
pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fastapi_sse"


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("fastapi_sse_app", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


example = load_example()

IDEAS = [
    {"title": "Solar kettle", "pitch": "Boils water with a mirror dish."},
    {"title": "Seed library", "pitch": "Lend seeds, return seeds from the harvest."},
    {"title": "Repair cafe", "pitch": "Neighbours fix each other's things."},
    {"title": "Tool share", "pitch": "One drill per street is plenty."},
]


# -- the upstream: an OpenAI chat stream, one SSE event every few milliseconds -------------------------------------


def openai_body(answer: Any, *, finish: str = "stop", cut: int | None = None) -> bytes:
    """``answer`` streamed as Chat Completions chunks of 1 to 6 characters of JSON content."""
    return chat_stream(json.dumps(answer)[:cut], finish=finish, model="gpt-4o-mini")


class PacedServer(ReplayServer):
    """Writes one SSE event at a time, ``delay`` seconds apart, and records whether each body was written to the
    end (the base server swallows the broken pipe of a client that hangs up)."""

    def __init__(self, *args: Any, delay: float = 0.005, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay
        self.completed: dict[int, bool] = {}
        self._ends: dict[int, threading.Event] = {}
        self._ends_lock = threading.Lock()

    def end_of(self, number: int) -> threading.Event:
        """Set once the server stopped writing the body of request ``number``: at its end, or on a hang-up."""
        with self._ends_lock:
            return self._ends.setdefault(number, threading.Event())

    def _pieces(self, body: bytes, number: int) -> Iterator[bytes]:
        self.completed[number] = False
        try:
            for event in body.split(b"\n\n")[:-1]:
                time.sleep(self.delay)
                yield event + b"\n\n"
            self.completed[number] = True
        finally:
            self.end_of(number).set()


@contextlib.contextmanager
def example_app(
    body: bytes, *, throttle: float = 0.0, delay: float = 0.005, **upstream_options: Any
) -> Iterator[tuple[Any, PacedServer]]:
    """The example app, its upstream the real ``openai.AsyncOpenAI`` client on a running ``PacedServer``."""
    with PacedServer(body, delay=delay, **upstream_options) as upstream:
        client = openai.AsyncOpenAI(base_url=upstream.base_url + "/v1", api_key="test", max_retries=0)
        yield example.create_app(client, throttle=throttle, cors_origins=["http://example.test"]), upstream


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` under uvicorn on a loopback port; yields its ``host:port``. On leaving, uvicorn has shut down, so
    every response task has ended and logged what it had to."""
    # log_config=None: uvicorn's loggers propagate to the root logger, where pytest's caplog sees them.
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def running(
    body: bytes, *, throttle: float = 0.0, delay: float = 0.005, **upstream_options: Any
) -> Iterator[tuple[str, PacedServer]]:
    """The upstream server and the example app under uvicorn; yields the app's ``host:port`` and the upstream."""
    with (
        example_app(body, throttle=throttle, delay=delay, **upstream_options) as (app, upstream),
        serving(app) as address,
    ):
        yield address, upstream


def post(
    address: str, body: Any, headers: dict[str, str] | None = None, path: str = "/ideas"
) -> http.client.HTTPResponse:
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("POST", path, json.dumps(body), {"content-type": "application/json", **(headers or {})})
    return connection.getresponse()


def read_events(response: http.client.HTTPResponse, limit: int | None = None) -> list[tuple[str, Any]]:
    """``(event, parsed data)`` for each SSE event, read as it arrives (at most ``limit`` of them)."""
    events: list[tuple[str, Any]] = []
    event, data = "message", []
    while limit is None or len(events) < limit:
        line = response.readline()
        if not line:
            break
        line = line.rstrip(b"\r\n")
        if not line:
            if data:
                events.append((event, json.loads(b"\n".join(data))))
            event, data = "message", []
            continue
        field, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        if field == b"data":
            data.append(value)
        elif field == b"event":
            event = value.decode()
    return events


def is_prefix_of(partial: list[dict[str, Any]], final: list[dict[str, Any]]) -> bool:
    """Every idea of ``partial`` agrees with ``final`` so far: finished ones equal, the last one's strings prefixes."""
    if len(partial) > len(final):
        return False
    for seen, full in zip(partial, final, strict=False):
        for key, value in seen.items():
            if value is not None and not full[key].startswith(value):
                return False
    return all(seen == full for seen, full in zip(partial[:-1], final, strict=False))


# -- the tests ------------------------------------------------------------------------------------------------------


def test_partials_grow_then_done_carries_the_validated_list() -> None:
    with running(openai_body({"items": IDEAS})) as (address, upstream):
        response = post(address, {"topic": "small towns", "count": 4})
        assert response.status == 200
        assert response.getheader("content-type", "").startswith("text/event-stream")
        assert response.getheader("cache-control") == "no-cache"
        assert response.getheader("x-accel-buffering") == "no"
        events = read_events(response)

    data = patched(events)
    assert [kind for kind, _ in events] == ["patch"] * len(data) + ["done"]
    assert len(data) > 20  # not throttled: one event per change
    # The first batch sets the whole list; after it, strings grow by appends, items are added, and an idea is sent
    # whole again only where that is fewer bytes than its operations: the whole list never again.
    first, *rest = [value for kind, value in events if kind == "patch"]
    assert [op["op"] for op in first] == ["replace"] and first[0]["path"] == ""
    assert {op["op"] for batch in rest for op in batch} <= {"append", "add", "replace"}
    assert all(op["path"] != "" for batch in rest for op in batch)
    assert [len(ideas) for ideas in data] == sorted(len(ideas) for ideas in data)
    assert all(is_prefix_of(ideas, IDEAS) for ideas in data)
    assert data[-1] == IDEAS
    assert events[-1] == ("done", IDEAS)

    request = upstream.requests[0].json
    assert request["stream"] is True and request["model"] == "gpt-4o-mini"
    assert "exactly 4 ideas about: small towns" in request["messages"][-1]["content"]
    assert upstream.completed == {0: True}


def test_snapshots_mode_sends_the_same_lists_whole_in_more_bytes() -> None:
    """``?mode=snapshots``: partial lists sent whole, each a prefix of the final; more bytes per event than patches
    (how many partials a run sees depends on how the upstream's chunks arrive, so per event)."""
    sizes = {}
    seen = {}
    for mode in ("patches", "snapshots"):
        with running(openai_body({"items": IDEAS})) as (address, _):
            response = post(address, {"topic": "small towns", "count": 4}, path=f"/ideas?mode={mode}")
            raw = response.read()
        sizes[mode] = len(raw)
        lines = raw.decode().split("\n\n")
        events = [(block.split("\n")[0][7:], json.loads(block.split("\n")[1][6:])) for block in lines if block]
        seen[mode] = events
    snapshots = [value for kind, value in seen["snapshots"] if kind == "snapshot"]
    assert [kind for kind, _ in seen["snapshots"]] == ["snapshot"] * len(snapshots) + ["done"]
    assert len(snapshots) > 20 and all(is_prefix_of(ideas, IDEAS) for ideas in snapshots)
    assert snapshots[-1] == patched(seen["patches"])[-1] == IDEAS
    assert seen["snapshots"][-1] == seen["patches"][-1] == ("done", IDEAS)
    per_event = {mode: sizes[mode] / len(seen[mode]) for mode in sizes}
    assert per_event["patches"] * 2 < per_event["snapshots"], (sizes, per_event)


def test_invalid_body_is_422_and_no_request_goes_upstream() -> None:
    with running(openai_body({"items": IDEAS})) as (address, upstream):
        for body in ({"topic": "x", "count": 0}, {"topic": "x", "count": 21}, {"count": 3}, {"topic": ""}):
            response = post(address, body)
            assert response.status == 422, body
            assert response.getheader("content-type") == "application/json"
            response.read()
        assert upstream.requests == []


def test_cors_preflight_allows_the_configured_origin_only() -> None:
    with running(openai_body({"items": IDEAS})) as (address, _):
        host, port = address.split(":")
        for origin, allowed in (("http://example.test", True), ("http://evil.test", False)):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            headers = {"origin": origin, "access-control-request-method": "POST"}
            connection.request("OPTIONS", "/ideas", headers=headers)
            response = connection.getresponse()
            response.read()
            assert (response.getheader("access-control-allow-origin") == origin) is allowed


def test_throttled_stream_sends_fewer_partials_and_always_the_last() -> None:
    body = openai_body({"items": IDEAS})
    partials = body.count(b'"content"') - 1  # an upper bound on the partials: one per content chunk
    with running(body, throttle=0.1) as (address, _):
        events = read_events(post(address, {"topic": "small towns", "count": 4}))

    data = patched(events)
    # The upstream takes ~0.6 s: about six partials at 0.1 s, against one per chunk (~80) unthrottled.
    assert 2 <= len(data) <= 15 < partials
    assert all(is_prefix_of(ideas, IDEAS) for ideas in data)
    assert data[-1] == IDEAS
    assert events[-1] == ("done", IDEAS)


def test_client_disconnect_stops_the_upstream_request() -> None:
    with running(openai_body({"items": IDEAS}), delay=0.01) as (address, upstream):
        response = post(address, {"topic": "small towns", "count": 4})
        assert len(read_events(response, limit=2)) == 2
        response.close()  # hang up after two events
        assert upstream.end_of(0).wait(5)
        assert upstream.completed == {0: False}  # the app closed its upstream request before the end


def hang_up_after(address: str, events: int) -> None:
    """POST /ideas on a raw socket, read until ``events`` SSE events arrived, then close the socket mid-stream, as
    ``curl -m`` or a closed tab does: uvicorn sees the connection drop and Starlette cancels the response task."""
    host, port = address.split(":")
    payload = json.dumps({"topic": "small towns", "count": 4}).encode()
    head = (
        f"POST /ideas HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as client:
        client.sendall(head.encode() + payload)
        received = b""
        while received.count(b"data: ") < events:
            piece = client.recv(1 << 16)
            assert piece, f"the response ended after {received!r}"
            received += piece


def logged_problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every warning, error or traceback logged (uvicorn's loggers, asyncio's, the app's)."""
    return [caplog.handler.format(record) for record in caplog.records if record.levelno >= logging.WARNING]


THROTTLES = [pytest.param(0.0, id="unthrottled"), pytest.param(0.05, id="throttled")]


@pytest.mark.parametrize("throttle", THROTTLES)
def test_hang_ups_mid_stream_close_the_upstream_and_log_nothing(
    throttle: float, caplog: pytest.LogCaptureFixture
) -> None:
    hang_ups = 6  # closing used to fail on about 3 hang-ups in 4: six leave luck no room
    # 90 events 20 ms apart: the upstream body takes ~1.8 s, the hang-ups come after two events (~50 ms).
    with running(openai_body({"items": IDEAS}), throttle=throttle, delay=0.02) as (address, upstream):
        for number in range(hang_ups):
            hang_up_after(address, events=2)
            assert upstream.end_of(number).wait(10), f"hang-up {number}: the upstream body never ended"
            assert upstream.completed[number] is False, f"hang-up {number}: the upstream was read to its end"
    assert logged_problems(caplog) == []


class DisconnectingClient:
    """The server side of one ``POST /ideas`` through the ASGI interface, with a client that leaves after ``events``
    SSE events. It speaks ASGI spec 2.4, so Starlette does not listen for the disconnect itself (which would cancel
    the response task): only the app's ``request.is_disconnected()`` can notice that the client left."""

    def __init__(self, body: Any, events: int) -> None:
        self.payload = json.dumps(body).encode()
        self.events = events
        self.request_read = False
        self.left = False
        self.sent_after_leaving: list[dict[str, Any]] = []

    def scope(self) -> dict[str, Any]:
        headers = [(b"host", b"test"), (b"content-type", b"application/json")]
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/ideas",
            "raw_path": b"/ideas",
            "query_string": b"",
            "root_path": "",
            "headers": [*headers, (b"content-length", str(len(self.payload)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }

    async def receive(self) -> dict[str, Any]:
        if not self.request_read:
            self.request_read = True
            return {"type": "http.request", "body": self.payload, "more_body": False}
        if self.left:
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()  # nothing to say yet; is_disconnected() cancels this wait at once
        raise AssertionError("unreachable")

    async def send(self, message: dict[str, Any]) -> None:
        if self.left:
            self.sent_after_leaving.append(message)
        elif message["type"] == "http.response.body" and message["body"].count(b"data: "):
            self.events -= message["body"].count(b"data: ")
            self.left = self.events <= 0

    async def run(self, app: Any) -> None:
        await app(self.scope(), self.receive, self.send)


@pytest.mark.parametrize("throttle", THROTTLES)
def test_a_client_that_left_is_noticed_by_is_disconnected_and_the_upstream_closes(
    throttle: float, caplog: pytest.LogCaptureFixture
) -> None:
    with example_app(openai_body({"items": IDEAS}), throttle=throttle, delay=0.02) as (app, upstream):
        client = DisconnectingClient({"topic": "small towns", "count": 4}, events=2)
        asyncio.run(client.run(app))
        assert client.left
        assert upstream.end_of(0).wait(10), "the upstream body never ended"
        assert upstream.completed == {0: False}  # the app closed its upstream request before the end
    # Nothing after the client left but the end of the response body: the app stopped at the next partial.
    assert client.sent_after_leaving == [{"type": "http.response.body", "body": b"", "more_body": False}]
    assert logged_problems(caplog) == []


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (openai_body({"items": IDEAS}, finish="length", cut=120), "incomplete"),
        (openai_body({"items": [{"title": "no pitch"}]}), "validation"),
    ],
)
def test_errors_are_sent_as_error_events(body: bytes, kind: str) -> None:
    with running(body, delay=0.001) as (address, _):
        events = read_events(post(address, {"topic": "small towns", "count": 4}))
    assert events[-1][0] == "error"
    assert events[-1][1]["type"] == kind
    assert all(name == "patch" for name, _ in events[:-1])


def test_provider_error_is_sent_as_an_error_event() -> None:
    with running(b"", status=500) as (address, upstream):
        response = post(address, {"topic": "small towns", "count": 4})
        assert response.status == 200
        events = read_events(response)
    assert len(upstream.requests) == 1
    assert [kind for kind, _ in events] == ["error"]
    assert events[0][1]["type"] == "provider"
    assert "500" in events[0][1]["message"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class DevTools:
    """Headless Chromium driven over ``--remote-debugging-pipe`` (the DevTools protocol as NUL-separated JSON on
    file descriptors 3 and 4 of the browser): no websocket client or browser driver needed."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        def wire() -> None:  # in the child, before exec: its fd 3 reads our commands, fd 4 writes its answers
            a, b = os.dup(to_browser), os.dup(from_browser)
            os.dup2(a, 3)
            os.dup2(b, 4)

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        self.process = subprocess.Popen(
            [binary, *flags, f"--user-data-dir={profile}", "--remote-debugging-pipe", "--window-size=900,700"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4),
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._id = 0

    def call(self, method: str, session: str | None = None, timeout: float = 10, **params: Any) -> Any:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self._id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer["result"]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._read], [], [], remaining)[0]:
                raise TimeoutError(method)
            data = os.read(self._read, 1 << 16)
            if not data:
                raise RuntimeError("the browser closed the pipe")
            self._buffer += data

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Browser.close", timeout=2)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    binary = chromium()
    if binary is None:
        # .ci/run installs it: in CI a missing browser is a failure, not a skip.
        assert not os.environ.get("CI"), "no chromium binary: .ci/run should have installed it"
        pytest.skip("no chromium binary (apt-get install -y chromium)")
    devtools = DevTools(binary, tmp_path / "profile")
    try:
        yield devtools
    finally:
        devtools.close()


def open_page(browser: DevTools, url: str) -> str:
    """A new tab that has loaded ``url``; returns its DevTools session."""
    target = browser.call("Target.createTarget", url="about:blank", timeout=30)["targetId"]
    session: str = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    browser.call("Page.enable", session)
    browser.call("Page.navigate", session, url=url)
    loaded = f'JSON.stringify(location.href === {json.dumps(url)} && document.readyState === "complete")'
    deadline = time.monotonic() + 15
    while not evaluate(browser, session, loaded):
        assert time.monotonic() < deadline, f"{url} did not load"
        time.sleep(0.02)
    return session


def evaluate(browser: DevTools, session: str, script: str) -> Any:
    """The value of a JavaScript expression in the page, which must give a JSON string."""
    answer = browser.call("Runtime.evaluate", session, expression=script)
    assert "exceptionDetails" not in answer, answer["exceptionDetails"]
    return json.loads(answer["result"]["value"])


PAGE_STATE = """JSON.stringify({
    status: document.getElementById("status")?.textContent ?? "",
    ideas: [...document.querySelectorAll("#ideas li")].map((li) => ({
        title: li.querySelector(".title").textContent, pitch: li.querySelector(".pitch").textContent,
    })),
})"""

#: What the page says it received, and how many text nodes its strings were built of (an ``append`` adds one).
WIRE = """JSON.stringify({
    bytes: Number(document.getElementById("wire").dataset.bytes ?? "0"),
    text: document.getElementById("wire").textContent,
    pieces: [...document.querySelectorAll("#ideas span")].map((span) => span.childNodes.length),
})"""


def artifacts(tmp_path: Path) -> Path:
    """Where a test keeps what a person may want to look at (``MIDSTREAM_ARTIFACTS``, which CI sets; else tmp)."""
    folder = Path(os.environ.get("MIDSTREAM_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


NOTICE = """JSON.stringify({
    shown: document.getElementById("notice").checkVisibility(),
    text: document.getElementById("notice").textContent,
})"""


def watch_until_settled(browser: DevTools, session: str) -> list[dict[str, Any]]:
    """Each distinct state of the page (status line and ideas) until it says ``done`` or an error."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = evaluate(browser, session, PAGE_STATE)
        if not seen or state != seen[-1]:
            seen.append(state)
        if state["status"] == "done" or state["status"].startswith("error"):
            break
        time.sleep(0.02)
    return seen


@pytest.mark.parametrize("mode", ["patches", "snapshots"])
def test_the_page_renders_the_ideas_in_headless_chromium(browser: DevTools, tmp_path: Path, mode: str) -> None:
    """The page applies the patches with midstream.js (or, ``?mode=snapshots``, renders whole lists): the list
    grows in view and ends as the validated list; in patch mode a growing string is appended to (its node holds one
    text node per ``append``), in snapshot mode it is set whole; the page shows the bytes it received."""
    with running(openai_body({"items": IDEAS}), throttle=0.05) as (address, _):
        session = open_page(browser, f"http://{address}/?topic=small%20towns&count=4&auto=1&mode={mode}")
        seen = watch_until_settled(browser, session)
        notice = evaluate(browser, session, NOTICE)
        wire = evaluate(browser, session, WIRE)
        shot = browser.call("Page.captureScreenshot", session, format="png")["data"]
        screenshot = artifacts(tmp_path) / f"fastapi-sse-{mode}.png"
        screenshot.write_bytes(base64.b64decode(shot))

    assert seen[-1] == {"status": "done", "ideas": IDEAS}, seen[-1]
    # The page showed the list while it grew, not only at the end.
    assert any(state["status"] == "streaming…" and len(state["ideas"]) > 0 for state in seen), seen
    assert notice == {"shown": False, "text": ""}  # no notice unless the app is given one
    assert screenshot.stat().st_size > 1000
    assert wire["bytes"] > 100 and f"{wire['bytes']:,} bytes received" in wire["text"] and mode in wire["text"]
    if mode == "patches":
        assert max(wire["pieces"]) > 1, wire  # some string was appended to rather than set again
    else:
        assert max(wire["pieces"]) == 1, wire  # "done" sets every string whole


def test_patches_take_fewer_bytes_than_snapshots_in_the_page(browser: DevTools) -> None:
    """The bytes the page counts, same answer and cadence (every change sent): patches well under snapshots."""
    received = {}
    for mode in ("patches", "snapshots"):
        with running(openai_body({"items": IDEAS})) as (address, _):
            session = open_page(browser, f"http://{address}/?topic=small%20towns&count=4&auto=1&mode={mode}")
            assert watch_until_settled(browser, session)[-1]["status"] == "done"
            received[mode] = evaluate(browser, session, WIRE)["bytes"]
    assert received["patches"] * 2 < received["snapshots"], received


def test_the_demo_page_says_it_is_a_replay_and_answers_what_was_typed(browser: DevTools) -> None:
    """The page of ``midstream demo --web``: its notice, and the Topic and Count typed into the form reach the
    replayed answer."""
    from midstream import demo_web

    with demo_web.replay_server(pace=0.0005) as upstream, serving(demo_web.replay_app(example, upstream)) as address:
        session = open_page(browser, f"http://{address}/")
        notice = evaluate(browser, session, NOTICE)
        typed = """(() => {
            document.getElementById("topic").value = "rain gardens";
            document.getElementById("count").value = "2";
            document.getElementById("go").click();
            return "true";
        })()"""
        evaluate(browser, session, typed)
        seen = watch_until_settled(browser, session)

    assert notice == {"shown": True, "text": demo_web.REPLAY_NOTICE}
    assert seen[-1] == {"status": "done", "ideas": demo_web.generated_ideas("rain gardens", 2)}, seen[-1]
    assert all("rain gardens" in idea["pitch"] for idea in seen[-1]["ideas"])
