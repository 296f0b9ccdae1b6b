"""Pydantic layer side by side in one process: midstream ``ModelStream`` vs instructor ``Partial``; prints markdown.

    python benches/compare_models.py [--items 100 1000] [--fields 40] [--nested 4] [--repeat N] [--json PATH]

Four measurements (targets: DESIGN.md, "Performance targets"):

* a ``Catalog(items: list[Item])`` of ``--items[0]`` LLM-like items, its JSON in 1-8 character ``str`` chunks, the
  partial touched after every chunk: ``ModelStream(Catalog).feed`` vs ``Partial[Catalog].model_from_chunks``;
* midstream's cost per chunk at ``--items[-1]`` items against ``--items[0]`` (it should stay flat);
* the typed layer against its floors on the ``--items[-1]`` catalog: the partial read after every 1-8 character
  chunk vs ``Parser.value`` read after every chunk (the same loop on both sides: read, drop, nothing else);
  every partial kept (``list(midstream.stream(...))``) vs
  ``Parser.snapshot()`` kept after every chunk; ``ModelStream`` over 1-4 KiB chunks vs one ``model_validate_json``
  of the finished text (targets: issue 14, at most 2x, 2x and 3x);
* the first partial of a 3-level schema with ``--fields`` fields per model (``--nested`` of them nested models at
  the two upper levels), from model classes created anew (``pydantic.create_model``) before every timed run:
  ``ModelStream(Root)`` + the first chunk(s) vs ``Partial[Root]`` + the first partial of ``model_from_chunks``.

Every runner is checked once for correctness (final value == ``Model.model_validate_json(text)``; a first partial is
an empty instance of the root), then timed with ``time.perf_counter``; runs are interleaved round-robin (so drift on a
shared machine hits both libraries alike) and the best of N is kept (the first partials: best of N x
``--first-samples``, each on new classes). Ratios, not absolute times, are the result. Progress goes to stderr;
stdout is only the markdown. ``MIDSTREAM_BENCH_SMOKE=1`` makes the defaults small (10 / 100 items, 8 fields).
"""

# The output is markdown for humans: the multiplication signs, arrows and dashes in it are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import compare
import model_runs as models
import parser_runs
from midstream.bench.schemas import WideSchema, wide_schema

#: DESIGN.md: instructor Partial / midstream on a 100-item list; per-chunk cost growth for 10x the items; first
#: partial of a 3-level, 40-fields-per-model schema. instructor's first partial is quoted there as 0.25-1.3 s.
INSTRUCTOR_TARGET = 100.0
GROWTH_TARGET = 1.2
FIRST_PARTIAL_TARGET = 0.005
INSTRUCTOR_FIRST_PARTIAL_QUOTED = "0.25–1.3 s"

MIDSTREAM = "midstream `ModelStream`"
INSTRUCTOR = "instructor `Partial`"
#: The typed layer against its floors (issue 14): ModelStream's time over the floor's, at most.
FLOOR_TARGETS = {
    "partial read after every 1–8 B chunk": ("`Parser.value` read after every chunk", 2.0),
    "every partial kept": ("`Parser.snapshot()` kept after every chunk", 2.0),
    "1–4 KiB chunks": ("one `model_validate_json` of the finished text", 3.0),
}


@dataclass
class Row:
    library: str
    case: str
    workload: str
    chunks: int
    seconds: float

    @property
    def us_per_chunk(self) -> float:
        return self.seconds * 1e6 / self.chunks


@dataclass
class Case:
    library: str
    case: str
    workload: str
    #: (setup, run): setup's result (not timed) is run's argument; a fresh setup for every timed run.
    setup: Callable[[], Any]
    run: Callable[[Any], Any]
    #: chunks fed in a run, from (setup's result, run's result)
    chunks: Callable[[Any, Any], int]
    check: Callable[[Any, Any], bool]
    samples: int = 1


def machine() -> dict[str, str]:
    versions = models.versions()
    return {
        "platform": platform.platform(),
        "cpu": compare.cpu_model(),
        "cpus": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "midstream": f"{versions['midstream']} (git {compare.git_revision() or 'unknown'})",
        "pydantic": f"{versions['pydantic']} (pydantic-core {versions['pydantic_core']})",
        "instructor": versions["instructor"],
        "jiter": versions["jiter"],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }


