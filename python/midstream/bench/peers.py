"""The parsers ``midstream bench`` runs, each doing its best at the same job: a partial value after every chunk.

A peer is run only if its package is installed (``pip install 'midstream[bench]'`` installs them all). Its
``prepare`` does the work a real program does once per type or per process (build a partial model class, a
``TypeAdapter``) and returns the timed run: it feeds every chunk of the stream, takes the partial after each one,
and returns the last. Every run looks at the clock once per block of chunks and gives up with ``OverBudget`` past
its deadline, so a quadratic peer on a big document costs the budget, not an afternoon.

Kinds:

* ``value``  -- a partial Python value (dicts and lists) after every chunk; compared with ``midstream``.
* ``model``  -- a partial typed value (Pydantic model or validated TypedDict) after every chunk; compared with
  ``midstream-model``.
* ``events`` -- events instead of values: midstream's begin/delta/end events (a growing string arrives as its new
  fragment, so a UI appends instead of re-reading it), midstream fed with no value read until the end (what
  reading one costs on top), and ijson's push parser (no values at all: the floor).
* ``whole``  -- the whole text parsed once at the end: the no-streaming floor.
"""

from __future__ import annotations

import importlib
import json
import platform
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

import midstream
from midstream.bench.chunking import Stream

Kind = Literal["value", "model", "events", "whole"]
#: ``run(deadline)``: stream every chunk, give up with ``OverBudget`` once ``time.perf_counter()`` passes it.
Run = Callable[[float], Any]

clock = time.perf_counter


class OverBudget(Exception):
    """A run passed its deadline after ``chunks_done`` chunks."""

    def __init__(self, chunks_done: int) -> None:
        super().__init__(f"over the time budget after {chunks_done} chunks")
        self.chunks_done = chunks_done


@dataclass(frozen=True)
class Peer:
    """One parser, as the benchmark runs it."""

    name: str
    #: What it does, for tables and the docs.
    label: str
    kind: Kind
    #: The PyPI distribution it needs (its version goes into the report); ``None``: the standard library.
    distribution: str | None
    #: The module whose import tells whether it is installed.
    module: str
    prepare: Callable[[Stream], Run]
    #: Whether the final result is right (``None``: not checkable, e.g. an event-only parser).
    check: Callable[[Stream, Any], bool] | None
    #: Re-parses the accumulated text on every chunk, so a chunk costs O(text so far) (for the budget estimate).
    reparses: bool = False
    #: The peer its time is compared with: midstream doing the same job.
    baseline: str = "midstream"

    def installed(self) -> bool:
        try:
            importlib.import_module(self.module)
        except ImportError:
            return False
        return True

    def version(self) -> str:
        if self.distribution is None:
            return "Python " + platform.python_version()
        try:
            return version(self.distribution)
        except PackageNotFoundError:
            return "not installed"


def _checkpoint(deadline: float, done: int) -> None:
    if clock() > deadline:
        raise OverBudget(done)


def _same_value(stream: Stream, result: Any) -> bool:
    return bool(result == stream.document.expected)


def _same_model(stream: Stream, result: Any) -> bool:
    """The same data as the model validated from the whole text (instructor's partial class is a subclass)."""
    expected = stream.document.workload.model.model_validate_json(stream.document.text)
    return isinstance(result, BaseModel) and result.model_dump() == expected.model_dump()


def _same_typed_dict(stream: Stream, result: Any) -> bool:
    expected = TypeAdapter(stream.document.workload.typed_dict).validate_json(stream.document.text)
    return bool(result == expected)


# ---------------------------------------------------------------------------------------------------------------------
# midstream


def _midstream_value(stream: Stream) -> Run:
    blocks = stream.byte_blocks

    def run(deadline: float) -> Any:
        parser = midstream.Parser()
        feed = parser.feed
        done = 0
        for block in blocks:
            _checkpoint(deadline, done)
            for chunk in block:
                feed(chunk)
                _partial = parser.value
            done += len(block)
        return parser.finish()

    return run


def _push(start: Callable[[], tuple[Callable[[bytes], Any], Callable[[], Any]]]) -> Callable[[Stream], Run]:
    """A push parser fed every chunk with nothing read in between: ``start()`` gives its ``(feed, finish)``."""

    def prepare(stream: Stream) -> Run:
        blocks = stream.byte_blocks

        def run(deadline: float) -> Any:
            feed, finish = start()
            done = 0
            for block in blocks:
                _checkpoint(deadline, done)
                for chunk in block:
                    feed(chunk)
                done += len(block)
            return finish()

        return run

    return prepare


