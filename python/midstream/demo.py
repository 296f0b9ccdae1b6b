"""``midstream demo``: replay a recorded LLM stream and watch its typed partial object grow.

A real provider response, recorded byte for byte (bundled in ``midstream/_data``, see its NOTICE), is cut into
chunks and fed through the whole pipeline, as an HTTP client would deliver it: raw SSE bytes → ``midstream.sse`` →
the provider's adapter → ``ModelStream`` with a pydantic model → typed partials. No network, no API key.

On a terminal with ``rich`` installed (``pip install 'midstream[demo]'``) the partial object is drawn live as a
tree; otherwise one line is printed per changed partial. At the end: the validated object (the tree, or indented
JSON; ``--json`` gives one line of JSON) and what decoding costs, measured with warm caches after the display.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field

import midstream

__all__ = ["STREAMS", "DemoStream", "add_arguments", "command", "main", "run"]


class Weather(BaseModel):
    """The json_schema answer of ``openai-weather``."""

    city: str
    temperature: int
    units: Literal["c", "f"]


class GetWeatherArgs(BaseModel):
    """The tool-call arguments of ``openai-tool-call`` (the tool is named ``GetWeatherArgs``)."""

    city: str
    country: str
    units: Literal["c", "f"]


class Character(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    class_: str = Field(alias="class")
    description: str


class Characters(BaseModel):
    """The JSON answer of ``anthropic-characters``."""

    characters: list[Character]


@dataclass(frozen=True)
class DemoStream:
    """A bundled recording: its file in ``midstream/_data``, the provider that sent it and its answer's model."""

    name: str
    file: str
    provider: str
    model: type[BaseModel]
    description: str

    def body(self) -> bytes:
        """The raw SSE bytes, read from the installed package."""
        return resources.files("midstream").joinpath("_data", self.file).read_bytes()


STREAMS: dict[str, DemoStream] = {
    stream.name: stream
    for stream in (
        DemoStream(
            "anthropic-characters",
            "anthropic-characters.sse",
            "anthropic",
            Characters,
            "Anthropic Messages (claude-sonnet-4-5), a JSON answer: three characters",
        ),
        DemoStream(
            "openai-weather",
            "openai-weather.sse",
            "openai",
            Weather,
            "OpenAI Chat Completions (gpt-4o), json_schema structured output",
        ),
        DemoStream(
            "openai-tool-call",
            "openai-tool-call.sse",
            "openai",
            GetWeatherArgs,
            "OpenAI Chat Completions (gpt-4o), the arguments of one strict tool call",
        ),
    )
}
DEFAULT_STREAM = "anthropic-characters"
DEFAULT_CHUNK_SIZE = 32
#: Seconds between chunks on a terminal when ``--delay`` is not given (none when the output is not a terminal).
TTY_DELAY = 0.01


