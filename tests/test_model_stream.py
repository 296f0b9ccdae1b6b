"""The Pydantic layer: ``ModelStream``, ``stream`` (``PartialStream`` / ``AsyncPartialStream``), ``iter_items`` and
``Partial[Model]`` (issue 3).

Each test states one behaviour of the spec; several compare the result with what pydantic itself gives for the whole
document (``model_validate_json``), for values, error locations and validator calls.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Annotated, Any, Optional

import midstream
import pydantic
import pytest
from midstream import AsyncPartialStream, IncompleteJSONError, JSONError, ModelStream, Partial, PartialStream
from models import (
    CALLS,
    Account,
    Address,
    Aliased,
    Camel,
    CamelItem,
    Cart,
    Cat,
    Company,
    CountedTree,
    Dog,
    Drawing,
    Film,
    Geo,
    Inner,
    Inventory,
    Item,
    Limited,
    Loose,
    Movie,
    Order,
    Outer,
    Owner,
    Pet,
    Point,
    Positives,
    Priority,
    PydanticPoint,
    Role,
    Settings,
    Shelter,
    Square,
    Strict,
    Tree,
    User,
)
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# ---------------------------------------------------------------------------------------------------------------------
# helpers


def pieces(data: str | bytes) -> list[Any]:
    """``data`` one character (``str``) or one byte (``bytes``) at a time."""
    return [data[index : index + 1] for index in range(len(data))]


def snapshots(tp: Any, chunks: Iterable[Any], **options: Any) -> tuple[ModelStream[Any], list[Any]]:
    """Feed ``chunks``; return the stream and a deep copy of the partial after each feed."""
    stream: ModelStream[Any] = ModelStream(tp, **options)
    seen = []
    for chunk in chunks:
        seen.append(copy_partial(stream.feed(chunk)))
    return stream, seen


def copy_partial(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_copy(deep=True)
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(value)  # type: ignore[type-var]
    if isinstance(value, dict | list):
        return copy.deepcopy(value)
    return value


def first_raising_chunk(tp: Any, chunks: Sequence[Any]) -> tuple[int, pydantic.ValidationError, ModelStream[Any]]:
    """Index of the chunk whose ``feed`` raises (``fail_fast=True``), with the error and the stream."""
    stream: ModelStream[Any] = ModelStream(tp, fail_fast=True)
    for index, chunk in enumerate(chunks):
        try:
            stream.feed(chunk)
        except pydantic.ValidationError as error:
            return index, error, stream
    raise AssertionError("no feed raised")


def summary(error: pydantic.ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    """Each error's location and type, in a stable order."""
    return sorted(((tuple(e["loc"]), e["type"]) for e in error.errors()), key=repr)


def pydantic_summary(tp: Any, text: str) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(pydantic.ValidationError) as info:
        pydantic.TypeAdapter(tp).validate_json(text)
    return summary(info.value)


def midstream_summary(tp: Any, chunks: Iterable[Any]) -> list[tuple[tuple[Any, ...], str]]:
    stream: ModelStream[Any] = ModelStream(tp)
    for chunk in chunks:
        stream.feed(chunk)
    with pytest.raises(pydantic.ValidationError) as info:
        stream.finish()
    return summary(info.value)


def walk(value: Any, path: Sequence[str | int]) -> Any:
    for step in path:
        value = value[step] if isinstance(step, int) or isinstance(value, dict) else getattr(value, step)
    return value


async def async_source(chunks: Iterable[Any]) -> AsyncIterator[Any]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture(autouse=True)
def _clear_calls() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()


# ---------------------------------------------------------------------------------------------------------------------
# partials: the user's own classes, unseen fields, growing strings, finished scalars


def test_feed_returns_the_partial_an_instance_of_the_users_class() -> None:
    stream = ModelStream(User)
    assert stream.partial is None
    assert stream.feed("  ") is None  # the root has not begun
    partial = stream.feed('{"name": "Ad')
    assert type(partial) is User
    assert partial is stream.partial
    assert (partial.name, partial.age, partial.active, partial.score) == ("Ad", None, True, None)
    assert stream.feed('a", "age": 36, "score": 1.5}') is stream.partial
    final = stream.finish()
    assert isinstance(final, User)
    assert final == User(name="Ada", age=36, score=1.5)
    assert stream.complete


def test_unseen_fields_are_none_or_their_declared_default() -> None:
    partial = ModelStream(Settings).feed('{"theme": "da')
    assert isinstance(partial, Settings)
    assert partial.theme == "da"
    assert partial.retries == 3
    assert partial.tags == ["new"]  # default_factory
    assert partial.limits == {}
    assert partial.owner is None
    other = ModelStream(Settings).feed("{")
    assert other.tags == ["new"]
    assert other.tags is not partial.tags  # the factory is called for each partial, not shared
    required = ModelStream(Company).feed("{")
    assert (required.name, required.address, required.employees) == (None, None, 0)


def test_fields_of_the_final_value_left_out_get_their_default() -> None:
    stream = ModelStream(Settings)
    stream.feed('{"retries": 5}')
    assert stream.finish() == Settings(retries=5)


def test_unfinished_strings_grow_and_numbers_appear_only_when_finished() -> None:
    text = '{"name": "Ada", "age": 36, "score": 1.25, "active": false}'
    _, seen = snapshots(User, pieces(text))
    names = [p.name for p in seen if p is not None and p.name is not None]
    assert names[0] == ""
    assert {"A", "Ad", "Ada"} <= set(names)
    assert all(b.startswith(a) for a, b in itertools.pairwise(names))  # only ever appended to
    assert {p.age for p in seen if p is not None} == {None, 36}  # never 3
    assert {p.score for p in seen if p is not None} == {None, 1.25}  # never 1, 1.2
    assert {p.active for p in seen if p is not None} == {True, False}  # the default, then the finished value
    # 36 appears only with the byte after it (a number is finished by its delimiter)
    index = text.index("36")
    assert seen[index].age is None
    assert seen[index + 1].age is None
    assert seen[index + 2].age == 36


def test_literals_and_enums_appear_only_once_finished_and_valid() -> None:
    text = '{"name": "n", "role": "admin", "status": "published", "priority": 2, "level": 3}'
    _, seen = snapshots(Account, pieces(text))
    assert {p.role for p in seen} == {None, Role.ADMIN}  # never "adm"
    assert {p.status for p in seen} == {None, "published"}  # never "pub"
    assert {p.priority for p in seen} == {Priority.LOW, Priority.HIGH}
    assert {p.level for p in seen} == {1, 3}
    closing = text.index('admin"') + len("admin")
    assert seen[closing - 1].role is None
    assert seen[closing].role is Role.ADMIN


def test_an_invalid_literal_or_enum_never_shows() -> None:
    stream, seen = snapshots(Account, pieces('{"name": "n", "role": "adm", "status": "drafty", "priority": 9}'))
    seen = seen[:-1]  # the closing brace finishes the root, invalid without role and status
    assert all(p.role is None and p.status is None for p in seen)
    assert all(p.priority is Priority.LOW for p in seen)
    assert {(e["loc"], e["type"]) for e in stream.errors} == {
        (("role",), "enum"),
        (("status",), "literal_error"),
        (("priority",), "enum"),
    }


def test_root_scalars_appear_when_finished() -> None:
    stream = ModelStream(int)
    assert stream.feed("1") is None
    assert stream.feed("2") is None  # 12 may still become 123
    assert stream.finish() == 12
    role = ModelStream(Role)
    assert role.feed('"adm') is None
    assert role.feed('in"') is Role.ADMIN
    assert role.finish() is Role.ADMIN


# ---------------------------------------------------------------------------------------------------------------------
# nested models and containers


