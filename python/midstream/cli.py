"""The ``midstream`` command.

``midstream parse`` reads JSON from standard input as it arrives and prints the partial value after every chunk
that changed it (or, with ``--events``, each event as a JSON line), so ``curl -N URL | midstream parse`` shows a
streamed answer taking shape.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from midstream._errors import JSONError
from midstream._native import Parser

READ_SIZE = 65536


def read_chunks(fd: int) -> Iterator[bytes]:
    """Yield what the file descriptor has as soon as it has it (no waiting for a full buffer)."""
    while chunk := os.read(fd, READ_SIZE):
        yield chunk


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


def parse_stream(
    chunks: Iterable[bytes],
    out: TextIO,
    *,
    events: bool = False,
    max_depth: int | None = None,
    allow_nan: bool = False,
) -> None:
    """Print partial values (or events) of the JSON in ``chunks`` to ``out``. Raises ``JSONError``."""
    options: dict[str, Any] = {"allow_nan": allow_nan, "events": events}
    if max_depth is not None:
        options["max_depth"] = max_depth
    parser = Parser(**options)
    last = None

    def emit() -> None:
        nonlocal last
        if events:
            for event in parser.drain_events():
                out.write(_dump({"kind": event.kind, "path": list(event.path), "value": event.value}) + "\n")
        else:
            text = _dump(parser.value)
            # `None` is both "no root yet" and a finished root `null`; print the latter.
            if (parser.value is not None or parser.done) and text != last:
                out.write(text + "\n")
                last = text
        out.flush()

    try:
        for chunk in chunks:
            parser.feed(chunk)
            emit()
        parser.finish()
    finally:
        emit()


def _parse_command(args: argparse.Namespace) -> int:
    try:
        parse_stream(
            read_chunks(sys.stdin.fileno()),
            sys.stdout,
            events=args.events,
            max_depth=args.max_depth,
            allow_nan=args.allow_nan,
        )
    except JSONError as error:
        print(f"midstream: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    return 0


def _demo_command(args: argparse.Namespace) -> int:
    from midstream import demo

    return demo.command(args)


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    from midstream import demo

    demo.add_arguments(parser)


def _bench_command(args: argparse.Namespace) -> int:
    from midstream.bench import command

    return command.command(args)


def build_argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="midstream", description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    parse = commands.add_parser("parse", help="print the partial value of JSON read from stdin as it arrives")
    parse.add_argument("--events", action="store_true", help="print events (begin/delta/end) as JSON lines")
    parse.add_argument("--max-depth", type=int, default=None, help="nesting depth limit")
    parse.add_argument("--allow-nan", action="store_true", help="accept NaN, Infinity and -Infinity")
    parse.set_defaults(run=_parse_command)
    demo = commands.add_parser("demo", help="replay a recorded LLM stream and watch its typed partial object grow")
    _demo_arguments(demo)
    demo.set_defaults(run=_demo_command)
    bench = commands.add_parser("bench", help="measure midstream against every installed peer on the same chunks")
    from midstream.bench import command as bench_command

    bench_command.add_arguments(bench)
    bench.set_defaults(run=_bench_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_argument_parser().parse_args(argv)
    result: int = args.run(args)
    return result
