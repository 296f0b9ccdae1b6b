"""``ProviderReader.read_into``: a read's followed text fed from the Rust reader straight into the native engine.

``midstream.stream`` over raw SSE bytes takes this path when the native engine follows the type; the Python engine
takes ``read`` and feeds each text itself. The two must give the same partials at every cut of the body, and
``read_into`` must hand back everything that is not the followed text (the finish reason, errors, text before the
answer is followed) as ``ReadPieces``, exactly the list ``read`` gives, nothing of it fed.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import midstream
import pytest
from _support import split_at
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream._native import UNCHANGED, ReadPieces
from midstream.providers.registry import reader_for
from midstream.streams import PartialStream
from midstream.testing import chat_stream
from pydantic import BaseModel


class Owner(BaseModel):
    name: str
    level: Literal["low", "mid", "high"]


class Item(BaseModel):
    id: int
    title: str
    tags: list[str]
    owner: Owner | None = None


class Catalog(BaseModel):
    items: list[Item]


ANSWER = json.dumps(
    {
        "items": [
            {"id": i, "title": f'naïve "café" {i} 🚀', "tags": ["a", "b\\n"][: i % 3], "owner": owner}
            for i, owner in enumerate([{"name": "Ann", "level": "mid"}, None, {"name": "東京", "level": "low"}])
        ]
    },
    ensure_ascii=False,
)
BODY = chat_stream(ANSWER, seed=3)


def _content(event: bytes) -> str:
    data = event.decode().removeprefix("data: ").strip()
    if data == "[DONE]":
        return ""
    return str(json.loads(data)["choices"][0]["delta"].get("content", ""))


def _partials(model: midstream.ModelStream[Any], reads: list[bytes]) -> list[Any]:
    return [partial.model_dump() for partial in PartialStream(model, reads, "openai")]


def test_the_native_path_is_taken_and_gives_the_answer() -> None:
    model = midstream.ModelStream(Catalog)
    assert model.native_engine is not None
    partials = _partials(model, split_at(BODY, list(range(0, len(BODY), 97))))
    assert partials[-1] == Catalog.model_validate_json(ANSWER).model_dump()


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=40))
def test_same_partials_as_the_python_route_at_every_cut(cuts: list[int]) -> None:
    reads = split_at(BODY, cuts)
    native = _partials(midstream.ModelStream(Catalog), reads)
    python = _partials(midstream.ModelStream(Catalog, engine="python"), reads)
    assert native == python


def test_read_into_hands_back_what_is_not_the_followed_text() -> None:
    engine = midstream.ModelStream(Catalog).native_engine
    assert engine is not None
    events = [event + b"\n\n" for event in BODY.split(b"\n\n") if event]
    # The role event (no text) and the first text; then texts up to the first that shows in the partial (the
    # opening of `items`); then the rest, with the finish reason.
    first = b"".join(events[:2])
    texts = [_content(event) for event in events]
    shown = next(n for n in range(3, len(events)) if "[" in texts[n - 1])
    second = b"".join(events[2:shown])
    finish = b"".join(events[-3:])  # the last text, the finish reason, [DONE]

    twin, reader = reader_for("openai"), reader_for("openai")
    # Not following yet: the text comes back as the update objects `read` gives, nothing fed.
    got = reader.read_into(first, engine)
    assert isinstance(got, ReadPieces)
    assert [type(piece).__name__ for piece in got.items] == ["TextDelta"]
    assert [piece.text for piece in got.items] == [piece.text for piece in twin.read(first)] == ['{"']
    assert engine.partial is None
    engine.feed('{"')  # as the caller does with the text it takes from the pieces
    engine.take_changed()

    reader.follow = twin.follow = "content"
    # Half an event: nothing to hand out, nothing changed.
    assert reader.read_into(second[:5], engine) is UNCHANGED
    # The rest of them: their text is fed as one, and the new partial comes back (the flag is taken).
    got = reader.read_into(second[5:], engine)
    assert twin.read(second) == ["".join(texts[2:shown])]
    assert isinstance(got, Catalog)
    assert got is engine.partial
    assert engine.take_changed() is False

    # Event by event after that, beside an engine fed the same text by hand: UNCHANGED exactly when that one's
    # partial did not change, else the same partial.
    by_hand = midstream.ModelStream(Catalog).native_engine
    assert by_hand is not None
    by_hand.feed("".join(texts[:shown]))
    by_hand.take_changed()
    unchanged = 0
    for event, text in zip(events[shown:-3], texts[shown:-3], strict=True):
        got = reader.read_into(event, engine)
        assert twin.read(event) == [text]
        expected = by_hand.feed(text)
        if by_hand.take_changed():
            assert got is not UNCHANGED and got.model_dump() == expected.model_dump()
        else:
            assert got is UNCHANGED
            unchanged += 1
    assert unchanged > 0  # the case is met: text fed that showed nothing new (a key, a number not yet ended)

    # The finish reason is not the followed text: the whole read comes back, its text not fed.
    finished = reader.read_into(finish, engine)
    assert isinstance(finished, ReadPieces)
    assert [type(piece).__name__ for piece in finished.items] == ["str", "Finished"]
    assert finished.items[0] == twin.read(finish)[0] == "}"


def test_a_deferred_error_is_raised_by_read_into() -> None:
    engine = midstream.ModelStream(Catalog).native_engine
    assert engine is not None
    reader = reader_for("openai")
    reader.defer(ValueError("later"))
    with pytest.raises(ValueError, match="later"):
        reader.read_into(b"data: {}\n\n", engine)


def test_the_python_engine_reads_the_same_stream() -> None:
    model = midstream.ModelStream(Catalog, engine="python")
    assert model.native_engine is None
    partials = _partials(model, split_at(BODY, list(range(0, len(BODY), 61))))
    assert partials[-1] == Catalog.model_validate_json(ANSWER).model_dump()
