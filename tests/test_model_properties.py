"""Property tests of the Pydantic layer: typed partials follow the partial-value contract (DESIGN.md).

Instances of a range of types (``tests/models.py`` and a few below) are generated, written out as JSON with random
whitespace, key order and escaping by a test-side writer that records the byte span of every value, and fed to
``ModelStream`` in random 1-8 byte (or character) chunks. From the spans alone the tests know which values have
finished after each chunk (a number only once the byte after it is in), and check:

1. every partial is consistent with the final value: finished values equal the final's, open strings are prefixes,
   lists and dicts are prefixes, Literals, Enums and numbers appear only finished, unseen fields hold their default;
2. every partial refines the one before it: nothing shown changes (but by growing) or vanishes;
3. ``finish()`` equals pydantic's own ``validate_json`` of the whole text;
4. ``is_complete`` of each top-level field agrees with the spans;
5. validators run once per model instance in the document (as when pydantic validates the whole text), and never
   see unfinished data;
6. a document with one invalid leaf fails with pydantic's own errors, and with ``fail_fast`` on the chunk that ends
   the invalid part (for a number: the byte after it), not before.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import random
import types
import typing
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import jsonpatch  # type: ignore[import-untyped]
import models as M
import pydantic
import pytest
import typing_extensions
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from midstream.patch import apply
from midstream.pydantic import ModelStream, iter_items, stream
from pydantic import BaseModel, Field, TypeAdapter, field_validator, model_validator

JsonPath = tuple[str | int, ...]

# --- types of our own -------------------------------------------------------------------------------------------------

#: (validator, ident) for every validator call of the Counted models; problems they saw, as strings.
COUNTED_CALLS: Counter[tuple[str, int | None]] = Counter()
COUNTED_PROBLEMS: list[str] = []


def _ident(value: Any) -> int | None:
    """An ident as seen by a validator (a before validator may see anything in a broken document)."""
    return value if isinstance(value, int) else None


def _problem_if_none(where: str, **values: Any) -> None:
    for name, value in values.items():
        if value is None:
            COUNTED_PROBLEMS.append(f"{where} saw {name}=None")


class CountedLeaf(BaseModel):
    ident: int
    tag: Literal["x", "y"]

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str, info: pydantic.ValidationInfo) -> str:
        _problem_if_none("CountedLeaf.tag", tag=value, ident=info.data.get("ident"))
        COUNTED_CALLS["CountedLeaf.tag", info.data.get("ident")] += 1
        return value

    @model_validator(mode="after")
    def _after(self) -> CountedLeaf:
        _problem_if_none("CountedLeaf.after", ident=self.ident, tag=self.tag)
        COUNTED_CALLS["CountedLeaf.after", self.ident] += 1
        return self


class Counted(BaseModel):
    ident: int
    name: str
    weight: float
    leaf: CountedLeaf | None = None
    children: list[Counted] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: pydantic.ValidationInfo) -> str:
        _problem_if_none("Counted.name", name=value, ident=info.data.get("ident"))
        COUNTED_CALLS["Counted.name", info.data.get("ident")] += 1
        return value

    @model_validator(mode="before")
    @classmethod
    def _before(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            COUNTED_PROBLEMS.append(f"Counted.before saw {data!r}")
            return data
        _problem_if_none("Counted.before", ident=data.get("ident"), name=data.get("name"), weight=data.get("weight"))
        COUNTED_CALLS["Counted.before", _ident(data.get("ident"))] += 1
        return data

    @model_validator(mode="after")
    def _after(self) -> Counted:
        _problem_if_none("Counted.after", ident=self.ident, name=self.name, weight=self.weight)
        COUNTED_CALLS["Counted.after", self.ident] += 1
        return self


class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


@dataclass
class Reading:
    """A plain dataclass with a Literal, an Enum, numbers and a nested model."""

    sensor: str
    value: float
    unit: Literal["C", "F"]
    level: Level
    where: M.Geo
    tags: list[str]
    count: int | None = None


class Event(typing_extensions.TypedDict):
    name: str
    level: Level
    points: list[int]
    origin: M.Address
    note: typing_extensions.NotRequired[str]


# --- strategies for instances -----------------------------------------------------------------------------------------

texts = st.text(st.characters(codec="utf-8"), max_size=12)
finite = st.floats(allow_nan=False, allow_infinity=False)


def adapter(tp: Any) -> TypeAdapter[Any]:
    """A TypeAdapter for ``tp``, built once."""
    try:
        return _adapters[tp]
    except KeyError:
        made = _adapters[tp] = TypeAdapter(tp)
        return made
    except TypeError:  # unhashable (Annotated with a FieldInfo)
        return TypeAdapter(tp)


_adapters: dict[Any, TypeAdapter[Any]] = {}


def _roundtrips(tp: Any) -> Any:
    adapter_ = adapter(tp)

    def check(value: Any) -> bool:
        """Whether ``value`` survives JSON (no NaN written as null, no lossy float)."""
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                return bool(adapter_.validate_json(adapter_.dump_json(value, by_alias=True)) == value)
            except (ValueError, Warning):
                return False

    return check


def instances(tp: Any, strategy: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Any]:
    """Valid values of ``tp``: ``st.from_type`` unless a strategy is given; only values that survive JSON."""
    return (strategy if strategy is not None else st.from_type(tp)).filter(_roundtrips(tp))


trees = st.recursive(
    st.builds(M.Tree, name=texts, children=st.just([])),
    lambda kids: st.builds(M.Tree, name=texts, children=st.lists(kids, max_size=3)),
    max_leaves=8,
)
camels = st.builds(
    M.Camel,
    first_name=texts,
    last_name=texts,
    favourite_items=st.lists(st.builds(M.CamelItem, item_id=st.integers(), display_name=texts), max_size=3),
)
settings_ = st.builds(
    M.Settings,
    theme=texts,
    retries=st.integers(),
    tags=st.lists(texts, max_size=3),
    limits=st.dictionaries(texts, st.integers(), max_size=3),
    owner=st.none() | st.from_type(M.User),
)
everything = st.builds(M.Everything, tree=trees)


@st.composite
def counted_data(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {"ident": 0, "name": draw(texts), "weight": draw(finite)}
    if draw(st.booleans()):
        data["leaf"] = {"ident": 0, "tag": draw(st.sampled_from("xy"))}
    if depth < 2 and draw(st.booleans()):
        data["children"] = draw(st.lists(counted_data(depth + 1), max_size=3))
    return data


def _number_idents(value: Any, counter: Iterator[int]) -> None:
    """Give every Counted and CountedLeaf in ``value`` its own ident."""
    if isinstance(value, dict):
        if "ident" in value:
            value["ident"] = next(counter)
        for child in value.values():
            _number_idents(child, counter)
    elif isinstance(value, list):
        for child in value:
            _number_idents(child, counter)


def counted_instances(tp: Any) -> st.SearchStrategy[Any]:
    def build(data: Any) -> Any:
        _number_idents(data, iter(range(1, 10**6)))
        return adapter(tp).validate_python(data)

    data = st.lists(counted_data(), max_size=4) if tp != Counted else counted_data()
    return data.map(build)


#: The range of types, each with a strategy for its values.
CASES: dict[str, tuple[Any, st.SearchStrategy[Any]]] = {
    name: (tp, instances(tp, strategy))
    for name, tp, strategy in [
        ("User", M.User, None),
        ("Account", M.Account, None),
        ("Company", M.Company, None),
        ("Order", M.Order, None),
        ("Cart", M.Cart, None),
        ("Inventory", M.Inventory, None),
        ("Aliased", M.Aliased, None),
        ("Camel", M.Camel, camels),
        ("Settings", M.Settings, settings_),
        ("Owner", M.Owner, None),
        ("Shelter", M.Shelter, None),
        ("Drawing", M.Drawing, None),
        ("Tree", M.Tree, trees),
        ("Film", M.Film, None),
        ("Limited", M.Limited, None),
        ("Strict", M.Strict, None),
        ("Everything", M.Everything, everything),
        ("Counted", Counted, counted_instances(Counted)),
        ("list[Item]", list[M.Item], None),
        ("list[Counted]", list[Counted], counted_instances(list[Counted])),
        ("Point (dataclass)", M.Point, st.builds(M.Point, tags=st.lists(texts, max_size=3))),
        ("PydanticPoint (pydantic dataclass)", M.PydanticPoint, None),
        ("Reading (dataclass)", Reading, None),
        ("Movie (TypedDict)", M.Movie, None),
        ("Event (TypedDict)", Event, None),
    ]
}
CASE_NAMES = sorted(CASES)


# --- the test-side writer ---------------------------------------------------------------------------------------------

CONTAINERS = ("object", "array")
GAPS = ("", " ", "\n", "\n  ", "\t", "\r\n", "  ", "\n\t\t")


@dataclass(frozen=True)
class Span:
    """Where a value is in the text: bytes ``[start, end)``, and its JSON kind."""

    start: int
    end: int
    kind: str  # "object", "array", "string", "number" or "literal"

    def done(self, fed: int) -> bool:
        """Whether the value has finished once ``fed`` bytes are in (a number: once the byte after it is)."""
        return self.end < fed if self.kind == "number" else self.end <= fed


class Writer:
    """Writes a JSON value with random whitespace, key order and escaping, recording every value's span."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.space = rnd.choice((0.0, 0.0, 0.3, 1.0))  # how often there is whitespace between tokens
        self.ascii = rnd.choice((0.0, 0.5, 1.0))  # how often a string is written with \u escapes only
        self.shuffle = rnd.random() < 0.3
        self.out = bytearray()
        self.spans: dict[JsonPath, Span] = {}

    def document(self, value: Any) -> bytes:
        self.gap()
        self.value(value, ())
        self.gap()
        return bytes(self.out)

    def gap(self) -> None:
        if self.space and self.rnd.random() < self.space:
            self.out += self.rnd.choice(GAPS).encode()

    def value(self, value: Any, path: JsonPath) -> None:
        start = len(self.out)
        if isinstance(value, dict):
            kind = "object"
            self.out += b"{"
            items = list(value.items())
            if self.shuffle:
                self.rnd.shuffle(items)
            for index, (key, item) in enumerate(items):
                self.out += b"," if index else b""
                self.gap()
                self.string(key)
                self.gap()
                self.out += b":"
                self.gap()
                self.value(item, (*path, key))
                self.gap()
            self.out += b"}"
        elif isinstance(value, list):
            kind = "array"
            self.out += b"["
            for index, item in enumerate(value):
                self.out += b"," if index else b""
                self.gap()
                self.value(item, (*path, index))
                self.gap()
            self.out += b"]"
        elif isinstance(value, str):
            kind = "string"
            self.string(value)
        elif value is None or isinstance(value, bool):
            kind = "literal"
            self.out += json.dumps(value).encode()
        else:
            kind = "number"
            self.out += (str(value) if isinstance(value, int) else self.float_text(value)).encode()
        self.spans[path] = Span(start, len(self.out), kind)

    def string(self, text: str) -> None:
        self.out += json.dumps(text, ensure_ascii=self.rnd.random() < self.ascii).encode()

    def float_text(self, value: float) -> str:
        return self.rnd.choice((repr(value), repr(value), f"{value:.17e}", f"{value:.17g}", repr(value).upper()))


