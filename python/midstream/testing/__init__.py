"""Test helpers for code that consumes LLM streams, and for partial-JSON parsers.

``midstream.testing.strategies`` (hypothesis strategies for JSON cut into pieces) and
``midstream.testing.contract`` (``find_violation``: hold any partial parser to the partial-value contract) need
``hypothesis`` (``pip install 'midstream[testing]'``); they are importable from here too, loaded on first use.
The pytest plugin ``midstream.testing.pytest_plugin`` adds the ``partial_contract`` fixtures.

``midstream.testing.replay`` serves recorded provider streams (or any bytes) from a real loopback HTTP server,
cut at random points, so the official SDKs can be tested against them::

    from midstream.testing import ReplayServer, recorded_streams

    streams = recorded_streams(Path("tests/data/streams"))
    with ReplayServer(streams["vercel-ai/anthropic-text"].body) as server:
        client = anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
        ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from midstream.testing.contract import Violation, check_prefixes, find_violation
    from midstream.testing.strategies import chunkings, json_texts, json_values, model_instances, truncations

#: Names loaded on first use, so that importing ``midstream.testing`` does not need hypothesis.
_LAZY = {
    "find_violation": "contract",
    "check_prefixes": "contract",
    "Violation": "contract",
    "json_values": "strategies",
    "json_texts": "strategies",
    "chunkings": "strategies",
    "truncations": "strategies",
    "model_instances": "strategies",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'midstream.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"midstream.testing.{module}"), name)


__all__ = [
    "Provider",
    "RecordedRequest",
    "RecordedStream",
    "ReplayServer",
    "Responder",
    "Violation",
    "chat_stream",
    "check_prefixes",
    "chunkings",
    "find_violation",
    "json_texts",
    "json_values",
    "model_instances",
    "recorded_streams",
    "sse_body",
    "sse_payloads",
    "truncations",
]
