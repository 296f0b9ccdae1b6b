"""Every finished part is validated exactly once, whatever container holds it (issue 13, item 1).

A differential property test: random types built from every container kind (model, pydantic and plain dataclass,
TypedDict, fixed and variadic tuple, list, dict, optional and union) with validators at every level that transform
the value (so a second run shows in the result) and record each call with what it saw. A random document of the
type is validated whole by pydantic (``TypeAdapter.validate_json``) and streamed in random chunks through
``ModelStream`` (and, for a list, ``iter_items``): the values and the multisets of calls must be the same.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional

import midstream
import pydantic
import pydantic.dataclasses
import pytest
import typing_extensions
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BeforeValidator, TypeAdapter

#: Every validator call: (validator name, repr of what it saw).
CALLS: Counter[tuple[str, str]] = Counter()
_names = itertools.count()


def _name(kind: str) -> str:
    return f"{kind}{next(_names)}"


def transform(kind: str) -> Callable[[Any], Any]:
    """An after validator that records its call and changes the value (an int grows, a str gets a mark)."""
    name = _name(f"after-{kind}-")

    def validator(value: Any) -> Any:
        CALLS[name, repr(value)] += 1
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value + 1
        if isinstance(value, str):
            return value + "!"
        return value

    return validator


def observe(kind: str) -> Callable[[Any], Any]:
    """A before validator that records the raw value it is given and passes it on."""
    name = _name(f"before-{kind}-")

    def validator(value: Any) -> Any:
        CALLS[name, repr(value)] += 1
        return value

    return validator


@dataclass
class Spec:
    """A generated type and how to write JSON data for it."""

    tp: Any
    sample: Callable[[random.Random], Any]
    kind: str  # the JSON kind of its data: "object", "array" or "scalar"


def _with_validators(draw: st.DrawFn, spec: Spec) -> Spec:
    """Maybe wrap the type in an after validator (and, rarely, a before validator) of its own place."""
    metadata: list[Any] = []
    if draw(st.booleans()):
        metadata.append(AfterValidator(transform(spec.kind)))
    if draw(st.integers(0, 6)) == 0:
        metadata.append(BeforeValidator(observe(spec.kind)))
    if not metadata:
        return spec
    return Spec(Annotated[(spec.tp, *metadata)], spec.sample, spec.kind)  # type: ignore[arg-type]


def _scalar(draw: st.DrawFn) -> Spec:
    if draw(st.booleans()):
        return Spec(int, lambda rnd: rnd.randint(-5, 50), "scalar")
    return Spec(str, lambda rnd: rnd.choice(["", "a", "bc", "é 東", 'q"\\']), "scalar")


def _fields(draw: st.DrawFn, children: st.SearchStrategy[Spec]) -> list[tuple[str, Spec]]:
    specs = draw(st.lists(children, min_size=1, max_size=4))
    return [(f"f{index}", spec) for index, spec in enumerate(specs)]


def _object_sample(fields: list[tuple[str, Spec]]) -> Callable[[random.Random], Any]:
    return lambda rnd: {name: spec.sample(rnd) for name, spec in fields}


@st.composite
def _model(draw: st.DrawFn, children: st.SearchStrategy[Spec]) -> Spec:
    fields = _fields(draw, children)
    name = _name("Model")
    record = f"model-{name}"

    def after(self: Any) -> Any:
        CALLS[record, repr(self)] += 1
        return self

    validators = {"counted": pydantic.model_validator(mode="after")(after)} if draw(st.booleans()) else {}
    model = pydantic.create_model(  # type: ignore[call-overload]
        name, __validators__=validators, **{field: (spec.tp, ...) for field, spec in fields}
    )
    return Spec(model, _object_sample(fields), "object")


@st.composite
def _dataclass(draw: st.DrawFn, children: st.SearchStrategy[Spec]) -> Spec:
    fields = _fields(draw, children)
    made = dataclasses.make_dataclass(_name("Data"), [(field, spec.tp) for field, spec in fields])
    cls = pydantic.dataclasses.dataclass(made) if draw(st.booleans()) else made
    return Spec(cls, _object_sample(fields), "object")


@st.composite
def _typed_dict(draw: st.DrawFn, children: st.SearchStrategy[Spec]) -> Spec:
    fields = _fields(draw, children)
    cls = typing_extensions.TypedDict(_name("TD"), {field: spec.tp for field, spec in fields})  # type: ignore[operator]
    return Spec(cls, _object_sample(fields), "object")


@st.composite
def _container(draw: st.DrawFn, children: st.SearchStrategy[Spec]) -> Spec:
    kind = draw(st.sampled_from(["list", "tuple", "fixed-tuple", "dict", "optional", "union", "tagged"]))
    item = draw(children)
    if kind == "list":
        return Spec(list[item.tp], lambda rnd: [item.sample(rnd) for _ in range(rnd.randint(0, 3))], "array")
    if kind == "tuple":
        return Spec(tuple[item.tp, ...], lambda rnd: [item.sample(rnd) for _ in range(rnd.randint(0, 3))], "array")
    if kind == "fixed-tuple":
        other = draw(children)
        return Spec(tuple[item.tp, other.tp], lambda rnd: [item.sample(rnd), other.sample(rnd)], "array")
    if kind == "dict":
        return Spec(
            dict[str, item.tp],
            lambda rnd: {f"k{index}": item.sample(rnd) for index in range(rnd.randint(0, 3))},
            "object",
        )
    if kind == "optional":
        optional = Optional[item.tp]  # noqa: UP045 - a type made at run time from one that may not take `|`
        return Spec(
            optional,
            lambda rnd: None if rnd.random() < 0.3 else item.sample(rnd),
            item.kind,
        )
    if kind == "union":
        # Variants of different JSON kinds: pydantic's union tries the others without running a validator.
        other = draw(children.filter(lambda spec: spec.kind != item.kind))
        return Spec(
            item.tp | other.tp,  # type: ignore[operator]
            lambda rnd: item.sample(rnd) if rnd.random() < 0.5 else other.sample(rnd),
            "mixed",
        )
    # Two models told apart by a tag (pydantic's rules pick the variant, as the builder leaves them to).
    variants = [draw(_tagged_model(children, tag)) for tag in ("a", "b")]
    union = Annotated[variants[0].tp | variants[1].tp, pydantic.Field(discriminator="tag")]  # type: ignore[operator]
    if draw(st.booleans()):
        union = variants[0].tp | variants[1].tp
    return Spec(union, lambda rnd: rnd.choice(variants).sample(rnd), "object")


@st.composite
def _tagged_model(draw: st.DrawFn, children: st.SearchStrategy[Spec], tag: str) -> Spec:
    fields = _fields(draw, children)
    model = pydantic.create_model(  # type: ignore[call-overload]
        _name(f"Tagged{tag}"), tag=(Literal[tag], ...), **{field: (spec.tp, ...) for field, spec in fields}
    )
    sample = _object_sample(fields)
    return Spec(model, lambda rnd: {"tag": tag, **sample(rnd)}, "object")


def _specs() -> st.SearchStrategy[Spec]:
    def extend(children: st.SearchStrategy[Spec]) -> st.SearchStrategy[Spec]:
        parts = st.one_of(_model(children), _dataclass(children), _typed_dict(children), _container(children))
        return st.composite(lambda draw: _with_validators(draw, draw(parts)))()

    leaves = st.composite(lambda draw: _with_validators(draw, _scalar(draw)))()
    return st.recursive(leaves, extend, max_leaves=6)


SPECS = _specs()


def describe(tp: Any) -> str:
    """The type with the fields of its records spelled out, for failure messages."""
    fields = getattr(tp, "__pydantic_fields__", None) or getattr(tp, "__annotations__", None)
    if isinstance(tp, type) and fields:
        inner = ", ".join(f"{name}: {describe(getattr(info, 'annotation', info))}" for name, info in fields.items())
        return f"{tp.__name__}({inner})"
    args = typing_extensions.get_args(tp)
    origin = typing_extensions.get_origin(tp)
    if origin is Annotated:
        return f"Annotated[{describe(args[0])}, {', '.join(type(m).__name__ for m in tp.__metadata__)}]"
    if args:
        return f"{getattr(origin, '__name__', origin)}[{', '.join(describe(arg) for arg in args)}]"
    return getattr(tp, "__name__", repr(tp))


def _chunks(text: str, rnd: random.Random) -> list[str]:
    if rnd.random() < 0.15:
        return [text]  # whole: what the one-chunk path of ModelStream takes (not for types with validators)
    pieces, position = [], 0
    while position < len(text):
        size = rnd.choice((1, 1, 2, 3, 5, 8, 40, 400))
        pieces.append(text[position : position + size])
        position += size
    return pieces


def _whole(tp: Any, text: str) -> tuple[Any, Counter[tuple[str, str]]]:
    CALLS.clear()
    try:
        value = TypeAdapter(tp).validate_json(text)
    except pydantic.ValidationError:
        value = None
    return value, Counter(CALLS)


@given(spec=SPECS, rnd=st.randoms(use_true_random=False))
@settings(max_examples=max(20, settings.default.max_examples))
def test_every_part_is_validated_once_as_pydantic_validates_the_whole(spec: Spec, rnd: random.Random) -> None:
    text = json.dumps(spec.sample(rnd), ensure_ascii=rnd.random() < 0.5)
    want, want_calls = _whole(spec.tp, text)
    if want is None:
        return  # the generated data does not fit (a before validator on a dict key...): nothing to compare
    CALLS.clear()
    stream = midstream.ModelStream(spec.tp)
    where = f"{describe(spec.tp)}: {text}"
    try:
        for piece in _chunks(text, rnd):
            stream.feed(piece)
        got = stream.finish()
    except Exception as error:
        raise AssertionError(where) from error
    assert got == want, where
    assert Counter(CALLS) == want_calls, where


@given(item=SPECS, rnd=st.randoms(use_true_random=False))
def test_iter_items_validates_each_item_once(item: Spec, rnd: random.Random) -> None:
    data = [item.sample(rnd) for _ in range(rnd.randint(1, 4))]
    text = json.dumps({"items": data})
    want, want_calls = _whole(list[item.tp], json.dumps(data))
    if want is None:
        return
    CALLS.clear()
    got = list(midstream.iter_items(item.tp, _chunks(text, rnd), path=("items",)))
    assert got == want
    assert Counter(CALLS) == want_calls


# --- the reproducers of the issue, named --------------------------------------------------------------------------


def double(value: int) -> int:
    CALLS["double", repr(value)] += 1
    return value * 2


class TD(typing_extensions.TypedDict):
    n: Annotated[int, AfterValidator(double)]


class HoldsTD(pydantic.BaseModel):
    td: TD


def seen(value: Any) -> Any:
    CALLS["seen", repr(value)] += 1
    return value


class Inner(typing_extensions.TypedDict):
    code: Annotated[str, BeforeValidator(seen)]


class Short(pydantic.BaseModel):
    tag: str
    f0: str


class Long(pydantic.BaseModel):
    tag: str
    f0: Inner
    f1: str


@pytest.mark.parametrize(
    ("tp", "text"),
    [
        # the variant is known only at `f1`: `f0`, seen before, is validated once, with the whole union
        (list[Short | Long], '[{"tag": "b", "f0": {"code": "x"}, "f1": ""}]'),
        (HoldsTD, '{"td": {"n": 1}}'),
        (tuple[Annotated[int, AfterValidator(double)], str], '[1, "a"]'),
        (list[TD], '[{"n": 1}, {"n": 2}]'),
        (tuple[TD, ...], '[{"n": 1}]'),
        (dict[str, TD], '{"a": {"n": 1}}'),
        (Annotated[TD, AfterValidator(lambda v: {"n": double(v["n"])})] | None, '{"n": 1}'),
    ],
    ids=[
        "union decided late",
        "TypedDict in a model",
        "tuple",
        "list of TypedDicts",
        "tuple of TypedDicts",
        "dict",
        "optional",
    ],
)
def test_validators_inside_typed_dicts_and_tuples_run_once(tp: Any, text: str) -> None:
    want, want_calls = _whole(tp, text)
    CALLS.clear()
    for size in (1, 3, len(text)):
        CALLS.clear()
        stream = midstream.ModelStream(tp)
        for start in range(0, len(text), size):
            stream.feed(text[start : start + size])
        assert stream.finish() == want
        assert Counter(CALLS) == want_calls