def test_nested_three_levels_partials_are_the_users_classes() -> None:
    stream = ModelStream(Company)
    partial = stream.feed('{"name": "Acme", "address": {"street": "Main", "city": "Sp')
    assert isinstance(partial.address, Address)
    assert (partial.address.street, partial.address.city, partial.address.geo) == ("Main", "Sp", None)
    partial = stream.feed('ringfield", "geo": {"lat": 1.5')
    assert isinstance(partial.address.geo, Geo)
    assert (partial.address.geo.lat, partial.address.geo.lon) == (None, None)  # 1.5 not finished yet
    partial = stream.feed(', "lon": 2}}, "employees": 7}')
    assert partial.address.geo == Geo(lat=1.5, lon=2)
    assert stream.finish() == Company(
        name="Acme", address=Address(street="Main", city="Springfield", geo=Geo(lat=1.5, lon=2)), employees=7
    )


def test_list_of_models_items_appear_as_they_begin() -> None:
    stream = ModelStream(Order)
    partial = stream.feed('{"id": 1, "items": [{"id": 1, "name": "a"}, {"id": 2, "na')
    assert [type(item) for item in partial.items] == [Item, Item]
    assert partial.items[0] == Item(id=1, name="a")
    assert (partial.items[1].id, partial.items[1].name) == (2, None)
    stream.feed('me": "b"}]}')
    assert stream.finish() == Order(id=1, items=[Item(id=1, name="a"), Item(id=2, name="b")])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"owner": "o", "items": null}', None),
        ('{"owner": "o"}', None),
        ('{"owner": "o", "items": []}', []),
        ('{"owner": "o", "items": [{"id": 1, "name": "x"}]}', [Item(id=1, name="x")]),
    ],
)
def test_optional_list_of_models(text: str, expected: Any) -> None:
    stream, _ = snapshots(Cart, pieces(text))
    assert stream.finish() == Cart(owner="o", items=expected)


def test_optional_list_of_models_shows_items_while_streaming() -> None:
    partial = ModelStream(Cart).feed('{"owner": "o", "items": [{"id": 1, "name": "x"}, {"id": 2')
    assert partial.items[0] == Item(id=1, name="x")
    assert isinstance(partial.items[1], Item)
    assert partial.items[1].name is None


def test_dict_of_models() -> None:
    stream = ModelStream(Inventory)
    partial = stream.feed('{"items": {"a": {"id": 1, "name": "x"}, "b": {"id": 2, "name": "y')
    assert list(partial.items) == ["a", "b"]
    assert partial.items["a"] == Item(id=1, name="x")
    assert isinstance(partial.items["b"], Item)
    assert partial.items["b"].name == "y"
    stream.feed('"}}}')
    assert stream.finish() == Inventory(items={"a": Item(id=1, name="x"), "b": Item(id=2, name="y")})


def test_self_referencing_model() -> None:
    text = '{"name": "root", "children": [{"name": "a", "children": [{"name": "b"}]}, {"name": "c"}]}'
    stream = ModelStream(Tree)
    partial = stream.feed(text[: text.index('"b"') + 2])
    assert isinstance(partial.children[0].children[0], Tree)
    assert partial.children[0].children[0].name == "b"
    stream.feed(text[text.index('"b"') + 2 :])
    assert stream.finish() == Tree.model_validate_json(text)


def test_stdlib_dataclass_partials_are_instances_with_defaults() -> None:
    stream = ModelStream(Point)
    partial = stream.feed('{"x": 1, "y": 2, "label": "ab')
    assert type(partial) is Point
    assert (partial.x, partial.y, partial.label, partial.tags) == (1, 2, "ab", [])
    assert ModelStream(Point).feed("{").label == "origin"
    stream.feed('c"}')
    assert stream.finish() == Point(x=1, y=2, label="abc")


def test_pydantic_dataclass_partials_are_instances() -> None:
    stream = ModelStream(PydanticPoint)
    partial = stream.feed('{"x": 1, "label": "a')
    assert type(partial) is PydanticPoint
    assert (partial.x, partial.y, partial.label) == (1, None, "a")
    stream.feed('", "y": 2}')
    assert stream.finish() == PydanticPoint(x=1, y=2, label="a")


def test_typeddict_final_value() -> None:
    stream = ModelStream(Movie)
    for chunk in pieces('{"title": "Alien", "year": 1979, "rating": 8.5}'):
        stream.feed(chunk)
    assert stream.finish() == {"title": "Alien", "year": 1979, "rating": 8.5}


def test_typeddict_partial_grows() -> None:
    stream = ModelStream(Movie)
    assert stream.feed('{"title": "Ali') == {"title": "Ali"}
    assert stream.feed('en", "year": 1979,') == {"title": "Alien", "year": 1979}


def test_typeddict_field_partial_grows() -> None:
    partial = ModelStream(Film).feed('{"movie": {"title": "Ali')
    assert partial.movie == {"title": "Ali"}


def test_fields_typed_any_or_dict_show_the_parsers_partial_value() -> None:
    stream = ModelStream(Loose)
    partial = stream.feed('{"data": {"a": [1, 2')
    assert partial.data == {"a": [1]}  # 2 may still grow
    partial = stream.feed(', 3], "b": {"c": tr')
    assert partial.data == {"a": [1, 2, 3], "b": {}}
    partial = stream.feed('ue}}, "meta": {"k": [null')
    assert partial.data == {"a": [1, 2, 3], "b": {"c": True}}
    assert partial.meta == {"k": [None]}
    stream.feed('], "s": "v"}, "label": "l"}')
    assert stream.finish() == Loose(data={"a": [1, 2, 3], "b": {"c": True}}, meta={"k": [None], "s": "v"}, label="l")


def test_strings_inside_any_and_dict_fields_grow() -> None:
    stream = ModelStream(Loose)
    stream.feed('{"data": {"a": 1, "b": "x')
    assert stream.feed("yz").data == {"a": 1, "b": "xyz"}
    assert stream.feed('", "c": "pq').data == {"a": 1, "b": "xyz", "c": "pq"}
    assert stream.feed('r"}, "meta": {"k": "v').meta == {"k": "v"}
    assert stream.feed("w").meta == {"k": "vw"}


def test_any_field_holding_a_string_shows_it_growing() -> None:
    assert ModelStream(Loose).feed('{"data": "xy').data == "xy"


def test_root_list_of_int() -> None:
    stream, seen = snapshots(list[int], ["[1", ", 2", ", 3", "]"])
    assert seen == [[], [1], [1, 2], [1, 2, 3]]
    assert stream.finish() == [1, 2, 3]


def test_root_list_of_models() -> None:
    stream = ModelStream(list[Item])
    partial = stream.feed('[{"id": 1, "name": "a"}, {"id": 2')
    assert partial[0] == Item(id=1, name="a")
    assert isinstance(partial[1], Item)
    stream.feed(', "name": "b"}]')
    assert stream.finish() == [Item(id=1, name="a"), Item(id=2, name="b")]


def test_root_optional() -> None:
    stream = ModelStream(User | None)
    assert stream.feed("nu") is None
    stream.feed("ll")
    assert stream.finish() is None
    assert stream.complete
    stream = ModelStream(User | None)
    assert isinstance(stream.feed('{"name": "a'), User)
    stream.feed('", "age": 1}')
    assert stream.finish() == User(name="a", age=1)


def test_root_tuple_of_int_finishes_as_a_tuple() -> None:
    stream, seen = snapshots(tuple[int, ...], ["[1", ", 2", "]"])
    assert seen[1] == [1]
    final = stream.finish()
    assert final == (1, 2)
    assert type(final) is tuple


def test_constrained_items_that_are_invalid_are_left_out() -> None:
    stream, seen = snapshots(list[Annotated[int, Field(gt=0)]], ["[1, ", "-2, ", "3, ", "0", "]"])
    assert seen == [[1], [1], [1, 3], [1, 3], [1, 3]]
    with pytest.raises(pydantic.ValidationError) as info:
        stream.finish()
    assert summary(info.value) == [((1,), "greater_than"), ((3,), "greater_than")]
    model = ModelStream(Positives)
    assert model.feed('{"values": [5, -1, 7, ').values == [5, 7]
    model.feed("0]}")
    with pytest.raises(pydantic.ValidationError) as info:
        model.finish()
    assert summary(info.value) == pydantic_summary(Positives, '{"values": [5, -1, 7, 0]}')


