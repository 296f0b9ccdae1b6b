"""Fuzzing the Python layer with hypothesis: Parser, ModelStream and the SSE decoder, fed random and mutated
input in random chunkings, must never raise anything but their documented errors, and must give the same result
however the input is cut.

``MIDSTREAM_FUZZ_EXAMPLES`` sets the examples per test (default 300: the file runs in well under a minute);
raise it to hunt for bugs, e.g. ``MIDSTREAM_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_python.py``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal

import pydantic
from _support import json_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from midstream import JSONError, ModelStream, Parser
from midstream.sse import SSEDecoder, SSEEvent
from midstream.testing.contract import check_prefixes, refines
from midstream.testing.strategies import chunkings, json_texts, json_values, model_instances
from pydantic import BaseModel, Field

EXAMPLES = int(os.environ.get("MIDSTREAM_FUZZ_EXAMPLES", "300"))
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

#: Bytes that make a random byte string likely to be almost-JSON: structure, literals, numbers, escapes, UTF-8
#: lead and continuation bytes, an encoded surrogate, NUL and other control bytes, a BOM.
TOKENS = [
    *(bytes([b]) for b in b'{}[],:"\\ \n\t0123456789-+.eE'),
    b"true",
    b"false",
    b"null",
    b"NaN",
    b"Infinity",
    b"\\u",
    b"\\ud83d",
    b"\\ude80",
    b"\\u00e9",
    b'"key"',
    b"\x00",
    b"\x1f",
    b"\x7f",
    b"\xff",
    b"\xc3\xa9",
    b"\xc3",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x9a\x80",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xef\xbb\xbf",
]
noise = st.one_of(st.binary(max_size=64), st.lists(st.sampled_from(TOKENS), max_size=60).map(b"".join))


@st.composite
def mutated(draw: st.DrawFn, documents: st.SearchStrategy[bytes]) -> bytes:
    """A valid document with a few bytes flipped, inserted or deleted (sometimes none)."""
    data = bytearray(draw(documents))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "token"]))
        at = draw(st.integers(0, len(data)))
        if action == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = bytes([draw(st.integers(0, 255))])
        elif action == "delete" and at < len(data):
            del data[at]
        elif action == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
    return bytes(data)


small_texts = json_texts(json_values(max_leaves=12, max_depth=20)).filter(lambda data: len(data) <= 400)
inputs = st.one_of(noise, mutated(small_texts), small_texts)


# --- Parser -------------------------------------------------------------------------------------------------------

Outcome = tuple[Any, ...]


def parse(chunks: list[bytes], **options: Any) -> Outcome:
    """Feed and finish; the value, or the error's type, offset, line, column and message. Any other exception
    propagates and fails the test."""
    parser = Parser(**options)
    try:
        for chunk in chunks:
            parser.feed(chunk)
        return ("value", parser.finish())
    except JSONError as error:
        return ("error", type(error).__name__, error.offset, error.line, error.column, error.msg)


def same(a: Outcome, b: Outcome) -> bool:
    return (a[0] == b[0] == "value" and json_equal(a[1], b[1])) or (a[0] == b[0] == "error" and a == b)


def json_loads_outcome(data: bytes) -> Any:
    try:
        return ("value", json.loads(data.decode("utf-8")))
    except (ValueError, RecursionError) as error:
        return ("error", type(error).__name__)


@fuzz
@given(data=st.data(), document=inputs, allow_nan=st.booleans())
def test_parser_any_bytes_only_json_errors_and_the_same_outcome_for_every_chunking(
    data: st.DataObject, document: bytes, allow_nan: bool
) -> None:
    whole = parse([document], allow_nan=allow_nan)
    for _ in range(2):
        chunks = data.draw(chunkings(document))
        cut = parse(chunks, allow_nan=allow_nan)
        assert same(whole, cut), (chunks, whole, cut)
    # And the same verdict as json.loads (which always allows NaN and has no depth limit but recursion).
    loaded = json_loads_outcome(document)
    if whole[0] == "value":
        assert loaded[0] == "value" and json_equal(whole[1], loaded[1]), (document, whole, loaded)
    elif loaded[0] == "value" and not (b"NaN" in document or b"Infinity" in document):
        raise AssertionError(f"midstream rejected what json.loads accepts: {document!r}: {whole}")


@fuzz
@given(data=st.data(), document=small_texts)
def test_parser_valid_documents_keep_the_contract_in_every_chunking(data: st.DataObject, document: bytes) -> None:
    chunks = data.draw(chunkings(document))
    final = json.loads(document)
    parser = Parser()
    previous = None
    for chunk in chunks:
        parser.feed(chunk)
        shown = parser.snapshot()
        if previous is not None:
            assert refines(previous, shown) is None, (chunks, previous, shown)
        if shown is not None:
            assert refines(shown, final) is None, (chunks, shown, final)
        previous = shown
    assert json_equal(parser.finish(), final)


def _shown(data: bytes) -> Any:
    parser = Parser()
    parser.feed(data)
    return parser.value


def _final(data: bytes) -> Any:
    parser = Parser()
    parser.feed(data)
    return parser.finish()


@fuzz
@given(document=json_texts(json_values(max_leaves=6, max_depth=8)).filter(lambda data: len(data) <= 120))
def test_parser_every_prefix_of_small_documents_keeps_the_contract(document: bytes) -> None:
    assert check_prefixes(_shown, document, finish=_final) is None


# --- ModelStream ----------------------------------------------------------------------------------------------------


class Tag(BaseModel):
    name: str = Field(max_length=8)
    weight: float | None = None


class Item(BaseModel):
    id: int
    kind: Literal["a", "b"]
    tags: list[Tag] = []
    note: str | None = None


class Order(BaseModel):
    status: Literal["open", "closed"]
    items: list[Item]
    customer: Tag | None = None
    meta: dict[str, int] = {}


MODELS: list[Any] = [Order, list[Item], Tag | None]


def stream_outcome(tp: Any, chunks: list[bytes], fail_fast: bool) -> Outcome:
    """Feed and finish a ModelStream: the dumped value, the JSON error, or the validation errors' locations and
    types. Partials are read after every feed. Anything else propagates."""
    stream: ModelStream[Any] = ModelStream(tp, fail_fast=fail_fast)
    try:
        for chunk in chunks:
            stream.feed(chunk)
            _ = stream.partial, stream.progress, stream.complete, stream.is_complete(())
        value = stream.finish()
    except JSONError as error:
        return ("json error", type(error).__name__, error.offset, error.msg)
    except pydantic.ValidationError as error:
        return ("invalid", [(e["loc"], e["type"]) for e in error.errors()])
    return ("value", pydantic.TypeAdapter(tp).dump_python(value, mode="json"))


@st.composite
def model_documents(draw: st.DrawFn) -> tuple[Any, bytes]:
    tp = draw(st.sampled_from(MODELS))
    document = json.dumps(draw(model_instances(tp))).encode()
    return tp, draw(st.one_of(st.just(document), mutated(st.just(document))))


@fuzz
@given(data=st.data(), case=model_documents(), fail_fast=st.booleans())
def test_model_stream_only_json_and_validation_errors_and_the_same_outcome_for_every_chunking(
    data: st.DataObject, case: tuple[Any, bytes], fail_fast: bool
) -> None:
    tp, document = case
    whole = stream_outcome(tp, [document], fail_fast)
    cut = stream_outcome(tp, data.draw(chunkings(document)), fail_fast)
    if fail_fast and {whole[0], cut[0]} == {"invalid"}:
        # fail_fast raises at the first invalid part that finishes, which a chunking does not change.
        assert whole[1][:1] == cut[1][:1], (whole, cut)
    else:
        assert whole == cut, (document, whole, cut)
    if whole[0] == "value":
        adapter = pydantic.TypeAdapter(tp)
        try:
            expected = adapter.validate_json(document)
        except pydantic.ValidationError as error:
            # pydantic's JSON parser rejects lone surrogate escapes, which JSON allows and midstream keeps (as
            # json.loads does): compare with the json.loads value, validated in JSON-like lax mode, instead.
            assert error.errors()[0]["type"] == "json_invalid", error
            expected = adapter.validate_python(json.loads(document))
        assert whole[1] == adapter.dump_python(expected, mode="json")


# --- the SSE decoder ------------------------------------------------------------------------------------------------

SSE_PIECES = [
    b"data:",
    b"data: ",
    b"event: ",
    b"event:delta",
    b"id: ",
    b"id",
    b"retry: ",
    b"retry: 3000",
    b"retry: 12x",
    b":",
    b": ping",
    b"x",
    b" ",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\xc3\xa9",
    b"\xc3",
    b"\xe2\x82",
    b"\xff",
    b"\xf0\x9f\x9a\x80",
    b'{"a": 1}',
]
sse_streams = st.one_of(st.binary(max_size=200), st.lists(st.sampled_from(SSE_PIECES), max_size=80).map(b"".join))


def sse_outcome(chunks: list[bytes] | list[str]) -> tuple[list[SSEEvent], str | None, int | None]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    events += decoder.finish()
    return events, decoder.last_event_id, decoder.retry


@fuzz
@given(data=st.data(), stream=sse_streams)
def test_sse_decoder_random_bytes_give_the_same_events_in_every_chunking(data: st.DataObject, stream: bytes) -> None:
    whole = sse_outcome([stream])
    assert sse_outcome(data.draw(chunkings(stream))) == whole
    assert sse_outcome([stream[i : i + 1] for i in range(len(stream))]) == whole
    try:
        text = stream.decode("utf-8")
    except UnicodeDecodeError:
        return
    # Text chunks (already decoded), cut between characters, give the same events too.
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=10)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    assert sse_outcome(pieces) == whole
    for event in whole[0]:
        assert "\r" not in event.data and "\r" not in event.event