def catalog_cases(workload: models.CatalogWorkload, *, instructor: bool) -> list[Case]:
    case = f"catalog of {workload.label}"
    what = f"{workload.n_bytes:,} B JSON"
    out = [
        Case(
            MIDSTREAM,
            case,
            what,
            lambda: workload.chunks,
            models.midstream_catalog,
            lambda chunks, _: len(chunks),
            lambda _, result: bool(result == workload.expected),
        )
    ]
    if instructor:
        models.instructor_partial(models.Catalog)  # its partial class, built once outside the timing
        out.append(
            Case(
                INSTRUCTOR,
                case,
                what,
                lambda: workload.chunks,
                models.instructor_catalog,
                lambda chunks, _: len(chunks),
                lambda _, result: bool(result == workload.expected),
            )
        )
    return out


def floor_cases(workload: models.CatalogWorkload) -> list[Case]:
    """The typed layer against what it is built on, on the same catalog: the parser's own value (read after
    every chunk, or a snapshot of it kept), and pydantic's validation of the finished text."""
    what = f"{workload.n_bytes:,} B JSON"
    small, big = workload.chunks, workload.big_chunks
    expected = workload.expected

    def same(_: Any, result: Any) -> bool:
        return bool(result == expected)

    def fed(chunks: Any, _: Any) -> int:
        return len(chunks)

    def last_is_final(_: Any, result: list[Any]) -> bool:
        return bool(result and result[-1] == expected)

    def parsed(_: Any, result: Any) -> bool:
        return bool(result == json.loads(workload.text))

    def last_parsed(_: Any, result: list[Any]) -> bool:
        return bool(result and result[-1] == json.loads(workload.text))

    read, kept, whole = FLOOR_TARGETS
    return [
        Case(MIDSTREAM, read, what, lambda: small, models.midstream_catalog_read, fed, same),
        Case(FLOOR_TARGETS[read][0], read, what, lambda: small, models.parser_value_catalog, fed, parsed),
        Case(MIDSTREAM, kept, what, lambda: small, models.midstream_catalog_kept, fed, last_is_final),
        Case(FLOOR_TARGETS[kept][0], kept, what, lambda: small, models.parser_snapshots_kept, fed, last_parsed),
        Case(MIDSTREAM, whole, what, lambda: big, models.midstream_catalog, fed, same),
        Case(FLOOR_TARGETS[whole][0], whole, what, lambda: workload.text, models.validate_whole, lambda *_: 1, same),
    ]


def first_partial_cases(spec: WideSchema, samples: int) -> list[Case]:
    case = "first partial"
    what = f"{spec.label}, {spec.root.n_fields} fields; new classes every run"

    def setup() -> tuple[type[Any], tuple[str, ...]]:
        return spec.build(), spec.chunks

    def runner(run: Callable[[type[Any], Any], models.FirstPartial]) -> Callable[[Any], models.FirstPartial]:
        return lambda args: run(*args)

    def check(args: Any, result: models.FirstPartial) -> bool:
        return models.check_first_partial(args[0], result)

    def fed(_: Any, result: models.FirstPartial) -> int:
        return result.chunks_fed

    return [
        Case(MIDSTREAM, case, what, setup, runner(models.midstream_first_partial), fed, check, samples),
        Case(INSTRUCTOR, case, what, setup, runner(models.instructor_first_partial), fed, check, samples),
    ]


def measure(cases: list[Case], repeat: int) -> list[Row]:
    chunks: dict[int, int] = {}
    for i, case in enumerate(cases):
        args = case.setup()
        result = case.run(args)
        if not case.check(args, result):
            raise SystemExit(f"{case.library}, {case.case}: wrong result")
        chunks[i] = case.chunks(args, result)
    best = [float("inf")] * len(cases)
    for round_ in range(repeat):
        print(f"  round {round_ + 1}/{repeat}", file=sys.stderr, flush=True)
        for i, case in enumerate(cases):
            for _ in range(case.samples):
                args = case.setup()
                gc.collect()
                start = time.perf_counter()
                case.run(args)
                elapsed = time.perf_counter() - start
                best[i] = min(best[i], elapsed)
    return [Row(c.library, c.case, c.workload, chunks[i], best[i]) for i, c in enumerate(cases)]


def mb_per_s(row: Row) -> float:
    """Throughput of a row whose workload names its size (``"285,064 B JSON"``)."""
    return int(row.workload.split()[0].replace(",", "")) / row.seconds / 1e6


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 0.1 else f"{compare.fmt_seconds(seconds)} s"


