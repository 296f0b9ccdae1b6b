"""Hostile input: the hardening promises of docs/hardening.md that tests/test_parser.py does not already check.

Each test is named after the promise it checks. Big inputs are generated chunk by chunk (never held whole) and
their memory is measured with tracemalloc (Python objects) and, on Linux, the process's peak resident set (Rust
buffers too); no timings are asserted.
"""

from __future__ import annotations

import doctest
import itertools
import json
import os
import random
import re
import sys
import sysconfig
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import midstream
import pydantic
import pytest
from _support import assert_json_equal, run_interleaved
from midstream import IncompleteJSONError, JSONError, ModelStream, Parser
from midstream.testing import hostile
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "hardening.md"
CHUNK = 64 * 1024
MB = 1024 * 1024


def feed_all(parser: Parser, chunks: Iterator[bytes] | list[bytes]) -> Any:
    for chunk in chunks:
        parser.feed(chunk)
    return parser.finish()


def error_of(*chunks: bytes | str, **options: Any) -> JSONError:
    parser = Parser(**options)
    with pytest.raises(JSONError) as caught:
        for chunk in chunks:
            parser.feed(chunk)
        parser.finish()
    return caught.value


class PeakMemory:
    """Peak memory over a block: tracemalloc's peak (Python allocations) and, where Linux lets us reset it, the
    growth of the peak resident set over the resident set at the start (everything, Rust buffers included)."""

    def __enter__(self) -> PeakMemory:
        self.rss_start = _reset_peak_rss()
        tracemalloc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _, self.python = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak = _status_kb("VmHWM")
        self.rss = (peak * 1024 - self.rss_start) if self.rss_start is not None and peak is not None else None

    def check(self, python: float, rss: float) -> None:
        print(f"tracemalloc peak {self.python / MB:.1f} MB, resident-set growth {(self.rss or 0) / MB:.1f} MB")
        assert self.python < python, f"tracemalloc peak {self.python / MB:.1f} MB, bound {python / MB:.1f} MB"
        if self.rss is not None:
            assert self.rss < rss, f"resident-set peak grew {self.rss / MB:.1f} MB, bound {rss / MB:.1f} MB"


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> int | None:
    """Reset the peak resident set to the current one (Linux: ``5`` to ``/proc/self/clear_refs``); its size."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return None
    rss = _status_kb("VmRSS")
    return None if rss is None else rss * 1024


# --- limits ---------------------------------------------------------------------------------------------------


def test_the_default_limits_are_the_documented_ones() -> None:
    assert midstream.DEFAULT_MAX_DEPTH == 512
    assert "`max_depth` | 512" in DOC.read_text(encoding="utf-8")
    for make in (Parser, lambda: ModelStream(Any), lambda: Parser(events=True, forget_items_at=())):
        parser = make()
        with pytest.raises(JSONError, match="depth limit of 512"):
            parser.feed("[" * 513)


def test_a_million_nested_arrays_closed_again_build_without_recursion() -> None:
    """With the limit lifted, a million-deep array is built and freed without recursing (no stack overflow)."""
    depth = 1_000_000
    parser = Parser(max_depth=depth)
    for _ in range(depth // CHUNK + 1):
        parser.feed(b"[" * min(CHUNK, depth - parser.offset))
    parser.feed(b"]" * depth)
    value = parser.finish()
    seen = 0
    while value:
        (value,) = value
        seen += 1
    assert seen == depth - 1 and value == []
    del parser  # freeing the nested lists must not recurse either


@pytest.mark.parametrize(
    "consume",
    [
        lambda data: ModelStream(Any).feed(data),
        lambda data: ModelStream(list[Any]).feed(data),
        lambda data: list(midstream.iter_items(Any, [data])),
        lambda data: list(midstream.iter_items(Any, [data], path=("a",))),
    ],
    ids=["ModelStream(Any)", "ModelStream(list)", "iter_items", "iter_items at a path"],
)
def test_the_typed_layers_enforce_the_depth_limit_without_recursion_errors(consume: Callable[[bytes], Any]) -> None:
    for data in (b"[" * 100_000, b'{"a": ' + b"[" * 100_000):
        with pytest.raises(JSONError, match="depth limit") as caught:
            consume(data)
        assert type(caught.value) is JSONError


@pytest.mark.parametrize("depth", [100, 511])
def test_deep_values_under_the_limit_validate_without_recursion_errors(depth: int) -> None:
    text = "[" * depth + "]" * depth
    stream = ModelStream(Any)
    stream.feed(text)
    assert stream.finish() == json.loads(text)


def test_the_digit_limit_follows_sys_set_int_max_str_digits() -> None:
    old = sys.get_int_max_str_digits()
    try:
        sys.set_int_max_str_digits(0)  # no limit: exact at any size, like json.loads
        text = "[" + "7" * 20_000 + "]"
        assert feed_all(Parser(), [text]) == json.loads(text)
        sys.set_int_max_str_digits(1000)
        error = error_of("[1, " + "7" * 1001 + "]")
        assert (type(error), error.offset) == (JSONError, 4)
        assert isinstance(error.__cause__, ValueError)
        assert feed_all(Parser(), ["7" * 1000]) == int("7" * 1000)
    finally:
        sys.set_int_max_str_digits(old)


def test_a_64_megabyte_number_is_rejected_in_bounded_memory() -> None:
    """64 MB of digits in 64 KB chunks: refused (over the digit limit) at the number, without quadratic work."""
    digits = b"9" * CHUNK
    with PeakMemory() as memory:
        parser = Parser()
        parser.feed(b'{"n": ')
        for _ in range(1024):
            parser.feed(digits)
        with pytest.raises(JSONError) as caught:
            parser.feed(b"}")
    assert caught.value.offset == 6
    assert isinstance(caught.value.__cause__, ValueError)
    # The digits reach Python's int() as one str (64 MB), which refuses them by their count, before converting.
    memory.check(python=2 * 64 * MB + 8 * MB, rss=4 * 64 * MB)


@pytest.mark.parametrize(
    "text",
    [
        "1e999999999",
        "-1e999999999",
        "[1e-999999999]",
        "1e" + "9" * 1_000_000,
        "0." + "1" * 1_000_000,
        "1" * 1000 + ".5e-1000",
        "[" + "0." + "0" * 500_000 + "1e500000]",
    ],
    ids=lambda text: f"{text[:12]}...({len(text)})",
)
def test_huge_exponents_and_mantissas_are_what_json_loads_gives(text: str) -> None:
    want = json.loads(text)
    data = text.encode()
    assert_json_equal(feed_all(Parser(), [data]), want)
    assert_json_equal(feed_all(Parser(), [data[i : i + 4096] for i in range(0, len(data), 4096)]), want)


# --- big inputs in chunks -----------------------------------------------------------------------------------


def _cyclic_chunks(piece: bytes, total: int) -> Iterator[bytes]:
    """``piece`` repeated to ``total`` bytes, in 64 KB chunks cut at a different place in ``piece`` each time."""
    window = piece * (CHUNK // len(piece) + 2)
    sent = 0
    while sent < total:
        start = sent % len(piece)
        size = min(CHUNK, total - sent)
        yield window[start : start + size]
        sent += size


def test_a_256_megabyte_string_in_64_kilobyte_chunks_in_linear_memory() -> None:
    # 41 bytes per repetition, so chunk boundaries fall inside every escape in turn.
    piece = rb"lorem ipsum \n dolor \"sit\" \u0041met \\ "
    decoded = 'lorem ipsum \n dolor "sit" Amet \\ '
    repeat = 256 * MB // len(piece)
    with PeakMemory() as memory:
        parser = Parser()
        parser.feed(b'{"text": "')
        for chunk in _cyclic_chunks(piece, repeat * len(piece)):
            parser.feed(chunk)
        parser.feed(b'"}')
        text = parser.finish()["text"]
        del parser
    size = repeat * len(decoded)
    assert len(text) == size
    assert text[:10_000] == (decoded * (10_000 // len(decoded) + 1))[:10_000]
    middle = size // 2 - size // 2 % len(decoded)
    assert text[middle : middle + 5 * len(decoded)] == decoded * 5
    assert text.endswith(decoded * 100)
    # The result itself is ~220 MB (an ASCII str); the parser's own buffer adds about the input's size.
    memory.check(python=size + 16 * MB, rss=3 * repeat * len(piece))


def _item_chunks(count: int, text: bytes) -> Iterator[bytes]:
    buffer = bytearray(b'{"data": {"items": [')
    for index in range(count):
        buffer += b'{"id": %d, "tags": ["a", "b"], "text": "%s"}' % (index, text)
        buffer += b", " if index + 1 < count else b"]}}"
        if len(buffer) >= CHUNK:
            yield bytes(buffer)
            buffer.clear()
    yield bytes(buffer)


def test_a_200_megabyte_document_of_items_in_bounded_memory() -> None:
    text = b"x" * 4000 + b"\\u00e9"
    count = 200 * MB // (len(text) + 50)
    seen = 0
    with PeakMemory() as memory:
        parser = Parser(events=True, forget_items_at=("data", "items"))
        for chunk in _item_chunks(count, text):
            parser.feed(chunk)
            for event in parser.drain_events():
                if event.kind == "end" and len(event.path) == 3:
                    assert event.path == ("data", "items", seen)
                    assert event.value["id"] == seen
                    seen += 1
        assert parser.finish() == {"data": {"items": []}}
    assert seen == count
    memory.check(python=8 * MB, rss=64 * MB)


def test_a_32_megabyte_key_in_chunks() -> None:
    with PeakMemory() as memory:
        parser = Parser()
        parser.feed(b'{"')
        for chunk in _cyclic_chunks(b"k\\u00e9", 32 * MB // 7 * 7):
            parser.feed(chunk)
        parser.feed(b'": 1}')
        value = parser.finish()
    ((key, one),) = value.items()
    assert one == 1 and len(key) == 32 * MB // 7 * 2 and key.startswith("k\u00e9k\u00e9")
    memory.check(python=2 * len(key) + 16 * MB, rss=6 * 32 * MB)


class Row(BaseModel):
    id: int
    kind: Literal["a", "b"]
    text: str


def test_iter_items_over_an_endless_array_in_bounded_memory() -> None:
    """A source that never ends: items keep coming, one by one, and memory stays flat until we stop."""

    def endless() -> Iterator[bytes]:
        yield b'{"rows": ['
        for index in itertools.count():
            yield b'{"id": %d, "kind": "a", "text": "%s"}, ' % (index, b"lorem ipsum " * 20)

    wanted = 80_000
    with PeakMemory() as memory:
        rows = midstream.iter_items(Row, endless(), path=("rows",))
        for expected, row in enumerate(rows):
            assert row.id == expected
            if expected + 1 == wanted:
                break
        rows.close()
    assert expected + 1 == wanted  # about 22 MB of input
    memory.check(python=8 * MB, rss=64 * MB)


def distinct_key_items(count: int, per_chunk: int = 10_000) -> Iterator[bytes]:
    """``[{"key-0-<pad>": 0}, {"key-1-<pad>": 1}, ...]`` in chunks: ``count`` distinct keys of ~40 bytes."""
    yield b"["
    for start in range(0, count, per_chunk):
        stop = min(start + per_chunk, count)
        yield b"".join(b'{"key-%d-padding-padding-padding": %d}, ' % (i, i) for i in range(start, stop))
    yield b"{}]"


@pytest.mark.parametrize("events", [False, True])
def test_keys_from_the_input_are_not_interned(events: bool) -> None:
    """An interned str is immortal on CPython 3.12+: keys taken from the input must never be interned."""
    parser = Parser(events=events)
    parser.feed(f'{{"an-unusual-key-{os.getpid()}": 1, "another-one": [1]}}')
    key = next(iter(parser.value))
    assert sys.intern("".join(["an-unusual-key-", str(os.getpid())])) is not key
    if events:
        steps = [step for event in parser.drain_events() for step in event.path]
        assert "another-one" in steps
        assert all(sys.intern("".join(["another", "-one"])) is not step for step in steps)


def test_a_million_and_a_half_distinct_keys_leave_nothing_behind() -> None:
    """Memory is the value being built plus the open path: after the parser is gone, nothing stays (on every
    Python: 3.12 made interned strings immortal, which kept ~150 MB of keys alive when they were interned)."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        parser = Parser(forget_items_at=())
        for chunk in distinct_key_items(1_500_000):
            parser.feed(chunk)
        assert parser.finish() == []
        del parser
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"left behind: {(after - before) / MB:.2f} MB")
    assert after - before < 1 * MB


