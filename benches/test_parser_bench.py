"""Side-by-side streaming benchmarks: midstream vs jiter re-parsing, ijson's yajl2_c push parser, json.loads.

Each benchmark group holds one document size (~30 KB, ~300 KB of workload JSON in 1-8 byte chunks). Each
benchmark asserts once that its parser's final value equals ``json.loads`` of the whole text; none asserts on
timings. ``pytest benches --benchmark-disable -q`` is the smoke pass (every body runs once, jiter on a few
prefixes).
"""

from __future__ import annotations

from typing import Any

import harness
import pytest


def _group(benchmark: Any, workload: harness.Workload) -> None:
    benchmark.group = f"{workload.label} document ({workload.n_bytes} B, {len(workload.chunks)} chunks of 1-8 B)"


def test_midstream_value(benchmark: Any, workload: harness.Workload, record: Any) -> None:
    """(a) midstream: feed each chunk, read the partial ``value`` after every one."""
    _group(benchmark, workload)
    result = benchmark(harness.midstream_value, workload.chunks)
    assert result == workload.expected
    record("midstream_value", workload)


def test_midstream_feed(benchmark: Any, workload: harness.Workload, record: Any) -> None:
    """(b) midstream feed only (value read once at the end). Also (f): ns/byte at both sizes -> flatness."""
    _group(benchmark, workload)
    result = benchmark(harness.midstream_feed, workload.chunks)
    assert result == workload.expected
    record("midstream_feed", workload)


@pytest.mark.parametrize("workload", [harness.human_size(min(harness.DEFAULT_SIZES))], indirect=True)
def test_jiter_reparse(benchmark: Any, workload: harness.Workload, record: Any) -> None:
    """(c) jiter ``from_json(prefix, partial_mode="trailing-strings")`` after every chunk (~30 KB only).

    Smallest size only: the work is quadratic, and at ~300 KB one round takes tens of seconds, so that size is
    measured by ``test_jiter_reparse_sampled`` instead.
    """
    _group(benchmark, workload)
    result = benchmark.pedantic(harness.jiter_reparse, args=(workload.data, workload.ends), rounds=3)
    assert result == workload.expected
    record("jiter_reparse", workload)


def test_jiter_reparse_sampled(benchmark: Any, workload: harness.Workload, record: Any, smoke: bool) -> None:
    """(c) jiter re-parse on an evenly spaced sample of the prefixes; the summary scales it to all of them.

    ``harness.sample_prefixes`` explains why the scaled sample is an unbiased estimate of the full sum: the
    cost of a re-parse is ~linear in the prefix length, and the sample takes the middle prefix of equal
    strata.
    """
    _group(benchmark, workload)
    n_samples = harness.SMOKE_JITER_SAMPLES if smoke else harness.DEFAULT_JITER_SAMPLES
    sample = harness.sample_prefixes(workload, n_samples)
    last_partial = benchmark.pedantic(harness.jiter_reparse, args=(workload.data, sample.ends), rounds=5)
    assert isinstance(last_partial, dict)
    assert harness.jiter_parse(workload.data) == workload.expected
    record("jiter_reparse_sampled", workload, scale=sample.scale)


def test_ijson_yajl2_c(benchmark: Any, workload: harness.Workload, record: Any) -> None:
    """(d) ijson's yajl2_c push parser fed the same chunks: events only, no values (the incremental floor)."""
    _group(benchmark, workload)
    benchmark(harness.ijson_yajl2_c, workload.chunks)
    assert harness.ijson_yajl2_c_value(workload.chunks) == workload.expected
    record("ijson_yajl2_c", workload)


def test_json_loads(benchmark: Any, workload: harness.Workload, record: Any) -> None:
    """(e) json.loads of the whole text once: the no-streaming floor."""
    _group(benchmark, workload)
    result = benchmark(harness.json_loads, workload.data)
    assert result == workload.expected
    record("json_loads", workload)


def test_orjson_loads(benchmark: Any, workload: harness.Workload, record: Any) -> None:
    """(e') orjson.loads of the whole text once: the fastest no-streaming floor."""
    if harness.orjson_module() is None:
        pytest.skip("orjson is not installed")
    _group(benchmark, workload)
    result = benchmark(harness.orjson_loads, workload.data)
    assert result == workload.expected
    record("orjson_loads", workload)
