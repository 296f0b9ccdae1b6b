"""``midstream demo``: replay a recorded LLM stream and watch its typed partial object grow.

A real provider response, recorded byte for byte (bundled in ``midstream/_data``, see its NOTICE), is cut into
chunks and fed through the whole pipeline, as an HTTP client would deliver it: raw SSE bytes → ``midstream.sse`` →
the provider's adapter → ``ModelStream`` with a pydantic model → typed partials. No network, no API key.

On a terminal with ``rich`` installed (``pip install 'midstream[demo]'``) the partial object is drawn live as a
tree; otherwise one line is printed per changed partial. At the end: the validated object and what decoding cost.
"""

from __future__ import annotations

import argparse
import json
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
class Timing:
    chunks: int = 0
    bytes: int = 0
    #: Seconds spent decoding (SSE, adapter, parser, model), without the pauses and the rendering.
    seconds: float = 0.0

    def line(self) -> str:
        per_chunk = self.seconds / self.chunks * 1e6 if self.chunks else 0.0
        return (
            f"decoding: {per_chunk:.1f} µs/chunk, {self.seconds * 1e3:.2f} ms total, "
            f"{self.chunks} chunks, {self.bytes} bytes"
        )


def _cut(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def _replay(demo: DemoStream, chunk_size: int, delay: float, timing: Timing, show: Callable[[BaseModel], None]) -> Any:
    """Feed the recording in chunks, call ``show`` with each changed partial, return the validated object.

    ``timing`` counts the decoding only: the pauses between chunks and ``show`` are left out.
    """
    chunks = _cut(demo.body(), chunk_size)
    paused = 0.0  # seconds spent pausing inside the source during the current step

    def source() -> Iterator[bytes]:
        nonlocal paused
        for index, chunk in enumerate(chunks):
            if delay and index:
                start = time.perf_counter()
                time.sleep(delay)
                paused += time.perf_counter() - start
            timing.chunks += 1
            timing.bytes += len(chunk)
            yield chunk

    partials = midstream.stream(demo.model, source(), provider=demo.provider)
    iterator = iter(partials)
    while True:
        paused = 0.0
        start = time.perf_counter()
        partial = next(iterator, None)
        timing.seconds += time.perf_counter() - start - paused
        if partial is None:
            break
        show(partial)
    start = time.perf_counter()
    final = partials.final()  # the source is used up: this only returns the validated object
    timing.seconds += time.perf_counter() - start
    return final


def _dump(value: Any) -> str:
    return json.dumps(plain(value), ensure_ascii=False)


def _run_lines(demo: DemoStream, out: TextIO, chunk_size: int, delay: float, timing: Timing) -> Any:
    last = None

    def show(partial: BaseModel) -> None:
        nonlocal last
        text = _dump(partial)
        if text != last:
            out.write(f"[chunk {timing.chunks:>4}] {text}\n")
            out.flush()
            last = text

    return _replay(demo, chunk_size, delay, timing, show)


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


def _run_live(demo: DemoStream, out: TextIO, chunk_size: int, delay: float, timing: Timing) -> Any:
    from rich.console import Console
    from rich.live import Live
    from rich.panel import Panel

    console = Console(file=out)
    total = len(demo.body())

    def panel(partial: BaseModel | None) -> Panel:
        body = _tree(demo.model.__name__, partial) if partial is not None else "[dim]waiting for the answer…[/]"
        subtitle = f"{timing.bytes}/{total} bytes · {timing.chunks} chunks · {demo.provider}"
        return Panel(body, title=f"midstream demo · {demo.name}", subtitle=subtitle, expand=True)

    with Live(panel(None), console=console, auto_refresh=False, transient=False) as live:
        final = _replay(demo, chunk_size, delay, timing, lambda partial: live.update(panel(partial), refresh=True))
        live.update(panel(final), refresh=True)
    return final


def _can_render_live(out: TextIO) -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def run(
    out: TextIO,
    *,
    stream: str = DEFAULT_STREAM,
    delay: float | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    live: bool | None = None,
) -> int:
    """Replay the bundled ``stream`` to ``out``. ``live``: draw with rich (default: when ``out`` is a terminal and
    rich is installed). ``delay``: seconds between chunks (default: ``TTY_DELAY`` when live, else none)."""
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; choose one of {', '.join(STREAMS)}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    demo = STREAMS[stream]
    if live is None:
        live = _can_render_live(out)
    if delay is None:
        delay = TTY_DELAY if live else 0.0
    timing = Timing()
    if not live:
        out.write(f"{demo.name}: {demo.description}\n")
        out.write(f"{demo.model.__name__} partials as {chunk_size}-byte chunks of raw SSE arrive:\n")
    final = (_run_live if live else _run_lines)(demo, out, chunk_size, delay, timing)
    out.write(f"final {demo.model.__name__}: {final.model_dump_json(by_alias=True)}\n")
    out.write(timing.line() + "\n")
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
    return run(out, stream=args.stream, delay=args.delay, chunk_size=args.chunk_size)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="midstream demo", description=__doc__.split("\n\n")[0] if __doc__ else "")
    add_arguments(parser)
    return command(parser.parse_args(argv), out)