# --- encodings, NUL and byte order marks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "offset"),
    [(b"\x00", 0), (b"\x00[1]", 0), (b"[1,\x002]", 3), (b"[1]\x00", 3), (b'{"a"\x00: 1}', 4), (b"1\x00", 1)],
)
def test_nul_bytes_outside_strings_are_rejected_at_their_offset(data: bytes, offset: int) -> None:
    for chunks in ([data], [data[i : i + 1] for i in range(len(data))]):
        error = error_of(*chunks)
        assert (type(error), error.offset) == (JSONError, offset)


def test_an_escaped_nul_is_an_ordinary_character_in_strings_and_keys() -> None:
    text = '{"a\\u0000b": "\\u0000", "\\u0000": ["x\\u0000"]}'
    assert feed_all(Parser(), [text]) == json.loads(text) == {"a\x00b": "\x00", "\x00": ["x\x00"]}


@pytest.mark.parametrize(
    "chunks",
    [
        [b"\xef\xbb\xbf{}"],
        [b"\xef", b"\xbb\xbf{}"],
        [b"\xef\xbb", b"\xbf", b"{}"],
        ["\ufeff{}"],
        [b"", "\ufeff", "{}"],
    ],
)
def test_a_utf8_bom_is_rejected_at_byte_0_however_it_arrives(chunks: list[bytes | str]) -> None:
    error = error_of(*chunks)
    assert (type(error), error.offset) == (JSONError, 0)