# ---------------------------------------------------------------------------------------------------------------------
# validated once, reused by identity


@pytest.mark.parametrize(
    ("tp", "text", "paths"),
    [
        (
            Order,
            '{"id": 1, "items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "note": "n"}',
            [("items", 0), ("items", 1)],
        ),
        (
            Company,
            '{"name": "c", "address": {"street": "s", "city": "c", "geo": {"lat": 1, "lon": 2}}, "employees": 3}',
            [("address", "geo"), ("address",)],
        ),
        (Inventory, '{"items": {"a": {"id": 1, "name": "x"}, "b": {"id": 2, "name": "y"}}}', [("items", "a")]),
        (
            Tree,
            '{"name": "r", "children": [{"name": "a", "children": [{"name": "b"}]}, {"name": "c"}]}',
            [("children", 0, "children", 0), ("children", 0), ("children", 1)],
        ),
        (list[Item], '[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]', [(0,), (1,)]),
        (Shelter, '{"pets": [{"kind": "cat", "name": "a"}, {"kind": "dog", "name": "b"}]}', [("pets", 0)]),
    ],
)
def test_a_finished_part_is_the_same_instance_in_every_later_partial(
    tp: Any, text: str, paths: list[tuple[str | int, ...]]
) -> None:
    stream = ModelStream(tp)
    finished: dict[tuple[str | int, ...], Any] = {}
    for chunk in pieces(text):
        partial = stream.feed(chunk)
        for path in paths:
            if path in finished:
                assert walk(partial, path) is finished[path], path
            elif stream.is_complete(path):
                finished[path] = walk(partial, path)
                assert isinstance(finished[path], BaseModel)
    assert set(finished) == set(paths)
    final = stream.finish()
    assert final == pydantic.TypeAdapter(tp).validate_json(text)
    for path in paths:
        assert walk(final, path) is finished[path], path


def test_partials_kept_are_snapshots_that_share_their_finished_parts() -> None:
    stream = ModelStream(Order)
    first = stream.feed('{"id": 1, "items": [')
    assert stream.partial is first  # read again, unchanged: the same object
    second = stream.feed('{"id": 1, "name": "a"}')
    third = stream.feed(', {"id": 2, "name": "b')
    assert first == Order.model_construct(id=1, items=[], note="")
    assert second.items == [Item(id=1, name="a")]
    assert [type(item) for item in third.items] == [Item, Item]
    assert third.items[1].__dict__ == {"id": 2, "name": "b"}
    assert len({id(first), id(second), id(third)}) == 3
    assert len({id(first.items), id(second.items), id(third.items)}) == 3
    assert third.items[0] is second.items[0]  # finished and validated: shared, not copied
    final = stream.feed('"}]}')
    assert final.items[0] is second.items[0]
    assert third.items[1].__dict__ == {"id": 2, "name": "b"}  # the open item as it was when handed out


def test_a_partial_nobody_keeps_is_built_on_in_place() -> None:
    """The common loop drops each partial at once: then nothing is copied (the very same objects go on)."""
    stream = ModelStream(Order)
    root = id(stream.feed('{"id": 1, "items": [{"id": 1, "name": "a'))
    items = id(stream.partial.items)
    item = id(stream.partial.items[0])
    for piece in ["b", "c", '"}, {"id": 2', ', "name": "', "x"]:
        stream.feed(piece)
        assert (id(stream.partial), id(stream.partial.items)) == (root, items)
    assert id(stream.partial.items[0]) != item  # finished: replaced by its validated instance
    assert stream.partial.items[1].name == "x"


def test_the_loop_that_keeps_the_latest_partial_copies_nothing() -> None:
    """``p = stream.feed(chunk)`` holds the last partial while the next chunk is fed: the stream then goes on with
    the partial it handed out before that one (nobody holds it any more), brought up to date, not with a copy."""
    items = ", ".join(f'{{"id": {i}, "name": "n{i}"}}' for i in range(200))
    text = f'{{"id": 1, "items": [{items}]}}'
    stream = ModelStream(Order)
    partial = stream.feed(text[:100])
    lists: set[int] = set()
    for start in range(100, len(text) - 3, 3):
        previous = (partial, partial.model_dump())
        partial = stream.feed(text[start : start + 3])
        assert previous[0].model_dump() == previous[1]  # what was handed out before did not change
        lists.add(id(partial.items))
    assert len(lists) == 2  # two lists, taking turns, each brought up to date: no copy of 200 items per chunk
    stream.feed(text[start + 3 :])
    assert stream.finish() == Order.model_validate_json(text)


def test_partials_with_untyped_parts_are_snapshots_too() -> None:
    """``Any`` and ``dict`` fields show the parser's own value while they grow: kept partials hold copies."""

    class Doc(BaseModel):
        meta: dict  # type: ignore[type-arg]
        data: Any
        tags: list[str]

    text = '{"meta": {"a": [1, {"b": "xy"}], "c": 2}, "data": [{"k": [true, "zz"]}, 3], "tags": ["p", "q"]}'
    stream = ModelStream(Doc)
    kept = []
    for end in range(1, len(text) + 1):
        partial = stream.feed(text[end - 1 : end])
        kept.append((partial, copy.deepcopy(partial)))
    stream.finish()
    for partial, then in kept:
        assert partial == then
    assert kept[-1][0] == Doc.model_validate_json(text)


def test_validators_run_once_per_finished_part_never_on_unfinished_data() -> None:
    text = '{"title": "Tt", "inner": {"code": "ab"}, "inners": [{"code": "cd"}, {"code": "e"}]}'
    expected = Counter(
        {
            "Inner.code:ab": 1,
            "Inner.after:AB": 1,
            "Inner.code:cd": 1,
            "Inner.after:CD": 1,
            "Inner.code:e": 1,
            "Inner.after:E": 1,
            "Outer.title:Tt": 1,
            "Outer.before": 1,
            "Outer.after": 1,
        }
    )
    Outer.model_validate_json(text)
    assert expected == CALLS  # what pydantic itself does on the whole document
    CALLS.clear()
    stream = ModelStream(Outer)
    inner_done_at = None
    for index, chunk in enumerate(pieces(text)):
        partial = stream.feed(chunk)
        if inner_done_at is None and stream.is_complete(("inner",)):
            inner_done_at = index
            # Outer has a mode='before' model validator, which must see the raw nested data: Inner is
            # validated with Outer, from the raw value, not on its own first.
            assert Counter() == CALLS
            assert partial.inner.code == "ab"
        if not stream.is_complete():
            assert "Outer.after" not in CALLS
            assert "Outer.before" not in CALLS
    assert inner_done_at == text.index('"ab"}') + 4
    final = stream.finish()
    assert expected == CALLS
    assert final.model_dump() == Outer.model_validate_json(text).model_dump()


def test_nested_model_is_validated_at_once_when_its_parent_has_no_before_validator() -> None:
    text = '[{"code": "ab"}, {"code": "cd"}]'
    stream = ModelStream(list[Inner])
    seen_at: list[int] = []
    for index, chunk in enumerate(pieces(text)):
        before = sum(CALLS.values())
        partial = stream.feed(chunk)
        if sum(CALLS.values()) > before:
            seen_at.append(index)
            assert partial is not None
            assert partial[-1].code == partial[-1].code.upper()  # the validated instance, shown at once
    assert seen_at == [text.index('"ab"}') + 4, text.index('"cd"}') + 4]
    assert Counter({"Inner.code:ab": 1, "Inner.after:AB": 1, "Inner.code:cd": 1, "Inner.after:CD": 1}) == CALLS


