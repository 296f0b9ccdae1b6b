"""Streaming policies (issue 17): ``Done`` and ``NotNull`` in ``Annotated``, ``state(path)``, at every entry point.

At random chunkings of documents of a model with the markers in several positions: no partial shows a ``Done`` value
other than its final one, no object whose ``NotNull`` field has no value is visible, states only move forward and
agree with what the partial shows, and the final value is pydantic's own (random models with the markers anywhere:
``test_policy_properties.py``). Then the same policies through ``stream()``, ``iter_items``, tool-call updates, the
clients on the real openai SDK and the instructor integration.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Annotated, Any

import midstream
import pytest
from _support import split_at
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream import Done, NotNull
from midstream.pydantic._policies import policy_of
from pydantic import BaseModel, Field, ValidationError, create_model

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


def _unmarked_twins() -> type[BaseModel]:
    """``Plan`` and its models written again without a marker, under the same names."""
    step = create_model("Step", title=(str, ...), detail=(str, ""), minutes=(int | None, None))
    sealed = create_model("Sealed", __doc__=Sealed.__doc__, name=(str, ...), score=(float, 0.0))
    return create_model(
        "Plan",
        goal=(str, ...),
        steps=(list[step], ...),  # type: ignore[valid-type]
        sealed=(list[sealed], []),  # type: ignore[valid-type]
        tags=(list[str], []),
        lead=(sealed | None, None),  # type: ignore[arg-type]
    )


def test_markers_change_neither_validation_nor_the_schema() -> None:
    twin = _unmarked_twins()
    assert Plan.model_json_schema() == twin.model_json_schema()
    good = {"goal": "g", "steps": [{"title": "t"}], "sealed": [{"name": "n"}], "tags": ["x"], "lead": None}
    assert Plan.model_validate(good).model_dump() == twin.model_validate(good).model_dump()
    bad = {"goal": 1, "steps": [{"detail": "no title"}], "tags": [2]}
    with pytest.raises(ValidationError) as marked_error:
        Plan.model_validate(bad)
    with pytest.raises(ValidationError) as twin_error:
        twin.model_validate(bad)
    assert marked_error.value.errors() == twin_error.value.errors()
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


def test_a_number_being_read_is_incomplete_and_aliases_name_the_same_field() -> None:
    class Reading(BaseModel):
        model_config = {"populate_by_name": True}
        value: Annotated[float, Done] = Field(alias="v")
        unit: str = ""

    stream = midstream.ModelStream(Reading)
    assert stream.state(()) == "pending" and stream.state(("v",)) == "pending"
    stream.feed('{"v": ')
    assert stream.state(("value",)) == stream.state(("v",)) == "incomplete"  # its key is in: begun
    shown = stream.feed("12.")
    assert shown is not None and shown.value is None and stream.state(("value",)) == "incomplete"
    shown = stream.feed("5,")
    assert shown is not None and shown.value == 12.5 and stream.state(("v",)) == "complete"
    assert stream.states() == {"value": "complete", "unit": "pending"}


def test_a_recursive_model_without_markers_has_no_policy() -> None:
    class Node(BaseModel):
        label: str
        child: Node | None = None

    class DoneOnly(BaseModel):
        label: Annotated[str, Done]
        child: Node | None = None

    class Marked(BaseModel):
        label: Annotated[str, NotNull]
        child: Marked | None = None
        plain: Node | None = None

    assert policy_of(Node) is None and policy_of(list[Node]) is None
    assert midstream.ModelStream(Node).native_engine is not None  # no view: the native path stays
    assert policy_of(DoneOnly) is None  # Done is kept by the engine itself: no view either
    assert midstream.ModelStream(DoneOnly).native_engine is not None
    marked = policy_of(list[Marked])
    assert marked is not None and marked.inner is not None and marked.inner.cls is Marked
    assert [(f.name, f.not_null) for f in marked.inner.fields] == [("label", True), ("child", False)]
    assert marked.inner.fields[1].inner is marked.inner  # the recursion, once
    assert midstream.ModelStream(Marked).native_engine is None


def test_metadata_pydantic_ignores_leaves_the_shape_alone() -> None:
    class Inner(BaseModel):
        name: str

    class Outer(BaseModel):
        inner: Annotated[Inner, "a note", Done]
        inners: list[Annotated[Inner, NotNull, "another"]]

    text = '{"inner": {"name": "a"}, "inners": [{"name": "b"}]}'
    assert list(midstream.stream(Outer, [text[:9], text[9:30], text[30:]]))[-1] == Outer.model_validate_json(text)


def test_iter_items_hands_over_complete_items_only() -> None:
    text = '{"steps": [{"detail": "d", "title": "one"}, {"title": "two", "minutes": 4}]}'
    items = list(midstream.iter_items(Step, [text[i : i + 2] for i in range(0, len(text), 2)], path=("steps",)))
    assert items == Plan.model_validate_json('{"goal": "", ' + text[1:]).steps


def test_tool_call_updates_show_the_views() -> None:
    text = '{"goal": "g", "steps": [{"detail": "long detail", "title": "t"}]}'
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "Plan", "arguments": ""}}
    events: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}]
    events += [
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": text[i : i + 3]}}]}}]}
        for i in range(0, len(text), 3)
    ]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    updates = list(midstream.stream_tool_calls(events, [Plan]))
    partials = [u.partial for u in updates if u.partial is not None and not u.complete]
    assert updates[-1].complete and updates[-1].value == Plan.model_validate_json(text)
    assert all(p.goal in (None, "g") for p in partials)
    assert all(
        step.title is not None and step.detail in ("", "long detail") for p in partials for step in p.steps or []
    )
    assert all(dumps(a) != dumps(b) for a, b in itertools.pairwise(partials))  # an update per change shown


def dumps(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


openai = pytest.importorskip("openai")


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_clients_show_the_views_and_say_each_state(asynchronous: bool) -> None:
    from midstream.clients import from_openai
    from midstream.testing import ReplayServer
    from midstream.testing.replay import chat_stream

    text = json.dumps({"goal": "ship it", "steps": [{"title": "write", "detail": "the docs", "minutes": 3}]})
    messages = [{"role": "user", "content": "go"}]
    seen: list[tuple[Any, dict[str, str]]] = []
    with ReplayServer(chat_stream(text, seed=1), max_chunk=4) as server:
        if asynchronous:
            client = from_openai(openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="t", max_retries=0))

            async def run() -> Any:
                stream = client.chat.completions.create_partial(model="m", messages=messages, response_model=Plan)
                assert stream.states() == dict.fromkeys(("goal", "steps", "sealed", "tags", "lead"), "pending")
                async for partial in stream:
                    seen.append((partial, stream.states()))
                return stream.state(("steps", 0, "detail"))

            last = asyncio.run(run())
        else:
            client = from_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key="t", max_retries=0))
            stream = client.chat.completions.create_partial(model="m", messages=messages, response_model=Plan)
            for partial in stream:
                seen.append((partial, stream.states()))
            last = stream.state(("steps", 0, "detail"))
    assert last == "complete" and seen[-1][0] == Plan.model_validate_json(text)
    for partial, states in seen:
        assert partial.goal in (None, "ship it")
        assert (partial.goal is not None) == (states["goal"] == "complete")
        assert all(step.title is not None and step.detail in ("", "the docs") for step in partial.steps or [])
    assert [s["goal"] for _, s in seen] == sorted((s["goal"] for _, s in seen), key=ORDER.__getitem__)


def test_instructor_partials_follow_the_markers() -> None:
    instructor = pytest.importorskip("instructor")
    import midstream.integrations.instructor as integration
    from midstream.testing import ReplayServer
    from midstream.testing.replay import chat_stream

    text = json.dumps({"goal": "ship it", "steps": [{"title": "write", "detail": "the docs"}], "tags": ["a", "b"]})
    with ReplayServer(chat_stream(text, seed=2), max_chunk=4) as server, integration.enabled():
        raw = openai.OpenAI(base_url=server.base_url + "/v1", api_key="t", max_retries=0)
        client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
        partials = list(
            client.create_partial(model="m", messages=[{"role": "user", "content": "go"}], response_model=Plan)
        )
    assert partials[-1] == Plan.model_validate_json(text)
    assert all(p.goal in (None, "ship it") for p in partials)
    assert all(tags == ["a", "b"][: len(tags)] for tags in (p.tags for p in partials) if tags)
    assert all(step.title is not None for p in partials for step in p.steps or [])


def test_patches_describe_what_is_shown() -> None:
    from midstream.patch import apply

    text = '{"goal": "ship it", "steps": [{"detail": "the docs", "title": "write"}, {"title": "x"}], "tags": ["a"]}'
    stream = midstream.ModelStream(Plan)
    document: Any = None
    for index in range(len(text)):
        stream.feed(text[index])
        document = apply(document, stream.drain_patches())
        shown = stream.partial
        assert document == (None if shown is None else shown.model_dump(mode="json"))
    stream.finish()
    assert apply(document, stream.drain_patches()) == stream.partial.model_dump(mode="json")  # type: ignore[union-attr]
