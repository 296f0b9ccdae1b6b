"""``midstream bench``: midstream against every installed peer, side by side, on the same chunks.

midstream bench --quick                      # under a minute: 1 KB and 10 KB documents, 0.5 s budget
midstream bench --json out.json --plot out.png --markdown docs/benchmarks.md
midstream bench --peers midstream,jiter --workloads structured --sizes 10k 100k --chunk 1-8
midstream bench --pipeline                   # provider bytes to typed partials, stage by stage (SSE, events)
midstream bench --patches                    # partials on the wire: patches against snapshots, same cadence
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from midstream.bench.chunking import NETWORK_SIZED, TOKEN_SIZED, Chunking, parse_size
from midstream.bench.peers import PEERS
from midstream.bench.runner import Config, Row, run
from midstream.bench.workloads import WORKLOADS

FULL_SIZES = ("1k", "10k", "100k", "1M")
QUICK_SIZES = ("1k", "10k")
FULL_BUDGET, QUICK_BUDGET = 5.0, 0.5
FULL_REPEAT, QUICK_REPEAT = 3, 1


def _names(values: Sequence[str] | None) -> list[str] | None:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (both spellings work)."""
    if values is None:
        return None
    return [name for value in values for name in value.split(",") if name]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0] if __doc__ else None
    parser.add_argument("--quick", action="store_true", help="small sizes, short budget: under a minute")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every row, the machine and versions as JSON")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="draw cost per chunk against size (PNG; matplotlib)")
    parser.add_argument(
        "--markdown", type=Path, metavar="PATH", help="write the report section of a markdown file (docs/benchmarks.md)"
    )
    parser.add_argument(
        "--peers", nargs="+", metavar="NAMES", help=f"parsers to run (default: all): {', '.join(PEERS)}"
    )
    parser.add_argument(
        "--workloads", nargs="+", metavar="NAMES", help=f"documents to stream (default: all): {', '.join(WORKLOADS)}"
    )
    parser.add_argument(
        "--sizes", nargs="+", metavar="SIZE", help=f"document sizes, e.g. 1k 1M (default {' '.join(FULL_SIZES)})"
    )
    parser.add_argument(
        "--chunk",
        nargs="+",
        metavar="LO-HI",
        help=f"chunk size ranges in bytes, e.g. 1-8 1K-4K (default: {TOKEN_SIZED.label} and {NETWORK_SIZED.label})",
    )
    parser.add_argument("--budget", type=float, metavar="SECONDS", help="abandon a run after this long (default 5)")
    parser.add_argument("--repeat", type=int, metavar="N", help="best of N runs (default 3)")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="instead: provider bytes to typed partials, stage by stage (SSE decoding; raw SSE bytes to typed "
        "partials against json.loads of the events), side by side",
    )
    parser.add_argument(
        "--patches",
        action="store_true",
        help="instead: partial values on the wire, patches against snapshots at the same send cadence (bytes sent "
        "against the final JSON, time per send)",
    )
    parser.add_argument("--list", action="store_true", help="list the peers (installed or not) and workloads, and exit")
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="PATH",
        help="run nothing: show and write (--plot, --markdown) the results a --json file saved",
    )


def config_from(args: argparse.Namespace) -> Config:
    """The run ``args`` asks for; ``--quick`` only changes the defaults, explicit options still win."""
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    return Config(
        workloads=tuple(_names(args.workloads) or WORKLOADS),
        sizes=tuple(sorted({parse_size(size) for size in sizes})),
        chunkings=tuple(Chunking.parse(text) for text in args.chunk) if args.chunk else (TOKEN_SIZED, NETWORK_SIZED),
        peers=tuple(_names(args.peers) or PEERS),
        budget=args.budget if args.budget is not None else (QUICK_BUDGET if args.quick else FULL_BUDGET),
        repeat=args.repeat if args.repeat is not None else (QUICK_REPEAT if args.quick else FULL_REPEAT),
        quick=args.quick,
    )


def _list(out: Any) -> None:
    print("peers:", file=out)
    for name, peer in PEERS.items():
        state = peer.version() if peer.installed() else f"not installed (pip install {peer.distribution})"
        print(f"  {name:<20} {peer.kind:<7} {state:<24} {peer.label}", file=out)
    print("workloads:", file=out)
    for name, workload in WORKLOADS.items():
        print(f"  {name:<20} {workload.description}", file=out)