def test_a_bom_after_whitespace_is_rejected_where_it_starts() -> None:
    assert error_of(b" \n\xef\xbb\xbf{}").offset == 2


def test_a_bom_inside_a_string_is_an_ordinary_character() -> None:
    data = '["\ufeff", {"\ufeffk": "a\ufeff"}]'.encode()
    assert feed_all(Parser(), [data[i : i + 1] for i in range(len(data))]) == json.loads(data)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_text_is_rejected(encoding: str) -> None:
    data = '{"a": [1]}'.encode(encoding)
    error = error_of(data)
    assert type(error) is JSONError
    assert error.offset <= 1  # a BOM byte, a NUL byte, or (little-endian, no BOM) the NUL after "{"


def test_model_stream_rejects_nan_unless_allowed() -> None:
    class Reading(BaseModel):
        value: float

    for text in ('{"value": NaN}', '{"value": Infinity}', '{"value": -Infinity}'):
        with pytest.raises(JSONError):
            ModelStream(Reading).feed(text)
        stream = ModelStream(Reading, allow_nan=True)
        stream.feed(text)
        assert_json_equal(stream.finish().value, json.loads(text)["value"])
    with pytest.raises(JSONError):
        list(midstream.iter_items(float, ["[1.5, NaN]"]))


# --- lifecycle: after finish, after an error ----------------------------------------------------------------------


