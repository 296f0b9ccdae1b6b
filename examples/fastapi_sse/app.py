"""Stream typed partials from an LLM to a browser over Server-Sent Events, with FastAPI and midstream.

``POST /ideas`` with ``{"topic": "...", "count": 3}`` answers ``text/event-stream`` (``midstream.web``):

- ``event: patch``: what changed in the partial list of ideas since the last event, as JSON Patch operations
  (``midstream.patch``: the first replaces the whole list, then a growing string is an ``append`` of what it
  gained), at most one per ``throttle`` seconds; ``POST /ideas?mode=snapshots`` sends ``event: snapshot`` with
  the whole partial list instead, to compare;
- ``event: done`` with the validated final list;
- ``event: error`` with ``{"message": ..., "type": ...}`` if the model's answer is invalid or cut short, or the
  provider fails.

The page (``static/index.html``) applies the patches with ``midstream.js`` (served at ``/midstream.js``) and
renders them in place: a growing string appends to its node.

If the browser goes away, the upstream request is closed at once: no more tokens are paid for.

Run it (from the repository root)::

    pip install "midstream[openai,web]"
    OPENAI_API_KEY=sk-... uvicorn examples.fastapi_sse.app:app --port 8000
    # open http://127.0.0.1:8000/

Environment: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` (any OpenAI-compatible API), ``MIDSTREAM_MODEL``
(default ``gpt-4o-mini``), ``MIDSTREAM_CORS_ORIGINS`` (comma-separated, default none), ``MIDSTREAM_THROTTLE``
(seconds between partials, default ``0.1``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from html import escape
from pathlib import Path
from typing import Any

import anyio
import midstream
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from midstream.web import Mode, apatch_events
from pydantic import BaseModel, Field

__all__ = ["Idea", "IdeasRequest", "create_app", "main"]

STATIC = Path(__file__).parent / "static"
#: The browser module shipped inside the package (applyPatch, sseEvents).
MIDSTREAM_JS = Path(midstream.__file__).parent / "static" / "midstream.js"
#: The page's empty notice paragraph, which ``notice`` fills.
NOTICE_SLOT = '<p id="notice" role="note" hidden></p>'


class Idea(BaseModel):
    title: str
    pitch: str


class IdeasRequest(BaseModel):
    topic: str = Field(min_length=1, max_length=200)
    count: int = Field(default=3, ge=1, le=20)


def page(notice: str | None) -> str:
    """static/index.html, with ``notice`` in its (otherwise hidden) notice paragraph."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    if notice is None:
        return html
    return html.replace(NOTICE_SLOT, f'<p id="notice" role="note">{escape(notice)}</p>', 1)


def messages_for(body: IdeasRequest) -> list[dict[str, str]]:
    # midstream demo --web's replay reads the count and topic back from the user message: keep its wording.
    return [
        {"role": "system", "content": "You are a product strategist. Answer with short, concrete ideas."},
        {"role": "user", "content": f"Give me exactly {body.count} ideas about: {body.topic}"},
    ]


async def close_upstream(partials: AsyncGenerator[Any, None], stream: Any) -> None:
    """Close the throttle, then the stream under it, which closes the request to the provider.

    Reached however the response ends, also when the client hangs up and Starlette cancels the response task:
    shielded from that cancellation, so the upstream connection closes now, not whenever it is collected. The
    order matters: the throttle reads the stream in a task of its own, and closing the throttle first ends that
    read, so the stream is idle when it is closed.
    """
    with anyio.CancelScope(shield=True):
        await partials.aclose()
        await stream.close()


def create_app(
    openai_client: Any,
    *,
    model: str = "gpt-4o-mini",
    throttle: float = 0.1,
    cors_origins: Sequence[str] = (),
    notice: str | None = None,
) -> FastAPI:
    """The app, streaming from ``openai_client`` (an ``openai.AsyncOpenAI`` or a compatible async client).

    ``throttle``: at most one partial per this many seconds (the latest; ``0`` sends every one).
    ``cors_origins``: origins allowed to call ``POST /ideas`` from another site (``["*"]`` for any).
    ``notice``: a sentence shown at the top of the page (``midstream demo --web`` says there that it is a replay).
    """
    client = midstream.from_openai(openai_client)
    index_page = page(notice)
    app = FastAPI(title="midstream SSE example")
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )

    async def events(request: Request, body: IdeasRequest, mode: Mode) -> AsyncIterator[bytes]:
        stream = client.responses.stream(model=model, messages=messages_for(body), response_model=list[Idea])
        partials = midstream.throttle(stream, throttle)
        try:
            async for event in apatch_events(partials, list[Idea], mode=mode, final=stream.get_final_response):
                if await request.is_disconnected():
                    return  # the browser left: the finally below closes the upstream request
                yield event
        finally:
            await close_upstream(partials, stream)

    @app.post("/ideas")
    async def ideas(body: IdeasRequest, request: Request, mode: Mode = "patches") -> StreamingResponse:
        return StreamingResponse(
            events(request, body, mode),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/midstream.js", include_in_schema=False)
    async def midstream_js() -> FileResponse:
        return FileResponse(MIDSTREAM_JS, media_type="text/javascript")

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(index_page)

    return app


def app_from_env() -> FastAPI:
    import openai

    origins = [origin.strip() for origin in os.environ.get("MIDSTREAM_CORS_ORIGINS", "").split(",") if origin.strip()]
    return create_app(
        openai.AsyncOpenAI(),  # reads OPENAI_API_KEY and OPENAI_BASE_URL
        model=os.environ.get("MIDSTREAM_MODEL", "gpt-4o-mini"),
        throttle=float(os.environ.get("MIDSTREAM_THROTTLE", "0.1")),
        cors_origins=origins,
    )


def __getattr__(name: str) -> Any:
    # ``uvicorn examples.fastapi_sse.app:app`` builds the app on first access, so importing this module (as the
    # tests do) needs neither an API key nor the environment.
    if name == "app":
        return app_from_env()
    raise AttributeError(name)


def main() -> None:
    import uvicorn

    uvicorn.run(app_from_env(), host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    main()
