"""Shared workloads and runners for the side-by-side benchmarks (pytest-benchmark and ``compare.py``).

Every runner takes the same input: the UTF-8 bytes of a ``workload.document(n)`` cut by ``workload.chunks``
into 1-8 byte chunks (so chunks may split a multi-byte character, as a network read can). Chunking and
encoding happen before any timing starts.

Runners:

* ``midstream_value``  -- ``Parser.feed`` every chunk and read ``Parser.value`` after each one (the use case).
* ``midstream_feed``   -- ``Parser.feed`` every chunk, value read only at the end.
* ``jiter_reparse``    -- re-parse the whole accumulated prefix with ``jiter.from_json(...,
  partial_mode="trailing-strings")`` after every chunk: the quadratic baseline most streaming code uses today.
* ``jiter_reparse_sampled`` -- the same, on an evenly spaced sample of the prefixes, scaled up (see
  :func:`sample_prefixes` for why the estimate is fair).
* ``ijson_yajl2_c``    -- ijson's C (yajl2) push parser fed the same chunks, events sent to a sink coroutine
  that drops them: no values are built. The incremental floor.
* ``json_loads`` / ``orjson_loads`` -- the whole text parsed once at the end: the no-streaming floor.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import ijson  # type: ignore[import-untyped]
import jiter
import midstream

WORKLOAD_DIR_ENV = "MIDSTREAM_WORKLOAD_DIR"
SMOKE_ENV = "MIDSTREAM_BENCH_SMOKE"

#: Documents benchmarked by default: ~30 KB and ~300 KB of UTF-8 (the smallest workload documents at least
#: this big).
DEFAULT_SIZES = (30_000, 300_000)
#: Prefixes re-parsed by ``jiter_reparse_sampled`` (out of one per chunk: ~6,800 at 30 KB, ~69,000 at 300 KB).
DEFAULT_JITER_SAMPLES = 256
#: The same in smoke mode (``--benchmark-disable``): enough to exercise the code path, not to measure.
SMOKE_JITER_SAMPLES = 8

JITER_PARTIAL_MODE: Final = "trailing-strings"


def workload_dir() -> Path:
    """``benches/data`` (the copy carried in the repository), or ``$MIDSTREAM_WORKLOAD_DIR`` if set."""
    override = os.environ.get(WORKLOAD_DIR_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "data"


def load_workload() -> ModuleType:
    """Import the deterministic workload generator (``workload.py``)."""
    directory = workload_dir()
    path = directory / "workload.py"
    if not path.is_file():
        raise RuntimeError(
            f"benchmark workload generator not found at {path}; "
            f"set ${WORKLOAD_DIR_ENV} to the folder holding workload.py"
        )
    spec = importlib.util.spec_from_file_location("midstream_bench_workload", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def smoke_from_env() -> bool:
    return os.environ.get(SMOKE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def human_size(n_bytes: int) -> str:
    return f"{round(n_bytes / 1000)} KB" if n_bytes >= 1000 else f"{n_bytes} B"


@dataclass(frozen=True)
class Workload:
    """One document, its UTF-8 bytes and the chunks every parser is fed."""

    target_bytes: int
    n_items: int
    text: str
    data: bytes
    chunks: tuple[bytes, ...]
    #: ``ends[i]`` is the length of the prefix fed after chunk ``i``.
    ends: tuple[int, ...] = field(repr=False)

    @property
    def label(self) -> str:
        return human_size(self.target_bytes)

    @property
    def n_bytes(self) -> int:
        return len(self.data)

    @cached_property
    def expected(self) -> Any:
        return json.loads(self.text)


def make_workload(target_bytes: int, *, seed: int = 0, chunk_seed: int = 1) -> Workload:
    """The smallest ``workload.document(n_items, seed)`` whose UTF-8 JSON has at least ``target_bytes``."""
    workload = load_workload()

    def encode(n_items: int) -> str:
        return json.dumps(workload.document(n_items, seed=seed), ensure_ascii=False)

    lo, hi = 1, 1
    while len(encode(hi).encode()) < target_bytes:
        lo, hi = hi + 1, hi * 2
    while lo < hi:  # smallest n in [lo, hi] with size >= target
        mid = (lo + hi) // 2
        if len(encode(mid).encode()) >= target_bytes:
            hi = mid
        else:
            lo = mid + 1
    text = encode(lo)
    data = text.encode()
    chunks = tuple(workload.chunks(data, seed=chunk_seed, lo=1, hi=8))
    assert b"".join(chunks) == data
    ends, total = [], 0
    for chunk in chunks:
        total += len(chunk)
        ends.append(total)
    return Workload(target_bytes, lo, text, data, chunks, tuple(ends))


# --- runners: each returns the final value (or None for event-only parsers) ------------------------------


def midstream_value(chunks: Sequence[bytes]) -> Any:
    """Feed every chunk and read the live partial value after each one."""
    parser = midstream.Parser()
    feed = parser.feed
    for chunk in chunks:
        feed(chunk)
        _partial = parser.value
    return parser.finish()


def midstream_feed(chunks: Sequence[bytes]) -> Any:
    """Feed every chunk; read the value once at the end."""
    parser = midstream.Parser()
    feed = parser.feed
    for chunk in chunks:
        feed(chunk)
    return parser.finish()


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


def sample_prefixes(workload: Workload, n_samples: int) -> PrefixSample:
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
    n_chunks = len(workload.ends)
    n_samples = max(1, min(n_samples, n_chunks))
    indices = [((2 * j + 1) * n_chunks) // (2 * n_samples) for j in range(n_samples)]
    return PrefixSample(tuple(workload.ends[i] for i in indices), n_chunks)


def _drop_events() -> Generator[None, Any, None]:
    while True:
        yield


def ijson_yajl2_c(chunks: Sequence[bytes]) -> None:
    """Push every chunk into ijson's yajl2_c parser; events go to a coroutine that drops them."""
    backend = ijson.get_backend("yajl2_c")
    sink = _drop_events()
    next(sink)
    coroutine = backend.basic_parse_coro(sink, use_float=True)
    send = coroutine.send
    for chunk in chunks:
        send(chunk)
    coroutine.close()


def ijson_yajl2_c_value(chunks: Sequence[bytes]) -> Any:
    """The value rebuilt from the same push parser's events (correctness check only; not timed)."""
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


def json_loads(data: bytes) -> Any:
    return json.loads(data)


def orjson_module() -> ModuleType | None:
    try:
        return importlib.import_module("orjson")
    except ImportError:
        return None


def orjson_loads(data: bytes) -> Any:
    module = orjson_module()
    assert module is not None, "orjson is not installed"
    return module.loads(data)


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("midstream", "jiter", "ijson", "orjson"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