def test_model_stream_after_finish_and_after_errors() -> None:
    class Point(BaseModel):
        x: int

    stream = ModelStream(Point)
    stream.feed('{"x": 1}')
    final = stream.finish()
    with pytest.raises(RuntimeError, match="finished"):
        stream.feed(" ")
    assert stream.finish() is final

    stream = ModelStream(Point)
    stream.feed('{"x": 1')
    with pytest.raises(JSONError) as first:
        stream.feed("x}")
    for again in (lambda: stream.feed("}"), stream.finish, stream.finish):
        with pytest.raises(JSONError) as caught:
            again()
        assert (type(caught.value), caught.value.offset) == (JSONError, first.value.offset)

    stream = ModelStream(Point)
    stream.feed('{"x": ')
    for _ in range(2):
        with pytest.raises(IncompleteJSONError):
            stream.finish()

    stream = ModelStream(Point)
    stream.feed('{"x": "nope"}')
    with pytest.raises(pydantic.ValidationError) as invalid:
        stream.finish()
    for again in (lambda: stream.feed(" "), stream.finish):
        with pytest.raises(pydantic.ValidationError) as caught:
            again()
        assert caught.value is invalid.value


# --- threads ------------------------------------------------------------------------------------------------------


def test_one_parser_per_thread_gives_exact_results_concurrently() -> None:
    documents = [
        json.dumps({"id": n, "text": "é" * n + "\U0001f680", "items": list(range(n % 17)), "f": n / 7}).encode()
        for n in range(300)
    ]
    failures: list[str] = []

    def work(seed: int) -> None:
        rnd = random.Random(seed)
        for data in documents:
            cuts = sorted(rnd.sample(range(1, len(data)), min(8, len(data) - 1)))
            chunks = [data[a:b] for a, b in itertools.pairwise([0, *cuts, len(data)])]
            value = feed_all(Parser(), chunks)
            if value != json.loads(data):
                failures.append(f"{seed}: {data!r}")

    run_interleaved(*(lambda seed=seed: work(seed) for seed in range(6)))
    assert failures == []


