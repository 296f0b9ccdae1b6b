"""``midstream bench --pipeline``: provider bytes to typed partials, stage by stage, side by side in one run.

Every row is timed against its baseline on the same input, runs interleaved round-robin and the best of
``repeat`` kept: ratios, not absolute times, are the result (this is a shared, noisy machine).

- **SSE decoding**: the recorded OpenAI chat streams, repeated to ``megabytes``, in 256-byte reads; midstream's
  decoder against the openai SDK's (what ``openai.Stream`` runs on the HTTP body) and httpx-sse (``EventSource``
  over an ``httpx.Response``), each event's data read and let go as a streaming consumer does. Each decoder's
  events are checked against midstream's first, outside the timing.
- **Raw SSE bytes to typed partials**: a ~30 KB ``structured`` answer streamed in token-sized events (1-8 bytes of
  answer each, as providers send them), framed as an OpenAI chat stream and as an Anthropic tool-call stream;
  ``midstream.stream(Catalog, reads, provider=...)`` reads the bytes in network-sized pieces and gives the
  partial after every read that changed it, against ``json.loads`` of every event's payload alone (what any Python
  pipeline that decodes each event spends before doing anything with it).
- **create_partial end to end**: the same answer as an OpenAI chat stream served by a loopback replay server
  running in another process (an in-process server would share the GIL and distort the figure), read through a
  real ``openai.OpenAI`` client: ``midstream.from_openai(client).chat.completions.create_partial`` against
  instructor's ``create_partial`` (``instructor.from_openai``, JSON mode). midstream's own share of its time is
  ``midstream.stream`` over the same bytes, already received; the rest is measured too: the same request through
  the SDK's raw streaming response, its body read and dropped (the SDK's request, httpx and h11 per HTTP chunk).

>>> rows = run_pipeline(PipelineConfig(megabytes=0.05, answer_bytes=2_000, repeat=1), end_to_end=False)
>>> sorted({row.stage for row in rows})
['SSE decoding', 'raw SSE bytes to typed partials']
"""

# The output is markdown for humans: the multiplication signs in it are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from importlib import resources
from typing import Any

import midstream
from midstream.bench.chunking import TOKEN_SIZED, cut
from midstream.bench.workloads import build

#: issue 15's targets: SSE decoding >= 8x the openai SDK's decoder; bytes to typed partials <= 1x json.loads
SSE_TARGET = 8.0
TYPED_TARGET = 1.0
#: ... and create_partial end to end >= 30x instructor's, midstream's own share of it <= 10%
E2E_TARGET = 30.0
SHARE_TARGET = 0.10


@dataclass(frozen=True)
class PipelineConfig:
    megabytes: float = 4.0  # SSE decoding: bytes of recorded stream
    answer_bytes: int = 30_000  # typed partials: size of the answer
    repeat: int = 7


@dataclass(frozen=True)
class PipelineRow:
    """One contender on one input: its best time, and its ratio to the row's baseline (>1: faster)."""

    stage: str
    input: str
    contender: str
    seconds: float
    units: int  # events
    n_bytes: int
    baseline: str
    speedup: float  # baseline time / this time

    @property
    def us_per_event(self) -> float:
        return self.seconds / self.units * 1e6

    @property
    def megabytes_per_second(self) -> float:
        return self.n_bytes / self.seconds / 1e6

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "us_per_event": self.us_per_event}


# --- SSE decoding -----------------------------------------------------------------------------------------------------


def recorded_openai_stream(megabytes: float) -> bytes:
    """The bundled OpenAI chat recordings, each ending in a blank line, repeated to at least ``megabytes`` MB."""
    bundled = resources.files("midstream") / "_data"
    recorded = [(bundled / name).read_bytes() for name in ("openai-weather.sse", "openai-tool-call.sse")]
    one = b"".join(body if body.endswith(b"\n\n") else body.rstrip(b"\n") + b"\n\n" for body in recorded)
    return one * max(1, round(megabytes * 1e6 / len(one)))


def _midstream_events(reads: list[bytes]) -> Iterator[Any]:
    return midstream.sse.decode(reads)


def _openai_events(reads: list[bytes]) -> Iterator[Any]:
    from openai._streaming import SSEDecoder

    return SSEDecoder().iter_bytes(iter(reads))


def _httpx_sse_events(reads: list[bytes]) -> Iterator[Any]:
    import httpx
    from httpx_sse import EventSource

    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(reads))
    return EventSource(response).iter_sse()


