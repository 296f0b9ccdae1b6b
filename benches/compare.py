"""Side-by-side streaming comparison in one process; prints the markdown table the README quotes.

    python benches/compare.py [--sizes 30000 300000] [--repeat N] [--json PATH]

Every parser gets the same input: a deterministic ``workload.document`` of at least each size in bytes, as
UTF-8, cut into 1-8 byte chunks by ``workload.chunks``. Each runner is checked once for correctness (final
value == ``json.loads``), then timed with ``time.perf_counter``; runs are interleaved round-robin (so drift on
a shared machine hits every parser alike) and the best of N is kept. Ratios, not absolute times, are the
result. Progress goes to stderr; stdout is only the markdown.
"""

# The output is markdown for humans: the multiplication signs, arrows and dashes in it are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import harness
from midstream.bench.report import cpu_model, git_revision

#: The targets we claim (DESIGN.md, "Performance targets"): jiter re-parse / midstream (value after every
#: chunk) at ~30 KB and ~300 KB, per-byte feed cost growth for 10x the size, feed-only / ijson yajl2_c.
REPARSE_TARGETS = {30_000: 100.0, 300_000: 1000.0}
GROWTH_TARGET = 1.2
IJSON_TARGET = 2.0

MIDSTREAM_VALUE = "midstream, `value` read after every chunk"
MIDSTREAM_FEED = "midstream, feed only"
JITER_FULL = "jiter re-parse after every chunk"
JITER_SAMPLED = "jiter re-parse after every chunk, sampled estimate †"
IJSON = "ijson yajl2_c push parser, events only"
JSON_LOADS = "json.loads, whole text once"
ORJSON_LOADS = "orjson.loads, whole text once"


@dataclass
class Row:
    parser: str
    doc_bytes: int
    chunks: int
    seconds: float
    #: Sampled runs: measured seconds of the sample, prefixes re-parsed, scale factor.
    sample_seconds: float | None = None
    sample_prefixes: int | None = None
    scale: float | None = None

    @property
    def us_per_chunk(self) -> float:
        return self.seconds * 1e6 / self.chunks


@dataclass
class Case:
    name: str
    run: Callable[[], Any]
    chunks: int
    check: Callable[[], bool]
    scale: float = 1.0
    sample_prefixes: int | None = None


def machine() -> dict[str, str]:
    versions = harness.versions()
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "midstream": f"{versions['midstream']} (git {git_revision() or 'unknown'})",
        "jiter": versions["jiter"],
        "ijson": versions["ijson"],
        "orjson": versions["orjson"],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }


def cases(workload: harness.Workload, jiter_samples: int, jiter_full_max: int) -> list[Case]:
    chunks, data, expected = workload.chunks, workload.data, workload.expected
    n = len(chunks)
    out = [
        Case(
            MIDSTREAM_VALUE,
            lambda: harness.midstream_value(chunks),
            n,
            lambda: bool(harness.midstream_value(chunks) == expected),
        ),
        Case(
            MIDSTREAM_FEED,
            lambda: harness.midstream_feed(chunks),
            n,
            lambda: bool(harness.midstream_feed(chunks) == expected),
        ),
    ]
    if workload.n_bytes <= jiter_full_max:
        out.append(
            Case(
                JITER_FULL,
                lambda: harness.jiter_reparse(data, workload.ends),
                n,
                lambda: bool(harness.jiter_reparse(data, workload.ends[-1:]) == expected),
            )
        )
    sample = harness.sample_prefixes(workload, jiter_samples)
    out += [
        Case(
            JITER_SAMPLED,
            lambda: harness.jiter_reparse(data, sample.ends),
            n,
            lambda: bool(harness.jiter_parse(data) == expected),
            scale=sample.scale,
            sample_prefixes=len(sample.ends),
        ),
        Case(
            IJSON,
            lambda: harness.ijson_yajl2_c(chunks),
            n,
            lambda: bool(harness.ijson_yajl2_c_value(chunks) == expected),
        ),
        Case(
            JSON_LOADS,
            lambda: harness.json_loads(data),
            1,
            lambda: bool(harness.json_loads(data) == expected),
        ),
    ]
    if harness.orjson_module() is not None:
        out.append(
            Case(
                ORJSON_LOADS,
                lambda: harness.orjson_loads(data),
                1,
                lambda: bool(harness.orjson_loads(data) == expected),
            )
        )
    return out