def _midstream_feed() -> tuple[Callable[[bytes], Any], Callable[[], Any]]:
    parser = midstream.Parser()
    return parser.feed, parser.finish


def _midstream_events(stream: Stream) -> Run:
    blocks = stream.byte_blocks

    def run(deadline: float) -> Any:
        parser = midstream.Parser(events=True)
        feed, drain = parser.feed, parser.drain_events
        done = 0
        for block in blocks:
            _checkpoint(deadline, done)
            for chunk in block:
                feed(chunk)
                _events = drain()
            done += len(block)
        return parser.finish()

    return run


def _midstream_model(stream: Stream) -> Run:
    blocks = stream.byte_blocks
    model = stream.document.workload.model
    midstream.ModelStream(model).feed(b"{")  # compile the model's shapes once, as a long-running program has

    def run(deadline: float) -> Any:
        model_stream = midstream.ModelStream(model)
        feed = model_stream.feed
        done = 0
        for block in blocks:
            _checkpoint(deadline, done)
            for chunk in block:
                _partial = feed(chunk)
            done += len(block)
        return model_stream.finish()

    return run


# ---------------------------------------------------------------------------------------------------------------------
# re-parsers: append the chunk to the text so far, parse all of it


def _reparse_bytes(parse: Callable[[bytes], Any]) -> Callable[[Stream], Run]:
    def prepare(stream: Stream) -> Run:
        blocks = stream.byte_blocks

        def run(deadline: float) -> Any:
            text = b""
            partial = None
            done = 0
            for block in blocks:
                _checkpoint(deadline, done)
                for chunk in block:
                    text += chunk
                    partial = parse(text)
                done += len(block)
            return partial

        return run

    return prepare


def _reparse_text(parse: Callable[[str], Any], *, fails: tuple[type[Exception], ...] = ()) -> Callable[[Stream], Run]:
    """``fails``: what ``parse`` raises on a prefix it cannot show yet (the last partial is kept, as a caller would)."""

    def prepare(stream: Stream) -> Run:
        blocks = stream.text_blocks

        def run(deadline: float) -> Any:
            text = ""
            partial = None
            done = 0
            for block in blocks:
                _checkpoint(deadline, done)
                for chunk in block:
                    text += chunk
                    try:  # noqa: SIM105 (not contextlib.suppress: this is the timed loop, and a `with` costs more)
                        partial = parse(text)
                    except fails:
                        pass
                done += len(block)
            return partial

        return run

    return prepare


def _jiter(mode: Literal[True, "trailing-strings"]) -> Callable[[Stream], Run]:
    def prepare(stream: Stream) -> Run:
        import jiter

        def parse(text: bytes) -> Any:
            return jiter.from_json(text, partial_mode=mode)

        return _reparse_bytes(parse)(stream)

    return prepare


def _pydantic_core(stream: Stream) -> Run:
    from pydantic_core import from_json

    def parse(text: bytes) -> Any:
        return from_json(text, allow_partial="trailing-strings")

    return _reparse_bytes(parse)(stream)


def _pydantic_partial(stream: Stream) -> Run:
    adapter: TypeAdapter[Any] = TypeAdapter(stream.document.workload.typed_dict)

    def parse(text: str) -> Any:
        return adapter.validate_json(text, experimental_allow_partial="trailing-strings")

    return _reparse_text(parse, fails=(ValueError,))(stream)


def _instructor(stream: Stream) -> Run:
    from instructor.dsl.partial import Partial

    partial_class: Any = Partial[stream.document.workload.model]
    partial_class.get_partial_model()  # built once per model, as instructor caches it
    blocks = stream.text_blocks

    def chunks(deadline: float) -> Iterator[str]:
        done = 0
        for block in blocks:
            _checkpoint(deadline, done)
            yield from block
            done += len(block)

    def run(deadline: float) -> Any:
        last = None
        for last in partial_class.model_from_chunks(chunks(deadline)):  # noqa: B007
            pass
        return last

    return run


def _partial_json_parser(stream: Stream) -> Run:
    from partial_json_parser import loads
    from partial_json_parser.core.exceptions import MalformedJSON

    return _reparse_text(loads, fails=(MalformedJSON,))(stream)


def _partialjson(stream: Stream) -> Run:
    from partialjson.json_parser import JSONParser

    parser = JSONParser()
    return _reparse_text(parser.parse, fails=(ValueError,))(stream)