def test_a_model_stream_shared_between_threads_raises_runtime_errors_never_anything_else() -> None:
    """Overlapping calls on one ModelStream are refused (RuntimeError) like the Parser's; calls that do not overlap
    are serialized, so the final value has every item that was fed."""

    class Doc(BaseModel):
        items: list[dict[str, list[int]]]

    stream = ModelStream(Doc)
    stream.feed('{"items": [')
    fed_ok = [0, 0]
    unexpected: list[BaseException] = []
    refused: list[RuntimeError] = []
    start = threading.Barrier(3)

    def feeder(which: int) -> None:
        start.wait()
        for _ in range(2000):
            try:
                stream.feed('{"n": [1, 2]}, ')
                fed_ok[which] += 1
            except RuntimeError as error:
                refused.append(error)
            except BaseException as error:  # pragma: no cover - reported below
                unexpected.append(error)

    def reader() -> None:
        start.wait()
        for _ in range(2000):
            try:
                _ = stream.partial, stream.progress, stream.is_complete(("items", 0))
            except RuntimeError as error:
                refused.append(error)
            except BaseException as error:  # pragma: no cover - reported below
                unexpected.append(error)

    run_interleaved(lambda: feeder(0), lambda: feeder(1), reader)
    assert unexpected == []
    assert all("in use" in str(error) or "borrow" in str(error).lower() for error in refused), refused[:3]
    stream.feed('{"n": [0]}]}')
    final = stream.finish()
    assert len(final.items) == sum(fed_ok) + 1
    assert all(item == {"n": [1, 2]} for item in final.items[:-1])