#: Each decoder's events (objects with ``.data``) from a list of reads.
SSE_DECODERS: dict[str, Callable[[list[bytes]], Iterator[Any]]] = {
    "midstream.sse.decode": _midstream_events,
    "openai SDK SSEDecoder.iter_bytes": _openai_events,
    "httpx-sse EventSource.iter_sse": _httpx_sse_events,
}


def event_data(decoder: Callable[[list[bytes]], Iterator[Any]], reads: list[bytes]) -> list[str]:
    """Every event's data, kept: to check each decoder against midstream's, outside the timing."""
    return [event.data for event in decoder(reads)]


def consume_events(decoder: Callable[[list[bytes]], Iterator[Any]], reads: list[bytes]) -> None:
    """What is timed: each event's data read and let go, as a streaming consumer does. (Keeping all ~15,000
    strings alive instead adds the same ~3.5 ms of allocation to every decoder, whatever its speed.)"""
    for event in decoder(reads):
        event.data  # noqa: B018 - reading the data is the point


# --- raw SSE bytes to typed partials ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderStream:
    """An answer as one provider streams it: the raw bytes, and the data of each event in order."""

    label: str
    provider: str
    body: bytes
    payloads: tuple[str, ...]
    model: Any
    expected: Any

    @cached_property
    def json_payloads(self) -> tuple[str, ...]:
        """The payloads ``json.loads`` can read (not ``[DONE]``)."""
        return tuple(data for data in self.payloads if data != "[DONE]")


def _sse(events: list[tuple[str | None, str]]) -> bytes:
    return "".join((f"event: {kind}\n" if kind else "") + f"data: {data}\n\n" for kind, data in events).encode()


def openai_chat_stream(answer: str, pieces: list[str], model: Any) -> ProviderStream:
    """The answer as the content of an OpenAI chat completion, one ``chat.completion.chunk`` per piece, with the
    metadata OpenAI sends on every chunk (id, model, fingerprint, log probabilities)."""
    head = (
        '{"id":"chatcmpl-ABfw5EzoqmfXjnnsXY7Yd8OC6tb3c","object":"chat.completion.chunk","created":1727346173,'
        '"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5050236cbd","choices":[{"index":0,"delta":'
    )
    payloads = [head + '{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}']
    payloads += [
        head + '{"content":' + json.dumps(piece, ensure_ascii=False) + '},"logprobs":null,"finish_reason":null}]}'
        for piece in pieces
    ]
    payloads.append(head + '{},"logprobs":null,"finish_reason":"stop"}]}')
    payloads.append("[DONE]")
    body = _sse([(None, data) for data in payloads])
    return ProviderStream("OpenAI chat, content", "openai", body, tuple(payloads), model, json.loads(answer))


def anthropic_tool_stream(answer: str, pieces: list[str], model: Any) -> ProviderStream:
    """The answer as the input of an Anthropic tool call: ``input_json_delta`` events, typed SSE events."""
    events: list[tuple[str | None, str]] = [
        (
            "message_start",
            '{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant",'
            '"model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":412,'
            '"output_tokens":1}}}',
        ),
        (
            "content_block_start",
            '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_01",'
            '"name":"answer","input":{}}}',
        ),
    ]
    events += [
        (
            "content_block_delta",
            '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":'
            + json.dumps(piece, ensure_ascii=False)
            + "}}",
        )
        for piece in pieces
    ]
    events += [
        ("content_block_stop", '{"type":"content_block_stop","index":0}'),
        (
            "message_delta",
            '{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},'
            '"usage":{"output_tokens":9000}}',
        ),
        ("message_stop", '{"type":"message_stop"}'),
    ]
    body = _sse(events)
    return ProviderStream(
        "Anthropic tool call", "anthropic", body, tuple(data for _, data in events), model, json.loads(answer)
    )


def network_reads(body: bytes, lo: int, hi: int, *, seed: int = 7) -> list[bytes]:
    """``body`` in reads of ``lo..hi`` bytes, as a socket gives them (cut anywhere, even inside a character)."""
    rng = random.Random(seed)
    reads = []
    at = 0
    while at < len(body):
        size = rng.randint(lo, hi)
        reads.append(body[at : at + size])
        at += size
    return reads


def typed_partials(stream: ProviderStream, reads: list[bytes]) -> Any:
    last = None
    for last in midstream.stream(stream.model, reads, provider=stream.provider):  # noqa: B007
        pass
    return last


def json_loads_payloads(payloads: tuple[str, ...]) -> None:
    loads = json.loads
    for data in payloads:
        loads(data)


# --- running ----------------------------------------------------------------------------------------------------------