def test_validators_are_not_run_again_by_finish_or_later_feeds() -> None:
    text = '{"title": "t", "inner": {"code": "x"}}'
    stream = ModelStream(Outer)
    for chunk in pieces(text):
        stream.feed(chunk)
    after_feeding = Counter(CALLS)
    assert after_feeding["Outer.after"] == 1
    assert after_feeding["Inner.after:X"] == 1
    stream.finish()
    stream.finish()
    assert after_feeding == CALLS


def test_after_validators_of_self_referencing_models_run_once_each() -> None:
    text = '{"name": "r", "children": [{"name": "a", "children": [{"name": "b"}]}, {"name": "c"}]}'
    stream = ModelStream(CountedTree)
    for chunk in pieces(text):
        stream.feed(chunk)
    stream.finish()
    assert (
        Counter(
            {"CountedTree.after:b": 1, "CountedTree.after:a": 1, "CountedTree.after:c": 1, "CountedTree.after:r": 1}
        )
        == CALLS
    )


@pytest.mark.parametrize(
    ("tp", "text"),
    [
        (list[Inner], '[{"code": "a"}, {"code": "b"}]'),
        (dict[str, Inner], '{"k": {"code": "a"}, "j": {"code": "b"}}'),
        (Inner | None, '{"code": "a"}'),
    ],
)
def test_validators_of_models_inside_root_containers_run_once(tp: Any, text: str) -> None:
    expected_value = pydantic.TypeAdapter(tp).validate_json(text)
    expected_calls = Counter(CALLS)
    assert sum(expected_calls.values()) >= 2
    CALLS.clear()
    stream = ModelStream(tp)
    for chunk in pieces(text):
        stream.feed(chunk)
    assert stream.finish() == expected_value
    assert expected_calls == CALLS


# ---------------------------------------------------------------------------------------------------------------------
# unions


def test_discriminated_union_shows_the_variant_as_soon_as_the_tag_is_known() -> None:
    text = '{"name": "o", "pet": {"kind": "dog", "name": "Rex"}}'
    _, seen = snapshots(Owner, pieces(text))
    tag_end = text.index('"dog"') + len('"dog"') - 1
    assert seen[tag_end - 1].pet is None
    pet = seen[tag_end].pet
    assert type(pet) is Dog
    assert (pet.kind, pet.name, pet.good) == ("dog", None, True)
    assert seen[text.index("Rex") + 1].pet.name == "Re"  # its fields then grow as usual


def test_discriminated_union_tag_after_other_fields_replays_them() -> None:
    stream = ModelStream(Owner)
    assert stream.feed('{"name": "o", "pet": {"name": "Tom", "lives": 3, "kind": "ca').pet is None
    pet = stream.feed('t"').pet
    assert type(pet) is Cat
    assert (pet.name, pet.lives) == ("Tom", 3)
    stream.feed("}}")
    assert stream.finish() == Owner(name="o", pet=Cat(kind="cat", name="Tom", lives=3))


def test_discriminated_union_items_of_a_list() -> None:
    stream = ModelStream(Shelter)
    partial = stream.feed('{"pets": [{"kind": "cat", "name": "a"}, {"kind": "dog"')
    assert [type(pet) for pet in partial.pets] == [Cat, Dog]
    stream.feed("}]}")
    with pytest.raises(pydantic.ValidationError) as info:
        stream.finish()  # the dog has no name
    assert next((e["loc"], e["type"]) for e in info.value.errors())[1] == "missing"


def test_discriminated_union_at_the_root() -> None:
    stream = ModelStream(Pet)
    assert type(stream.feed('{"kind": "cat"')) is Cat
    stream.feed(', "name": "x"}')
    assert stream.finish() == Cat(kind="cat", name="x")


def test_plain_union_picks_the_variant_once_a_key_decides() -> None:
    stream = ModelStream(Drawing)
    assert stream.feed('{"shape": {').shape is None
    assert stream.feed('"si').shape is None  # a key is known once its value begins
    partial = stream.feed('de": 2')
    assert type(partial.shape) is Square
    assert partial.shape.side is None
    stream.feed('}, "title": "t"}')
    assert stream.finish() == Drawing(shape=Square(side=2), title="t")


def test_plain_union_that_keys_cannot_decide_shows_once_finished() -> None:
    stream = ModelStream(Cat | Dog)
    assert stream.feed('{"kind": "dog", "name": "b"') is None  # both variants have these keys
    final = stream.feed("}")
    assert type(final) is Dog
    assert stream.finish() == Dog(kind="dog", name="b")


class _VariantA(BaseModel):
    x: int
    y: int = 0


class _VariantB(BaseModel):
    x: int
    z: int = 0


class _SmartUnion(BaseModel):
    v: _VariantA | _VariantB


def test_plain_union_final_matches_pydantic_smart_mode() -> None:
    text = '{"v": {"x": 1, "z": 2, "y": 3}}'
    assert _SmartUnion.model_validate_json(text) == _SmartUnion(v=_VariantA(x=1, y=3))
    stream = ModelStream(_SmartUnion)
    stream.feed(text)
    assert stream.finish() == _SmartUnion.model_validate_json(text)


# ---------------------------------------------------------------------------------------------------------------------
# aliases


@pytest.mark.parametrize(
    "text",
    [
        '{"userName": "ab", "e-mail": "x@y", "nickName": "n"}',
        '{"user_name": "ab", "email": "x@y", "nick_name": "n"}',  # populate_by_name, second AliasChoices choice
    ],
)
def test_aliases_and_field_names(text: str) -> None:
    stream = ModelStream(Aliased)
    partial = stream.feed(text[: text.index("x@y") + 2])
    assert (partial.user_name, partial.email, partial.nick) == ("ab", "x@", None)
    stream.feed(text[text.index("x@y") + 2 :])
    assert stream.finish() == Aliased.model_validate_json(text)


def test_alias_generator_in_nested_models() -> None:
    text = '{"firstName": "a", "lastName": "b", "favouriteItems": [{"itemId": 1, "displayName": "de"}]}'
    stream = ModelStream(Camel)
    partial = stream.feed(text[:-5])
    assert (partial.first_name, partial.last_name) == ("a", "b")
    assert isinstance(partial.favourite_items[0], CamelItem)
    assert (partial.favourite_items[0].item_id, partial.favourite_items[0].display_name) == (1, "d")
    stream.feed(text[-5:])
    assert stream.finish() == Camel.model_validate_json(text)


def test_is_complete_takes_field_names_aliases_and_indices() -> None:
    stream = ModelStream(Camel)
    stream.feed('{"firstName": "a", "lastName": "b", "favouriteItems": [{"itemId": 1, "displayName": "d')
    assert stream.is_complete(("first_name",))
    assert stream.is_complete(("firstName",))
    assert stream.is_complete(("favourite_items", 0, "item_id"))
    assert stream.is_complete(("favouriteItems", 0, "itemId"))
    assert not stream.is_complete(("favourite_items", 0, "display_name"))
    assert not stream.is_complete(("favourite_items", 0))
    assert not stream.is_complete(("favourite_items",))
    assert not stream.is_complete()
    assert not stream.is_complete(("favourite_items", 1))
    stream.feed('e"}]}')
    assert stream.is_complete(("favourite_items", 0))
    assert stream.is_complete()


def test_is_complete_in_dicts_and_lists() -> None:
    stream = ModelStream(Inventory)
    stream.feed('{"items": {"a": {"id": 1, "name": "x"}, "b": {"id": 2,')
    assert stream.is_complete(["items", "a"])
    assert stream.is_complete(("items", "b", "id"))
    assert not stream.is_complete(("items", "b"))
    assert not stream.is_complete(("items", "c"))


