"""Test helpers for code that consumes LLM streams.

``midstream.testing.replay`` serves recorded provider streams (or any bytes) from a real loopback HTTP server,
cut at random points, so the official SDKs can be tested against them::

    from midstream.testing import ReplayServer, recorded_streams

    streams = recorded_streams(Path("shared/fixtures/streams"))
    with ReplayServer(streams["vercel-ai/anthropic-text"].body) as server:
        client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
        ...
"""

from __future__ import annotations

from midstream.testing.replay import (
    Provider,
    RecordedRequest,
    RecordedStream,
    ReplayServer,
    Responder,
    chat_stream,
    recorded_streams,
    sse_body,
    sse_payloads,
)

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
