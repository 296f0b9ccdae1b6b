"""The documents ``midstream bench`` streams: deterministic, LLM-like, each with the Pydantic model it fills.

Every workload builds a JSON value of at least a requested size from a seeded ``random.Random``, so every run,
machine and parser sees the same bytes. Each comes with a Pydantic model (for ``ModelStream`` and instructor's
``Partial``) and a TypedDict of the same shape (pydantic's ``experimental_allow_partial`` only works on
TypedDicts, lists and dicts, so that peer gets the TypedDict).

>>> doc = build("structured", 2_000)
>>> len(doc.text.encode()) >= 2_000
True
>>> WORKLOADS["structured"].model.model_validate_json(doc.text).items[0].id
0
>>> len(build_items(3).expected["items"])
3
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, create_model
from typing_extensions import TypedDict

# Prose as an LLM writes it, with what makes JSON strings expensive: escapes, accents, CJK, emoji.
_PROSE = (
    "the model returns a structured answer with several fields and long text that streams token by token "
    "over server-sent events so every partial value must stay valid while it grows "
    "naïve café résumé 東京 データ 🚀 ✨"
)
WORDS = (*_PROSE.split(), 'quote "q"', "back\\slash", "tab\t", "new\nline")
LEVELS = ("low", "mid", "high")


def sentence(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


# ---------------------------------------------------------------------------------------------------------------------
# structured: a list of objects with prose, numbers and a nested object (the typical structured-output answer)


class Owner(BaseModel):
    name: str
    email: str | None
    level: Literal["low", "mid", "high"]


class Item(BaseModel):
    id: int
    title: str
    blurb: str
    score: float
    tags: list[str]
    active: bool
    owner: Owner


class Catalog(BaseModel):
    items: list[Item]


class OwnerDict(TypedDict):
    name: str
    email: str | None
    level: Literal["low", "mid", "high"]


class ItemDict(TypedDict):
    id: int
    title: str
    blurb: str
    score: float
    tags: list[str]
    active: bool
    owner: OwnerDict


class CatalogDict(TypedDict):
    items: list[ItemDict]


def _structured_item(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "id": i,
        "title": sentence(rng, 3),
        "blurb": sentence(rng, rng.randint(8, 30)),
        "score": round(rng.random() * 100, 3),
        "tags": [rng.choice(WORDS) for _ in range(rng.randint(1, 5))],
        "active": rng.random() < 0.5,
        "owner": {
            "name": sentence(rng, 2),
            "email": None if rng.random() < 0.3 else f"user{i}@example.com",
            "level": rng.choice(LEVELS),
        },
    }


def _structured(rng: random.Random, target: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    size = 12
    while size < target:
        item = _structured_item(rng, len(items))
        items.append(item)
        size += len(json.dumps(item, ensure_ascii=False).encode()) + 2
    return {"items": items}


# ---------------------------------------------------------------------------------------------------------------------
# long_string: one long prose field, the essay or code answer (each read of a growing string costs its length)


class Article(BaseModel):
    title: str
    language: str
    body: str


class ArticleDict(TypedDict):
    title: str
    language: str
    body: str


def _long_string(rng: random.Random, target: int) -> dict[str, Any]:
    words: list[str] = []
    size = 60
    while size < target:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(json.dumps(word, ensure_ascii=False).encode()) - 1  # its escaped length, plus a space
    return {"title": sentence(rng, 6), "language": "en", "body": " ".join(words)}


# ---------------------------------------------------------------------------------------------------------------------
# numbers: number-heavy arrays (embeddings, time series, coordinates)


class Series(BaseModel):
    name: str
    values: list[float]
    counts: list[int]


class SeriesDict(TypedDict):
    name: str
    values: list[float]
    counts: list[int]


def _numbers(rng: random.Random, target: int) -> dict[str, Any]:
    values: list[float] = []
    counts: list[int] = []
    size = 40
    while size < target:
        value = round(rng.uniform(-1000, 1000), rng.randint(1, 6))
        count = rng.randint(0, 10 ** rng.randint(1, 9))
        values.append(value)
        counts.append(count)
        size += len(repr(value)) + len(str(count)) + 4
    return {"name": "series", "values": values, "counts": counts}


# ---------------------------------------------------------------------------------------------------------------------
# deep: deep nesting (trees of nodes, as a planner or an outline writes them)

#: Levels of each tree: a chain of objects-in-arrays, so the nesting depth is about twice this (parsers' recursion
#: limits: midstream's is 512, CPython's 1,000 frames).
DEEP_LEVELS = 40


class Node(BaseModel):
    name: str
    weight: float
    children: list[Node]


class Forest(BaseModel):
    trees: list[Node]


class NodeDict(TypedDict):
    name: str
    weight: float
    children: list[NodeDict]


class ForestDict(TypedDict):
    trees: list[NodeDict]


#: About the bytes one level of a tree takes, to keep the one tree of a small document near the size asked for.
_BYTES_PER_LEVEL = 220


def _tree(rng: random.Random, levels: int) -> dict[str, Any]:
    """A chain ``levels`` deep; every level also holds a leaf, so the tree is not only a spine."""
    node: dict[str, Any] = {"name": sentence(rng, 2), "weight": round(rng.random(), 4), "children": []}
    for _ in range(levels - 1):
        leaf = {"name": sentence(rng, 2), "weight": round(rng.random(), 4), "children": []}
        node = {"name": sentence(rng, 2), "weight": round(rng.random(), 4), "children": [leaf, node]}
    return node


def _deep(rng: random.Random, target: int) -> dict[str, Any]:
    trees: list[dict[str, Any]] = []
    size = 12
    while size < target:
        tree = _tree(rng, max(2, min(DEEP_LEVELS, (target - size) // _BYTES_PER_LEVEL)))
        trees.append(tree)
        size += len(json.dumps(tree, ensure_ascii=False).encode()) + 2
    return {"trees": trees}


# ---------------------------------------------------------------------------------------------------------------------
# wide: a wide-schema model (40 fields of mixed types, two nested models), a list of records of it

_WIDE_KINDS: tuple[tuple[str, Any, Callable[[random.Random], Any]], ...] = (
    ("text", str, lambda rng: sentence(rng, rng.randint(1, 6))),
    ("count", int, lambda rng: rng.randint(-(10**6), 10**6)),
    ("ratio", float, lambda rng: round(rng.random(), 5)),
    ("flag", bool, lambda rng: rng.random() < 0.5),
    ("note", str | None, lambda rng: None if rng.random() < 0.4 else sentence(rng, 3)),
    ("level", Literal["low", "mid", "high"], lambda rng: rng.choice(LEVELS)),
    ("labels", list[str], lambda rng: [rng.choice(WORDS) for _ in range(rng.randint(0, 3))]),
)


def _wide_fields(prefix: str, n_fields: int) -> list[tuple[str, Any, Callable[[random.Random], Any]]]:
    return [
        (f"{prefix}{kind}_{i}", annotation, make)
        for i in range(n_fields)
        for kind, annotation, make in (_WIDE_KINDS[i % len(_WIDE_KINDS)],)
    ]


_CONTACT_FIELDS = _wide_fields("contact_", 10)
_ADDRESS_FIELDS = _wide_fields("address_", 10)
_RECORD_FIELDS = _wide_fields("", 38)


def _model(name: str, fields: list[tuple[str, Any, Any]], **extra: Any) -> type[BaseModel]:
    definitions: dict[str, Any] = {field: (annotation, ...) for field, annotation, _ in fields}
    definitions.update((field, (annotation, ...)) for field, annotation in extra.items())
    return create_model(name, **definitions)


def _typed_dict(name: str, fields: list[tuple[str, Any, Any]], **extra: Any) -> Any:
    """The TypedDict twin of ``_model`` (built at run time, so typed ``Any``: mypy checks literal TypedDicts only)."""
    make: Any = TypedDict
    return make(name, {**{field: annotation for field, annotation, _ in fields}, **extra})


WideContact = _model("WideContact", _CONTACT_FIELDS)
WideAddress = _model("WideAddress", _ADDRESS_FIELDS)
WideRecord = _model("WideRecord", _RECORD_FIELDS, contact=WideContact, address=WideAddress)
WideTable = _model("WideTable", [], records=list[WideRecord])  # type: ignore[valid-type]

WideContactDict = _typed_dict("WideContactDict", _CONTACT_FIELDS)
WideAddressDict = _typed_dict("WideAddressDict", _ADDRESS_FIELDS)
WideRecordDict = _typed_dict("WideRecordDict", _RECORD_FIELDS, contact=WideContactDict, address=WideAddressDict)
WideTableDict = _typed_dict("WideTableDict", [], records=list[WideRecordDict])  # type: ignore[valid-type]


def _wide_record(rng: random.Random) -> dict[str, Any]:
    record = {name: make(rng) for name, _, make in _RECORD_FIELDS}
    record["contact"] = {name: make(rng) for name, _, make in _CONTACT_FIELDS}
    record["address"] = {name: make(rng) for name, _, make in _ADDRESS_FIELDS}
    return record


def _wide(rng: random.Random, target: int) -> dict[str, Any]:
    records: list[dict[str, Any]] = []
    size = 14
    while size < target:
        record = _wide_record(rng)
        records.append(record)
        size += len(json.dumps(record, ensure_ascii=False).encode()) + 2
    return {"records": records}


# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """A kind of document: how to build one of a given size, and the types it validates against."""

    name: str
    description: str
    model: type[BaseModel]
    typed_dict: Any
    make: Callable[[random.Random, int], dict[str, Any]]


WORKLOADS: dict[str, Workload] = {
    workload.name: workload
    for workload in (
        Workload(
            "structured",
            "list of objects with prose, numbers, a Literal and a nested object",
            Catalog,
            CatalogDict,
            _structured,
        ),
        Workload("long_string", "one long prose string field", Article, ArticleDict, _long_string),
        Workload("numbers", "number-heavy arrays (floats and integers)", Series, SeriesDict, _numbers),
        Workload(
            "deep",
            f"trees {DEEP_LEVELS} levels deep (about {2 * DEEP_LEVELS} nested containers)",
            Forest,
            ForestDict,
            _deep,
        ),
        Workload(
            "wide",
            "records of a 40-field model (7 kinds of field, two nested 10-field models)",
            WideTable,
            WideTableDict,
            _wide,
        ),
    )
}


@dataclass(frozen=True)
class Document:
    """One built document: its JSON text and the workload it came from."""

    workload: Workload
    target_bytes: int
    text: str

    @cached_property
    def data(self) -> bytes:
        return self.text.encode()

    @property
    def n_bytes(self) -> int:
        return len(self.data)

    @cached_property
    def expected(self) -> Any:
        return json.loads(self.text)


def build(name: str, target_bytes: int, *, seed: int = 0) -> Document:
    """The document of workload ``name`` with at least ``target_bytes`` of UTF-8 (and not much more)."""
    workload = WORKLOADS[name]
    value = workload.make(random.Random(f"{name}:{seed}"), target_bytes)
    return Document(workload, target_bytes, json.dumps(value, ensure_ascii=False))


def build_items(n_items: int, *, seed: int = 0) -> Document:
    """The ``structured`` document of exactly ``n_items`` items (the first ``n_items`` of any bigger one)."""
    rng = random.Random(f"structured:{seed}")
    value = {"items": [_structured_item(rng, i) for i in range(n_items)]}
    text = json.dumps(value, ensure_ascii=False)
    return Document(WORKLOADS["structured"], len(text.encode()), text)