def test_progress_is_the_fraction_of_root_fields_finished() -> None:
    stream = ModelStream(Company)
    assert stream.progress == 0.0
    stream.feed('{"name": "c", ')
    assert stream.progress == pytest.approx(1 / 3)
    stream.feed('"address": {"street": "s", "city": "c", "geo": {"lat": 1, "lon": 2')
    assert stream.progress == pytest.approx(1 / 3)
    stream.feed("}}")
    assert stream.progress == pytest.approx(2 / 3)
    stream.feed(', "employees": 3')
    assert stream.progress == pytest.approx(2 / 3)  # 3 is not finished until its delimiter
    stream.feed("}")
    assert stream.progress == 1.0


def test_progress_counts_fields_read_by_alias() -> None:
    stream = ModelStream(Camel)
    stream.feed('{"firstName": "a", "lastName": "b"')
    assert stream.progress == pytest.approx(2 / 3)


def test_progress_of_a_root_that_is_not_a_record() -> None:
    stream = ModelStream(list[int])
    stream.feed("[1, 2")
    assert stream.progress == 0.0
    stream.feed("]")
    assert stream.progress == 1.0


# ---------------------------------------------------------------------------------------------------------------------
# invalid parts: left out, reported by finish() as pydantic reports them


ERROR_CASES = [
    (User, '{"name": "a"}'),
    (User, "[1]"),
    (User, '"abc"'),
    (User, '{"name": 1, "age": "x", "active": "maybe", "score": "s"}'),
    (list[int], "{}"),
    (list[int], '[1, "x", 3.5]'),
    (list[Item], '[{"id": 1, "name": "a"}, {"id": 2}]'),
    (Order, '{"id": 1, "items": [{"id": 1, "name": "a"}, {"id": "x", "name": "b"}, {"id": 3}], "note": 5}'),
    (Order, '{"id": 1, "items": {"a": 1}}'),
    (Company, '{"name": "c", "address": {"street": 1, "city": "c", "geo": {"lat": 1}}}'),
    (Company, '{"name": "c", "address": {"street": "s", "city": "c", "geo": {"lat": "n", "lon": 1}}}'),
    (Company, '{"name": "c", "address": null}'),
    (Inventory, '{"items": {"a": {"id": 1, "name": "a"}, "b": {"id": "1x", "name": "b"}}}'),
    (Cart, '{"owner": "o", "items": [{"id": 1}]}'),
    (Settings, '{"tags": [1, 2], "limits": {"a": "x"}, "owner": {"name": "n"}}'),
    (Account, '{"name": "n", "role": "ADMIN", "status": "draft", "priority": 3}'),
    (Tree, '{"name": "r", "children": [{"name": 1, "children": [{"children": []}]}]}'),
    (Point, '{"x": "a", "y": 2}'),
    (PydanticPoint, '{"x": 1}'),
    (Film, '{"movie": {"title": "x", "year": "y"}, "where": {"x": 1, "y": "b"}}'),
    (Strict, '{"a": 1, "extra": {"nested": [1]}}'),
    (Positives, '{"values": [0, 1, -1]}'),
    (Limited, '{"title": "toolong", "tags": ["a"], "count": -1}'),
    (Limited, '{"title": "ok", "tags": ["a", "b", "c"]}'),
    (Outer, '{"title": "t", "inner": {"code": 1}}'),
    (User | None, '{"name": "a"}'),
    (tuple[int, ...], '[1, "a"]'),
    (Aliased, '{"userName": "u"}'),
    (Aliased, '{"userName": 5, "e-mail": "x"}'),
    (Camel, '{"firstName": "u", "favouriteItems": [{"itemId": 1}]}'),
    (Drawing, '{"shape": {"colour": "red"}}'),
]


@pytest.mark.parametrize(("tp", "text"), ERROR_CASES)
@pytest.mark.parametrize("chunking", ["whole", "by-character"])
def test_finish_reports_every_invalid_part_at_its_full_location(tp: Any, text: str, chunking: str) -> None:
    chunks = [text] if chunking == "whole" else pieces(text)
    assert midstream_summary(tp, chunks) == pydantic_summary(tp, text)


@pytest.mark.parametrize(
    ("tp", "text"),
    [
        pytest.param(Owner, '{"name": "n", "pet": {"kind": "cat", "name": 5}}', id="discriminated-invalid-field"),
        pytest.param(Owner, '{"name": "n", "pet": {"kind": "cat"}}', id="discriminated-missing-field"),
        pytest.param(Owner, '{"name": "n", "pet": {"kind": "cow", "name": "x"}}', id="discriminated-unknown-tag"),
        pytest.param(Owner, '{"name": "n", "pet": {"name": "x"}}', id="discriminated-no-tag"),
        pytest.param(Drawing, '{"shape": {"radius": "big"}}', id="plain-union-decided-by-key"),
    ],
)
def test_union_errors_are_located_as_pydantic_locates_them(tp: Any, text: str) -> None:
    assert midstream_summary(tp, [text]) == pydantic_summary(tp, text)


def test_invalid_field_given_by_name_reports_only_its_own_error() -> None:
    text = '{"user_name": 5, "e-mail": "x"}'
    assert pydantic_summary(Aliased, text) == [(("user_name",), "string_type")]
    assert midstream_summary(Aliased, [text]) == pydantic_summary(Aliased, text)


def test_invalid_list_items_and_dict_values_are_left_out_of_partials() -> None:
    stream = ModelStream(Order)
    partial = stream.feed('{"id": 1, "items": [{"id": 1, "name": "a"}, {"id": "x", "name": "b"}')
    assert partial.items == [Item(id=1, name="a")]
    assert stream.errors[0]["loc"] == ("items", 1, "id")
    partial = stream.feed(', {"id": 3, "name": "c"}]}')
    assert partial.items == [Item(id=1, name="a"), Item(id=3, name="c")]
    with pytest.raises(pydantic.ValidationError) as info:
        stream.finish()
    assert summary(info.value) == [(("items", 1, "id"), "int_parsing")]
    inventory = ModelStream(Inventory)
    partial = inventory.feed('{"items": {"a": {"id": 1, "name": "x"}, "b": {"id": "q", "name": "y"}, "c": {"id": 3')
    assert list(partial.items) == ["a", "c"]


def test_an_invalid_field_is_left_out_and_the_rest_still_shows() -> None:
    stream = ModelStream(User)
    partial = stream.feed('{"age": "old", "name": "Ad')
    assert (partial.age, partial.name) == (None, "Ad")
    assert [(e["loc"], e["type"]) for e in stream.errors] == [(("age",), "int_parsing")]
    stream.feed('a"}')
    with pytest.raises(pydantic.ValidationError):
        stream.finish()


def test_errors_lists_the_failures_so_far() -> None:
    stream = ModelStream(Order)
    assert stream.errors == []
    stream.feed('{"id": "one", "items": [{"id": 1, "name": 2}')
    assert [(e["loc"], e["type"]) for e in stream.errors] == [
        (("id",), "int_parsing"),
        (("items", 0, "name"), "string_type"),
    ]
    stream.errors.clear()  # a copy
    assert len(stream.errors) == 2


def test_extra_forbid_unknown_key_is_an_error_at_finish() -> None:
    stream = ModelStream(Strict)
    partial = stream.feed('{"a": 1, "zz": {"deep": [1, 2]}, "b": "x"')
    assert isinstance(partial, Strict)
    assert (partial.a, partial.b) == (1, "x")
    assert not hasattr(partial, "zz") or partial.__pydantic_extra__ in (None, {})
    stream.feed("}")
    with pytest.raises(pydantic.ValidationError) as info:
        stream.finish()
    assert summary(info.value) == [(("zz",), "extra_forbidden")]


def test_an_unknown_key_of_an_ordinary_model_is_ignored() -> None:
    stream = ModelStream(User)
    stream.feed('{"name": "a", "nested": {"x": [1, {"y": "z"}]}, "age": 2}')
    assert stream.finish() == User(name="a", age=2)