def measure(workload: harness.Workload, repeat: int, jiter_samples: int, jiter_full_max: int) -> list[Row]:
    todo = cases(workload, jiter_samples, jiter_full_max)
    for case in todo:
        if not case.check():
            raise SystemExit(f"{case.name}: final value differs from json.loads at {workload.n_bytes} bytes")
    best = {case.name: float("inf") for case in todo}
    for round_ in range(repeat):
        print(f"  {workload.label}: round {round_ + 1}/{repeat}", file=sys.stderr, flush=True)
        for case in todo:
            gc.collect()
            start = time.perf_counter()
            case.run()
            elapsed = time.perf_counter() - start
            best[case.name] = min(best[case.name], elapsed)
    rows = []
    for case in todo:
        seconds = best[case.name]
        if case.sample_prefixes is None:
            rows.append(Row(case.name, workload.n_bytes, case.chunks, seconds))
        else:
            rows.append(
                Row(
                    case.name,
                    workload.n_bytes,
                    case.chunks,
                    seconds * case.scale,
                    sample_seconds=seconds,
                    sample_prefixes=case.sample_prefixes,
                    scale=case.scale,
                )
            )
    return rows


def fmt_ratio(ratio: float) -> str:
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    if ratio >= 10:
        return f"{ratio:.1f}×"
    return f"{ratio:.2f}×"


def fmt_seconds(seconds: float) -> str:
    """Four significant digits, never in exponent notation."""
    if seconds <= 0:
        return "0"
    decimals = max(0, 3 - math.floor(math.log10(seconds)))
    return f"{seconds:.{decimals}f}"