def _best(contenders: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeat):
        for name, job in contenders.items():
            start = time.perf_counter()
            job()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _rows(
    stage: str, label: str, best: dict[str, float], baseline: str, units: int, n_bytes: int
) -> Iterator[PipelineRow]:
    """One row per contender of ``best``, each with its ratio to ``baseline``'s time (NaN when it did not run)."""
    for name, seconds in best.items():
        yield PipelineRow(
            stage, label, name, seconds, units, n_bytes, baseline, best.get(baseline, float("nan")) / seconds
        )


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (a peer's library is an optional extra)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def sse_rows(config: PipelineConfig) -> Iterator[PipelineRow]:
    data = recorded_openai_stream(config.megabytes)
    reads = [data[i : i + 256] for i in range(0, len(data), 256)]
    expected = event_data(_midstream_events, reads)
    decoders = {
        name: decode
        for name, decode in SSE_DECODERS.items()
        if name.startswith("midstream") or installed("openai" if name.startswith("openai") else "httpx_sse")
    }
    for name, decode in decoders.items():
        if event_data(decode, reads) != expected:
            raise RuntimeError(f"{name} decoded the stream differently from midstream")
    jobs: dict[str, Callable[[], Any]] = {
        name: partial(consume_events, decode, reads) for name, decode in decoders.items()
    }
    best = _best(jobs, config.repeat)
    baseline = "openai SDK SSEDecoder.iter_bytes"
    label = f"recorded OpenAI chat streams, {len(data) / 1e6:.1f} MB, 256-byte reads"
    yield from _rows("SSE decoding", label, best, baseline, len(expected), len(data))


def provider_streams(answer_bytes: int) -> list[ProviderStream]:
    document = build("structured", answer_bytes)
    pieces = list(cut(document, TOKEN_SIZED).text_chunks)
    model = document.workload.model
    return [
        openai_chat_stream(document.text, pieces, model),
        anthropic_tool_stream(document.text, pieces, model),
    ]


def typed_rows(config: PipelineConfig) -> Iterator[PipelineRow]:
    for stream in provider_streams(config.answer_bytes):
        reads = network_reads(stream.body, 1, 512)
        final = typed_partials(stream, reads)
        if final is None or final.model_dump(mode="json") != stream.expected:
            raise RuntimeError(f"midstream's final value on the {stream.label} stream is not the answer")
        contenders: dict[str, Callable[[], Any]] = {
            "midstream.stream(Model, reads, provider=...)": partial(typed_partials, stream, reads),
            "json.loads of each event's payload": partial(json_loads_payloads, stream.json_payloads),
        }
        best = _best(contenders, config.repeat)
        baseline = "json.loads of each event's payload"
        label = (
            f"{stream.label}: {len(stream.expected['items'])}-item answer of "
            f"{len(json.dumps(stream.expected, ensure_ascii=False).encode()) / 1e3:.0f} KB, "
            f"{len(stream.payloads):,} events, reads of 1-512 B"
        )
        yield from _rows(
            "raw SSE bytes to typed partials", label, best, baseline, len(stream.payloads), len(stream.body)
        )


# --- create_partial end to end ----------------------------------------------------------------------------------------

_SERVE = """
import sys
from midstream.testing import ReplayServer
with open(sys.argv[1], "rb") as file:
    body = file.read()
with ReplayServer(body, max_chunk=int(sys.argv[2])) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the benchmark closes the pipe
"""

_MESSAGES: Any = [{"role": "user", "content": "Write the catalog."}]


class ReplayProcess:
    """A ``ReplayServer`` answering every request with ``body``, in a child process (``with`` it)."""

    def __init__(self, body: bytes, *, max_chunk: int = 512) -> None:
        import subprocess
        import sys
        import tempfile

        self._file = tempfile.NamedTemporaryFile(suffix=".sse")  # noqa: SIM115 -- closed in __exit__
        self._file.write(body)
        self._file.flush()
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, self._file.name, str(max_chunk)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.__exit__()
            raise RuntimeError("the replay server did not start")

    def __enter__(self) -> ReplayProcess:
        return self

    def __exit__(self, *_: object) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)
        self._file.close()


#: The row saying where the rest of the end-to-end time goes.
HTTP_ALONE = "openai.OpenAI's request and httpx reading the body, nothing decoded (the rest)"


def _http_body_alone(raw: Any) -> int:
    """The same request through the SDK's raw streaming response, the body read and dropped: what any client of
    this SDK pays before decoding anything."""
    reads = 0
    with raw.chat.completions.with_streaming_response.create(model="replay", messages=_MESSAGES, stream=True) as body:
        for _ in body.iter_bytes():
            reads += 1
    return reads