@dataclass
class Doc:
    tp: Any
    data: Any  # the JSON value written
    text: bytes
    spans: dict[JsonPath, Span]

    @property
    def adapter(self) -> TypeAdapter[Any]:
        return adapter(self.tp)


def write(tp: Any, data: Any, rnd: random.Random) -> Doc:
    writer = Writer(rnd)
    text = writer.document(data)
    assert json.loads(text) == data, "test writer"
    return Doc(tp, data, text, writer.spans)


def json_data(tp: Any, value: Any, rnd: random.Random) -> Any:
    """``value`` as JSON data, keys by alias, sometimes without the fields that hold their default."""
    dumped = adapter(tp).dump_json(value, by_alias=True, exclude_defaults=rnd.random() < 0.3)
    return json.loads(dumped)


@st.composite
def documents(draw: st.DrawFn, names: list[str] | None = None) -> Doc:
    name = draw(st.sampled_from(names or CASE_NAMES), label="type")
    tp, strategy = CASES[name]
    value = draw(strategy, label="value")
    rnd = draw(st.randoms(use_true_random=False), label="writer")
    return write(tp, json_data(tp, value, rnd), rnd)


# --- chunkings --------------------------------------------------------------------------------------------------------


#: How a document is cut: token-sized chunks most often (1-8 bytes), network-sized ones (up to a few hundred bytes:
#: whole records arrive in one chunk, which ``ModelStream`` validates from their text), or the whole document at once
#: (validated in one call).
CHUNK_SIZES = st.one_of(
    st.lists(st.integers(1, 8), min_size=1, max_size=40),
    st.lists(st.integers(1, 8), min_size=1, max_size=40),
    st.lists(st.integers(1, 400), min_size=1, max_size=8),
    st.just([1 << 30]),
)