def status(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def report(results: dict[int, list[Row]], info: dict[str, str], repeat: int) -> tuple[str, dict[str, Any]]:
    lines = [
        "| parser | doc bytes | chunks | total s | µs per chunk | ratio vs midstream (`value` every chunk) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_name: dict[int, dict[str, Row]] = {}
    for size, rows in results.items():
        named = {row.parser: row for row in rows}
        by_name[size] = named
        base = named[MIDSTREAM_VALUE].seconds
        for row in rows:
            chunks = f"{row.chunks:,}" if row.chunks > 1 else "1 (whole text)"
            lines.append(
                f"| {row.parser} | {row.doc_bytes:,} | {chunks} | {fmt_seconds(row.seconds)} "
                f"| {row.us_per_chunk:,.2f} | {fmt_ratio(row.seconds / base)} |"
            )
    lines.append("")

    targets: list[dict[str, Any]] = []
    lines += ["| target (DESIGN.md) | measured | |", "|---|---:|---|"]
    for size, named in by_name.items():
        need = REPARSE_TARGETS.get(size)
        jiter_row = named.get(JITER_FULL) or named[JITER_SAMPLED]
        ratio = jiter_row.seconds / named[MIDSTREAM_VALUE].seconds
        how = "" if jiter_row.parser == JITER_FULL else " (sampled estimate †)"
        label = f"jiter re-parse / midstream (`value` every chunk), {harness.human_size(size)}"
        if need is not None:
            label += f": ≥ {need:,.0f}×"
        ok = need is None or ratio >= need
        lines.append(f"| {label} | {fmt_ratio(ratio)}{how} | {status(ok) if need else ''} |")
        targets.append({"target": label, "measured": ratio, "met": ok if need else None})
    sizes = sorted(by_name)
    if len(sizes) >= 2:
        small, large = by_name[sizes[0]][MIDSTREAM_FEED], by_name[sizes[-1]][MIDSTREAM_FEED]
        per_byte = [row.seconds / row.doc_bytes * 1e9 for row in (small, large)]
        growth = per_byte[1] / per_byte[0]
        label = (
            f"midstream feed-only cost per byte, growth {harness.human_size(sizes[0])} → "
            f"{harness.human_size(sizes[-1])} ({large.doc_bytes / small.doc_bytes:.1f}× the bytes): "
            f"≤ {GROWTH_TARGET}"
        )
        measured = f"{growth:.3f} ({per_byte[0]:.1f} → {per_byte[1]:.1f} ns/byte)"
        lines.append(f"| {label} | {measured} | {status(growth <= GROWTH_TARGET)} |")
        targets.append({"target": label, "measured": growth, "met": growth <= GROWTH_TARGET})
        small_v, large_v = by_name[sizes[0]][MIDSTREAM_VALUE], by_name[sizes[-1]][MIDSTREAM_VALUE]
        per_byte_v = [row.seconds / row.doc_bytes * 1e9 for row in (small_v, large_v)]
        lines.append(
            f"| (same, `value` read after every chunk; no target) "
            f"| {per_byte_v[1] / per_byte_v[0]:.3f} ({per_byte_v[0]:.1f} → {per_byte_v[1]:.1f} ns/byte) | |"
        )
    for size, named in by_name.items():
        ratio = named[MIDSTREAM_FEED].seconds / named[IJSON].seconds
        label = f"midstream feed-only / ijson yajl2_c, {harness.human_size(size)}: ≤ {IJSON_TARGET:g}"
        lines.append(f"| {label} | {ratio:.2f} | {status(ratio <= IJSON_TARGET)} |")
        targets.append({"target": label, "measured": ratio, "met": ratio <= IJSON_TARGET})
    lines.append("")

    for size, named in by_name.items():
        sampled = named[JITER_SAMPLED]
        assert sampled.scale is not None and sampled.sample_seconds is not None
        note = (
            f"† jiter, {harness.human_size(size)}: re-parses {sampled.sample_prefixes} of the "
            f"{sampled.chunks:,} prefixes (the middle prefix of each of {sampled.sample_prefixes} equal runs "
            f"of consecutive chunks), {fmt_seconds(sampled.sample_seconds)} s, scaled by {sampled.scale:.1f}."
        )
        full = named.get(JITER_FULL)
        if full is not None:
            error = sampled.seconds / full.seconds - 1
            note += (
                f" Measured in full at this size: {fmt_seconds(full.seconds)} s (the estimate is off by {error:+.1%})."
            )
        lines.append(note + "  ")
    lines.append(
        "† A re-parse costs time ~linear in the prefix length, and prefix length grows linearly with the "
        "chunk index, so the evenly spaced sample times its spacing is an unbiased estimate of the sum over "
        "all prefixes.  "
    )
    lines.append(
        "Input: `workload.document(n)` from benches/data/workload.py as UTF-8 (`json.dumps(..., "
        "ensure_ascii=False)`), cut by `workload.chunks` into 1–8 byte chunks (which may split a UTF-8 "
        "character); every streaming parser is fed the same `bytes` chunks. jiter: `from_json(prefix, "
        'partial_mode="trailing-strings")`; ijson: `basic_parse_coro(sink, use_float=True)` on the yajl2_c '
        f"backend, events dropped by the sink. Best of {repeat} interleaved runs, `time.perf_counter`, "
        "GC on.  "
    )
    lines.append(
        f"Machine: {info['platform']}; CPU: {info['cpu']} ({info['cpus']} logical CPUs); "
        f"{info['python']}; midstream {info['midstream']}, jiter {info['jiter']}, ijson {info['ijson']}, "
        f"orjson {info['orjson']}; {info['date']}."
    )
    payload = {
        "machine": info,
        "repeat": repeat,
        "results": {str(size): [asdict(row) for row in rows] for size, rows in results.items()},
        "targets": targets,
    }
    return "\n".join(lines), payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(harness.DEFAULT_SIZES), help="document sizes in bytes"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per parser; the best is kept (default 5)")
    parser.add_argument("--json", type=Path, help="also write the raw results to this JSON file")
    parser.add_argument(
        "--jiter-samples",
        type=int,
        default=harness.DEFAULT_JITER_SAMPLES,
        help=f"prefixes re-parsed for the sampled jiter estimate (default {harness.DEFAULT_JITER_SAMPLES})",
    )
    parser.add_argument(
        "--jiter-full-max",
        type=int,
        default=100_000,
        help="also re-parse every prefix with jiter up to this many bytes (default 100000; quadratic!)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    info = machine()
    results: dict[int, list[Row]] = {}
    for size in args.sizes:
        workload = harness.make_workload(size)
        print(
            f"{workload.label}: {workload.n_items} items, {workload.n_bytes} bytes, {len(workload.chunks)} chunks",
            file=sys.stderr,
            flush=True,
        )
        results[size] = measure(workload, args.repeat, args.jiter_samples, args.jiter_full_max)
    markdown, payload = report(results, info, args.repeat)
    print(markdown)
    if args.json is not None:
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