class _StrictConfig(BaseModel):
    model_config = ConfigDict(strict=True)

    age: int


class _StrictTuple(BaseModel):
    model_config = ConfigDict(strict=True)

    values: tuple[int, ...]


def test_strict_model_rejects_what_pydantic_rejects() -> None:
    text = '{"age": "3"}'
    assert pydantic_summary(_StrictConfig, text) == [(("age",), "int_type")]
    assert midstream_summary(_StrictConfig, [text]) == pydantic_summary(_StrictConfig, text)


def test_strict_model_accepts_what_pydantic_accepts() -> None:
    text = '{"values": [1, 2]}'
    stream = ModelStream(_StrictTuple)
    stream.feed(text)
    assert stream.finish() == _StrictTuple.model_validate_json(text)


class _BeforeField(BaseModel):
    count: int

    @field_validator("count", mode="before")
    @classmethod
    def _strip_commas(cls, value: Any) -> Any:
        return value.replace(",", "") if isinstance(value, str) else value


class _BeforeAnnotated(BaseModel):
    count: Annotated[int, pydantic.BeforeValidator(lambda v: v.replace(",", "") if isinstance(v, str) else v)]


@pytest.mark.parametrize("model", [_BeforeField, _BeforeAnnotated])
def test_before_field_validators_see_the_raw_value(model: type[BaseModel]) -> None:
    text = '{"count": "1,000"}'
    assert model.model_validate_json(text).count == 1000
    stream = ModelStream(model)
    shown = [copy.copy(stream.feed(chunk)) for chunk in pieces(text)]
    # Only the validator knows what the raw value means: nothing is shown until the model validates it.
    assert [partial.count for partial in shown[:-1]] == [None] * (len(text) - 1)
    assert shown[-1].count == 1000
    assert stream.finish() == model.model_validate_json(text)


class _FillsInNested(BaseModel):
    item: Item

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("item"), dict):
            return {**data, "item": {"name": "unnamed", **data["item"]}}
        return data


def test_before_model_validator_sees_the_raw_nested_data() -> None:
    text = '{"item": {"id": 1}}'
    assert _FillsInNested.model_validate_json(text).item == Item(id=1, name="unnamed")
    stream = ModelStream(_FillsInNested)
    stream.feed(text)
    assert stream.finish() == _FillsInNested.model_validate_json(text)


class _DataDefault(BaseModel):
    a: int
    b: int = Field(default_factory=lambda data: data["a"] * 2)


def test_default_factory_taking_data() -> None:
    stream = ModelStream(_DataDefault)
    stream.feed('{"a": 2')
    stream.feed("}")
    assert stream.finish() == _DataDefault(a=2, b=4)


# ---------------------------------------------------------------------------------------------------------------------
# fail_fast and early failures


def test_fail_fast_raises_from_the_feed_that_finishes_the_invalid_part() -> None:
    chunks = ['{"id": 1, "items": [{"id": 1, "name": "a"}, {"id": "x', '"', ', "name": "b"}]}']
    index, error, _ = first_raising_chunk(Order, chunks)
    assert index == 1
    assert summary(error) == [(("items", 1, "id"), "int_parsing")]
    assert error.title == "Order"


def test_fail_fast_on_a_number_raises_with_its_delimiter() -> None:
    chunks = ['{"name": "a", "age": 1', ".5", " ", "}"]
    index, error, _ = first_raising_chunk(User, chunks)
    assert index == 2  # the number is finished by the space
    assert summary(error) == [(("age",), "int_from_float")]


def test_fail_fast_on_an_enum_raises_with_its_closing_quote() -> None:
    index, error, _ = first_raising_chunk(Account, ['{"name": "n", "role": "adm', "i", '"', "}"])
    assert index == 2
    assert summary(error) == [(("role",), "enum")]


def test_fail_fast_on_a_missing_field_raises_when_its_model_closes() -> None:
    chunks = ['{"name": "c", "address": {"street": "s"', ', "geo": {"lat": 1, "lon": 2}', "}", "}"]
    index, error, _ = first_raising_chunk(Company, chunks)
    assert index == 2
    assert summary(error) == [(("address", "city"), "missing")]


def test_fail_fast_with_valid_input_does_not_raise() -> None:
    stream = ModelStream(Order, fail_fast=True)
    for chunk in pieces('{"id": 1, "items": [{"id": 1, "name": "a"}]}'):
        stream.feed(chunk)
    assert stream.finish() == Order(id=1, items=[Item(id=1, name="a")])


def test_list_longer_than_max_length_fails_as_soon_as_the_extra_item_begins() -> None:
    chunks = ['{"title": "abc", ', '"tags": ["a", ', '"b"', ", ", '"', 'c"]', ', "count": 2}']
    index, error, _ = first_raising_chunk(Limited, chunks)
    assert index == 4
    assert summary(error) == [(("tags",), "too_long")]
    stream, seen = snapshots(Limited, chunks[:4])
    assert seen[-1].tags == ["a", "b"]
    assert stream.feed(chunks[4]).tags is None  # left out at once
    assert stream.errors[0]["type"] == "too_long"


def test_list_max_length_at_the_root() -> None:
    index, error, _ = first_raising_chunk(Annotated[list[int], Field(max_length=2)], ["[1, 2", ", ", "3", "]"])
    assert index == 2
    assert summary(error) == [((), "too_long")]


def test_string_longer_than_max_length_fails_as_soon_as_it_exceeds_it() -> None:
    index, error, _ = first_raising_chunk(Limited, ['{"title": "abc', "de", "f", 'gh"', "}"])
    assert index == 2
    assert summary(error) == [(("title",), "string_too_long")]
    stream, seen = snapshots(Limited, ['{"title": "abc', "de", "f"])
    assert [p.title for p in seen] == ["abc", "abcde", None]
    assert stream.errors[0]["loc"] == ("title",)


def test_string_max_length_counts_characters_not_bytes() -> None:
    stream = ModelStream(Limited, fail_fast=True)
    for chunk in pieces('{"title": "ééééé", "tags": []}'.encode()):
        stream.feed(chunk)
    assert stream.finish() == Limited(title="ééééé", tags=[])


class _OptionalLimits(BaseModel):
    text: str | None = Field(default=None, max_length=2)
    values: list[int] | None = Field(default=None, max_length=2)


def test_optional_string_longer_than_max_length_fails_early() -> None:
    index, _, _ = first_raising_chunk(_OptionalLimits, ['{"text": "ab', "c", 'd"', "}"])
    assert index == 1


def test_optional_list_longer_than_max_length_fails_early() -> None:
    index, _, _ = first_raising_chunk(_OptionalLimits, ['{"values": [1, 2, ', "3", "]", "}"])
    assert index == 1


def test_validation_errors_are_sticky() -> None:
    chunks = ['{"id": "x",', ' "items": []}']
    index, error, stream = first_raising_chunk(Order, chunks)
    assert index == 0
    with pytest.raises(pydantic.ValidationError) as again:
        stream.feed(chunks[1])
    assert again.value is error
    with pytest.raises(pydantic.ValidationError) as at_finish:
        stream.finish()
    assert at_finish.value is error


def test_a_finish_error_is_sticky_too() -> None:
    stream = ModelStream(User)
    stream.feed('{"name": 1, "age": 2}')
    with pytest.raises(pydantic.ValidationError) as first:
        stream.finish()
    with pytest.raises(pydantic.ValidationError) as second:
        stream.finish()
    assert summary(first.value) == summary(second.value) == [(("name",), "string_type")]


# ---------------------------------------------------------------------------------------------------------------------
# JSON errors


