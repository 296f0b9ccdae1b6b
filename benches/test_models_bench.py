"""Side-by-side Pydantic-layer benchmarks: ``midstream.ModelStream`` vs instructor's ``Partial[Model]``.

Groups (each prints midstream and instructor together):

* ``catalog of N items`` -- a ``Catalog(items: list[Item])`` of 100 LLM-like items in 1-8 byte ``str`` chunks,
  the partial touched after every chunk; midstream also at 1,000 items (its cost per chunk should stay flat).
* ``first partial`` -- from freshly created classes of a 3-level schema with 40 fields per model: stream
  construction and the first chunk(s), until the first partial that is not ``None``.

Every benchmark checks its result once (the final value equals ``Catalog.model_validate_json(text)``; the first
partial is an empty instance of the root); none asserts on timings. The terminal summary prints the ratios.
``pytest benches --benchmark-disable -q`` (or ``MIDSTREAM_BENCH_SMOKE=1``) is the smoke pass: every body runs once,
on 10 and 100 items and a 3-level schema of 8 fields per model.
"""

from __future__ import annotations

import gc
from functools import cache
from typing import Any

import pytest

pytest.importorskip("instructor", reason="instructor is in the bench extra: pip install -e '.[bench]'")

import model_runs as models  # after the importorskip: it imports instructor
from midstream.bench.schemas import WideSchema, wide_schema

#: Rounds of the instructor runs (seconds each at full size; pytest-benchmark would otherwise calibrate).
INSTRUCTOR_CATALOG_ROUNDS = 3
INSTRUCTOR_FIRST_PARTIAL_ROUNDS = 5
#: Rounds of midstream's first partial (each round creates its model classes anew, ~50 ms, outside the timing).
MIDSTREAM_FIRST_PARTIAL_ROUNDS = 20


@cache
def catalog(n_items: int) -> models.CatalogWorkload:
    return models.make_catalog(n_items)


@cache
def wide_spec(n_fields: int, n_nested: int) -> WideSchema:
    return wide_schema(n_fields, n_nested)


def _catalog_group(benchmark: Any, workload: models.CatalogWorkload) -> str:
    case = f"catalog of {workload.label}"
    benchmark.group = (
        f"pydantic: {case} ({workload.n_bytes:,} B, {len(workload.chunks):,} chunks of 1-8 chars), "
        "partial touched after every chunk"
    )
    return case


@pytest.mark.parametrize("size", ["compared", "10x"])
def test_midstream_catalog(benchmark: Any, smoke: bool, record_model: Any, size: str) -> None:
    """``ModelStream(Catalog)``, every chunk fed and the partial touched; at 10x the items, per-chunk flatness."""
    small, large = models.sizes(smoke)
    workload = catalog(small if size == "compared" else large)
    case = _catalog_group(benchmark, workload)
    result = benchmark(models.midstream_catalog, workload.chunks)
    assert result == workload.expected
    record_model("midstream", case, len(workload.chunks), n_items=workload.n_items, doc_bytes=workload.n_bytes)


def test_instructor_catalog(benchmark: Any, smoke: bool, record_model: Any) -> None:
    """instructor ``Partial[Catalog].model_from_chunks``: every partial consumed and touched (quadratic)."""
    workload = catalog(models.sizes(smoke)[0])
    case = _catalog_group(benchmark, workload)
    models.instructor_partial(models.Catalog)  # its partial class, built once outside the timing
    result = benchmark.pedantic(
        models.instructor_catalog, args=(workload.chunks,), rounds=INSTRUCTOR_CATALOG_ROUNDS, iterations=1
    )
    assert result == workload.expected
    record_model("instructor", case, len(workload.chunks), n_items=workload.n_items, doc_bytes=workload.n_bytes)


def _first_partial(benchmark: Any, smoke: bool, record_model: Any, name: str, rounds: int) -> None:
    spec = wide_spec(*models.wide_shape(smoke))
    case = f"first partial, {spec.label}"
    benchmark.group = f"pydantic: {case} ({spec.root.n_fields} fields), fresh classes every round"
    runner = models.midstream_first_partial if name == "midstream" else models.instructor_first_partial
    roots: list[type[Any]] = []

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        roots[:] = [spec.build()]  # pydantic.create_model, anew: no cache can help
        gc.collect()  # not in the timed run: the garbage of building the classes (as compare.py collects too)
        return (roots[0], spec.chunks), {}

    result = benchmark.pedantic(runner, setup=setup, rounds=rounds, iterations=1)
    assert models.check_first_partial(roots[0], result)
    record_model(name, case, result.chunks_fed, models=spec.root.n_models, fields=spec.root.n_fields)


def test_midstream_first_partial(benchmark: Any, smoke: bool, record_model: Any) -> None:
    """``ModelStream(Root)`` and its first chunks, from new classes (target: <= 5 ms at 3 x 40 fields)."""
    _first_partial(benchmark, smoke, record_model, "midstream", MIDSTREAM_FIRST_PARTIAL_ROUNDS)


def test_instructor_first_partial(benchmark: Any, smoke: bool, record_model: Any) -> None:
    """instructor ``Partial[Root]`` and the first partial of ``model_from_chunks``, from new classes."""
    _first_partial(benchmark, smoke, record_model, "instructor", INSTRUCTOR_FIRST_PARTIAL_ROUNDS)


def test_wide_document_read_in_full() -> None:
    """Both libraries read the whole wide document into ``Root.model_validate_json(text)`` (correctness only)."""
    models.check_wide_document(wide_spec(*models.wide_shape(smoke=False)))