def _run_with_progress(config: Config) -> list[Row]:
    total = len(config.workloads) * len(config.chunkings) * len(config.sizes) * len(config.peers)
    try:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    except ImportError:  # rich is optional: plain lines on stderr
        return run(config, lambda what: print(f"midstream bench: {what}", file=sys.stderr, flush=True))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("starting", total=total)

        def step(what: str) -> None:
            progress.update(task, description=what, advance=1)

        return run(config, step)


def _print_rows(rows: Sequence[Row]) -> None:
    try:
        from rich.console import Console
    except ImportError:
        for row in rows:
            print(json.dumps(row.as_json()))
        return
    from midstream.bench.report import print_tables

    print_tables(rows, Console())


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (for the report), spelled out from the parsed options."""
    words = ["midstream", "bench"]
    for mode in ("pipeline", "patches"):
        if getattr(args, mode, False):
            words.append(f"--{mode}")
    if args.quick:
        words.append("--quick")
    for option in ("peers", "workloads", "sizes", "chunk"):
        values = getattr(args, option)
        if values:
            words += [f"--{option}", *values]
    for option in ("budget", "repeat", "json", "plot", "markdown"):
        value = getattr(args, option)
        if value is not None:
            words += [f"--{option}", str(value)]
    return shlex.join(words)


def command(args: argparse.Namespace) -> int:
    if args.list:
        _list(sys.stdout)
        return 0
    if args.pipeline:
        return _pipeline(args)
    if args.patches:
        return _patches(args)
    try:
        config = config_from(args)
    except ValueError as error:
        print(f"midstream bench: {error}", file=sys.stderr)
        return 2
    from midstream.bench import report

    if args.from_json is not None:
        config, rows, machine, command = report.load_results(json.loads(args.from_json.read_text()))
    else:
        machine, command = report.machine(), command_line(args)
        rows = _run_with_progress(config)
    _print_rows(rows)
    if args.json is not None and args.from_json is None:
        saved = report.results_json(config, rows, machine_info=machine, command=command)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(saved, indent=1) + "\n")
    if args.plot is not None:
        from midstream.bench.plot import write_plot

        try:
            write_plot(rows, args.plot)
        except RuntimeError as error:
            print(f"midstream bench: {error}", file=sys.stderr)
            return 2
    if args.markdown is not None:
        plot = None
        if args.plot is not None:
            plot = _relative(args.plot, args.markdown.parent)
        section = report.markdown_section(config, rows, machine, command, plot)
        report.write_markdown(args.markdown, section)
    broken = [row for row in rows if row.parser.startswith("midstream") and row.status in ("wrong result", "error")]
    for row in broken:
        print(f"midstream bench: {row.parser} on {row.workload}: {row.status}: {row.detail}", file=sys.stderr)
    return 1 if broken else 0


def _pipeline(args: argparse.Namespace) -> int:
    from midstream.bench.pipeline import PipelineConfig, markdown, run_pipeline

    if args.quick:
        config = PipelineConfig(megabytes=0.5, answer_bytes=10_000, repeat=args.repeat or 3)
    else:
        config = PipelineConfig(repeat=args.repeat or PipelineConfig.repeat)
    rows = run_pipeline(config)
    return _show(args, config, markdown(rows), [row.as_json() for row in rows])


def _patches(args: argparse.Namespace) -> int:
    from midstream.bench.wire import WireConfig, markdown, run_wire

    if args.quick:
        config = WireConfig(items=20, answer_bytes=10_000, cadences=(8, 64), repeat=args.repeat or 1)
    else:
        config = WireConfig(repeat=args.repeat or WireConfig.repeat)
    rows = run_wire(config)
    return _show(args, config, markdown(rows), [row.as_json() for row in rows])


def _show(args: argparse.Namespace, config: Any, table: str, rows: list[dict[str, Any]]) -> int:
    """Print a ``--pipeline`` or ``--patches`` table with the machine and the command, and save ``--json``."""
    from midstream.bench import report

    machine = report.machine()
    print(table)
    print(
        f"\nBest of {config.repeat} interleaved runs (`{command_line(args)}`): {machine['cpu']} ({machine['cpus']} "
        f"CPUs), {machine['python']}, {machine['platform']}, git {machine['git']}, {machine['date']}."
    )
    if args.json is not None:
        saved = {"config": config.__dict__, "rows": rows, "machine": machine}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(saved, indent=1) + "\n")
    return 0


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
