"""Streaming policies (issue 17, in progress): ``Done`` and ``NotNull`` in ``Annotated``, ``state(path)``.

At random chunkings of documents of a model with the markers in every position: no partial shows a ``Done`` value
other than its final one, no object whose ``NotNull`` field has no value is visible, states only move forward and
agree with what the partial shows, and the final value is pydantic's own.
"""

from __future__ import annotations

import itertools
import json
from typing import Annotated, Any

import midstream
import pytest
from _support import split_at
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream import Done, NotNull
from pydantic import BaseModel

ORDER = {"pending": 0, "incomplete": 1, "complete": 2}


class Step(BaseModel):
    title: Annotated[str, NotNull]
    detail: Annotated[str, Done] = ""
    minutes: int | None = None


class Sealed(BaseModel):
    """Shown once its name is complete (NotNull and Done); its score as it arrives."""

    name: Annotated[str, NotNull, Done]
    score: float = 0.0


class Plan(BaseModel):
    goal: Annotated[str, Done]
    steps: list[Step]
    sealed: list[Sealed] = []
    tags: list[Annotated[str, Done]] = []
    lead: Sealed | None = None


class Bare(BaseModel):
    goal: str
    steps: list[dict[str, Any]]
    sealed: list[dict[str, Any]] = []
    tags: list[str] = []
    lead: dict[str, Any] | None = None


words = st.text("abc é", min_size=0, max_size=12)
plans = st.fixed_dictionaries(
    {
        "goal": words,
        "steps": st.lists(
            st.fixed_dictionaries({"title": words, "detail": words, "minutes": st.none() | st.integers(0, 999)}),
            max_size=3,
        ),
        "sealed": st.lists(st.fixed_dictionaries({"name": words, "score": st.floats(0, 9)}), max_size=3),
        "tags": st.lists(words, max_size=3),
        "lead": st.none() | st.fixed_dictionaries({"name": words, "score": st.floats(0, 9)}),
    }
)


def test_markers_change_neither_validation_nor_the_schema() -> None:
    assert Plan.model_json_schema()["properties"].keys() == Bare.model_json_schema()["properties"].keys()
    assert Step.model_json_schema() == {
        **Step.model_json_schema(),
        "properties": {**Step.model_json_schema()["properties"]},
    }
    plan = Plan.model_validate({"goal": "g", "steps": [{"title": "t"}]})
    assert plan.goal == "g" and plan.steps[0].title == "t"
    assert repr(Done) == "midstream.Done" and repr(NotNull) == "midstream.NotNull"


def test_done_and_not_null_hold_back_what_is_open() -> None:
    stream = midstream.ModelStream(Plan)
    shown = stream.feed('{"goal": "ship i')
    assert shown is not None and shown.goal is None  # Done: complete only once its closing quote is in
    shown = stream.feed('t", "steps": [{"detail": "the do')
    assert shown is not None and shown.goal == "ship it"
    assert shown.steps == []  # the step has no title yet: NotNull holds it back
    shown = stream.feed('cs", "title": "wri')
    assert shown is not None
    assert shown.steps == [Step.model_construct(title="wri", detail="the docs", minutes=None)]
    shown = stream.feed('te", "minutes": 3}], "sealed": [{"score": 1.5, "name": "ab')
    assert shown is not None and shown.sealed == []  # NotNull and Done: held back until the name is complete
    shown = stream.feed('c"}], "tags": ["x", "y')
    assert shown is not None and [s.name for s in shown.sealed] == ["abc"] and shown.tags == ["x"]
    final = stream.feed('"]}')
    assert (
        final
        == stream.finish()
        == Plan.model_validate_json(
            '{"goal": "ship it", "steps": [{"detail": "the docs", "title": "write", "minutes": 3}], '
            '"sealed": [{"score": 1.5, "name": "abc"}], "tags": ["x", "y"]}'
        )
    )


def test_state_moves_forward_and_states_name_every_field() -> None:
    stream = midstream.ModelStream(Plan)
    assert stream.state(("goal",)) == "pending"
    stream.feed('{"goal": "sh')
    assert stream.state(("goal",)) == "incomplete" and stream.state() == "incomplete"
    stream.feed('ip", "steps": [')
    assert stream.states() == {
        "goal": "complete",
        "steps": "incomplete",
        "sealed": "pending",
        "tags": "pending",
        "lead": "pending",
    }
    stream.feed("]}")
    stream.finish()
    assert set(stream.states().values()) == {"complete"}
    with pytest.raises(KeyError):
        stream.states(("nope",))


@settings(max_examples=150, deadline=None)
@given(data=plans, cuts=st.lists(st.integers(1, 400), max_size=40))
def test_policies_hold_at_every_chunking(data: dict[str, Any], cuts: list[int]) -> None:
    text = json.dumps(data, ensure_ascii=False).encode()
    final = Plan.model_validate_json(text)
    stream = midstream.ModelStream(Plan)
    fields = ("goal", "steps", "sealed", "tags", "lead")
    before = dict.fromkeys(fields, 0)
    kept = []
    for chunk in split_at(text, sorted({cut % len(text) for cut in cuts if cut % len(text)})):
        shown = stream.feed(chunk)
        kept.append(shown)
        states = {name: ORDER[stream.state((name,))] for name in fields}
        assert all(states[name] >= before[name] for name in fields), (states, before)
        before = states
        if shown is None:
            continue
        assert shown.goal in (None, final.goal)  # Done: nothing but the final value
        assert shown.tags == final.tags[: len(shown.tags)]  # Done items: each final
        for index, step in enumerate(shown.steps or []):
            assert step.title is not None  # NotNull: a step without a title is not shown
            assert step.detail in ("", final.steps[index].detail)  # Done: the default, or final
        for index, sealed in enumerate(shown.sealed):
            assert sealed.name == final.sealed[index].name  # NotNull + Done: shown once the name is complete
            assert sealed.score in (0.0, final.sealed[index].score)
        assert shown.lead is None or (final.lead is not None and shown.lead.name == final.lead.name)
        if states["goal"] == ORDER["complete"]:
            assert shown.goal == final.goal  # what the state says, the partial shows
    assert stream.finish() == final
    assert all(ORDER[state] == 2 for state in stream.states().values())
    # Partials handed out are snapshots: later chunks did not change them.
    for shown in kept:
        if shown is not None:
            assert shown.goal in (None, final.goal)


def test_stream_yields_the_views() -> None:
    text = '{"goal": "g", "steps": [{"title": "t1"}, {"detail": "d", "title": "t2"}]}'
    shown = list(midstream.stream(Plan, [text[i : i + 3] for i in range(0, len(text), 3)]))
    assert all(p.goal in (None, "g") for p in shown)
    assert all(step.title is not None for p in shown for step in p.steps or [])
    assert shown[-1] == Plan.model_validate_json(text)
    assert all(a is not b for a, b in itertools.pairwise(shown))
