"""Fixtures for the side-by-side parser benchmarks (pytest-benchmark).

``pytest benches`` measures; ``pytest benches --benchmark-disable`` (or ``MIDSTREAM_BENCH_SMOKE=1``) is a
smoke pass: every benchmark body runs once, correctness is asserted, and the sampled jiter re-parse uses only
a handful of prefixes (the Pydantic-layer benchmarks of ``test_models_bench.py`` use smaller lists and schemas).
Benchmarks never assert on timings; the derived ratios are printed in the terminal summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import parser_runs as runs
import pytest
from midstream.bench import Stream
from midstream.bench.chunking import human_bytes

SIZES = {human_bytes(size): size for size in runs.DEFAULT_SIZES}


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


@dataclass(frozen=True)
class ModelResult:
    """One measured Pydantic-layer benchmark (``test_models_bench.py``): best round, and chunks fed per round."""

    name: str
    case: str
    seconds: float
    n_chunks: int

    @property
    def us_per_chunk(self) -> float:
        return self.seconds * 1e6 / self.n_chunks


MODEL_RESULTS = pytest.StashKey[dict[tuple[str, str], ModelResult]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RESULTS] = {}
    config.stash[MODEL_RESULTS] = {}


_streams: dict[int, Stream] = {}


@pytest.fixture(params=list(SIZES), scope="session")
def workload(request: pytest.FixtureRequest) -> Stream:
    """The ``structured`` document of ~30 KB or ~300 KB in 1-8 byte chunks (``parser_runs.parser_stream``)."""
    target = SIZES[request.param]
    if target not in _streams:
        _streams[target] = runs.parser_stream(target)
    return _streams[target]


@pytest.fixture
def smoke(benchmark: Any) -> bool:
    """True when benchmarks are not measured (``--benchmark-disable``) or ``MIDSTREAM_BENCH_SMOKE`` is set."""
    return runs.smoke_from_env() or bool(benchmark.disabled)


@pytest.fixture
def record(request: pytest.FixtureRequest, benchmark: Any) -> Any:
    """``record(name, workload, scale=1.0)``: keep this benchmark's best round for the terminal summary."""

    def _record(name: str, workload: Stream, scale: float = 1.0) -> None:
        n_bytes = workload.document.n_bytes
        benchmark.extra_info.update(doc_bytes=n_bytes, chunks=workload.n_chunks, n_items=runs.n_items(workload))
        if scale != 1.0:
            benchmark.extra_info["sample_scale"] = scale
        if benchmark.disabled or benchmark.stats is None:
            return
        best = float(benchmark.stats.stats.min)
        benchmark.extra_info["ns_per_byte"] = best * (scale * 1e9) / n_bytes
        if scale != 1.0:
            benchmark.extra_info["estimated_full_seconds"] = best * scale
        results = request.config.stash[RESULTS]
        results[(name, runs.label(workload))] = Result(
            name, runs.label(workload), n_bytes, workload.n_chunks, best, scale
        )

    return _record


@pytest.fixture
def record_model(request: pytest.FixtureRequest, benchmark: Any) -> Any:
    """``record_model(name, case, n_chunks, **info)``: keep a Pydantic-layer benchmark's best round for the summary."""

    def _record(name: str, case: str, n_chunks: int, **info: Any) -> None:
        benchmark.extra_info.update(chunks=n_chunks, **info)
        if benchmark.disabled or benchmark.stats is None:
            return
        best = float(benchmark.stats.stats.min)
        benchmark.extra_info["us_per_chunk"] = best * 1e6 / n_chunks
        request.config.stash[MODEL_RESULTS][(name, case)] = ModelResult(name, case, best, n_chunks)

    return _record


@pytest.hookimpl(trylast=True)  # after pytest-benchmark's own tables
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    _parser_summary(terminalreporter, config)
    _model_summary(terminalreporter, config)


def _parser_summary(terminalreporter: Any, config: pytest.Config) -> None:
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


def _model_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Ratios of the Pydantic-layer benchmarks (targets: DESIGN.md, "Performance targets")."""
    results = config.stash.get(MODEL_RESULTS, {})
    if not results:
        return
    write = terminalreporter.write_line
    terminalreporter.section("midstream pydantic layer side by side (best round)")
    for (name, case), row in sorted(results.items(), key=lambda kv: (kv[0][1], kv[1].seconds)):
        per_chunk = f" ({row.us_per_chunk:.2f} us/chunk)" if row.n_chunks > 1 else f" ({row.n_chunks} chunk fed)"
        write(f"  {case}: {name:10} {row.seconds * 1e3:12.3f} ms{per_chunk}")
    cases = {case for _, case in results}
    for case in sorted(cases):
        ours, theirs = results.get(("midstream", case)), results.get(("instructor", case))
        if ours and theirs:
            target = "target >= 100x" if case.startswith("catalog") else "midstream target <= 5 ms"
            write(f"{case}: instructor / midstream = {theirs.seconds / ours.seconds:.1f}x ({target})")
    catalogs = sorted(
        (row for (name, case), row in results.items() if name == "midstream" and case.startswith("catalog")),
        key=lambda row: row.n_chunks,
    )
    if len(catalogs) >= 2:
        small, large = catalogs[0], catalogs[-1]
        write(
            f"midstream per-chunk cost, {small.case} -> {large.case}: {small.us_per_chunk:.2f} -> "
            f"{large.us_per_chunk:.2f} us/chunk, growth {large.us_per_chunk / small.us_per_chunk:.3f} (target <= 1.2)"
        )
