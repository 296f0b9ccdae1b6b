"""SSE decoding side by side in one process: ``midstream.sse`` against the openai SDK's decoder and httpx-sse.

    python benches/compare_sse.py [--megabytes 4] [--read 256] [--repeat 7]

The stream: the recorded OpenAI chat completion streams in ``tests/data/streams/openai-chat/`` (token-sized events
of ~200-400 bytes, as OpenAI sends them), one after another until ``--megabytes``, read ``--read`` bytes at a time
(the reads are cut before the timing starts). Each decoder turns the bytes into event objects with their data as a
``str``; every decoder's events are checked against midstream's (same count, same data) before anything is timed.

- midstream: ``midstream.sse.decode(reads)`` (the Rust decoder, an ``SSEEvent`` per event);
- openai: ``openai._streaming.SSEDecoder().iter_bytes(reads)``, what ``openai.Stream`` runs on the HTTP body;
- httpx-sse: ``EventSource(response).iter_sse()`` over an ``httpx.Response`` streaming the same reads (what
  ``connect_sse`` gives; httpx decodes the bytes to text, httpx-sse splits lines and fields).

Runs are interleaved round-robin and the best of ``--repeat`` is kept; ratios, not absolute times, are the result
(target, issue 15: midstream >= 8x the openai SDK's decoder at 256-byte reads). Prints markdown.
"""

# The output is markdown for humans: the multiplication signs in it are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import midstream

RECORDINGS = Path(__file__).resolve().parent.parent / "tests" / "data" / "streams" / "openai-chat"
TARGET = 8.0


def stream_bytes(megabytes: float) -> bytes:
    """The recorded streams, each ending in a blank line, repeated to at least ``megabytes`` MB."""
    recorded = [path.read_bytes() for path in sorted(RECORDINGS.glob("*.sse"))]
    one = b"".join(body if body.endswith(b"\n\n") else body.rstrip(b"\n") + b"\n\n" for body in recorded)
    return one * max(1, round(megabytes * 1e6 / len(one)))


def midstream_events(reads: list[bytes]) -> list[str]:
    return [event.data for event in midstream.sse.decode(reads)]


def openai_events(reads: list[bytes]) -> list[str]:
    from openai._streaming import SSEDecoder

    return [event.data for event in SSEDecoder().iter_bytes(iter(reads))]


def httpx_sse_events(reads: list[bytes]) -> list[str]:
    import httpx
    from httpx_sse import EventSource

    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(reads))
    return [event.data for event in EventSource(response).iter_sse()]


DECODERS: dict[str, Callable[[list[bytes]], list[str]]] = {
    "midstream `midstream.sse.decode`": midstream_events,
    "openai SDK `SSEDecoder.iter_bytes`": openai_events,
    "httpx-sse `EventSource.iter_sse`": httpx_sse_events,
}


def best_times(reads: list[bytes], repeat: int) -> dict[str, float]:
    best = dict.fromkeys(DECODERS, float("inf"))
    for _ in range(repeat):
        for name, decode in DECODERS.items():
            start = time.perf_counter()
            decode(reads)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def check(reads: list[bytes]) -> int:
    expected = midstream_events(reads)
    for name, decode in DECODERS.items():
        got = decode(reads)
        if got != expected:
            raise SystemExit(f"{name} decoded {len(got)} events, midstream {len(expected)}: not the same stream")
    return len(expected)


def versions() -> Iterator[str]:
    for package in ("openai", "httpx", "httpx-sse"):
        try:
            yield f"{package} {version(package)}"
        except Exception:
            yield f"{package} (not installed)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=4.0)
    parser.add_argument("--read", type=int, default=256, help="bytes per read")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    data = stream_bytes(args.megabytes)
    reads = [data[i : i + args.read] for i in range(0, len(data), args.read)]
    n_events = check(reads)
    print(f"checked: {n_events:,} events, {len(data):,} bytes", file=sys.stderr)
    best = best_times(reads, args.repeat)
    ours = best["midstream `midstream.sse.decode`"]
    print(
        f"| decoder ({len(data) / 1e6:.1f} MB, {n_events:,} events, {args.read}-byte reads) | time | MB/s | "
        "µs per event | midstream is |"
    )
    print("|---|---:|---:|---:|---:|")
    rows: dict[str, Any] = {}
    for name, seconds in best.items():
        rows[name] = seconds
        print(
            f"| {name} | {seconds * 1e3:,.1f} ms | {len(data) / seconds / 1e6:,.1f} | "
            f"{seconds / n_events * 1e6:.2f} | {seconds / ours:,.1f}× faster |"
        )
    ratio = best["openai SDK `SSEDecoder.iter_bytes`"] / ours
    status = "**met**" if ratio >= TARGET else "**MISSED**"
    print()
    print(
        f"Target (issue 15): midstream ≥ {TARGET:g}× the openai SDK's decoder at 256-byte reads: {ratio:.1f}× {status}."
    )
    print()
    print(
        f"Best of {args.repeat} interleaved runs, `time.perf_counter`. Machine: {platform.platform()}; CPython "
        f"{platform.python_version()}; midstream {version('midstream')}, {', '.join(versions())}; "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