def plain(value: Any) -> Any:
    """A partial as plain JSON-like data (JSON names; a field not seen yet is ``None``), without pydantic's
    serializer, which warns about the ``None`` of fields that have not arrived."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return {(info.alias or name): plain(getattr(value, name, None)) for name, info in fields.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


@dataclass
class Progress:
    """How much of the recording the display has fed so far."""

    chunks: int = 0
    bytes: int = 0


def _cut(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def _replay(
    demo: DemoStream, chunk_size: int, delay: float, progress: Progress, show: Callable[[BaseModel], None]
) -> Any:
    """Feed the recording in chunks, ``delay`` seconds apart, call ``show`` with each changed partial, return the
    validated object."""

    def source() -> Iterator[bytes]:
        for index, chunk in enumerate(_cut(demo.body(), chunk_size)):
            if delay and index:
                time.sleep(delay)
            progress.chunks += 1
            progress.bytes += len(chunk)
            yield chunk

    partials = midstream.stream(demo.model, source(), provider=demo.provider)
    for partial in partials:
        show(partial)
    return partials.final()


#: Back-to-back replays timed for the decoding cost; the best one is kept.
MEASURED_RUNS = 20


@dataclass(frozen=True)
class DecodingCost:
    """What decoding the recording costs with warm caches, timed after the display (whose pauses and redraws
    evict the caches between chunks, and would be counted too): the best of ``runs`` back-to-back replays."""

    chunk_size: int
    chunks: int
    bytes: int
    #: The whole pipeline on all the chunks: SSE decoder, provider adapter, ModelStream, a partial when changed.
    pipeline_seconds: float
    #: The text deltas of the answer, as the provider adapter gives them.
    deltas: int
    #: ``ModelStream`` alone fed those deltas, the partial read after each (what the README's benchmarks time).
    model_seconds: float
    runs: int

    def lines(self, model: str) -> list[str]:
        per_chunk = self.pipeline_seconds / self.chunks * 1e6
        per_delta = self.model_seconds / self.deltas * 1e6 if self.deltas else 0.0
        return [
            f"decoding cost, warm caches (the best of {self.runs} back-to-back replays, no pauses, no drawing):",
            f"  {per_chunk:.2f} µs per {self.chunk_size}-byte chunk, raw SSE to typed partials "
            f"({self.chunks} chunks, {self.bytes} bytes, {self.pipeline_seconds * 1e3:.2f} ms in all)",
            f"  {per_delta:.2f} µs per text delta, ModelStream({model}) alone "
            f"({self.deltas} deltas, the partial read after each)",
        ]


def _best_time(work: Callable[[], object], runs: int) -> float:
    best = math.inf
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def measure_decoding(demo: DemoStream, chunk_size: int, runs: int = MEASURED_RUNS) -> DecodingCost:
    """Time decoding the recording in ``chunk_size``-byte chunks, as the display fed it, in a tight loop."""
    from midstream.providers.follow import followed_text

    chunks = _cut(demo.body(), chunk_size)
    deltas = list(followed_text(chunks, demo.provider))

    def pipeline() -> None:
        partials = midstream.stream(demo.model, chunks, provider=demo.provider)
        for _ in partials:
            pass
        partials.final()

    def model_only() -> None:
        stream = midstream.ModelStream(demo.model)
        for delta in deltas:
            stream.feed(delta)
            stream.partial  # noqa: B018 - reading it is the work being timed
        stream.finish()

    return DecodingCost(
        chunk_size=chunk_size,
        chunks=len(chunks),
        bytes=sum(map(len, chunks)),
        pipeline_seconds=_best_time(pipeline, runs),
        deltas=len(deltas),
        model_seconds=_best_time(model_only, runs),
        runs=runs,
    )


def _dump(value: Any) -> str:
    return json.dumps(plain(value), ensure_ascii=False)


def _run_lines(demo: DemoStream, out: TextIO, chunk_size: int, delay: float, progress: Progress) -> Any:
    last = None

    def show(partial: BaseModel) -> None:
        nonlocal last
        text = _dump(partial)
        if text != last:
            out.write(f"[chunk {progress.chunks:>4}] {text}\n")
            out.flush()
            last = text

    return _replay(demo, chunk_size, delay, progress, show)


def _tree(label: str, value: Any) -> Any:
    from rich.markup import escape
    from rich.tree import Tree

    def add(node: Tree, key: str, item: Any) -> None:
        if isinstance(item, dict):
            add_all(node.add(f"[bold]{escape(key)}[/]"), item.items())
        elif isinstance(item, list):
            add_all(
                node.add(f"[bold]{escape(key)}[/] [dim]({len(item)})[/]"), ((f"[{i}]", v) for i, v in enumerate(item))
            )
        elif item is None:
            node.add(f"[bold]{escape(key)}[/]: [dim]…[/]")
        else:
            shown = json.dumps(item, ensure_ascii=False)
            node.add(f"[bold]{escape(key)}[/]: [green]{escape(shown)}[/]")

    def add_all(node: Tree, items: Any) -> None:
        for key, item in items:
            add(node, str(key), item)

    root = Tree(f"[bold cyan]{escape(label)}[/]")
    data = plain(value)
    if isinstance(data, dict):
        add_all(root, data.items())
    else:
        add(root, "value", data)
    return root


def _run_live(demo: DemoStream, out: TextIO, chunk_size: int, delay: float, progress: Progress) -> Any:
    from rich.console import Console
    from rich.live import Live
    from rich.panel import Panel

    console = Console(file=out)
    total = len(demo.body())

    def panel(partial: BaseModel | None, *, validated: bool = False) -> Panel:
        body = _tree(demo.model.__name__, partial) if partial is not None else "[dim]waiting for the answer…[/]"
        title = f"midstream demo · {demo.name}" + (f" · validated {demo.model.__name__}" if validated else "")
        subtitle = f"{progress.bytes}/{total} bytes · {progress.chunks} chunks · {demo.provider}"
        return Panel(body, title=title, subtitle=subtitle, expand=True)

    with Live(panel(None), console=console, auto_refresh=False, transient=False) as live:
        final = _replay(demo, chunk_size, delay, progress, lambda partial: live.update(panel(partial), refresh=True))
        live.update(panel(final, validated=True), refresh=True)  # the validated object, drawn as a tree
    if not console.is_terminal:
        console.line()  # rich ends the last frame with a newline on a terminal only
    return final


def _can_render_live(out: TextIO) -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def _final_text(model: type[BaseModel], final: BaseModel, *, one_line: bool) -> str:
    """The validated object: indented JSON to read, or ``final <Model>: <JSON>`` on one line for scripts."""
    if one_line:
        return f"final {model.__name__}: {final.model_dump_json(by_alias=True)}\n"
    indented = json.dumps(final.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False)
    return f"validated {model.__name__}:\n{indented}\n"


def run(
    out: TextIO,
    *,
    stream: str = DEFAULT_STREAM,
    delay: float | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    live: bool | None = None,
    one_line: bool = False,
) -> int:
    """Replay the bundled ``stream`` to ``out``, then print the decoding cost. ``live``: draw with rich (default:
    when ``out`` is a terminal and rich is installed); the validated object is then the last tree drawn. ``delay``:
    seconds between chunks (default: ``TTY_DELAY`` when live, else none). ``one_line``: end with the validated
    object as one line of JSON (``final <Model>: {...}``), else (when not live) as indented JSON."""
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; choose one of {', '.join(STREAMS)}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    demo = STREAMS[stream]
    if live is None:
        live = _can_render_live(out)
    if delay is None:
        delay = TTY_DELAY if live else 0.0
    if not live:
        out.write(f"{demo.name}: {demo.description}\n")
        out.write(f"{demo.model.__name__} partials as {chunk_size}-byte chunks of raw SSE arrive:\n")
    final = (_run_live if live else _run_lines)(demo, out, chunk_size, delay, Progress())
    if one_line or not live:
        out.write(_final_text(demo.model, final, one_line=one_line))
    out.writelines(line + "\n" for line in measure_decoding(demo, chunk_size).lines(demo.model.__name__))
    out.flush()
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``midstream demo``."""
    parser.add_argument(
        "--stream", choices=list(STREAMS), default=DEFAULT_STREAM, help=f"the recording to replay ({DEFAULT_STREAM})"
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=None,
        help=f"seconds to pause between chunks (default {TTY_DELAY} on a terminal, 0 otherwise)",
    )
    parser.add_argument(
        "--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help=f"bytes per chunk ({DEFAULT_CHUNK_SIZE})"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="end with the validated object as one line of JSON (final <Model>: {...}), for scripts",
    )
    parser.add_argument(
        "--web", action="store_true", help="serve the FastAPI example page instead, answered by a loopback replay"
    )
    parser.add_argument("--host", default="127.0.0.1", help="with --web: the address to serve on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="with --web: the port (8000; 0 picks a free one)")


def command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``midstream demo`` with parsed ``args``."""
    out = out or sys.stdout
    if args.web:
        from midstream.demo_web import serve

        return serve(args.host, args.port)
    if args.chunk_size < 1:
        print("midstream demo: --chunk-size must be at least 1", file=sys.stderr)
        return 2
    if args.delay is not None and args.delay < 0:
        print("midstream demo: --delay must not be negative", file=sys.stderr)
        return 2
    return run(out, stream=args.stream, delay=args.delay, chunk_size=args.chunk_size, one_line=args.json)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="midstream demo", description=__doc__.split("\n\n")[0] if __doc__ else "")
    add_arguments(parser)
    return command(parser.parse_args(argv), out)
