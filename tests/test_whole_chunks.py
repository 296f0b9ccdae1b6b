"""Parts that arrive whole in one chunk: validated from their text in one pydantic-core call.

``ModelStream`` validates a document that arrives whole in its first chunk with the type's own ``validate_json``
(the core checks first that it is one JSON document by midstream's rules), and a record that begins and ends within
one chunk with its class's ``validate_json`` on its text. Both only for types that run no Python code while they
validate; an invalid part goes the part-by-part way, so errors are what they always were. The property tests
(``test_model_properties``, ``test_engines``) cut documents into network-sized chunks and whole documents too; these
tests pin each edge down by name.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

import midstream
import pydantic
import pytest
from midstream.pydantic import _model_stream, _native_plan
from midstream.pydantic._native_plan import runs_python, whole_validator
from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator
from typing_extensions import TypedDict

DOC = (
    '{"title": "Plan", "steps": [{"name": "a", "minutes": 5, "level": "low"}, '
    '{"name": "b", "minutes": 7, "level": "high"}]}'
)


def _types() -> tuple[type[BaseModel], type[BaseModel]]:
    """New classes for every test: what a type's plan asks for is asked once per type."""

    class Step(BaseModel):
        name: str
        minutes: int
        level: Literal["low", "high"]

    class Plan(BaseModel):
        title: str
        steps: list[Step]

    return Plan, Step


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts the one-call validations, by what was validated and how it went."""
    counts: Counter[str] = Counter()

    def counting(make: Callable[[Any], Any], what: str) -> Callable[[Any], Any]:
        def made(tp: Any) -> Any:
            validate = make(tp)
            if validate is None:
                return None

            def counted(text: Any) -> Any:
                try:
                    value = validate(text)
                except pydantic.ValidationError:
                    counts[f"{what} invalid"] += 1
                    raise
                counts[f"{what} valid"] += 1
                return value

            return counted

        return made

    monkeypatch.setattr(_model_stream, "whole_validator", counting(whole_validator, "document"))
    monkeypatch.setattr(_native_plan, "record_whole_validator", counting(_native_plan.record_whole_validator, "record"))
    yield counts


def _run(stream: midstream.ModelStream[Any], chunks: list[str]) -> list[Any]:
    seen: list[Any] = []
    for chunk in chunks:
        try:
            partial = stream.feed(chunk)
        except (midstream.JSONError, pydantic.ValidationError) as error:
            seen.append(("raised", type(error).__name__, str(error)))
            break
        seen.append((repr(partial), stream.changed))
        stream.clear_changed()
    try:
        seen.append(("final", repr(stream.finish())))
    except (midstream.JSONError, pydantic.ValidationError) as error:
        seen.append(("finish raised", type(error).__name__, str(error)))
    return seen


def _same_as_python(tp: Any, chunks: list[str], **options: Any) -> list[Any]:
    got = _run(midstream.ModelStream(tp, **options), chunks)
    assert got == _run(midstream.ModelStream(tp, engine="python", **options), chunks)
    return got


def test_a_document_in_one_chunk_is_validated_in_one_call(calls: Counter[str]) -> None:
    plan_type, _ = _types()
    stream = midstream.ModelStream(plan_type)
    partial = stream.feed(DOC)
    assert calls == {"document valid": 1}
    assert partial == plan_type.model_validate_json(DOC)
    assert stream.complete and stream.progress == 1.0 and stream.errors == []
    assert stream.partial is partial and stream.finish() is partial
    # Its untyped value is built when asked for, and is what the parser gives.
    assert stream.document == json.loads(DOC)
    assert stream.is_complete(("steps", 1, "level")) and not stream.is_complete(("steps", 2))


@pytest.mark.parametrize("tail", [" \n", "x", "{}"])
def test_what_follows_a_document_taken_whole_is_parsed_as_before(tail: str) -> None:
    plan_type, _ = _types()
    got = _same_as_python(plan_type, [DOC + " ", tail])
    assert got[0][0] == repr(plan_type.model_validate_json(DOC))
    if tail.strip():
        assert got[1][:2] == ("raised", "JSONError")


def test_records_whole_within_a_chunk_are_validated_from_their_text(calls: Counter[str]) -> None:
    plan_type, step_type = _types()
    cut = DOC.index('{"name": "b"') + 3  # the first step whole in the second chunk, the second one cut
    chunks = [DOC[:20], DOC[20:cut], DOC[cut:]]
    got = _same_as_python(plan_type, chunks)
    assert calls == {"record valid": 1}
    assert got[-1] == ("final", repr(plan_type.model_validate_json(DOC)))
    stream = midstream.ModelStream(plan_type)
    stream.feed(chunks[0])
    partial = stream.feed(chunks[1])
    assert partial is not None and partial.steps[0] == step_type(name="a", minutes=5, level="low")
    assert stream.is_complete(("steps", 0)) and stream.document["steps"][0]["minutes"] == 5


@pytest.mark.parametrize(
    "doc",
    [
        DOC.replace('"minutes": 7', '"minutes": "seven"'),  # an invalid field
        DOC.replace('"level": "low"', '"level": "medium"'),  # an invalid Literal
        DOC.replace('"name": "a", ', ""),  # a missing field
        DOC.replace('"title": "Plan", ', '"title": "Plan", "title": 3, '),  # a repeated key, invalid last
    ],
)
@pytest.mark.parametrize("fail_fast", [False, True])
def test_an_invalid_part_is_reported_as_the_part_by_part_way_reports_it(
    doc: str, fail_fast: bool, calls: Counter[str]
) -> None:
    plan_type, _ = _types()
    for chunks in ([doc], [doc[:30], doc[30:]], [doc[:10], doc[10:80], doc[80:]]):
        got = _same_as_python(plan_type, chunks, fail_fast=fail_fast)
        assert "ValidationError" in got[-1][1]
    assert calls["document invalid"] + calls["record invalid"] >= 2


class Series(BaseModel):
    values: list[Any]
    count: int


@pytest.mark.parametrize(
    ("doc", "options"),
    [
        ('{"values": [1], "count": ' + "7" * 5000 + "}", {}),  # over CPython's int digit limit
        ('{"values": [NaN, Infinity, -Infinity], "count": 1}', {"allow_nan": True}),
        ('{"values": [NaN], "count": 1}', {}),
        ('{"values": ["\\ud800 lone"], "count": 1}', {}),  # a lone surrogate
        ('{"values": [[[[1]]]], "count": 1}', {"max_depth": 3}),
        ('{"values": [1], "count": 1}} ', {}),
    ],
)
def test_documents_that_midstream_reads_its_own_way_are_read_as_before(doc: str, options: dict[str, Any]) -> None:
    """What midstream's parser decides differently from pydantic's JSON parser (digit limits, NaN, lone surrogates,
    its depth limit, trailing text) never goes the one-call way."""
    _same_as_python(Series, [doc], **options)
    _same_as_python(Series, [doc[:3], doc[3:]], **options)


def _after(value: Any) -> Any:
    return value


class WithFieldValidator(BaseModel):
    x: int

    @field_validator("x")
    @classmethod
    def check(cls, value: int) -> int:
        return value


class WithModelValidator(BaseModel):
    x: int

    @model_validator(mode="after")
    def check(self) -> WithModelValidator:
        return self


class WithFactory(BaseModel):
    x: list[int] = Field(default_factory=list)


class WithAnnotated(BaseModel):
    x: Annotated[int, AfterValidator(_after)]


class Nested(BaseModel):
    inner: WithFieldValidator


@dataclasses.dataclass
class WithPostInit:
    x: int

    def __post_init__(self) -> None:
        pass


class Plain(TypedDict):
    x: int
    y: list[str]


@pytest.mark.parametrize(
    "tp",
    [WithFieldValidator, WithModelValidator, WithFactory, WithAnnotated, Nested, WithPostInit, list[Nested]],
)
def test_types_that_run_python_are_never_validated_in_one_call(tp: Any) -> None:
    assert whole_validator(tp) is None


@pytest.mark.parametrize("tp", [Plain, list[Plain], dict[str, int], Series, Annotated[list[int], Field(max_length=3)]])
def test_types_that_run_no_python_are(tp: Any) -> None:
    assert whole_validator(tp) is not None
    assert not runs_python(pydantic.TypeAdapter(tp).core_schema)


def test_a_validator_on_the_root_type_still_runs_once(calls: Counter[str]) -> None:
    seen: list[Any] = []

    def record(value: Any) -> Any:
        seen.append(value)
        return value

    tp = Annotated[list[int], AfterValidator(record)]
    assert midstream.ModelStream(tp).feed("[1, 2]") == [1, 2]
    assert seen == [[1, 2]] and not calls


class Owner(BaseModel):
    name: str
    level: int


class Shop(BaseModel):
    owner: Owner
    staff: list[Owner]
    extra: dict[str, Owner]


SHOP = (
    '{"owner": {"name": "a", "level": 1}, "staff": [{"name": "b", "level": 2}, {"name": "c", "level": 3}], '
    '"extra": {"x": {"name": "d", "level": 4}}, "owner": {"name": "e", "level": 5}}'
)


@pytest.mark.parametrize("size", [1, 7, 40, 80, len(SHOP)])
def test_the_untyped_value_of_records_taken_whole_is_built_when_read(size: int) -> None:
    """Records validated from their text are not built as untyped values while they stream: the untyped value is
    the parser's all the same whenever it is read (a repeated key's last value wins, as in the parser)."""
    chunks = [SHOP[i : i + size] for i in range(0, len(SHOP), size)]
    stream, parser = midstream.ModelStream(Shop), midstream.Parser()
    for chunk in chunks:
        stream.feed(chunk)
        parser.feed(chunk)
        assert stream.document == parser.value
    assert stream.finish() == Shop.model_validate_json(SHOP)
    assert stream.document == json.loads(SHOP)
    assert stream.is_complete(("staff", 1, "level")) and stream.is_complete(("extra", "x", "name"))


def test_records_read_whole_only_when_read_give_the_same_partials(calls: Counter[str]) -> None:
    """The same partials whether the untyped value is read after every chunk (holes filled at once) or never."""
    shop = type("Shop", (Shop,), {})  # a new type: its plan asks for the counted validators
    chunks = [SHOP[:60], SHOP[60:150], SHOP[150:]]
    reading, blind = midstream.ModelStream(shop), midstream.ModelStream(shop)
    for chunk in chunks:
        shown = reading.feed(chunk)
        reading.document  # noqa: B018 (fills the holes)
        assert repr(blind.feed(chunk)) == repr(shown)
    assert reading.finish() == blind.finish() == shop.model_validate_json(SHOP)
    assert calls["record valid"] >= 4
