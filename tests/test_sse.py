"""midstream.sse: the WHATWG event-stream interpretation, whatever the chunking.

A corpus of tricky streams is checked against hand-written events, whole and cut at every position (every pair
of positions for the short ones); a literal, non-incremental reference implementation of the standard checks
random streams; recorded OpenAI streams decode to their JSON payloads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

import pytest
from _support import STREAMS, random_pieces, split_at
from hypothesis import given
from hypothesis import strategies as st
from midstream import sse
from midstream.sse import SSEDecoder, SSEEvent, adecode, decode

OPENAI_STREAMS = sorted((STREAMS / "openai-chat").glob("*.sse"))

BOM = b"\xef\xbb\xbf"


def ev(data: str, event: str = "message", id: str | None = None, retry: int | None = None) -> SSEEvent:
    return SSEEvent(event=event, data=data, id=id, retry=retry)


def events(chunks: Iterable[bytes | str]) -> list[SSEEvent]:
    return list(decode(chunks))


# name -> (stream, expected events)
CORPUS: dict[str, tuple[bytes, list[SSEEvent]]] = {
    "lf": (b"data: a\n\ndata: b\n\n", [ev("a"), ev("b")]),
    "cr": (b"data: a\r\rdata: b\r\r", [ev("a"), ev("b")]),
    "crlf": (b"data: a\r\n\r\ndata: b\r\n\r\n", [ev("a"), ev("b")]),
    "mixed-line-ends": (
        b"data: a\rdata: b\r\rdata: c\r\n\r\ndata: d\n\r\ndata: e\r\n\n",
        [ev("a\nb"), ev("c"), ev("d"), ev("e")],
    ),
    "lf-cr-is-two-line-ends": (b"data: a\n\rdata: b\n\n", [ev("a"), ev("b")]),
    "cr-crlf-is-two-line-ends": (b"data: a\r\r\ndata: b\n\n", [ev("a"), ev("b")]),
    "bom": (BOM + b"data: first\n\ndata: second\n\n", [ev("first"), ev("second")]),
    "bom-then-crlf": (BOM + b"\r\ndata: x\r\n\r\n", [ev("x")]),
    "bom-only-at-start": (
        BOM + b"data: a\n\n" + BOM + b"data: b\n\ndata: " + BOM + b"c\n\n",
        [ev("a"), ev("\ufeffc")],
    ),
    "two-boms": (BOM + BOM + b"data: x\n\ndata: y\n\n", [ev("y")]),
    "comments": (b": hello\ndata: a\n: ping\n\n: ping\n\n:\n\n::\n\n", [ev("a")]),
    "keep-alives-between-events": (b": ping\n\ndata: 1\n\n: ping\n\n: ping\n\ndata: 2\n\n", [ev("1"), ev("2")]),
    "no-space-after-colon": (b"data:x\n\n", [ev("x")]),
    "only-one-space-removed": (b"data:  x\n\ndata:\tx\n\n", [ev(" x"), ev("\tx")]),
    "trailing-space-kept": (b"data: x \n\n", [ev("x ")]),
    "colons-in-value": (b"data: a: b:c\n\n", [ev("a: b:c")]),
    "multi-line-data": (b"data: a\ndata:\ndata: b\n\n", [ev("a\n\nb")]),
    "spec-example-stock": (b"data: YHOO\ndata: +2\ndata: 10\n\n", [ev("YHOO\n+2\n10")]),
    "spec-example-empty-data": (b"data\n\ndata\ndata\n\ndata:", [ev(""), ev("\n")]),
    "spec-example-space": (b"data:test\n\ndata: test\n\n", [ev("test"), ev("test")]),
    "empty-data-line": (b"data:\n\n", [ev("")]),
    "data-without-colon": (b"data\n\n", [ev("")]),
    "id-persists": (
        b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\nid\ndata: d\n\ndata: e\n\n",
        [ev("a", id="1"), ev("b", id="1"), ev("c", id="2"), ev("d", id=""), ev("e", id="")],
    ),
    "id-after-data-in-block": (b"data: a\nid: 7\n\n", [ev("a", id="7")]),
    "id-with-nul-ignored": (
        b"id: 1\n\nid: a\x00b\ndata: x\n\nid: 2\x00\nid: 3\ndata: y\n\n",
        [ev("x", id="1"), ev("y", id="3")],
    ),
    "id-and-comment-block-no-event": (b"id: 5\n: keep-alive\n\n", []),
    "id-block-then-event": (b"id: 5\n: comment\n\ndata: x\n\n", [ev("x", id="5")]),
    "retry": (
        b"retry: 3000\ndata: a\n\nretry: 3s\ndata: b\n\nretry\ndata: c\n\nretry: -1\ndata: d\n\n"
        b"retry:  5\ndata: e\n\nretry: \xd9\xa3\ndata: f\n\nretry: 0\ndata: g\n\nretry: 007\nretry: x\ndata: h\n\n"
        b"data: i\n\n",
        [
            ev("a", retry=3000),
            ev("b"),
            ev("c"),
            ev("d"),
            ev("e"),
            ev("f"),
            ev("g", retry=0),
            ev("h", retry=7),
            ev("i"),
        ],
    ),
    "event-types": (
        b"event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\nevent: a\nevent: b\ndata: 4\n\nevent: x\n\ndata: 5\n\n",
        [ev("1", "add"), ev("2"), ev("3"), ev("4", "b"), ev("5")],
    ),
    "block-without-data": (b"event: x\nid: 1\nretry: 10\n\n", []),
    "unknown-fields-ignored": (
        b"Data: x\nfoo: bar\ndata : z\n data: w\nDATA\ndata: y\n\n",
        [ev("y")],
    ),
    "blank-lines-only": (b"\n\n\r\n\r\r", []),
    "unterminated-block-discarded": (b"data: a\n\ndata: b\n", [ev("a")]),
    "unterminated-line-discarded": (b"data: a\n\ndata: b", [ev("a")]),
    "unterminated-after-cr": (b"data: a\r\rdata: b\r", [ev("a")]),
    "nul-in-data-kept": (b"data: a\x00b\n\n", [ev("a\x00b")]),
    "multi-byte-utf8": (
        b"event: \xc3\xa9v\ndata: \xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9\n\n",
        [ev("\u20ac \U0001f600 \xe9", "\xe9v")],
    ),
    "invalid-utf8": (
        b"data: \xff\xfe a \xe2\x82\n\ndata: \xf0\x9f\x98\n\ndata: \xed\xa0\x80|\xc0\xaf\n\n",
        [ev("\ufffd\ufffd a \ufffd"), ev("\ufffd"), ev("\ufffd\ufffd\ufffd|\ufffd\ufffd")],
    ),
    "invalid-utf8-at-end": (b"data: a\n\n\xe2\x82", [ev("a")]),
    "invalid-utf8-before-line-end": (b"data: \xe2\x82\r\n\r\n", [ev("\ufffd")]),
    "openai-like": (
        b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n',
        [ev('{"choices":[{"delta":{"content":"Hi"}}]}'), ev("[DONE]")],
    ),
    "anthropic-like": (
        b'event: message_start\ndata: {"type":"message_start"}\n\nevent: ping\ndata: {"type": "ping"}\n\n'
        b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"\xe2\x82\xac"}}\n\n',
        [
            ev('{"type":"message_start"}', "message_start"),
            ev('{"type": "ping"}', "ping"),
            ev('{"type":"content_block_delta","delta":{"text":"\u20ac"}}', "content_block_delta"),
        ],
    ),
}

SHORT = 64  # streams up to this many bytes are also cut at every pair of positions


def _corpus_params() -> list[object]:
    return [pytest.param(stream, expected, id=name) for name, (stream, expected) in CORPUS.items()]


@pytest.mark.parametrize(("stream", "expected"), _corpus_params())
def test_corpus_whole(stream: bytes, expected: list[SSEEvent]) -> None:
    assert events([stream]) == expected


@pytest.mark.parametrize(("stream", "expected"), _corpus_params())
def test_corpus_every_split(stream: bytes, expected: list[SSEEvent]) -> None:
    for cut in range(len(stream) + 1):
        assert events([stream[:cut], stream[cut:]]) == expected, cut
    assert events([stream[i : i + 1] for i in range(len(stream))]) == expected
    assert events(b"" if i % 2 else stream[i // 2 : i // 2 + 1] for i in range(2 * len(stream))) == expected


@pytest.mark.parametrize(("stream", "expected"), _corpus_params())
def test_corpus_every_pair_of_splits(stream: bytes, expected: list[SSEEvent]) -> None:
    stream = stream[: SHORT * 2]  # long ones: their first part (the expected events may then differ: compare whole)
    whole = events([stream])
    if len(stream) <= SHORT:
        assert whole == expected
    for first, second in itertools.combinations(range(len(stream) + 1), 2):
        assert events([stream[:first], stream[first:second], stream[second:]]) == whole, (first, second)


@pytest.mark.parametrize(("stream", "expected"), _corpus_params())
def test_corpus_as_text(stream: bytes, expected: list[SSEEvent]) -> None:
    """``str`` chunks are decoded text: the same events, the BOM still dropped only at the start."""
    try:
        text = stream.decode("utf-8")
    except UnicodeDecodeError:
        text = stream.decode("utf-8", "replace")
    for cut in range(len(text) + 1):
        assert events([text[:cut], text[cut:]]) == expected, cut
    assert events(list(text)) == expected


@pytest.mark.parametrize(("stream", "expected"), _corpus_params())
def test_corpus_async(stream: bytes, expected: list[SSEEvent]) -> None:
    async def source() -> AsyncIterator[bytes]:
        for index in range(len(stream)):
            await asyncio.sleep(0)
            yield stream[index : index + 1]

    async def collect() -> list[SSEEvent]:
        return [event async for event in adecode(source())]

    assert asyncio.run(collect()) == expected


# --- the decoder object -------------------------------------------------------------------------------------


def test_lone_cr_ends_the_line_at_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\r") == [ev("a")]  # the blank line is not held back waiting for a possible LF
    assert decoder.feed(b"\n") == []  # ... and an LF right after that CR is the same line end, not another
    assert decoder.feed(b"data: b\r") == []
    assert decoder.feed(b"\n") == []  # CR | LF: one line end
    assert decoder.feed(b"\n") == [ev("b")]
    assert decoder.finish() == []


def test_cr_lf_split_across_chunks_with_empty_chunks_between() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed("") == []
    assert decoder.feed(b"\n") == []  # still the CR's line end
    assert decoder.feed(b"\r\n") == [ev("a")]


def test_bom_split_across_chunks() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: x\n\n") == [ev("x")]


def test_a_bom_is_only_stripped_as_the_first_character() -> None:
    assert events([b"", "", BOM, b"data: x\n\n"]) == [ev("x")]
    assert events(["\ufeff", "data: x\n\n"]) == [ev("x")]
    assert events([b"\n", BOM + b"data: x\n\n"]) == []  # field "\ufeffdata" is unknown
    assert events(["\ufeff\ufeffdata: x\n\ndata: y\n\n"]) == [ev("y")]


def test_chunk_types() -> None:
    stream = b"event: e\ndata: \xe2\x82\xac\n\n"
    expected = [ev("\u20ac", "e")]
    for convert in (bytes, bytearray, memoryview, lambda piece: piece.decode("utf-8", "replace")):
        decoder = SSEDecoder()
        got = [event for piece in split_at(stream, [3, 18]) for event in decoder.feed(convert(piece))]
        assert got + decoder.finish() == expected


def test_text_after_an_unfinished_utf8_sequence() -> None:
    """Bytes and text may be mixed; bytes cut off by text decode to U+FFFD, like bytes cut off by the end."""
    assert events([b"data: \xe2\x82", "x\n", b"\n"]) == [ev("\ufffdx")]
    assert events([b"data: \xe2", b"\x82", b"\xac", "\n\n"]) == [ev("\u20ac")]


def test_finish_discards_and_keeps_what_a_reconnection_needs() -> None:
    decoder = SSEDecoder()
    assert decoder.last_event_id is None
    assert decoder.retry is None
    assert decoder.feed(b"retry: 1500\nid: 1\ndata: a\n\nid: 2\ndata: b\n\xe2") == [ev("a", id="1", retry=1500)]
    assert decoder.last_event_id == "1"  # "2" was never dispatched
    assert decoder.retry == 1500
    assert decoder.finish() == []
    # the next stream: BOM stripped again, the last event ID carried over, nothing else
    assert decoder.feed(BOM + b"\ndata: c\n\n") == [ev("c", id="1")]
    assert decoder.feed(b"id\n\n") == []
    assert decoder.last_event_id == ""
    assert decoder.finish() == []


def test_retry_is_set_even_without_an_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"retry: 250\n\n: ping\n\ndata: x\n\n") == [ev("x")]
    assert decoder.retry == 250
    assert decoder.feed(b"retry: 9x\n\n") == []
    assert decoder.retry == 250


def test_huge_retry_values() -> None:
    digits = "1" + "0" * 5000
    assert events([f"retry: {digits}\ndata: a\n\n"]) == [ev("a")]  # beyond int()'s default limit: ignored
    assert events([f"retry: {'0' * 5000}42\ndata: a\n\n"]) == [ev("a", retry=42)]
    assert events([f"retry: {'9' * 100}\ndata: a\n\n"]) == [ev("a", retry=int("9" * 100))]


def test_long_line_in_tiny_pieces() -> None:
    payload = "x" * 200_000
    stream = f"data: {payload}\n\n".encode()
    assert events(stream[i : i + 3] for i in range(0, len(stream), 3)) == [ev(payload)]


def test_decode_is_lazy() -> None:
    def source() -> Iterator[bytes]:
        yield b"data: 1\n\ndata: 2"
        raise RuntimeError("connection lost")

    iterator = decode(source())
    assert next(iterator) == ev("1")
    with pytest.raises(RuntimeError, match="connection lost"):
        next(iterator)


def test_adecode_is_lazy() -> None:
    async def source() -> AsyncIterator[bytes]:
        yield b"data: 1\n\ndata: 2"
        raise RuntimeError("connection lost")

    async def main() -> None:
        iterator = adecode(source())
        assert await iterator.__anext__() == ev("1")
        with pytest.raises(RuntimeError, match="connection lost"):
            await iterator.__anext__()

    asyncio.run(main())


def test_event_is_a_frozen_slotted_value() -> None:
    event = ev("x", "e", "1", 5)
    assert event == SSEEvent("e", "x", "1", 5)
    assert hash(event) == hash(SSEEvent("e", "x", "1", 5))
    assert repr(event) == "SSEEvent(event='e', data='x', id='1', retry=5)"
    assert not hasattr(event, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "y"  # type: ignore[misc]


def test_module_names() -> None:
    assert set(sse.__all__) >= {"SSEDecoder", "SSEEvent", "decode", "adecode"}


# --- a literal reference implementation, for random streams ----------------------------------------------------


def reference(stream: bytes) -> list[SSEEvent]:
    """The standard's algorithm, written as directly as possible, on the whole stream at once."""
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split(r"\r\n|\r|\n", text)[:-1]  # the last piece has no line end: discarded
    out: list[SSEEvent] = []
    data = event_type = ""
    last_id: str | None = None
    retry: int | None = None
    for line in lines:
        if line == "":
            if data == "":
                data = event_type = ""
                retry = None
                continue
            if data.endswith("\n"):
                data = data[:-1]
            out.append(SSEEvent(event_type or "message", data, last_id, retry))
            data = event_type = ""
            retry = None
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
        else:
            name, value = line, ""
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return out