@pytest.mark.parametrize("fail_fast", [False, True])
def test_a_syntax_error_raises_json_error_and_keeps_the_partial(fail_fast: bool) -> None:
    stream = ModelStream(Order, fail_fast=fail_fast)
    stream.feed('{"id": 1, "items": [{"id": 1, "name": "a"}, {"id": 2, "na')
    with pytest.raises(JSONError) as info:
        stream.feed('me": "bb",]}')
    assert not isinstance(info.value, IncompleteJSONError)
    assert info.value.offset == len('{"id": 1, "items": [{"id": 1, "name": "a"}, {"id": 2, "name": "bb",')
    partial = stream.partial
    assert partial.id == 1
    assert partial.items[0] == Item(id=1, name="a")
    assert (partial.items[1].id, partial.items[1].name) == (2, "bb")  # parsed before the error, in the same chunk
    with pytest.raises(JSONError):
        stream.feed("}")
    with pytest.raises(JSONError):
        stream.finish()


def test_a_syntax_error_inside_a_string_keeps_its_text() -> None:
    stream = ModelStream(User)
    with pytest.raises(JSONError):
        stream.feed('{"name": "Ada\x01"}')
    assert stream.partial.name == "Ada"


def test_truncated_input_raises_incomplete_json_error() -> None:
    stream = ModelStream(Order)
    stream.feed('{"id": 1, "items": [{"id": 1, "name": "a"}')
    with pytest.raises(IncompleteJSONError):
        stream.finish()
    assert stream.partial.items == [Item(id=1, name="a")]


def test_feed_after_finish_is_refused() -> None:
    stream = ModelStream(User)
    stream.feed('{"name": "a", "age": 1}')
    final = stream.finish()
    assert stream.finish() is final
    with pytest.raises(RuntimeError):
        stream.feed(" ")


# ---------------------------------------------------------------------------------------------------------------------
# bytes and str


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, str])
def test_chunks_may_be_bytes_or_str(kind: Any) -> None:
    text = '{"name": "Zoë", "age": 3}'
    stream = ModelStream(User)
    for chunk in [text[:12], text[12:]]:
        stream.feed(chunk if kind is str else kind(chunk.encode()))
    assert stream.finish() == User(name="Zoë", age=3)


def test_str_and_bytes_chunks_mix() -> None:
    stream = ModelStream(User)
    stream.feed(b'{"name": "Jos')
    stream.feed('é", ')
    stream.feed(b'"age": 3}')
    assert stream.finish() == User(name="José", age=3)


def test_multibyte_utf8_fed_byte_by_byte_never_shows_half_a_character() -> None:
    name = "héllo €𝄞 ✓"
    data = (f'{{"name": "{name}", "age": 3}}').encode()
    _, seen = snapshots(User, pieces(data))
    names = [p.name for p in seen if p is not None and p.name is not None]
    assert all(name.startswith(shown) for shown in names)
    assert "\ufffd" not in "".join(names)
    assert sorted(set(names), key=len) == [name[:length] for length in range(len(name) + 1)]


def test_escapes_split_anywhere_show_whole_characters() -> None:
    text = r'{"name": "a\n\u00e9\ud834\udd1e\"b", "age": 1}'
    final = 'a\n\u00e9\U0001d11e"b'
    stream, seen = snapshots(User, pieces(text))
    names = [p.name for p in seen if p is not None and p.name is not None]
    assert all(final.startswith(shown) for shown in names)
    assert stream.finish().name == final


# ---------------------------------------------------------------------------------------------------------------------
# stream(): PartialStream and AsyncPartialStream


CHUNKS = ['{"name"', ': "A', 'da"', ', "age"', ": 3", "6", "}", " "]


def test_stream_yields_only_when_the_partial_changed() -> None:
    partials = midstream.stream(User, CHUNKS)
    assert isinstance(partials, PartialStream)
    dumps = [partial.model_dump() for partial in partials]
    assert dumps == [
        {"name": None, "age": None, "active": True, "score": None},
        {"name": "A", "age": None, "active": True, "score": None},
        {"name": "Ada", "age": None, "active": True, "score": None},
        {"name": "Ada", "age": 36, "active": True, "score": None},
    ]


def test_stream_partials_kept_in_a_list_are_each_what_was_yielded() -> None:
    """``list(stream(...))`` keeps every partial: each a distinct snapshot, sync and async alike."""
    text = '{"name": "Ada Lovelace", "age": 36, "score": 1.5}'
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]
    seen: list[dict[str, Any]] = []
    for partial in midstream.stream(User, chunks):
        seen.append(dict(partial.__dict__))
    kept = list(midstream.stream(User, chunks))

    async def source() -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk

    async def collect() -> list[User]:
        return [partial async for partial in midstream.stream(User, source())]

    for partials in (kept, asyncio.run(collect())):
        assert len({id(partial) for partial in partials}) == len(partials) > 5
        assert [dict(partial.__dict__) for partial in partials] == seen
        assert partials[-1] == User(name="Ada Lovelace", age=36, score=1.5)


def test_stream_last_yield_is_the_validated_final() -> None:
    partials = midstream.stream(Order, pieces('{"id": 1, "items": [{"id": 2, "name": "x"}]}'))
    last = None
    for last in partials:  # noqa: B007
        pass
    assert last is partials.final()
    assert last == Order(id=1, items=[Item(id=2, name="x")])


def test_stream_reads_the_source_lazily() -> None:
    consumed = []

    def source() -> Iterator[str]:
        for chunk in CHUNKS:
            consumed.append(chunk)
            yield chunk

    partials = iter(midstream.stream(User, source()))
    next(partials)
    assert consumed == CHUNKS[:1]
    next(partials)
    assert consumed == CHUNKS[:2]


def test_stream_final_without_iterating() -> None:
    assert midstream.stream(User, CHUNKS).final() == User(name="Ada", age=36)
    assert midstream.stream(list[int], [b"[1, ", b"2]"]).final() == [1, 2]


def test_stream_root_finished_by_the_end_of_input() -> None:
    assert list(midstream.stream(int, ["1", "2"])) == [12]


def test_stream_raises_the_validation_error_at_the_end() -> None:
    partials = midstream.stream(User, ['{"name": "a"', ', "age": "x"}'])
    seen = []
    with pytest.raises(pydantic.ValidationError) as info:
        for partial in partials:
            seen.append(copy_partial(partial))
    assert summary(info.value) == [(("age",), "int_parsing")]
    assert seen[0].name == "a"


def test_stream_fail_fast_raises_mid_stream() -> None:
    chunks = ['{"name": "a"', ', "age": "x"', ', "score": 1}']
    consumed = []

    def source() -> Iterator[str]:
        for chunk in chunks:
            consumed.append(chunk)
            yield chunk

    with pytest.raises(pydantic.ValidationError):
        list(midstream.stream(User, source(), fail_fast=True))
    assert consumed == chunks[:2]


def test_stream_raises_json_errors() -> None:
    with pytest.raises(JSONError):
        list(midstream.stream(User, ['{"name": "a"', "]"]))


def test_async_stream_yields_changed_partials_and_the_final() -> None:
    async def main() -> tuple[Any, list[dict[str, Any]], Any, Any]:
        partials = midstream.stream(User, async_source(CHUNKS))
        dumps = []
        last = None
        async for last in partials:
            dumps.append(last.model_dump())
        return partials, dumps, last, await partials.final()

    partials, dumps, last, final = run(main())
    assert isinstance(partials, AsyncPartialStream)
    assert [d["name"] for d in dumps] == [None, "A", "Ada", "Ada"]
    assert dumps[-1]["age"] == 36
    assert last is final
    assert final == User(name="Ada", age=36)


def test_async_stream_final_without_iterating() -> None:
    async def main() -> Any:
        return await midstream.stream(Order, async_source(pieces(b'{"id": 1, "items": []}'))).final()

    assert run(main()) == Order(id=1, items=[])


def test_async_stream_raises_validation_errors() -> None:
    async def main() -> None:
        async for _ in midstream.stream(Order, async_source(['{"id": "x", "items": []}'])):
            pass

    with pytest.raises(pydantic.ValidationError) as info:
        run(main())
    assert summary(info.value) == [(("id",), "int_parsing")]


