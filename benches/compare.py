"""Side-by-side streaming comparison in one process; prints the markdown table the README quotes.

    python benches/compare.py [--sizes 30000 300000] [--repeat N] [--json PATH]

Every parser gets the same input: ``midstream bench``'s ``structured`` document of at least each size in bytes, as
UTF-8, cut into 1-8 byte chunks (``benches/parser_runs.py``; the runs are ``midstream bench``'s own). Each runner
is checked once for correctness (final value == ``json.loads``), then timed with ``time.perf_counter``; runs are
interleaved round-robin (so drift on a shared machine hits every parser alike) and the best of N is kept. Ratios,
not absolute times, are the result. Progress goes to stderr; stdout is only the markdown.
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

import parser_runs as runs
from midstream.bench import PEERS, Stream
from midstream.bench.chunking import human_bytes
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
    versions = runs.versions()
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


def cases(stream: Stream, jiter_samples: int, jiter_full_max: int) -> list[Case]:
    chunks, data, expected = stream.byte_chunks, stream.document.data, stream.document.expected
    n = len(chunks)

    def peer(name: str, label: str, units: int) -> Case:
        run = runs.peer_run(name, stream)
        return Case(label, run, units, lambda: bool(run() == expected))

    out = [peer("midstream", MIDSTREAM_VALUE, n), peer("midstream-feed", MIDSTREAM_FEED, n)]
    if stream.document.n_bytes <= jiter_full_max:
        out.append(
            Case(
                JITER_FULL,
                lambda: runs.jiter_reparse(data, stream.ends),
                n,
                lambda: bool(runs.jiter_reparse(data, stream.ends[-1:]) == expected),
            )
        )
    sample = runs.sample_prefixes(stream, jiter_samples)
    out += [
        Case(
            JITER_SAMPLED,
            lambda: runs.jiter_reparse(data, sample.ends),
            n,
            lambda: bool(runs.jiter_parse(data) == expected),
            scale=sample.scale,
            sample_prefixes=len(sample.ends),
        ),
        Case(IJSON, runs.peer_run("ijson", stream), n, lambda: bool(runs.ijson_value(chunks) == expected)),
        peer("json", JSON_LOADS, 1),
    ]
    if PEERS["orjson"].installed():
        out.append(peer("orjson", ORJSON_LOADS, 1))
    return out


def measure(stream: Stream, repeat: int, jiter_samples: int, jiter_full_max: int) -> list[Row]:
    todo = cases(stream, jiter_samples, jiter_full_max)
    n_bytes = stream.document.n_bytes
    for case in todo:
        if not case.check():
            raise SystemExit(f"{case.name}: final value differs from json.loads at {n_bytes} bytes")
    best = {case.name: float("inf") for case in todo}
    for round_ in range(repeat):
        print(f"  {runs.label(stream)}: round {round_ + 1}/{repeat}", file=sys.stderr, flush=True)
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
            rows.append(Row(case.name, n_bytes, case.chunks, seconds))
        else:
            rows.append(
                Row(
                    case.name,
                    n_bytes,
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
        label = f"jiter re-parse / midstream (`value` every chunk), {human_bytes(size)}"
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
            f"midstream feed-only cost per byte, growth {human_bytes(sizes[0])} → "
            f"{human_bytes(sizes[-1])} ({large.doc_bytes / small.doc_bytes:.1f}× the bytes): "
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
        label = f"midstream feed-only / ijson yajl2_c, {human_bytes(size)}: ≤ {IJSON_TARGET:g}"
        lines.append(f"| {label} | {ratio:.2f} | {status(ratio <= IJSON_TARGET)} |")
        targets.append({"target": label, "measured": ratio, "met": ratio <= IJSON_TARGET})
    lines.append("")

    for size, named in by_name.items():
        sampled = named[JITER_SAMPLED]
        assert sampled.scale is not None and sampled.sample_seconds is not None
        note = (
            f"† jiter, {human_bytes(size)}: re-parses {sampled.sample_prefixes} of the "
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
        "Input: `midstream bench`'s `structured` workload (`midstream.bench.build`) as UTF-8 (`json.dumps(..., "
        "ensure_ascii=False)`), cut into 1–8 byte chunks at character boundaries (`midstream.bench.cut`); every "
        "streaming parser is fed the same `bytes` chunks, each run as `midstream bench` runs it. jiter: "
        '`from_json(prefix, partial_mode="trailing-strings")`; ijson: `basic_parse_coro(sink, use_float=True)` on '
        f"the yajl2_c backend, events dropped by the sink. Best of {repeat} interleaved runs, `time.perf_counter`, "
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
        "--sizes", type=int, nargs="+", default=list(runs.DEFAULT_SIZES), help="document sizes in bytes"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per parser; the best is kept (default 5)")
    parser.add_argument("--json", type=Path, help="also write the raw results to this JSON file")
    parser.add_argument(
        "--jiter-samples",
        type=int,
        default=runs.DEFAULT_JITER_SAMPLES,
        help=f"prefixes re-parsed for the sampled jiter estimate (default {runs.DEFAULT_JITER_SAMPLES})",
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
        stream = runs.parser_stream(size)
        print(
            f"{runs.label(stream)}: {runs.n_items(stream)} items, {stream.document.n_bytes} bytes, "
            f"{stream.n_chunks} chunks",
            file=sys.stderr,
            flush=True,
        )
        results[size] = measure(stream, args.repeat, args.jiter_samples, args.jiter_full_max)
    markdown, payload = report(results, info, args.repeat)
    print(markdown)
    if args.json is not None:
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