def chunked(data: st.DataObject, text: bytes) -> list[tuple[bytes | str, int]]:
    """The chunks to feed (cut anywhere, even inside a UTF-8 sequence, in bytes or characters: ``CHUNK_SIZES``) and,
    for each, how many bytes are in once it is fed."""
    sizes = data.draw(CHUNK_SIZES, label="chunk sizes")
    document: bytes | str = text
    if data.draw(st.booleans(), label="feed str"):
        document = text.decode("utf-8")
    chunks: list[tuple[bytes | str, int]] = []
    position = fed = 0
    while position < len(document):
        piece = document[position : position + sizes[len(chunks) % len(sizes)]]
        position += len(piece)
        fed += len(piece.encode("utf-8")) if isinstance(piece, str) else len(piece)
        chunks.append((piece, fed))
    return chunks


# --- snapshots, consistency, refinement -------------------------------------------------------------------------------


def _is_dataclass_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _field_default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


_SCALARS = (str, int, float, bool, type(None))


def snap(value: Any) -> Any:
    """A deep copy of a partial (partials are updated in place) in plain terms.

    A model becomes ``("model", cls, {field: value}, {unset field: value})``, split by whether the field has been
    given a value; a dataclass ``("dataclass", cls, {field: (value, holds its default)})``."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [snap(item) for item in value]
    if kind is dict:
        return {key: snap(item) for key, item in value.items()}
    if isinstance(value, BaseModel):
        given = value.model_fields_set
        items = value.__dict__
        fields = {name: snap(items[name]) for name in kind.model_fields if name in given}
        return ("model", kind, fields, {name: snap(items[name]) for name in kind.model_fields if name not in given})
    if _is_dataclass_instance(value):
        fields = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            fields[field.name] = (snap(item), item is None or item == _field_default(field))
        return ("dataclass", kind, fields)
    return value  # an Enum member


def same(a: Any, b: Any) -> bool:
    """Equality of snapshots, strict about types (``1`` is not ``1.0`` or ``True``) and float signs."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    return bool(a == b)


def refines(old: Any, new: Any) -> bool:
    """Whether snapshot ``new`` can follow ``old``: strings only grow, lists and dicts only gain (their items
    refining), a field once given stays, and anything finished stays as it is."""
    if old is None:
        return True
    if type(old) is not type(new):
        return False
    if isinstance(old, str):
        return new.startswith(old)
    if isinstance(old, list):
        return len(new) >= len(old) and all(refines(x, y) for x, y in zip(old, new, strict=False))
    if isinstance(old, dict):
        # (Key order is not compared: a finished TypedDict comes back from pydantic in declaration order.)
        return old.keys() <= new.keys() and all(refines(old[key], new[key]) for key in old)
    if isinstance(old, tuple) and old[0] == "model":
        return (
            old[1] is new[1]
            and old[2].keys() <= new[2].keys()
            and all(refines(v, new[2][k]) for k, v in old[2].items())
        )
    if isinstance(old, tuple) and old[0] == "dataclass":
        return old[1] is new[1] and all(
            defaulted or refines(value, new[2][name][0]) for name, (value, defaulted) in old[2].items()
        )
    return same(old, new)


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) in (Annotated, typing_extensions.NotRequired, typing_extensions.Required):
        annotation = get_args(annotation)[0]
    return annotation


@functools.cache
def _fields(tp: Any) -> dict[str, Any]:
    """The annotations of a model, dataclass or TypedDict, by attribute name."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {name: info.annotation for name, info in tp.model_fields.items()}
    return typing.get_type_hints(tp, include_extras=True)


@functools.cache
def _default_snap(cls: type[BaseModel], name: str) -> Any:
    """What a model's field holds before it is given a value: None if required, else its default."""
    info = cls.model_fields[name]
    return None if info.is_required() else snap(info.get_default(call_default_factory=True))


