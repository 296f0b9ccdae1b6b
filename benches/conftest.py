"""Fixtures for the side-by-side parser benchmarks (pytest-benchmark).

``pytest benches`` measures; ``pytest benches --benchmark-disable`` (or ``MIDSTREAM_BENCH_SMOKE=1``) is a
smoke pass: every benchmark body runs once, correctness is asserted, and the sampled jiter re-parse uses only
a handful of prefixes. Benchmarks never assert on timings; the derived ratios are printed in the terminal
summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import harness
import pytest

SIZES = {harness.human_size(size): size for size in harness.DEFAULT_SIZES}


@dataclass(frozen=True)
class Result:
    """One measured benchmark: best round, and the factor that scales it to a full run (sampled runs only)."""

    name: str
    size: str
    n_bytes: int
    n_chunks: int
    seconds: float
    scale: float = 1.0

    @property
    def estimated_seconds(self) -> float:
        return self.seconds * self.scale


RESULTS = pytest.StashKey[dict[tuple[str, str], Result]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RESULTS] = {}


_workloads: dict[int, harness.Workload] = {}


@pytest.fixture(params=list(SIZES), scope="session")
def workload(request: pytest.FixtureRequest) -> harness.Workload:
    """A workload document of ~30 KB or ~300 KB, its bytes and its 1-8 byte chunks."""
    target = SIZES[request.param]
    if target not in _workloads:
        _workloads[target] = harness.make_workload(target)
    return _workloads[target]


@pytest.fixture
def smoke(benchmark: Any) -> bool:
    """True when benchmarks are not measured (``--benchmark-disable``) or ``MIDSTREAM_BENCH_SMOKE`` is set."""
    return harness.smoke_from_env() or bool(benchmark.disabled)


@pytest.fixture
def record(request: pytest.FixtureRequest, benchmark: Any) -> Any:
    """``record(name, workload, scale=1.0)``: keep this benchmark's best round for the terminal summary."""

    def _record(name: str, workload: harness.Workload, scale: float = 1.0) -> None:
        benchmark.extra_info.update(doc_bytes=workload.n_bytes, chunks=len(workload.chunks), n_items=workload.n_items)
        if scale != 1.0:
            benchmark.extra_info["sample_scale"] = scale
        if benchmark.disabled or benchmark.stats is None:
            return
        best = float(benchmark.stats.stats.min)
        benchmark.extra_info["ns_per_byte"] = best * (scale * 1e9) / workload.n_bytes
        if scale != 1.0:
            benchmark.extra_info["estimated_full_seconds"] = best * scale
        results = request.config.stash[RESULTS]
        results[(name, workload.label)] = Result(
            name, workload.label, workload.n_bytes, len(workload.chunks), best, scale
        )

    return _record


@pytest.hookimpl(trylast=True)  # after pytest-benchmark's own tables
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, {})
    if not results:
        return
    write = terminalreporter.write_line
    terminalreporter.section("midstream side by side (best round; sampled runs scaled to all prefixes)")
    for size in SIZES:
        base = results.get(("midstream_value", size))
        rows = [result for (_, label), result in results.items() if label == size]
        if not rows:
            continue
        write(f"{size}: {rows[0].n_bytes} bytes, {rows[0].n_chunks} chunks")
        for row in sorted(rows, key=lambda r: r.estimated_seconds):
            ratio = f"{row.estimated_seconds / base.seconds:10.2f}x midstream_value" if base else ""
            sampled = f" (sample {row.seconds * 1e3:.2f} ms x {row.scale:.1f})" if row.scale != 1.0 else ""
            write(f"  {row.name:24} {row.estimated_seconds * 1e3:12.3f} ms {ratio}{sampled}")
    small, large = (results.get(("midstream_feed", size)) for size in SIZES)
    if small and large:
        per_byte = [r.seconds / r.n_bytes * 1e9 for r in (small, large)]
        write(
            f"midstream feed-only per-byte cost: {per_byte[0]:.2f} ns/B -> {per_byte[1]:.2f} ns/B, "
            f"growth {per_byte[1] / per_byte[0]:.3f} (target <= 1.2)"
        )
    for size in SIZES:
        feed, ijson = results.get(("midstream_feed", size)), results.get(("ijson_yajl2_c", size))
        if feed and ijson:
            floor = feed.seconds / ijson.seconds
            write(f"{size}: midstream feed-only / ijson yajl2_c = {floor:.2f} (target <= 2)")
