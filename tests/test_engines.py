"""The native typed engine and the Python one give the same partials, finals and errors.

``ModelStream`` follows a type with the native engine (``midstream._native.TypedParser``) when its plan covers the
type, else with the Python engine (``_builder.PartialBuilder``); ``engine="python"`` asks for the Python one. The
property test feeds the documents of ``test_model_properties`` (every type there, random whitespace, key order,
escaping and chunking) to both and compares every partial, the final value or the errors, and ``changed``.
"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream.pydantic import ModelStream
from pydantic import BaseModel
from test_model_properties import CASE_NAMES, CASES, broken_documents, chunked, documents, snap

PER_TYPE = settings(max_examples=max(1, settings.default.max_examples // 5))


def _run(stream: ModelStream[Any], chunks: list[tuple[bytes | str, int]]) -> list[Any]:
    seen: list[Any] = []
    for chunk, _ in chunks:
        partial = stream.feed(chunk)
        seen.append((snap(partial), stream.changed))
        stream.clear_changed()
    try:
        seen.append(("final", snap(stream.finish())))
    except pydantic.ValidationError as error:
        seen.append(("errors", error.errors(include_url=False)))
    return seen


@pytest.mark.parametrize("name", [name for name in CASE_NAMES if ModelStream(CASES[name][0]).native])
@given(data=st.data())
@PER_TYPE
def test_both_engines_give_the_same_partials_finals_and_errors(name: str, data: st.DataObject) -> None:
    doc = data.draw(documents([name]))
    chunks = chunked(data, doc.text)
    native, python = ModelStream(doc.tp, engine="native"), ModelStream(doc.tp, engine="python")
    assert native.native and not python.native
    assert _run(native, chunks) == _run(python, chunks)


@pytest.mark.parametrize("name", [name for name in CASE_NAMES if ModelStream(CASES[name][0]).native])
@given(data=st.data())
@PER_TYPE
def test_both_engines_fail_alike_on_broken_documents(name: str, data: st.DataObject) -> None:
    """A document with one value of the wrong kind: the same partials (an invalid root keeps what arrived of it),
    the same errors."""
    doc, _ = data.draw(broken_documents(name), label="broken document")
    chunks = chunked(data, doc.text)
    assert _run(ModelStream(doc.tp, engine="native"), chunks) == _run(ModelStream(doc.tp, engine="python"), chunks)


class Shown(BaseModel):
    anything: Any
    table: dict[str, Any]
    items: list  # type: ignore[type-arg]


@given(st.lists(st.integers(1, 6), min_size=1, max_size=12))
def test_values_shown_as_parsed_are_copies_taken_when_read(sizes: list[int]) -> None:
    """``Any`` and untyped containers show the parser's value as it grows; each partial keeps what it showed."""
    text = '{"anything": {"x": [1, 2.5, "thr"], "y": {"z": null}}, "table": {"k": [true]}, "items": [1, "a", {}]}'
    chunks, position = [], 0
    while position < len(text):
        size = sizes[len(chunks) % len(sizes)]
        chunks.append((text[position : position + size], 0))
        position += size
    native, python = ModelStream(Shown, engine="native"), ModelStream(Shown, engine="python")
    assert _run(native, chunks) == _run(python, chunks)
    stream = ModelStream(Shown)
    held = [(stream.feed(chunk), snap(stream.partial)) for chunk, _ in chunks]
    assert all(snap(partial) == shown for partial, shown in held)  # later chunks never changed them
    assert held[-1][0] == Shown.model_validate_json(text)


def test_the_engine_can_be_asked_for_and_is_checked() -> None:
    assert ModelStream(Shown).native
    assert not ModelStream(Shown, engine="python").native

    class Cat(BaseModel):
        meow: int

    class Dog(BaseModel):
        bark: int

    assert not ModelStream(Cat | Dog).native  # records told apart by their keys: the Python engine, for now
    with pytest.raises(TypeError, match="native engine does not cover"):
        ModelStream(Cat | Dog, engine="native")
    with pytest.raises(ValueError, match="engine must be"):
        ModelStream(Cat, engine="rust")  # type: ignore[arg-type]


def test_records_that_begin_together_while_the_last_partial_is_held_are_shown() -> None:
    """Two nested records beginning in one chunk, the caller holding the partial before it: both partials are made
    when the next one is read and linked into the copy the builder goes on with (a regression: the inner one was
    linked into the held partial's record instead)."""
    from models import Company

    for engine in ("native", "python"):
        stream = ModelStream(Company, engine=engine)
        held = stream.feed(b'{"name":"a","employees":0,"address":')
        partial = stream.feed(b'{"geo":{')
        assert held is not None and held.address is None
        assert partial is not None and partial.address is not None and partial.address.geo is not None, engine
        assert partial.address.geo.lat is None