def _create_partial(client: Any, model: Any) -> Any:
    """``client.chat.completions.create_partial`` read to its end (a client made once, as an application does)."""
    last = None
    for last in client.chat.completions.create_partial(model="replay", messages=_MESSAGES, response_model=model):  # noqa: B007
        pass
    return last


def end_to_end_rows(config: PipelineConfig) -> Iterator[PipelineRow]:
    if not (installed("openai") and installed("instructor")):
        return
    stream = provider_streams(config.answer_bytes)[0]
    reads = network_reads(stream.body, 1, 512)
    label = (
        f"{len(stream.expected['items'])}-item answer of "
        f"{len(json.dumps(stream.expected, ensure_ascii=False).encode()) / 1e3:.0f} KB in {len(stream.payloads):,} "
        "OpenAI chat events, served by a replay server in another process"
    )
    import instructor
    import openai

    with (
        ReplayProcess(stream.body) as server,
        openai.OpenAI(base_url=server.base_url + "/v1", api_key="replay", max_retries=0) as raw,
    ):
        ours_client = midstream.from_openai(raw)
        theirs_client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
        ours = _create_partial(ours_client, stream.model)
        if ours is None or ours.model_dump(mode="json") != stream.expected:
            raise RuntimeError("midstream's create_partial did not give the answer")
        contenders: dict[str, Callable[[], Any]] = {
            "midstream from_openai(...).chat.completions.create_partial": partial(
                _create_partial, ours_client, stream.model
            ),
            "midstream alone on the same bytes (its share)": partial(typed_partials, stream, reads),
            HTTP_ALONE: partial(_http_body_alone, raw),
        }
        best = _best(contenders, config.repeat)
        # instructor re-parses the whole answer on every chunk: one run is plenty.
        name = "instructor from_openai(...).chat.completions.create_partial"
        best.update(_best({name: partial(_create_partial, theirs_client, stream.model)}, 1))
    baseline = "instructor from_openai(...).chat.completions.create_partial"
    yield from _rows("create_partial end to end", label, best, baseline, len(stream.payloads), len(stream.body))


def run_pipeline(config: PipelineConfig, *, end_to_end: bool = True) -> list[PipelineRow]:
    rows = [*sse_rows(config), *typed_rows(config)]
    if end_to_end:
        rows += end_to_end_rows(config)
    return rows


def markdown(rows: list[PipelineRow]) -> str:
    """The rows as markdown tables, one per input, with the targets' verdicts."""
    lines: list[str] = []
    inputs = list(dict.fromkeys((row.stage, row.input) for row in rows))
    for stage, label in inputs:
        group = [row for row in rows if (row.stage, row.input) == (stage, label)]
        lines += [f"**{stage}** ({label})", ""]
        lines += ["| | time | MB/s | µs per event | vs baseline |", "|---|---:|---:|---:|---:|"]
        for row in group:
            vs = "baseline" if row.contender == row.baseline else f"{row.speedup:,.2f}× faster"
            lines.append(
                f"| {row.contender} | {row.seconds * 1e3:,.1f} ms | {row.megabytes_per_second:,.1f} | "
                f"{row.us_per_event:.2f} | {vs} |"
            )
        ours = next(row for row in group if row.contender.startswith("midstream"))
        if stage == "SSE decoding":
            verdict = "met" if ours.speedup >= SSE_TARGET else "MISSED"
            lines += ["", f"Target: ≥ {SSE_TARGET:g}× the openai SDK's decoder: {ours.speedup:.1f}× — **{verdict}**."]
        elif stage == "create_partial end to end":
            share = next(row for row in group if "share" in row.contender).seconds / ours.seconds
            http = next((row.seconds / ours.seconds for row in group if row.contender == HTTP_ALONE), float("nan"))
            verdict = "met" if ours.speedup >= E2E_TARGET else "MISSED"
            share_verdict = "met" if share <= SHARE_TARGET else "MISSED"
            lines += [
                "",
                f"Target: ≥ {E2E_TARGET:g}× instructor's create_partial: {ours.speedup:,.0f}× — **{verdict}**; "
                f"midstream's own share ≤ {SHARE_TARGET:.0%}: {share:.1%} — **{share_verdict}** (the request and "
                f"reading the body alone: {http:.0%} of the end-to-end time).",
            ]
        else:
            cost = 1 / ours.speedup
            verdict = "met" if cost <= TYPED_TARGET else "MISSED"
            lines += [
                "",
                f"Target: typed partials ≤ {TYPED_TARGET:g}× the cost of `json.loads` of the payloads: {cost:.2f}× — "
                f"**{verdict}**.",
            ]
        lines.append("")
    return "\n".join(lines)
