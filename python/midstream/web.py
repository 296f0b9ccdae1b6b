"""Partials to a browser over Server-Sent Events: each update a batch of patches, then the final value or an error.

``patch_events`` (sync, for WSGI servers and plain generators) and ``apatch_events`` (async, for ASGI servers)
turn a stream of partials into the bytes of a ``text/event-stream`` response::

    @app.post("/plan")
    async def plan(request: Request) -> StreamingResponse:
        partials = midstream.throttle(client.responses.stream(..., response_model=Plan), 0.1)
        return StreamingResponse(apatch_events(partials, Plan), media_type="text/event-stream")

The events, each ``data`` one line of compact JSON:

- ``event: patch``: the operations (``midstream.patch``) from the JSON the client holds to the partial's JSON
  (``PartialPatches``). The first batch of a response replaces the whole document (``""``), so a client that
  reconnects starts again from ``null`` and needs nothing else; then only what changed crosses the wire.
- ``event: snapshot`` instead, with ``mode="snapshots"``: the whole partial's JSON each time (to compare).
- ``event: done``: the validated final value's JSON: the last partial of the source, or what ``final`` returns.
- ``event: error``: ``{"type": ..., "message": ...}`` when the source raises, after which the stream ends. ``type``
  is ``"validation"`` (a ``pydantic.ValidationError``), ``"incomplete"`` (the answer was cut short),
  ``"json"`` (it is not JSON), ``"refusal"`` or ``"provider"`` (anything else the source raised).

Throttle with ``midstream.throttle`` (sync or async): partials dropped in between cost nothing, their changes go in
the next batch. ``midstream/static/midstream.js`` reads these events in a browser (``sseEvents``, ``applyPatch``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Literal, TypeAlias

import pydantic

from midstream._errors import IncompleteJSONError, JSONError, RefusalError
from midstream.patch import Format, compact_json
from midstream.pydantic import PartialPatches

__all__ = ["Mode", "apatch_events", "error_payload", "patch_events", "sse_event"]

#: ``"patches"``: ``event: patch`` batches; ``"snapshots"``: ``event: snapshot`` with the whole JSON each time.
Mode: TypeAlias = Literal["patches", "snapshots"]

logger = logging.getLogger("midstream.web")


def sse_event(data: Any, event: str | None = None) -> bytes:
    """One SSE event: an optional ``event:`` line, ``data`` as compact JSON on one ``data:`` line, a blank line.

    JSON never holds a raw line break (it escapes them), so one ``data:`` line always carries it."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: ".encode() + compact_json(data) + b"\n\n"


def error_payload(error: BaseException) -> dict[str, str]:
    """What ``event: error`` carries for an exception: its kind for the page, and a message."""
    if isinstance(error, pydantic.ValidationError):
        return {"type": "validation", "message": f"the answer is invalid: {error}"}
    if isinstance(error, IncompleteJSONError):
        return {"type": "incomplete", "message": f"the answer was cut short: {error}"}
    if isinstance(error, JSONError):
        return {"type": "json", "message": f"the answer is not JSON: {error}"}
    if isinstance(error, RefusalError):
        return {"type": "refusal", "message": f"the model refused: {error}"}
    return {"type": "provider", "message": f"{type(error).__name__}: {error}"}


class _Events:
    """What the sync and async helpers share: the events of each partial, and of the end."""

    def __init__(self, tp: Any, mode: Mode, format: Format, exclude_unset: bool) -> None:
        if mode not in ("patches", "snapshots"):
            raise ValueError(f"mode must be 'patches' or 'snapshots', not {mode!r}")
        if format not in ("midstream", "rfc6902"):
            raise ValueError(f"format must be 'midstream' or 'rfc6902', not {format!r}")
        self.mode, self.format = mode, format
        self.patches = PartialPatches(tp, exclude_unset=exclude_unset)
        self.dump = self.patches.dump
        self.last: Any = None

    def partial(self, partial: Any) -> bytes | None:
        self.last = partial
        if self.mode == "snapshots":
            return None if partial is None else sse_event(self.dump(partial), "snapshot")
        ops = self.patches.update(partial, self.format)
        return sse_event(ops, "patch") if ops else None

    def done(self, final: Any) -> bytes:
        return sse_event(self.dump(final), "done")

    def error(self, error: Exception) -> bytes:
        logger.info("stream of partials failed: %s: %s", type(error).__name__, error)
        return sse_event(error_payload(error), "error")


def patch_events(
    partials: Iterable[Any],
    tp: Any,
    *,
    mode: Mode = "patches",
    format: Format = "midstream",
    final: Callable[[], Any] | None = None,
    exclude_unset: bool = False,
) -> Iterator[bytes]:
    """The SSE events of ``partials`` (values of ``tp``, ``None`` before the root begins): a ``patch`` event per
    partial that changed the JSON, then ``done`` (the last partial, or ``final()``: e.g. a client stream's
    ``get_final_response``), or ``error`` if either raises. For a WSGI response or any sync server.
    ``exclude_unset=True``: the JSON leaves out the fields not seen yet (``PartialPatches``), the final value too.

    ``mode`` and ``format`` are checked here, before anything is read."""
    return _patch_events(partials, _Events(tp, mode, format, exclude_unset), final)


def _patch_events(partials: Iterable[Any], events: _Events, final: Callable[[], Any] | None) -> Iterator[bytes]:
    try:
        for partial in partials:
            event = events.partial(partial)
            if event is not None:
                yield event
        value = final() if final is not None else events.last
    except Exception as error:
        yield events.error(error)
        return
    yield events.done(value)


def apatch_events(
    partials: AsyncIterable[Any],
    tp: Any,
    *,
    mode: Mode = "patches",
    format: Format = "midstream",
    final: Callable[[], Awaitable[Any]] | None = None,
    exclude_unset: bool = False,
) -> AsyncIterator[bytes]:
    """``patch_events`` for an async source (``final``: a coroutine function, e.g. ``stream.get_final_response``),
    for an ASGI response (Starlette's ``StreamingResponse``). It does not close ``partials``: the caller owns it."""
    return _apatch_events(partials, _Events(tp, mode, format, exclude_unset), final)


async def _apatch_events(
    partials: AsyncIterable[Any], events: _Events, final: Callable[[], Awaitable[Any]] | None
) -> AsyncIterator[bytes]:
    try:
        async for partial in partials:
            event = events.partial(partial)
            if event is not None:
                yield event
        value = await final() if final is not None else events.last
    except Exception as error:
        yield events.error(error)
        return
    yield events.done(value)