# ---------------------------------------------------------------------------------------------------------------------
# iter_items / aiter_items


def test_iter_items_yields_each_finished_item_once_validated() -> None:
    consumed = []

    def source() -> Iterator[str]:
        for chunk in ['{"data": {"items": [{"id": 1, "name": "a"}, ', '{"id": 2, "name": "b"}', "]}}"]:
            consumed.append(chunk)
            yield chunk

    items = midstream.iter_items(Item, source(), path=("data", "items"))
    assert next(items) == Item(id=1, name="a")
    assert len(consumed) == 1
    assert list(items) == [Item(id=2, name="b")]


def test_iter_items_skips_invalid_items_and_reports_them_at_the_end() -> None:
    got = []
    with pytest.raises(pydantic.ValidationError) as info:
        for item in midstream.iter_items(
            Item, ['[{"id": 1, "name": "a"}, {"id": "x", "name": "b"}, ', '{"id": 3, "name": "c"}]']
        ):
            got.append(item)
    assert [item.id for item in got] == [1, 3]
    assert summary(info.value) == [((1, "id"), "int_parsing")]


def test_aiter_items() -> None:
    async def main() -> list[int]:
        return [item async for item in midstream.aiter_items(int, async_source(["[1, ", "2", ", 3]"]))]

    assert run(main()) == [1, 2, 3]


# ---------------------------------------------------------------------------------------------------------------------
# Partial[Model]


def test_partial_type_is_cached_and_all_optional() -> None:
    assert Partial[Company] is Partial[Company]
    empty = Partial[Company]()
    assert (empty.name, empty.address, empty.employees) == (None, None, 0)
    assert all(not info.is_required() for info in Partial[Company].model_fields.values())
    assert Partial[Settings]().tags == ["new"]


def test_partial_type_makes_nested_models_partial_too() -> None:
    value = Partial[Company].model_validate({"name": "c", "address": {"city": "x", "geo": {"lat": 1}}})
    assert isinstance(value.address, Partial[Address])
    assert isinstance(value.address.geo, Partial[Geo])
    assert (value.address.street, value.address.city, value.address.geo.lon) == (None, "x", None)
    items = Partial[Cart].model_validate({"items": [{"id": 1}]}).items
    assert isinstance(items[0], Partial[Item])
    inventory = Partial[Inventory].model_validate({"items": {"a": {"name": "n"}}})
    assert isinstance(inventory.items["a"], Partial[Item])


def test_partial_type_of_a_self_referencing_model() -> None:
    value = Partial[Tree].model_validate({"children": [{"children": [{"name": "leaf"}]}]})
    assert value.name is None
    assert isinstance(value.children[0], Partial[Tree])
    assert value.children[0].children[0].name == "leaf"


def test_partial_type_keeps_aliases() -> None:
    value = Partial[Aliased].model_validate({"userName": "u", "e-mail": "e"})
    assert (value.user_name, value.email, value.nick) == ("u", "e", None)
    assert Partial[Aliased].model_fields["user_name"].alias == "userName"
    camel = Partial[Camel].model_validate({"firstName": "f", "favouriteItems": [{"itemId": 1}]})
    assert camel.first_name == "f"
    assert camel.favourite_items[0].item_id == 1


def test_partial_type_still_validates_types() -> None:
    with pytest.raises(pydantic.ValidationError):
        Partial[User].model_validate({"age": "not a number"})


def test_partial_type_refuses_what_is_not_a_model() -> None:
    with pytest.raises(TypeError):
        Partial[Point]  # type: ignore[misc]


def test_partial_type_of_a_list_of_discriminated_unions() -> None:
    value = Partial[Shelter].model_validate({"pets": [{"kind": "cat"}]})
    assert value.pets[0].kind == "cat"


def test_partial_type_with_a_default_factory_taking_data() -> None:
    assert Partial[_DataDefault]().a is None


def test_model_stream_types_are_the_public_names() -> None:
    assert midstream.ModelStream is ModelStream
    assert {"ModelStream", "stream", "PartialStream", "AsyncPartialStream", "Partial", "iter_items"} <= set(
        midstream.__all__
    )


@pytest.mark.parametrize("tp", [list[int], Optional[list[int]], dict[str, int]])  # noqa: UP045 - the title differs
def test_error_title_is_pydantics(tp: Any) -> None:
    text = '["x"]' if tp is not dict[str, int] else '{"a": "x"}'
    stream = ModelStream(tp)
    stream.feed(text)
    with pytest.raises(pydantic.ValidationError) as ours:
        stream.finish()
    with pytest.raises(pydantic.ValidationError) as theirs:
        pydantic.TypeAdapter(tp).validate_json(text)
    assert ours.value.title == theirs.value.title
    assert [(e["loc"], e["type"]) for e in ours.value.errors()] == [
        (e["loc"], e["type"]) for e in theirs.value.errors()
    ]


# --- issue 13, item 2: huge numbers for floats; any exception inside a feed is sticky ------------------------------


class Measure(BaseModel):
    x: float
    y: float | None = None
    xs: list[float] = []


@pytest.mark.parametrize("digits", [16, 17, 309, 400, 4000])
@pytest.mark.parametrize("sign", ["", "-"])
def test_a_float_given_a_huge_integer_is_what_pydantic_gives(digits: int, sign: str) -> None:
    number = sign + "1" + "0" * digits
    text = f'{{"x": {number}, "y": {number}, "xs": [{number}, 9007199254740993]}}'
    want = Measure.model_validate_json(text)
    for size in (1, 7, len(text)):
        stream = ModelStream(Measure)
        for start in range(0, len(text), size):
            stream.feed(text[start : start + size])
        got = stream.finish()
        assert got == want and [type(v) for v in got.xs] == [float, float]
    assert pydantic.TypeAdapter(float).validate_json(number) == want.x


class Fragile(BaseModel):
    name: str
    code: str

    @field_validator("code")
    @classmethod
    def _explode(cls, value: str) -> str:
        if value == "boom":
            raise RuntimeError("a validator's own bug")  # not a ValueError: pydantic lets it through
        return value


class Fragiles(BaseModel):
    first: Fragile
    rest: list[Fragile]
    tail: dict[str, int]


def test_an_exception_from_inside_a_feed_is_sticky_and_keeps_what_was_shown() -> None:
    text = '{"first": {"name": "a", "code": "ok"}, "rest": [{"name": "b", "code": "boom"}, {"name": "c"'
    stream = ModelStream(Fragiles)
    stream.feed(text[:60])
    shown = stream.partial
    assert shown.first == Fragile(name="a", code="ok")
    with pytest.raises(RuntimeError, match="own bug") as raised:
        stream.feed(text[60:])
    # Every later call raises the same exception: the stream is not left half-applied and out of step.
    for call in (lambda: stream.feed(', "code": "x"}], "tail": {"k": 1}}'), stream.finish, lambda: stream.feed("")):
        with pytest.raises(RuntimeError) as again:
            call()
        assert again.value is raised.value
    # Nothing shown before is lost.
    assert stream.partial is not None and stream.partial.first == shown.first
    assert shown.first == Fragile(name="a", code="ok")


def test_iter_items_and_stream_make_an_inner_exception_sticky_too() -> None:
    text = (
        '{"first": {"name": "a", "code": "ok"}, "rest": [{"name": "b", "code": "ok"}, {"name": "c", "code": "boom"}]}'
    )
    got: list[Any] = []
    with pytest.raises(RuntimeError, match="own bug"):
        for item in midstream.iter_items(Fragile, [text[:80], text[80:]], path=("rest",)):
            got.append(item)
    assert got == [Fragile(name="b", code="ok")]  # what finished before it is handed over
    partials = midstream.stream(Fragiles, [text[:80], text[80:]])
    with pytest.raises(RuntimeError, match="own bug"):
        list(partials)