_PIECES = [
    "data", "event", "id", "retry", "Data", ":", ": ", " ", "  ", "\r", "\n", "\r\n", "a", "42", "x y", "\x00",
    "\ufeff", "\u20ac", "\U0001f600", "message",
]  # fmt: skip
_BYTE_PIECES = [piece.encode() for piece in _PIECES] + [b"\xff", b"\xe2\x82", b"\xf0\x9f", b"\xef\xbb\xbf"]


@given(
    st.lists(st.sampled_from(_BYTE_PIECES), max_size=60),
    st.lists(st.integers(0, 400), max_size=12),
)
def test_random_streams_match_the_reference(pieces: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(pieces)
    expected = reference(stream)
    assert events([stream]) == expected
    assert events(split_at(stream, cuts)) == expected
    text = stream.decode("utf-8", "replace")
    assert events(split_at(text, cuts)) == expected


# --- property: serialized events come back, however serialized and cut -------------------------------------------

_line_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"), max_size=12)


@st.composite
def serialized_streams(draw: st.DrawFn) -> tuple[bytes, list[SSEEvent]]:
    """Random blocks written out with random line ends, comments, field order and spacing; the events they give."""
    lines: list[str] = []
    expected: list[SSEEvent] = []
    last_id: str | None = None

    def field(name: str, value: str) -> str:
        if not value.startswith(" ") and draw(st.booleans()):
            return f"{name}:{value}"  # without the optional space
        if not value and draw(st.booleans()):
            return name  # a line without a colon: empty value
        return f"{name}: {value}"

    for _ in range(draw(st.integers(0, 6))):
        data = draw(st.lists(_line_text, max_size=4))
        event_type = draw(st.none() | _line_text)
        id_ = draw(st.none() | _line_text.filter(lambda s: "\0" not in s))
        retry = draw(st.none() | st.integers(0, 10**12))
        others = [field("data", line) for line in data]
        singles = []
        if event_type is not None:
            singles.append(field("event", event_type))
        if id_ is not None:
            singles.append(field("id", id_))
            last_id = id_
        if retry is not None:
            singles.append(field("retry", str(retry)))
        singles += [":" + draw(_line_text) for _ in range(draw(st.integers(0, 2)))]
        singles += [field(draw(st.sampled_from(["foo", "Data", "retr", "ids"])), draw(_line_text))]
        # merge: the data lines keep their order, the others go anywhere
        block = list(others)
        for line in singles:
            block.insert(draw(st.integers(0, len(block))), line)
        lines += block
        lines.append("")
        if data:
            expected.append(SSEEvent(event_type or "message", "\n".join(data), last_id, retry))
    if draw(st.booleans()):  # an unterminated block at the end: discarded
        lines.append(field("data", draw(_line_text)))
        lines += [field("id", "never dispatched")] * draw(st.integers(0, 1))
    text = ""
    previous_end = ""
    for number, line in enumerate(lines):
        ends = ["\n", "\r", "\r\n"]
        if line == "" and previous_end == "\r":
            ends.remove("\n")  # CR then LF would be one line end: the blank line would vanish
        if number == len(lines) - 1 and line != "":
            ends.append("")  # the unterminated block's last line may lack its line end too
        end = draw(st.sampled_from(ends))
        text += line + end
        previous_end = end
    bom = draw(st.booleans())
    return (BOM if bom else b"") + text.encode(), expected


@given(serialized_streams(), st.lists(st.integers(0, 2000), max_size=20))
def test_serialized_events_come_back(case: tuple[bytes, list[SSEEvent]], cuts: list[int]) -> None:
    stream, expected = case
    assert events([stream]) == expected
    assert events(split_at(stream, cuts)) == expected
    assert reference(stream) == expected


# --- recorded OpenAI streams --------------------------------------------------------------------------------------


def test_recorded_streams_exist() -> None:
    assert len(OPENAI_STREAMS) >= 10


@pytest.mark.parametrize("path", OPENAI_STREAMS, ids=lambda path: path.stem)
def test_recorded_openai_streams(path: Path) -> None:
    raw = path.read_bytes()
    decoded = events([raw])
    payloads = [line[len(b"data: ") :].decode() for line in raw.split(b"\n") if line.startswith(b"data: ")]
    assert [event.data for event in decoded] == payloads
    assert decoded[-1].data == "[DONE]"
    for event in decoded:
        assert event.event == "message"
        assert event.id is None
        assert event.retry is None
        if event.data != "[DONE]":
            assert isinstance(json.loads(event.data), dict)
    for seed in range(5):
        assert events(random_pieces(raw, seed)) == decoded
    assert events(raw[i : i + 1] for i in range(len(raw))) == decoded
    crlf = raw.replace(b"\n", b"\r\n")
    assert events(random_pieces(crlf, 99)) == decoded
    assert events(random_pieces(BOM + raw.replace(b"\n", b"\r"), 7)) == decoded


@given(st.sampled_from(OPENAI_STREAMS), st.lists(st.integers(0, 50_000), max_size=30))
def test_recorded_streams_cut_anywhere(path: Path, cuts: list[int]) -> None:
    raw = path.read_bytes()
    assert events(split_at(raw, cuts)) == events([raw])


# --- the native decoder's own edges ------------------------------------------------------------------------------


def test_lone_surrogates_in_text_become_replacement_characters() -> None:
    """Only text made in Python can hold a lone surrogate; each becomes U+FFFD, as a byte stream's errors do."""
    assert events(["data: a\ud800b\udc00\n\n"]) == [ev("a\ufffdb\ufffd")]


def test_the_decoder_holds_no_instance_dict_and_reuses_nothing_handed_out() -> None:
    decoder = SSEDecoder()
    assert not hasattr(decoder, "__dict__")
    first = decoder.feed(b"data: x\n\n")
    second = decoder.feed(b"data: x\n\n")
    assert first == second and first is not second and first[0] is not second[0]
    assert type(first[0]) is SSEEvent


def test_events_of_one_decoder_pull_chunks_only_when_asked() -> None:
    pulled: list[bytes] = []

    def source() -> Iterator[bytes]:
        for chunk in (b"data: 1\n\ndata: 2\n\n", b"data: 3\n\n", b"data: 4"):
            pulled.append(chunk)
            yield chunk

    decoder = SSEDecoder()
    iterator = decoder.events(source())
    assert pulled == []
    assert next(iterator) == ev("1")
    assert len(pulled) == 1
    assert next(iterator) == ev("2")
    assert len(pulled) == 1  # the second event was already decoded from the first chunk
    assert [event.data for event in iterator] == ["3"]  # "4" is cut off by the end: discarded
    assert decoder.last_event_id is None


def test_the_native_decoder_checks_its_event_class() -> None:
    from midstream._native import SSEDecoder as NativeDecoder

    class NoSlots:
        pass

    class OwnNew:
        __slots__ = ("data", "event", "id", "retry")

        def __new__(cls) -> OwnNew:
            return super().__new__(cls)

    with pytest.raises(TypeError, match="no slot"):
        NativeDecoder(NoSlots)
    with pytest.raises(TypeError, match="__new__"):
        NativeDecoder(OwnNew)
    with pytest.raises(TypeError, match="feed\\(\\) takes"):
        SSEDecoder().feed(42)  # type: ignore[arg-type]