def report(rows: list[Row], info: dict[str, str], args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    by_case: dict[str, dict[str, Row]] = {}
    for row in rows:
        by_case.setdefault(row.case, {})[row.library] = row
    lines = [
        "| case | library | workload | chunks fed | time | µs per chunk | MB/s | ratio vs midstream |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for case, named in by_case.items():
        base = named[MIDSTREAM].seconds
        for row in named.values():
            per_chunk = f"{row.us_per_chunk:,.2f}" if row.chunks > 1 else "–"
            rate = f"{mb_per_s(row):,.1f}" if row.workload.endswith(" B JSON") else "–"
            lines.append(
                f"| {case} | {row.library} | {row.workload} | {row.chunks:,} | {fmt_time(row.seconds)} "
                f"| {per_chunk} | {rate} | {compare.fmt_ratio(row.seconds / base)} |"
            )
    lines.append("")

    targets: list[dict[str, Any]] = []
    lines += ["| target (DESIGN.md) | measured | |", "|---|---:|---|"]
    small_case = f"catalog of {args.items[0]:,} items"
    small = by_case[small_case]
    ratio = small[INSTRUCTOR].seconds / small[MIDSTREAM].seconds
    label = f"instructor `Partial` / midstream `ModelStream`, {small_case}"
    applies = args.items[0] == models.CATALOG_ITEMS  # the target is for a 100-item list
    label += f": ≥ {INSTRUCTOR_TARGET:,.0f}×" if applies else " (no target at this size)"
    met = ratio >= INSTRUCTOR_TARGET if applies else None
    lines.append(f"| {label} | {compare.fmt_ratio(ratio)} | {'' if met is None else compare.status(met)} |")
    targets.append({"target": label, "measured": ratio, "met": met})
    if len(args.items) > 1:
        large_case = f"catalog of {args.items[-1]:,} items"
        small_row, large_row = small[MIDSTREAM], by_case[large_case][MIDSTREAM]
        growth = large_row.us_per_chunk / small_row.us_per_chunk
        label = (
            f"midstream cost per chunk, growth {args.items[0]:,} → {args.items[-1]:,} items "
            f"({large_row.chunks / small_row.chunks:.1f}× the chunks): ≤ {GROWTH_TARGET}"
        )
        measured = f"{growth:.3f} ({small_row.us_per_chunk:.2f} → {large_row.us_per_chunk:.2f} µs/chunk)"
        lines.append(f"| {label} | {measured} | {compare.status(growth <= GROWTH_TARGET)} |")
        targets.append({"target": label, "measured": growth, "met": growth <= GROWTH_TARGET})
    for case, (floor, bound) in FLOOR_TARGETS.items():
        named = by_case.get(case)
        if named is None:
            continue
        ours, base = named[MIDSTREAM], named[floor]
        ratio = ours.seconds / base.seconds
        label = f"`ModelStream` / {floor}, {case}, {ours.workload}: ≤ {bound:g}×"
        measured = f"{compare.fmt_ratio(ratio)} ({mb_per_s(ours):.1f} vs {mb_per_s(base):.1f} MB/s)"
        lines.append(f"| {label} | {measured} | {compare.status(ratio <= bound)} |")
        targets.append({"target": label, "measured": ratio, "met": ratio <= bound})
    first = by_case["first partial"]
    ours, theirs = first[MIDSTREAM].seconds, first[INSTRUCTOR].seconds
    shape = f"3 levels × {args.fields} fields"
    label = f"midstream first partial, {shape}, new classes"
    applies = args.fields == models.WIDE_FIELDS  # the target is for 40 fields per model
    label += f": ≤ {FIRST_PARTIAL_TARGET * 1e3:g} ms" if applies else " (no target at this size)"
    met = ours <= FIRST_PARTIAL_TARGET if applies else None
    lines.append(f"| {label} | {fmt_time(ours)} | {'' if met is None else compare.status(met)} |")
    targets.append({"target": label, "measured": ours, "met": met})
    label = f"(instructor first partial, {shape}; DESIGN.md quotes {INSTRUCTOR_FIRST_PARTIAL_QUOTED}; no target)"
    lines.append(f"| {label} | {fmt_time(theirs)} ({compare.fmt_ratio(theirs / ours)} midstream) | |")
    lines.append("")

    lines.append(
        "Input: `midstream bench`'s `structured` document (`midstream.bench.workloads.build_items`), a "
        "`Catalog(items: list[Item])` of LLM-like items (id, title, blurb, score, tags, active, a nested `Owner` "
        "with a Literal level and an optional email; escapes, accents, CJK and emoji in the prose), "
        "`json.dumps(..., ensure_ascii=False)`, cut by `midstream.bench.cut` into `str` chunks of 1–8 bytes "
        "(1–4 KiB for the network-sized row); the partial is touched (`.items` read) after every chunk. "
        "midstream: `ModelStream(Catalog).feed(chunk)`; instructor: `Partial[Catalog].model_from_chunks(chunks)`, "
        "every partial consumed (its "
        "`Partial[Catalog]` class built once, outside the timing). Both final values equal "
        "`Catalog.model_validate_json(text)`.  "
    )
    lines.append(
        "Floors: the partial read after every chunk is `feed(chunk)` against `feed(chunk); parser.value` "
        "(expression statements: each value dropped at once), the same loop with nothing else in it "
        "(`benches/model_runs.py`: `midstream_catalog_read`, `parser_value_catalog`).  "
    )
    lines.append(
        f"First partial: a root model of {args.fields} fields of mixed types (str, int, float, bool, list[str], "
        f"Literal, str | None, dict[str, int], constrained int, list[int] with a default factory), {args.nested} of "
        f"them nested models of {args.fields} fields (plain, optional, in a list), {args.nested} of theirs nested "
        "again; all classes created anew with `pydantic.create_model` before every timed run (not timed). Timed: "
        "`ModelStream(Root)` and `feed` until the partial is not `None`; `Partial[Root]` (instructor does not "
        "cache it) and `model_from_chunks` until its first partial.  "
    )
    lines.append(
        f"Best of {args.repeat} interleaved runs (first partials: of {args.repeat} × {args.first_samples}), "
        "`time.perf_counter`, GC on (collected before each run).  "
    )
    lines.append(
        f"Machine: {info['platform']}; CPU: {info['cpu']} ({info['cpus']} logical CPUs); {info['python']}; "
        f"midstream {info['midstream']}, pydantic {info['pydantic']}, instructor {info['instructor']}, "
        f"jiter {info['jiter']}; {info['date']}."
    )
    payload = {
        "machine": info,
        "repeat": args.repeat,
        "first_samples": args.first_samples,
        "results": [asdict(row) for row in rows],
        "targets": targets,
    }
    return "\n".join(lines), payload


def main(argv: list[str] | None = None) -> int:
    smoke = parser_runs.smoke_from_env()
    items = list(models.sizes(smoke))
    fields, nested = models.wide_shape(smoke)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--items",
        type=int,
        nargs="+",
        default=items,
        help=f"items in the compared list, then in the list for the growth (default {items[0]} {items[1]})",
    )
    parser.add_argument("--fields", type=int, default=fields, help=f"fields per model (default {fields})")
    parser.add_argument(
        "--nested", type=int, default=nested, help=f"nested-model fields per model, levels 1-2 (default {nested})"
    )
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best run is kept (default 5)")
    parser.add_argument(
        "--first-samples", type=int, default=5, help="first-partial runs per round, each on new classes (default 5)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results to this JSON file")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.first_samples < 1:
        parser.error("--repeat and --first-samples must be at least 1")
    if not 1 <= len(args.items) <= 2:
        parser.error("--items takes one or two sizes")
    if args.nested >= args.fields:
        parser.error("--nested must be smaller than --fields")

    info = machine()
    cases: list[Case] = []
    for n, n_items in enumerate(args.items):
        workload = models.make_catalog(n_items)
        print(
            f"catalog of {workload.label}: {workload.n_bytes} bytes, {len(workload.chunks)} chunks",
            file=sys.stderr,
            flush=True,
        )
        cases += catalog_cases(workload, instructor=n == 0)
        if n == len(args.items) - 1:
            cases += floor_cases(workload)
    spec = wide_schema(args.fields, args.nested)
    print(f"first partial: {spec.label}, {spec.root.n_fields} fields", file=sys.stderr, flush=True)
    models.check_wide_document(spec)
    cases += first_partial_cases(spec, args.first_samples)
    rows = measure(cases, args.repeat)
    markdown, payload = report(rows, info, args)
    print(markdown)
    if args.json is not None:
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
