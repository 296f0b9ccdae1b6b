"""The parser benchmarks' runs (``compare.py``, ``test_parser_bench.py``), made of ``midstream.bench``'s pieces.

One harness: the document is ``midstream bench``'s ``structured`` workload (an LLM-like list of objects, strings
with escapes, accents, CJK and emoji), cut by its chunking into 1-8 byte chunks (at character boundaries), and
each parser runs as ``midstream bench`` runs it (``PEERS[name]``: midstream's ``value`` after every chunk, feed
only, jiter re-parsing, ijson's push parser, ``json.loads``, ``orjson.loads``). Building and cutting happen before
any timing starts. What only this file adds:

* :func:`sample_prefixes` / :func:`jiter_reparse` -- jiter's re-parse on an evenly spaced sample of the prefixes,
  scaled up: its quadratic cost at ~300 KB without a minute per run (why the estimate is fair: below).
* :func:`ijson_value` -- ijson's events rebuilt into a value, to check the push parser read the same document.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

import jiter
from midstream.bench import PEERS, TOKEN_SIZED, Stream, build, cut
from midstream.bench.chunking import human_bytes

SMOKE_ENV = "MIDSTREAM_BENCH_SMOKE"

#: Documents benchmarked by default: ~30 KB and ~300 KB of UTF-8 (the smallest documents at least this big).
DEFAULT_SIZES = (30_000, 300_000)
#: Prefixes re-parsed by the sampled jiter estimate (out of one per chunk: ~6,700 at 30 KB, ~67,000 at 300 KB).
DEFAULT_JITER_SAMPLES = 256
#: The same in smoke mode (``--benchmark-disable``): enough to exercise the code path, not to measure.
SMOKE_JITER_SAMPLES = 8

JITER_PARTIAL_MODE: Final = "trailing-strings"


def smoke_from_env() -> bool:
    return os.environ.get(SMOKE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def parser_stream(target_bytes: int) -> Stream:
    """The ``structured`` document of at least ``target_bytes``, in token-sized (1-8 byte) chunks."""
    return cut(build("structured", target_bytes), TOKEN_SIZED)


def label(stream: Stream) -> str:
    """``"30 KB"``: the size asked for (the document is that or a little more)."""
    return human_bytes(stream.document.target_bytes)


def n_items(stream: Stream) -> int:
    return len(stream.document.expected["items"])


def peer_run(name: str, stream: Stream) -> Callable[[], Any]:
    """``midstream bench``'s run of peer ``name`` on ``stream``, prepared, with no deadline."""
    run = PEERS[name].prepare(stream)
    return lambda: run(math.inf)


def jiter_parse(prefix: bytes) -> Any:
    return jiter.from_json(prefix, partial_mode=JITER_PARTIAL_MODE)


def jiter_reparse(data: bytes, ends: Sequence[int]) -> Any:
    """Re-parse ``data[:end]`` for every end in ``ends`` (copying the prefix, as accumulating it does)."""
    from_json = jiter.from_json
    partial: Any = None
    for end in ends:
        partial = from_json(data[:end], partial_mode=JITER_PARTIAL_MODE)
    return partial


@dataclass(frozen=True)
class PrefixSample:
    """An evenly spaced sample of the ``n_chunks`` prefixes; ``scale`` turns its cost into the full cost."""

    ends: tuple[int, ...]
    n_chunks: int

    @property
    def scale(self) -> float:
        return self.n_chunks / len(self.ends)


def sample_prefixes(stream: Stream, n_samples: int) -> PrefixSample:
    """Split the chunk sequence into ``n_samples`` equal strata and take the prefix at the middle of each.

    Why the scaled estimate is fair: re-parsing a prefix costs time roughly proportional to its length (jiter
    is a linear-time parser; the prefix copy is linear too), and the prefix lengths grow linearly with the
    chunk index (chunk lengths are i.i.d. uniform over 1-8 bytes). The total is therefore the sum of a
    (near-)linear function of the index, and the midpoint of each equal stratum, times the stratum size,
    reproduces that sum exactly for a linear function; per-prefix deviations (say, a long string open at one
    sampled prefix but not at its neighbours) average out across the strata instead of biasing the sum. The
    sample is deterministic, so every run measures the same prefixes. ``compare.py`` checks the estimate
    against the full re-parse at ~30 KB, where both are cheap.
    """
    ends = stream.ends
    n_chunks = len(ends)
    n_samples = max(1, min(n_samples, n_chunks))
    indices = [((2 * j + 1) * n_chunks) // (2 * n_samples) for j in range(n_samples)]
    return PrefixSample(tuple(ends[i] for i in indices), n_chunks)


def ijson_value(chunks: Sequence[bytes]) -> Any:
    """The value rebuilt from ijson yajl2_c's events on the same chunks (a correctness check; not timed)."""
    import ijson  # type: ignore[import-untyped]

    backend = ijson.get_backend("yajl2_c")
    events: list[tuple[str, Any]] = []

    def collect() -> Generator[None, tuple[str, Any], None]:
        while True:
            events.append((yield))

    sink = collect()
    next(sink)
    coroutine = backend.basic_parse_coro(sink, use_float=True)
    for chunk in chunks:
        coroutine.send(chunk)
    coroutine.close()
    builder = ijson.ObjectBuilder()
    for event, value in events:
        builder.event(event, value)
    return builder.value


def versions(names: tuple[str, ...] = ("midstream", "jiter", "ijson", "orjson")) -> dict[str, str]:
    """The installed version of each distribution in ``names`` (``"not installed"`` for one that is not)."""
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