def _json_repair(stream: Stream) -> Run:
    from json_repair import loads

    def parse(text: str) -> Any:
        return loads(text, stream_stable=True)

    return _reparse_text(parse)(stream)


def _langchain(stream: Stream) -> Run:
    from langchain_core.utils.json import parse_partial_json

    return _reparse_text(parse_partial_json, fails=(ValueError,))(stream)


# ---------------------------------------------------------------------------------------------------------------------
# floors


def _ijson() -> tuple[Callable[[bytes], Any], Callable[[], Any]]:
    import ijson

    def drop() -> Generator[None, Any, None]:
        while True:
            yield

    sink = drop()
    next(sink)
    coroutine = ijson.get_backend("yajl2_c").basic_parse_coro(sink, use_float=True)

    def finish() -> None:
        coroutine.close()

    return coroutine.send, finish


def _whole(loads: Callable[[bytes], Any]) -> Callable[[Stream], Run]:
    def prepare(stream: Stream) -> Run:
        data = stream.document.data

        def run(deadline: float) -> Any:
            return loads(data)

        return run

    return prepare


def _orjson(stream: Stream) -> Run:
    import orjson

    return _whole(orjson.loads)(stream)


def _pydantic_whole(stream: Stream) -> Run:
    return _whole(stream.document.workload.model.model_validate_json)(stream)


PEERS: dict[str, Peer] = {
    peer.name: peer
    for peer in (
        Peer("midstream", "midstream Parser, `value` after every chunk", "value", "midstream", "midstream",
             _midstream_value, _same_value),
        Peer("midstream-model", "midstream ModelStream, typed partial after every chunk", "model", "midstream",
             "midstream", _midstream_model, _same_model, baseline="midstream-model"),
        Peer("midstream-events", "midstream Parser(events=True), begin/delta/end events after every chunk",
             "events", "midstream", "midstream", _midstream_events, _same_value),
        Peer("midstream-feed", "midstream Parser, every chunk fed, the value read once at the end", "events",
             "midstream", "midstream", _push(_midstream_feed), _same_value),
        Peer("jiter", 'jiter.from_json(partial_mode="on"), re-parse', "value", "jiter", "jiter", _jiter(True),
             _same_value, reparses=True),
        Peer("jiter-trailing", 'jiter.from_json(partial_mode="trailing-strings"), re-parse', "value", "jiter",
             "jiter", _jiter("trailing-strings"), _same_value, reparses=True),
        Peer("pydantic-core", 'pydantic_core.from_json(allow_partial="trailing-strings"), re-parse', "value",
             "pydantic-core", "pydantic_core", _pydantic_core, _same_value, reparses=True),
        Peer("pydantic", 'TypeAdapter(TypedDict).validate_json(experimental_allow_partial="trailing-strings")',
             "model", "pydantic", "pydantic", _pydantic_partial, _same_typed_dict, reparses=True,
             baseline="midstream-model"),
        Peer("instructor", "instructor Partial[Model].model_from_chunks", "model", "instructor",
             "instructor.dsl.partial", _instructor, _same_model, reparses=True, baseline="midstream-model"),
        Peer("partial-json-parser", "partial_json_parser.loads, re-parse", "value", "partial-json-parser",
             "partial_json_parser", _partial_json_parser, _same_value, reparses=True),
        Peer("partialjson", "partialjson JSONParser().parse, re-parse", "value", "partialjson", "partialjson",
             _partialjson, _same_value, reparses=True),
        Peer("json-repair", "json_repair.loads(stream_stable=True), re-parse", "value", "json-repair",
             "json_repair", _json_repair, _same_value, reparses=True),
        Peer("langchain", "langchain_core parse_partial_json, re-parse", "value", "langchain-core",
             "langchain_core.utils.json", _langchain, _same_value, reparses=True),
        Peer("ijson", "ijson yajl2_c push parser, events only (no values)", "events", "ijson", "ijson",
             _push(_ijson), None),
        Peer("json", "json.loads of the whole text, once", "whole", None, "json", _whole(json.loads), _same_value),
        Peer("orjson", "orjson.loads of the whole text, once", "whole", "orjson", "orjson", _orjson, _same_value),
        Peer("pydantic-whole", "Model.model_validate_json of the whole text, once", "whole", "pydantic",
             "pydantic", _pydantic_whole, _same_model, baseline="midstream-model"),
    )
}  # fmt: skip
