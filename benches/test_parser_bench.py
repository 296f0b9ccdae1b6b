"""Side-by-side streaming benchmarks: midstream vs jiter re-parsing, ijson's yajl2_c push parser, json.loads.

Each benchmark group holds one document size (~30 KB, ~300 KB of ``midstream bench``'s ``structured`` JSON in 1-8
byte chunks); each parser runs as ``midstream bench`` runs it (``parser_runs.py``). Each benchmark asserts once that
its parser's final value equals ``json.loads`` of the whole text; none asserts on timings. ``pytest benches
--benchmark-disable -q`` is the smoke pass (every body runs once, jiter on a few prefixes).
"""

from __future__ import annotations

from typing import Any

import parser_runs as runs
import pytest
from midstream.bench import PEERS, Stream
from midstream.bench.chunking import human_bytes


def _group(benchmark: Any, stream: Stream) -> None:
    benchmark.group = f"{runs.label(stream)} document ({stream.document.n_bytes} B, {stream.n_chunks} chunks of 1-8 B)"


def _peer(benchmark: Any, stream: Stream, record: Any, peer: str, name: str) -> None:
    _group(benchmark, stream)
    result = benchmark(runs.peer_run(peer, stream))
    if PEERS[peer].check is not None:
        assert result == stream.document.expected
    record(name, stream)


def test_midstream_value(benchmark: Any, workload: Stream, record: Any) -> None:
    """(a) midstream: feed each chunk, read the partial ``value`` after every one."""
    _peer(benchmark, workload, record, "midstream", "midstream_value")


def test_midstream_feed(benchmark: Any, workload: Stream, record: Any) -> None:
    """(b) midstream feed only (value read once at the end). Also (f): ns/byte at both sizes -> flatness."""
    _peer(benchmark, workload, record, "midstream-feed", "midstream_feed")


@pytest.mark.parametrize("workload", [human_bytes(min(runs.DEFAULT_SIZES))], indirect=True)
def test_jiter_reparse(benchmark: Any, workload: Stream, record: Any) -> None:
    """(c) jiter ``from_json(prefix, partial_mode="trailing-strings")`` after every chunk (~30 KB only).

    Smallest size only: the work is quadratic, and at ~300 KB one round takes tens of seconds, so that size is
    measured by ``test_jiter_reparse_sampled`` instead.
    """
    _group(benchmark, workload)
    result = benchmark.pedantic(runs.jiter_reparse, args=(workload.document.data, workload.ends), rounds=3)
    assert result == workload.document.expected
    record("jiter_reparse", workload)


def test_jiter_reparse_sampled(benchmark: Any, workload: Stream, record: Any, smoke: bool) -> None:
    """(c) jiter re-parse on an evenly spaced sample of the prefixes; the summary scales it to all of them.

    ``parser_runs.sample_prefixes`` explains why the scaled sample is an unbiased estimate of the full sum: the
    cost of a re-parse is ~linear in the prefix length, and the sample takes the middle prefix of equal strata.
    """
    _group(benchmark, workload)
    n_samples = runs.SMOKE_JITER_SAMPLES if smoke else runs.DEFAULT_JITER_SAMPLES
    sample = runs.sample_prefixes(workload, n_samples)
    last_partial = benchmark.pedantic(runs.jiter_reparse, args=(workload.document.data, sample.ends), rounds=5)
    assert isinstance(last_partial, dict)
    assert runs.jiter_parse(workload.document.data) == workload.document.expected
    record("jiter_reparse_sampled", workload, scale=sample.scale)


def test_ijson_yajl2_c(benchmark: Any, workload: Stream, record: Any) -> None:
    """(d) ijson's yajl2_c push parser fed the same chunks: events only, no values (the incremental floor)."""
    _peer(benchmark, workload, record, "ijson", "ijson_yajl2_c")
    assert runs.ijson_value(workload.byte_chunks) == workload.document.expected


def test_json_loads(benchmark: Any, workload: Stream, record: Any) -> None:
    """(e) json.loads of the whole text once: the no-streaming floor."""
    _peer(benchmark, workload, record, "json", "json_loads")


def test_orjson_loads(benchmark: Any, workload: Stream, record: Any) -> None:
    """(e') orjson.loads of the whole text once: the fastest no-streaming floor."""
    if not PEERS["orjson"].installed():
        pytest.skip("orjson is not installed")
    _peer(benchmark, workload, record, "orjson", "orjson_loads")
