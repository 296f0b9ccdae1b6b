"""The ``midstream bench`` suite under pytest-benchmark: every workload, every installed peer, one size.

Each peer streams the same document in the same 1-8 byte chunks and takes a partial value after every chunk,
exactly as ``midstream bench`` runs it (the runs come from ``midstream.bench.peers``). Groups are per workload, so
pytest-benchmark prints midstream and its peers side by side. Full pass: 10 KB documents; smoke pass
(``--benchmark-disable`` or ``MIDSTREAM_BENCH_SMOKE=1``): 2 KB, every body once, the final value checked.
``midstream bench`` covers the sizes, network-sized chunks, budgets and plots; this file is for pytest-benchmark's
own tooling (``--benchmark-compare``, ``--benchmark-json``, histograms).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pytest
from midstream.bench import PEERS, TOKEN_SIZED, WORKLOADS, Stream, build, cut
from midstream.bench.chunking import human_bytes

FULL_SIZE, SMOKE_SIZE = 10_000, 2_000


@cache
def stream(workload: str, size: int) -> Stream:
    return cut(build(workload, size), TOKEN_SIZED)


@pytest.mark.parametrize("peer_name", list(PEERS))
@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_partial_after_every_chunk(benchmark: Any, smoke: bool, workload: str, peer_name: str) -> None:
    peer = PEERS[peer_name]
    if not peer.installed():
        pytest.skip(f"{peer.distribution} is not installed (pip install -e '.[bench]')")
    chunks = stream(workload, SMOKE_SIZE if smoke else FULL_SIZE)
    run = peer.prepare(chunks)
    benchmark.group = (
        f"suite: {workload} ({human_bytes(chunks.document.n_bytes)}, {chunks.n_chunks:,} chunks of 1-8 B), "
        "partial after every chunk"
    )
    benchmark.extra_info.update(kind=peer.kind, chunks=chunks.n_chunks, doc_bytes=chunks.document.n_bytes)
    # Re-parsers cost seconds per run at 10 KB: a few rounds say enough; the incremental ones get more.
    result = benchmark.pedantic(run, args=(math.inf,), rounds=3 if peer.reparses else 20, iterations=1)
    if peer.check is not None:
        assert peer.check(chunks, result), f"{peer_name}: wrong final value on {workload}"