def test_a_model_stream_refuses_a_feed_from_inside_its_own_feed() -> None:
    """A validator that feeds the stream it is validating for (re-entrancy, the single-threaded form of an
    overlap) gets RuntimeError, and the stream carries on unharmed."""
    refusals: list[str] = []

    class Item(BaseModel):
        x: int

        @pydantic.field_validator("x")
        @classmethod
        def reenter(cls, value: int) -> int:
            try:
                stream.feed("1")
            except RuntimeError as error:
                refusals.append(str(error))
            return value

    stream: ModelStream[list[Item]] = ModelStream(list[Item])
    stream.feed('[{"x": 1}, {"x": 2}')
    stream.feed("]")
    assert len(refusals) == 2 and all("ModelStream is in use" in refusal for refusal in refusals)
    assert [item.x for item in stream.finish()] == [1, 2]


def test_the_module_is_declared_free_threading_safe_only_if_it_is() -> None:
    """The binding declares ``gil_used = true``: on a free-threaded CPython, importing it turns the GIL back on
    (unless forced off with PYTHON_GIL=0), and the docs say it is not declared free-threading safe."""
    source = (ROOT / "rust" / "python" / "src" / "lib.rs").read_text(encoding="utf-8")
    (declaration,) = re.findall(r"#\[pymodule\((.*?)\)\]", source)
    assert declaration == "gil_used = true"
    assert "not declared free-threading safe" in DOC.read_text(encoding="utf-8")
    if sysconfig.get_config_var("Py_GIL_DISABLED") and os.environ.get("PYTHON_GIL") != "0":
        assert sys._is_gil_enabled()  # type: ignore[attr-defined]


# --- the hostile catalog and the docs table ---------------------------------------------------------------------


def test_midstream_survives_every_hostile_input_and_the_docs_table_says_what_it_does() -> None:
    table = DOC.read_text(encoding="utf-8").split("## What other parsers do", 1)[1].split("\n## ", 1)[0]
    for item in hostile.HOSTILE_INPUTS:
        outcome = hostile.run(hostile.PARSERS["midstream"], item.data, timeout=30)
        assert outcome.kind in ("value", "error"), (item.name, outcome)
        if outcome.kind == "error":
            assert outcome.detail.startswith(("JSONError:", "IncompleteJSONError:")), (item.name, outcome)
        (row,) = [line for line in table.splitlines() if line.startswith(f"| {item.name} |")]
        assert f"| {hostile._cell(str(outcome))} |" in row, (item.name, str(outcome))


def test_the_hostile_table_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert hostile.main(["--markdown", "--parser", "midstream", "--parser", "json.loads", "--input", "NaN"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| input | what it probes | bytes | midstream | json.loads |"
    assert lines[2].startswith("| NaN |")
    assert "| JSONError: " in lines[2] and "| ok: nan |" in lines[2]
    nested: list[Any] = []
    for _ in range(12):
        nested = [nested]
    assert hostile.describe(nested) == "list nested 13 deep"
    assert hostile.describe(10**5000).startswith("int of ~")
    assert doctest.testmod(hostile, verbose=False).failed == 0


# --- the declared floor ---------------------------------------------------------------------------------------------


def test_the_declared_pydantic_floor_is_the_one_checked_and_the_one_installed_meets_it() -> None:
    """pyproject.toml's `pydantic>=X.Y` is the floor midstream checks at import (CI runs the suite on it)."""
    from midstream.pydantic._reuse import PYDANTIC_FLOOR

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (declared,) = re.findall(r'dependencies = \["pydantic>=([0-9.]+)"\]', text)
    assert tuple(int(part) for part in declared.split(".")) == PYDANTIC_FLOOR
    assert tuple(int(part) for part in pydantic.VERSION.split(".")[:2]) >= PYDANTIC_FLOOR
    import pydantic_core

    # What the floor is for (a TypeError on pydantic-core before 2.46).
    assert pydantic_core.SchemaValidator({"type": "int"}, _use_prebuilt=False).validate_python("1") == 1
