"""``midstream.web``: partials as SSE events of patches (or snapshots), then ``done`` or ``error``; sync and async,
served by a real WSGI server (wsgiref) and read back as a browser would."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import midstream
import pydantic
import pytest
from _support import patched, split_at
from midstream.web import apatch_events, error_payload, patch_events, sse_event
from pydantic import BaseModel


class Idea(BaseModel):
    title: str
    pitch: str
    votes: int = 0


PITCH = 'A line about it, with "quotes" and\nbreaks, é and 中.'
ANSWER = json.dumps([{"title": f"Idea {n}", "pitch": PITCH, "votes": n} for n in range(6)]).encode()
FINAL = json.loads(ANSWER)


def chunks() -> list[bytes]:
    return split_at(ANSWER, list(range(3, len(ANSWER), 7)))


def parse(raw: bytes) -> list[tuple[str, Any]]:
    """The events of a text/event-stream body, each ``data`` one JSON line (as ``sse_event`` writes them)."""
    events = []
    for block in raw.decode().split("\n\n"):
        if block:
            (event_line, data_line) = block.split("\n")
            assert event_line.startswith("event: ") and data_line.startswith("data: "), block
            events.append((event_line[7:], json.loads(data_line[6:])))
    return events


def test_patch_events_build_every_partial_then_done_carries_the_final_value() -> None:
    partials = list(midstream.stream(list[Idea], chunks()))
    events = parse(b"".join(patch_events(iter(partials), list[Idea])))
    kinds = [kind for kind, _ in events]
    assert kinds == ["patch"] * (len(kinds) - 1) + ["done"]
    dumps = [[idea.model_dump(mode="json") for idea in partial] for partial in partials]
    assert patched(events) == dumps  # one event per partial (each changed something), each applied in turn
    assert events[0][1][0]["path"] == "" and events[-1] == ("done", FINAL)
    ops = [op for kind, batch in events[1:-1] for op in batch]
    assert {op["op"] for op in ops} <= {"append", "add", "replace"} and any(op["op"] == "append" for op in ops)


def test_snapshot_mode_sends_the_whole_json_each_time_and_rfc6902_has_no_append() -> None:
    partials = list(midstream.stream(list[Idea], chunks()))
    snapshots = parse(b"".join(patch_events(partials, list[Idea], mode="snapshots")))
    assert [value for kind, value in snapshots if kind == "snapshot"] == [
        [idea.model_dump(mode="json") for idea in partial] for partial in partials
    ]
    standard = parse(b"".join(patch_events(partials, list[Idea], format="rfc6902")))
    assert all(op["op"] != "append" for kind, batch in standard if kind == "patch" for op in batch)
    assert patched(standard)[-1] == FINAL
    body = b"".join(patch_events(partials, list[Idea]))
    assert len(body) * 3 < len(b"".join(patch_events(partials, list[Idea], mode="snapshots")))


def test_unchanged_partials_send_nothing_and_final_is_asked_for_the_done_value() -> None:
    first = [Idea.model_construct(title="a", pitch=None, votes=0)]
    final = [Idea(title="ab", pitch="c")]
    events = parse(b"".join(patch_events([None, first, first, first], list[Idea], final=lambda: final)))
    assert events == [
        ("patch", [{"op": "replace", "path": "", "value": [{"title": "a", "pitch": None, "votes": 0}]}]),
        ("done", [{"title": "ab", "pitch": "c", "votes": 0}]),
    ]


def _failing(error: Exception) -> Iterator[Any]:
    yield [Idea.model_construct(title="a", pitch=None, votes=0)]
    raise error


def _validation_error() -> pydantic.ValidationError:
    try:
        Idea.model_validate({"title": "x"})
    except pydantic.ValidationError as error:
        return error
    raise AssertionError("no error")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_validation_error(), "validation"),
        (midstream.IncompleteJSONError("cut", 10, 1, 11), "incomplete"),
        (midstream.JSONError("bad", 3, 1, 4), "json"),
        (ConnectionResetError("peer left"), "provider"),
    ],
)
def test_an_error_of_the_source_is_the_last_event(error: Exception, kind: str) -> None:
    events = parse(b"".join(patch_events(_failing(error), list[Idea])))
    assert [name for name, _ in events] == ["patch", "error"]
    assert events[-1][1] == error_payload(error) and events[-1][1]["type"] == kind
    assert str(error).split("\n")[0] in events[-1][1]["message"]


def test_a_real_stream_cut_short_ends_with_an_incomplete_error() -> None:
    events = parse(b"".join(patch_events(midstream.stream(list[Idea], [ANSWER[:40]]), list[Idea])))
    assert [name for name, _ in events][-1] == "error" and events[-1][1]["type"] == "incomplete"
    assert patched(events)[-1] == [
        {"title": "Idea 0", "pitch": PITCH[: len(ANSWER[:40]) - ANSWER.index(b"A line")], "votes": 0}
    ]


def test_bad_mode_or_format_is_refused_before_anything_is_read() -> None:
    read = []

    def source() -> Iterator[Any]:
        read.append(1)
        yield None

    with pytest.raises(ValueError, match="mode"):
        patch_events(source(), list[Idea], mode="diffs")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="format"):
        apatch_events(_aiter([]), list[Idea], format="jsonpatch")  # type: ignore[arg-type]
    assert read == []


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        await asyncio.sleep(0)
        yield item


def test_async_events_equal_sync_events_and_await_final() -> None:
    partials = list(midstream.stream(list[Idea], chunks()))

    async def final() -> Any:
        return partials[-1]

    async def collect() -> bytes:
        return b"".join([event async for event in apatch_events(_aiter(partials), list[Idea], final=final)])

    assert asyncio.run(collect()) == b"".join(patch_events(partials, list[Idea]))


def test_sse_event_is_one_data_line_of_compact_json() -> None:
    assert sse_event({"a": "x\ny\r\u2028é"}, "patch") == 'event: patch\ndata: {"a":"x\\ny\\r\u2028é"}\n\n'.encode()
    assert sse_event([1]) == b"data: [1]\n\n"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_served_by_a_wsgi_server() -> None:
    """Any WSGI server: the iterator is the response body, read here over HTTP as it arrives."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
        return patch_events(midstream.stream(list[Idea], chunks()), list[Idea])

    server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.getheader("content-type") == "text/event-stream"
        events = parse(response.read())
    finally:
        thread.join(10)
        server.server_close()
    assert patched(events)[-1] == FINAL and events[-1] == ("done", FINAL)


def test_exclude_unset_events_leave_out_fields_not_seen_and_defaults_not_sent() -> None:
    text = json.dumps([{"title": "t", "pitch": "p"}]).encode()
    partials = list(midstream.stream(list[Idea], split_at(text, list(range(1, len(text))))))
    events = parse(b"".join(patch_events(partials, list[Idea], exclude_unset=True)))
    assert events[0] == ("patch", [{"op": "replace", "path": "", "value": []}])
    assert all(None not in doc[0].values() for doc in patched(events) if doc)  # never a null placeholder
    assert events[-1] == ("done", [{"title": "t", "pitch": "p"}])  # votes: a default, not in the answer
