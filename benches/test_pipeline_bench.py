"""``midstream bench --pipeline`` under pytest-benchmark: SSE decoding and raw provider bytes to typed partials.

The same inputs and bodies as ``midstream bench --pipeline`` (``midstream.bench.pipeline``), grouped so that
pytest-benchmark prints midstream beside its baseline: SSE decoding against the openai SDK's decoder and httpx-sse
(256-byte reads of the recorded OpenAI chat streams), and ``midstream.stream(Model, reads, provider=...)`` against
``json.loads`` of every event's payload (a ~30 KB answer in token-sized events, reads of 1-512 bytes). The end to
end ``create_partial`` comparison needs a replay server in another process and instructor: it is in
``midstream bench --pipeline`` only. Smoke pass (``--benchmark-disable``): smaller inputs, every body once, the
results checked.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import Any

import pytest
from midstream.bench.pipeline import (
    SSE_DECODERS,
    ProviderStream,
    consume_events,
    event_data,
    json_loads_payloads,
    network_reads,
    provider_streams,
    recorded_openai_stream,
    typed_partials,
)

FULL_MEGABYTES, SMOKE_MEGABYTES = 4.0, 0.2
FULL_ANSWER, SMOKE_ANSWER = 30_000, 3_000
_NEEDS = {"openai SDK SSEDecoder.iter_bytes": "openai", "httpx-sse EventSource.iter_sse": "httpx_sse"}


@cache
def sse_reads(megabytes: float) -> list[bytes]:
    data = recorded_openai_stream(megabytes)
    return [data[i : i + 256] for i in range(0, len(data), 256)]


@cache
def streams(answer_bytes: int) -> dict[str, tuple[ProviderStream, list[bytes]]]:
    return {stream.label: (stream, network_reads(stream.body, 1, 512)) for stream in provider_streams(answer_bytes)}


@pytest.mark.parametrize("decoder", list(SSE_DECODERS))
def test_sse_decoding(benchmark: Any, smoke: bool, decoder: str) -> None:
    module = _NEEDS.get(decoder)
    if module is not None and importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[bench]')")
    reads = sse_reads(SMOKE_MEGABYTES if smoke else FULL_MEGABYTES)
    decode = SSE_DECODERS[decoder]
    assert event_data(decode, reads) == event_data(SSE_DECODERS["midstream.sse.decode"], reads)
    benchmark.group = f"pipeline: SSE decoding ({sum(map(len, reads)) / 1e6:.1f} MB in 256-byte reads)"
    benchmark(consume_events, decode, reads)


@pytest.mark.parametrize("contender", ["midstream.stream", "json.loads of each payload"])
@pytest.mark.parametrize("label", ["OpenAI chat, content", "Anthropic tool call"])
def test_raw_sse_to_typed_partials(benchmark: Any, smoke: bool, label: str, contender: str) -> None:
    stream, reads = streams(SMOKE_ANSWER if smoke else FULL_ANSWER)[label]
    benchmark.group = f"pipeline: raw SSE bytes to typed partials ({label}, {len(stream.payloads):,} events)"
    if contender == "midstream.stream":
        final = benchmark(typed_partials, stream, reads)
        assert final.model_dump(mode="json") == stream.expected
    else:
        benchmark(json_loads_payloads, stream.json_payloads)