def _pick(options: tuple[Any, ...], final: Any) -> Any:
    """The option of a union that ``final`` (a snapshot of a value of it, not None) belongs to."""
    options = tuple(_strip(option) for option in options if option is not type(None))
    if len(options) == 1:
        return options[0]
    if isinstance(final, tuple):
        return final[1]
    return next(option for option in options if isinstance(final, get_origin(option) or option))


def check_consistent(partial: Any, final: Any, tp: Any, where: str = "") -> None:
    """Snapshot ``partial`` could become snapshot ``final`` (of a value of type ``tp``); AssertionError if not."""
    if partial is None:
        return  # not begun (a Literal, Enum or number: not finished)
    tp = _strip(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        assert final is not None, f"{where}: {partial!r} shown, the final value is None"
        check_consistent(partial, final, _pick(get_args(tp), final), where)
        return
    if isinstance(final, tuple):  # a model or dataclass
        assert isinstance(partial, tuple) and partial[1] is final[1], f"{where}: {partial!r} shown, want {final!r}"
        hints = _fields(final[1])
        if final[0] == "model":
            for name, shown in partial[3].items():
                assert same(shown, _default_snap(final[1], name)), f"{where}.{name}: unseen field shows {shown!r}"
            for name, shown in partial[2].items():
                assert name in final[2], f"{where}.{name}: given a value the document does not have"
                check_consistent(shown, final[2][name], hints[name], f"{where}.{name}")
        else:
            for name, (shown, defaulted) in partial[2].items():
                if not defaulted:
                    check_consistent(shown, final[2][name][0], hints[name], f"{where}.{name}")
        return
    if typing_extensions.is_typeddict(tp):
        assert isinstance(partial, dict), f"{where}: {partial!r}"
        hints = _fields(tp)
        assert partial.keys() <= final.keys(), f"{where}: keys {list(partial)} not in {list(final)}"
        for key, shown in partial.items():
            check_consistent(shown, final[key], hints[key], f"{where}.{key}")
        return
    if origin is list:
        assert isinstance(partial, list) and len(partial) <= len(final), f"{where}: {partial!r} vs {final!r}"
        for index, item in enumerate(partial[:-1]):
            assert same(item, final[index]), f"{where}[{index}]: {item!r} before the last item, want {final[index]!r}"
        if partial:
            check_consistent(partial[-1], final[len(partial) - 1], get_args(tp)[0], f"{where}[{len(partial) - 1}]")
        return
    if origin is dict:
        assert isinstance(partial, dict), f"{where}: {partial!r}"
        keys = list(partial)
        assert keys == list(final)[: len(keys)], f"{where}: keys {keys} vs {list(final)}"
        for key in keys[:-1]:
            assert same(partial[key], final[key]), f"{where}[{key!r}]: {partial[key]!r}, want {final[key]!r}"
        if keys:
            check_consistent(partial[keys[-1]], final[keys[-1]], get_args(tp)[1], f"{where}[{keys[-1]!r}]")
        return
    if tp is str:
        assert isinstance(partial, str) and final.startswith(partial), f"{where}: {partial!r} vs {final!r}"
        return
    # A number, bool, Literal or Enum: only ever shown finished.
    assert same(partial, final), f"{where}: {partial!r} shown, the final value is {final!r}"


def at_path(value: Any, path: JsonPath) -> Any:
    """The value at a JSON path (keys as in the document) of a partial or final value; None if not there."""
    for step in path:
        if value is None:
            return None
        if isinstance(value, BaseModel):
            value = value.__dict__[_field_name(type(value), step)]
        elif _is_dataclass_instance(value):
            value = getattr(value, _field_name(type(value), step))
        elif isinstance(value, dict):
            value = value.get(step)
        else:
            value = value[step] if step < len(value) else None  # type: ignore[operator]
    return value


@functools.cache
def _field_name(cls: Any, key: str | int) -> str:
    """The attribute a JSON key fills (by alias, validation alias or name)."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        fields = cls.model_fields
    else:
        fields = getattr(cls, "__pydantic_fields__", None)
        if fields is None:
            return str(key)
    for name, info in fields.items():
        alias = info.validation_alias
        keys = {name, info.alias}
        if isinstance(alias, str):
            keys.add(alias)
        elif isinstance(alias, pydantic.AliasChoices):
            keys.update(choice for choice in alias.choices if isinstance(choice, str))
        if key in keys:
            return name
    raise KeyError(key)


# --- what the type says about each value of a document ----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A value in a document, with what the type says about it."""

    path: JsonPath
    #: the path of the innermost union of several records the value is strictly inside, if any
    union: JsonPath | None = None
    #: the value is a union of several records (shown once its variant is known)
    is_union: bool = False
    #: a ``str`` (shown, growing, as soon as its opening quote is in)
    grows: bool = False
    #: the outermost model around the value that validates its fields from the raw input (a ``before`` or ``wrap``
    #: validator): an invalid value there may fail only when that model ends
    deferred: JsonPath | None = None

    @property
    def shown_while_open(self) -> bool:
        """Whether the contract says the value shows as soon as it begins (its container is on show)."""
        return self.union is None and not self.is_union


_RAW_MODES = ("before", "wrap", "plain")


def _validates_raw(tp: Any) -> bool:
    """Whether a model or pydantic dataclass has a validator that takes raw input: for the whole (``before`` or
    ``wrap`` model validator), or for a field."""
    decorators = getattr(tp, "__pydantic_decorators__", None)
    if decorators is None:
        return False
    if any(d.info.mode in ("before", "wrap") for d in decorators.model_validators.values()):
        return True
    if any(d.info.mode in _RAW_MODES for d in decorators.field_validators.values()):
        return True
    fields = getattr(tp, "__pydantic_fields__", {})
    kinds = (pydantic.BeforeValidator, pydantic.WrapValidator, pydantic.PlainValidator)
    return any(isinstance(item, kinds) for info in fields.values() for item in info.metadata)


def places(
    tp: Any, value: Any, path: JsonPath = (), union: JsonPath | None = None, deferred: JsonPath | None = None
) -> Iterator[Place]:
    """Every value of a (valid or broken) document of type ``tp``, parents first."""
    tp = _strip(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [option for option in get_args(tp) if option is not type(None)]
        if value is None:
            yield Place(path, union, deferred=deferred)
        elif len(options) == 1:
            yield from places(options[0], value, path, union, deferred)
        else:
            yield Place(path, union, is_union=True, deferred=deferred)
            for option in options:  # the variant that the data is: the one that validates it
                try:
                    adapter(option).validate_python(value)
                except pydantic.ValidationError:
                    continue
                yield from list(places(option, value, path, path, deferred))[1:]
                break
        return
    is_typeddict = typing_extensions.is_typeddict(tp)
    yield Place(path, union, grows=tp is str and isinstance(value, str), deferred=deferred)
    record = isinstance(tp, type) and (issubclass(tp, BaseModel) or dataclasses.is_dataclass(tp) or is_typeddict)
    if record and isinstance(value, dict):
        if deferred is None and _validates_raw(tp):
            deferred = path
        hints = _fields(tp)
        for key, item in value.items():
            name = key if is_typeddict else _field_name(tp, key)
            yield from places(hints[name], item, (*path, key), union, deferred)
    elif origin is list and isinstance(value, list):
        for index, item in enumerate(value):
            yield from places(get_args(tp)[0], item, (*path, index), union, deferred)
    elif origin is dict and isinstance(value, dict):
        for key, item in value.items():
            yield from places(get_args(tp)[1], item, (*path, key), union, deferred)


# --- 1, 2, 4: partials are consistent, refine each other, and completeness is exact -----------------------------------


def _names_of(tp: Any, key: str | int) -> list[str | int]:
    """The ways to name a top-level member in ``is_complete``: its JSON key, and a model field's name."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [key, _field_name(tp, key)]
    return [key]


#: Settings for a test run once per type of the range: a share of the profile's examples.
PER_TYPE = settings(max_examples=max(1, settings.default.max_examples // 5))


@pytest.mark.parametrize("name", CASE_NAMES)
@given(data=st.data())
@PER_TYPE
def test_partials_are_consistent_refining_and_exactly_complete(name: str, data: st.DataObject) -> None:
    doc = data.draw(documents([name]), label="document")
    final = doc.adapter.validate_json(doc.text)
    final_snap = snap(final)
    where_is = {place.path: place for place in places(doc.tp, doc.data)}
    assert where_is.keys() == doc.spans.keys()
    ms = ModelStream(doc.tp)
    assert ms.partial is None
    previous: Any = None
    done_before: set[JsonPath] = set()
    fed_before = 0
    members = [(path, span) for path, span in doc.spans.items() if len(path) == 1]
    for piece, fed in chunked(data, doc.text):
        where = f"after {fed} bytes of {doc.text!r}"
        ms.feed(piece)
        partial = ms.partial
        if fed <= doc.spans[()].start:
            assert partial is None, where
            continue
        now = snap(partial)
        # 1. consistent with the final value ...
        check_consistent(now, final_snap, doc.tp, f"partial {where}: root")
        done_now = {path for path, span in doc.spans.items() if span.done(fed)}
        for path, span in doc.spans.items():
            place = where_is[path]
            if path in done_now and path not in done_before and place.union is None:
                # ... a value is shown as it finally is as soon as it finishes ...
                got, want = snap(at_path(partial, path)), snap(at_path(final, path))
                assert same(got, want), f"finished {path} {where}: {got!r}, want {want!r}"
            elif fed_before <= span.start < fed and place.shown_while_open and (place.grows or span.kind in CONTAINERS):
                # ... and a container or a str as soon as it begins (the refinement check below keeps it there).
                assert at_path(partial, path) is not None, f"{path} begun but not shown {where}: {partial!r}"
        # 2. a refinement of the partial before
        assert refines(previous, now), f"{where}: {previous!r} -> {now!r}"
        # 4. completeness of the root and of each top-level member
        assert ms.is_complete() == (() in done_now), f"is_complete() {where}"
        for path, span in members:
            for name in _names_of(doc.tp, path[0]):
                assert ms.is_complete((name,)) == span.done(fed), f"is_complete({name!r}) {where}"
        if isinstance(doc.tp, type) and issubclass(doc.tp, BaseModel):
            # ... and progress: the share of the model's fields that have finished
            finished = sum(1 for path, span in members if span.done(fed))
            expected = 1.0 if () in done_now else finished / len(doc.tp.model_fields)
            assert ms.progress == pytest.approx(expected), f"progress {where}"
        previous, done_before, fed_before = now, done_now, fed
    assert ms.finish() == final
    assert ms.complete


@pytest.mark.parametrize("name", CASE_NAMES)
@given(data=st.data())
@PER_TYPE
def test_partials_kept_never_change_and_share_their_finished_parts(name: str, data: st.DataObject) -> None:
    """Every partial handed out is a snapshot: kept, it still shows what it showed when handed out after the whole
    document is in; a partial that changed is a new object; a finished, validated part is the very same object in
    every partial after it finished (shared, not copied or validated again)."""
    doc = data.draw(documents([name]), label="document")
    # Inside a part validated from its raw value (a union's, a `before` validator's), a finished part is shown but
    # validated only with that part: not final yet.
    validated_alone = {
        place.path for place in places(doc.tp, doc.data) if place.deferred is None and place.union is None
    }
    # Keep every partial, none (the loop variable alone holds the latest while the next chunk is fed), or some.
    keeping = data.draw(st.sampled_from(["all", "latest", "some"]), label="keeping")
    ms = ModelStream(doc.tp)
    kept: list[tuple[str, Any, Any]] = []
    previous: tuple[Any, Any] | None = None
    finished: dict[JsonPath, Any] = {}  # validated instances, by path, as first seen finished
    for piece, fed in chunked(data, doc.text):
        partial = ms.feed(piece)
        if partial is None:
            continue
        where = f"after {fed} bytes of {doc.text!r}"
        now = snap(partial)
        if previous is not None:
            assert same(snap(previous[0]), previous[1]), f"the partial before changed {where}"
            if not same(previous[1], now):
                assert partial is not previous[0], f"a changed partial is the same object as the one before {where}"
        previous = (partial, now)
        if keeping == "all" or (keeping == "some" and data.draw(st.booleans(), label="keep")):
            kept.append((where, partial, now))
        for path, span in doc.spans.items():
            value = at_path(partial, path)
            if not (span.done(fed) and path in validated_alone):
                continue
            if isinstance(value, BaseModel) or _is_dataclass_instance(value):
                assert finished.setdefault(path, value) is value, f"finished {path} copied {where}"
    final = ms.finish()
    for where, partial, then in kept:
        assert same(snap(partial), then), f"the partial handed out {where} changed later"
    for path, value in finished.items():
        assert at_path(final, path) is value, f"the final value does not share the finished {path}"


def canonical(value: Any) -> str:
    """JSON text with sorted keys: ``1`` is not ``1.0`` nor ``true``, and member order does not count."""
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("name", CASE_NAMES)
@given(data=st.data())
@PER_TYPE
def test_drained_patches_rebuild_the_json_of_every_partial(name: str, data: st.DataObject) -> None:
    """``drain_patches`` at random moments: applying every batch in turn from ``None`` gives exactly the JSON form of
    the partial at that moment (``TypeAdapter(tp).dump_python(partial, mode="json")``), with ``midstream.patch.apply``
    on midstream's form and with the ``jsonpatch`` library on the RFC 6902 form (drained from a twin stream fed
    the same chunks); after ``finish()``, the final value's. With ``exclude_unset`` (fields not seen yet left out)
    or without. Members compare in any order (JSON Patch adds a member at the end; a TypedDict dumps in declaration
    order)."""
    doc = data.draw(documents([name]), label="document")
    unset = data.draw(st.booleans(), label="exclude_unset")
    dump = functools.partial(adapter(doc.tp).dump_python, mode="json", warnings=False, exclude_unset=unset)
    ours, twin = ModelStream(doc.tp), ModelStream(doc.tp)
    built: Any = None
    standard: Any = None

    def drain(where: str) -> None:
        nonlocal built, standard
        batch, rfc = ours.drain_patches(exclude_unset=unset), twin.drain_patches("rfc6902", exclude_unset=unset)
        assert all(op["op"] != "append" for op in rfc), rfc
        want = None if ours.partial is None else dump(ours.partial)
        built = apply(built, batch)
        assert canonical(built) == canonical(want), f"midstream form {where}, after {batch!r}"
        standard = jsonpatch.apply_patch(standard, rfc) if rfc else standard
        assert canonical(standard) == canonical(want), f"rfc6902 form {where}, after {rfc!r}"

    for piece, fed in chunked(data, doc.text):
        ours.feed(piece)
        twin.feed(piece)
        if data.draw(st.integers(0, 2), label="drain") == 0:
            drain(f"after {fed} bytes of {doc.text!r}")
    ours.finish()
    twin.finish()
    drain("after finish()")
    assert canonical(built) == canonical(dump(ours.finish()))
    assert ours.drain_patches(exclude_unset=unset) == [] == twin.drain_patches("rfc6902", exclude_unset=unset)


# --- 3: finish() is pydantic's own answer -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASE_NAMES)
@given(data=st.data())
@PER_TYPE
def test_finish_equals_validate_json(name: str, data: st.DataObject) -> None:
    tp, strategy = CASES[name]
    value = data.draw(strategy, label="value")
    whole = adapter(tp)
    if data.draw(st.booleans(), label="pydantic's own JSON"):
        text = whole.dump_json(value, by_alias=True, indent=data.draw(st.sampled_from([None, 2]), label="indent"))
    else:
        rnd = data.draw(st.randoms(use_true_random=False), label="writer")
        text = write(tp, json_data(tp, value, rnd), rnd).text
    expected = whole.validate_json(text)
    chunks = [piece for piece, _ in chunked(data, text)]
    is_list = get_origin(tp) is list
    how = data.draw(st.sampled_from(["ModelStream", "stream", *(["iter_items"] if is_list else [])]), label="driver")
    if how == "ModelStream":
        ms = ModelStream(tp)
        for piece in chunks:
            ms.feed(piece)
        got = ms.finish()
        assert ms.finish() == got  # finish() again gives the same
    elif how == "stream":
        got = stream(tp, chunks).final()
    else:
        got = list(iter_items(get_args(tp)[0], chunks))
    assert got == expected
    assert type(got) is type(expected)


# --- 5: validators run once per instance, on finished data only -------------------------------------------------------


def _whole_and_streamed_calls(tp: Any, text: bytes, chunks: list[bytes | str]) -> tuple[Counter[Any], Counter[Any]]:
    COUNTED_CALLS.clear()
    M.CALLS.clear()
    adapter(tp).validate_json(text)
    whole = COUNTED_CALLS + M.CALLS
    COUNTED_CALLS.clear()
    M.CALLS.clear()
    ms = ModelStream(tp)
    for piece in chunks:
        ms.feed(piece)
    ms.finish()
    return whole, COUNTED_CALLS + M.CALLS


def _instances(data: Any) -> Iterator[tuple[str, int]]:
    """``(model, ident)`` of every Counted and CountedLeaf in the JSON data."""
    if isinstance(data, dict):
        if "tag" in data:
            yield "CountedLeaf", data["ident"]
        elif "ident" in data:
            yield "Counted", data["ident"]
        for child in data.values():
            yield from _instances(child)
    elif isinstance(data, list):
        for child in data:
            yield from _instances(child)


@given(doc=documents(["Counted", "list[Counted]"]), data=st.data())
def test_validators_run_once_per_instance(doc: Doc, data: st.DataObject) -> None:
    COUNTED_PROBLEMS.clear()
    # Not compared with pydantic's own count here: validating a whole ``list[Counted]`` (a self-referencing model
    # with a before and an after validator) runs pydantic's after validator twice per item.
    _, streamed = _whole_and_streamed_calls(doc.tp, doc.text, [piece for piece, _ in chunked(data, doc.text)])
    expected: Counter[tuple[str, int | None]] = Counter()
    for model, ident in _instances(doc.data):
        if model == "Counted":
            expected.update({("Counted.name", ident): 1, ("Counted.before", ident): 1, ("Counted.after", ident): 1})
        else:
            expected.update({("CountedLeaf.tag", ident): 1, ("CountedLeaf.after", ident): 1})
    assert streamed == expected
    assert COUNTED_PROBLEMS == []


outers = st.builds(
    M.Outer,
    title=texts,
    inner=st.builds(M.Inner, code=texts),
    inners=st.lists(st.builds(M.Inner, code=texts), max_size=3),
)
counted_trees = st.recursive(
    st.builds(M.CountedTree, name=texts, children=st.just([])),
    lambda kids: st.builds(M.CountedTree, name=texts, children=st.lists(kids, max_size=3)),
    max_leaves=8,
)


@given(
    case=st.sampled_from(
        [(M.Outer, outers), (M.CountedTree, counted_trees), (list[M.Outer], st.lists(outers, max_size=3))]
    ),
    rnd=st.randoms(use_true_random=False),
    data=st.data(),
)
def test_validators_run_as_often_as_in_whole_validation(case: Any, rnd: random.Random, data: st.DataObject) -> None:
    tp, strategy = case
    value = data.draw(strategy, label="value")
    doc = write(tp, json_data(tp, value, rnd), rnd)
    whole, streamed = _whole_and_streamed_calls(tp, doc.text, [piece for piece, _ in chunked(data, doc.text)])
    assert streamed == whole


# --- 6: invalid documents ---------------------------------------------------------------------------------------------


#: Replacements by the JSON kind of the value replaced: invalid for every type in the range that holds that kind.
BAD = {
    "string": [5, [], {}, True],
    "number": ["abc", True, [], {}],
    "bool": ["maybe", 7, []],
    "object": ["x", 5, []],
    "array": [5, "x", {}],
}


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return None  # null: valid more often than not (an Optional), left alone


def replaced(data: Any, path: JsonPath, new: Any) -> Any:
    if not path:
        return new
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = replaced(data[path[0]], path[1:], new)
    return copy


def error_set(error: pydantic.ValidationError) -> set[tuple[Any, str]]:
    return {(tuple(e["loc"]), e["type"]) for e in error.errors()}


@st.composite
def broken_documents(draw: st.DrawFn, name: str) -> tuple[Doc, Place]:
    """A valid document with one value replaced by one of the wrong kind; and where it is."""
    doc = draw(documents([name]))
    candidates = [place for place in places(doc.tp, doc.data) if place.path and _kind(at_data(doc.data, place.path))]
    assume(candidates)
    place = draw(st.sampled_from(candidates), label="place")
    new = draw(st.sampled_from(BAD[_kind(at_data(doc.data, place.path))]), label="new value")  # type: ignore[index]
    rnd = draw(st.randoms(use_true_random=False), label="writer")
    broken = write(doc.tp, replaced(doc.data, place.path, new), rnd)
    try:
        broken.adapter.validate_json(broken.text)
    except pydantic.ValidationError:
        return broken, place
    assume(False)  # still valid (an IntEnum takes true for 1, say)
    raise AssertionError("unreachable")


def at_data(data: Any, path: JsonPath) -> Any:
    for step in path:
        data = data[step]
    return data


def expected_error(doc: Doc) -> pydantic.ValidationError:
    try:
        doc.adapter.validate_json(doc.text)
    except pydantic.ValidationError as error:
        return error
    raise AssertionError(f"{doc.text!r} is valid")


@pytest.mark.parametrize("name", CASE_NAMES)
@given(data=st.data())
@PER_TYPE
def test_invalid_documents_fail_like_pydantic(name: str, data: st.DataObject) -> None:
    doc, _ = data.draw(broken_documents(name), label="broken document")
    expected = expected_error(doc)
    ms = ModelStream(doc.tp)
    for piece, _ in chunked(data, doc.text):
        ms.feed(piece)  # never raises without fail_fast
    with pytest.raises(pydantic.ValidationError) as caught:
        ms.finish()
    assert error_set(caught.value) == error_set(expected)
    assert {e["loc"] for e in ms.errors} == {e["loc"] for e in expected.errors()}
    with pytest.raises(pydantic.ValidationError):  # sticky
        ms.finish()


@pytest.mark.parametrize("name", CASE_NAMES)
@given(data=st.data())
@PER_TYPE
def test_fail_fast_raises_on_the_chunk_that_ends_the_invalid_part(name: str, data: st.DataObject) -> None:
    doc, place = data.draw(broken_documents(name), label="broken document")
    expected = expected_error(doc)
    span = doc.spans[place.path]
    # The first chunk after which the invalid part is complete. Inside a union of records it may fail as late as the
    # union's end (the variant may be decided only then); inside a model that validates the raw input, as late as
    # that model's end.
    chunks = chunked(data, doc.text)

    def chunk_ending(span: Span) -> int:
        return next(index for index, (_, fed) in enumerate(chunks) if span.done(fed))

    first = last = chunk_ending(span)
    for outer in (place.union, place.deferred):
        if outer is not None:
            last = max(last, chunk_ending(doc.spans[outer]))
    ms = ModelStream(doc.tp, fail_fast=True)
    raised_at = None
    for index, (piece, _) in enumerate(chunks):
        try:
            ms.feed(piece)
        except pydantic.ValidationError as error:
            raised_at = index
            caught = error
            break
    assert raised_at is not None, f"no chunk of {doc.text!r} raised"
    assert first <= raised_at <= last, f"raised on chunk {raised_at} ({chunks[raised_at]}), want {first}..{last}"
    assert error_set(caught) == error_set(expected)
    with pytest.raises(pydantic.ValidationError):  # sticky
        ms.feed(b" ")
    with pytest.raises(pydantic.ValidationError):
        ms.finish()


# --- the checkers themselves ------------------------------------------------------------------------------------------


def _user(**fields: Any) -> M.User:
    """A partial User as ModelStream builds them: fields not given hold None or their default."""
    values = {"name": None, "age": None, "active": True, "score": None, **fields}
    return M.User.model_construct(_fields_set=set(fields), **values)


FINAL_USER = snap(M.User(name="Ada", age=36, score=1.5))


@pytest.mark.parametrize(
    ("partial", "ok"),
    [
        (_user(), True),
        (_user(name="Ad"), True),
        (_user(name="Ada", age=36), True),
        (_user(name="Adb"), False),  # not a prefix
        (_user(age=3), False),  # half a number
        (_user(score=1.0), False),
        (_user(active=False), False),  # given a value the document does not have
        (M.User.model_construct(_fields_set=set(), name=None, age=None, active=False, score=None), False),
    ],
)
def test_check_consistent(partial: M.User, ok: bool) -> None:
    if ok:
        check_consistent(snap(partial), FINAL_USER, M.User)
    else:
        with pytest.raises(AssertionError):
            check_consistent(snap(partial), FINAL_USER, M.User)


@pytest.mark.parametrize(
    ("partial", "ok"),
    [
        ([M.Item(id=1, name="a"), M.Item.model_construct(_fields_set={"name"}, id=None, name="")], True),
        ([M.Item(id=1, name="b"), M.Item.model_construct(_fields_set=set(), id=None, name=None)], False),
        ([M.Item(id=1, name="a"), M.Item(id=2, name="b"), M.Item(id=3, name="c")], False),  # too long
        ([M.Account.model_construct(_fields_set=set(), name=None, role=None, status=None)], False),  # wrong class
    ],
)
def test_check_consistent_lists(partial: list[Any], ok: bool) -> None:
    final = snap([M.Item(id=1, name="a"), M.Item(id=2, name="bc")])
    if ok:
        check_consistent(snap(partial), final, list[M.Item])
    else:
        with pytest.raises(AssertionError):
            check_consistent(snap(partial), final, list[M.Item])


@pytest.mark.parametrize(
    ("old", "new", "ok"),
    [
        (None, _user(), True),
        (_user(name="A"), _user(name="Ad", age=3), True),
        (_user(name="Ad"), _user(name="A"), False),
        (_user(name="Ad"), _user(), False),  # a field that vanished
        (_user(age=3), _user(age=36), False),
        ({"a": [1]}, {"a": [1, 2], "b": "x"}, True),
        ({"a": [1, 2]}, {"a": [1]}, False),
        ({"a": "x"}, {"b": "x"}, False),
        ({"a": 1}, {"a": 1.0}, False),
    ],
)
def test_refines(old: Any, new: Any, ok: bool) -> None:
    assert refines(snap(old), snap(new)) is ok


# --- regressions: bugs the properties above found (fixed since) -------------------------------------------------------


class _Named(BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    email: str = Field(validation_alias="e-mail")


def test_is_complete_finds_a_field_read_by_another_of_its_names() -> None:
    """Found by the completeness property: is_complete looked a field up only under its first JSON key (the
    validation alias), though the document used the field name, which pydantic accepts with populate_by_name."""
    text = b'{"email":""}'
    assert _Named.model_validate_json(text) == _Named(email="")
    ms = ModelStream(_Named)
    ms.feed(text)
    assert ms.finish() == _Named(email="")
    assert ms.is_complete(("email",))  # was False: it asked the parser about ("e-mail",) only


def test_progress_counts_a_field_read_by_another_name() -> None:
    ms = ModelStream(_Named)
    ms.feed(b'{"email":"x", ')
    assert ms.is_complete(("email",))
    assert ms.is_complete(("e-mail",))  # the alias names the same field
    assert ms.progress == 1.0  # was 0.0: only the alias was asked about


class _Cat(BaseModel):
    kind: Literal["cat"]


class _Dog(BaseModel):
    kind: Literal["dog"]


class _Owner(BaseModel):
    pet: _Cat | _Dog = Field(discriminator="kind")


def test_union_given_a_scalar_fails_as_in_json_mode() -> None:
    """Found by the invalid-document property: a union of models given a scalar was checked with validate_python,
    whose error type (model_attributes_type) is not validate_json's (dict_type)."""
    text = b'{"pet":"x"}'
    with pytest.raises(pydantic.ValidationError) as whole:
        _Owner.model_validate_json(text)
    ms = ModelStream(_Owner)
    ms.feed(text)
    with pytest.raises(pydantic.ValidationError) as streamed:
        ms.finish()
    assert error_set(streamed.value) == error_set(whole.value)  # {(("pet",), "dict_type")}
