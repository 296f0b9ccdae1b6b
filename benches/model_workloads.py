"""Shared workloads and runners for the Pydantic-layer benchmarks (``test_models_bench.py``, ``compare_models.py``).

Two workloads:

* :func:`make_catalog` -- a ``Catalog(items: list[Item])`` of ``n_items`` LLM-like objects (id, title, summary, tags,
  score, a Literal status, an optional nested ``Owner``), words drawn from ``workload.py``'s vocabulary (so strings
  carry escapes, accents, CJK and emoji) with a deterministic RNG. Its JSON text (``json.dumps(...,
  ensure_ascii=False)``, as a model writes it) is cut by ``workload.chunks`` into ``str`` chunks of 1-8 characters
  (LLM SDKs hand out ``str`` deltas; the text is ASCII but for a few words, so these are 1-8 byte chunks bar those).
  Chunking happens before any timing starts.
* :func:`make_wide_spec` -- a 3-level schema with ``n_fields`` fields per model (root; some fields are nested models
  of ``n_fields`` fields; some of theirs are nested again), fields of mixed types. :meth:`WideSpec.build` creates
  the model classes anew with ``pydantic.create_model`` on every call, so no cache (midstream's compiled shapes and
  validators, instructor's partial classes) can help a measurement of the first partial.

Runners (each returns what it produced, for the correctness checks; none is checked inside the timed loop):

* ``midstream_catalog``   -- ``ModelStream(Catalog)``: feed every chunk, touch the partial ``feed`` returns.
* ``midstream_catalog_read`` / ``parser_value_catalog`` -- the typed layer against its floor, loop for loop: the
  partial ``feed`` returns vs ``Parser.feed`` then ``Parser.value``, each read after every chunk and dropped at once
  (an expression statement; ``p = feed(chunk)`` would hold it while the next chunk is fed, which costs the typed
  layer a second partial: ``docs/models.md``), with no other work in either loop (a touch would time pydantic's
  ``__getattr__`` hook on one side only).
* ``instructor_catalog``  -- instructor's ``Partial[Catalog].model_from_chunks(chunks)``: consume and touch every
  partial it yields (it re-parses the whole accumulated text with jiter and re-validates every finished item after
  every chunk). Its ``Partial[Catalog]`` class is built once, outside the timing.
* ``midstream_first_partial`` / ``instructor_first_partial`` -- from freshly created model classes: build the
  stream (``ModelStream(Root)``; ``Partial[Root]``) and feed chunks until the first partial that is not ``None``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Literal

import harness
import midstream
import pydantic
from instructor.dsl.partial import Partial as InstructorPartial
from pydantic import BaseModel

#: Items in the list benchmarked against instructor, and the 10x list for the growth of midstream's cost per chunk.
CATALOG_ITEMS = 100
GROWTH_ITEMS = 1_000
#: The same in smoke mode: enough to run every code path, not to measure.
SMOKE_CATALOG_ITEMS = 10
SMOKE_GROWTH_ITEMS = 100

#: The wide schema: fields per model, and nested-model fields per model at the two upper levels (1 + 4 + 16 models).
WIDE_FIELDS = 40
WIDE_NESTED = 4
SMOKE_WIDE_FIELDS = 8
SMOKE_WIDE_NESTED = 2

CHUNK_SEED = 1


# ---------------------------------------------------------------------------------------------------------------------
# (a), (b): a list of LLM-like objects


class Owner(BaseModel):
    name: str
    email: str | None
    level: Literal["low", "mid", "high"]


class Item(BaseModel):
    id: int
    title: str
    summary: str
    tags: list[str]
    score: float
    status: Literal["draft", "review", "published", "archived"]
    owner: Owner | None = None


class Catalog(BaseModel):
    items: list[Item]


def catalog_item(rng: random.Random, i: int, words: Any) -> dict[str, Any]:
    """One item as an LLM would write it (``words`` is the imported ``workload`` module)."""
    owner = None
    if rng.random() < 0.75:
        owner = {
            "name": words.sentence(rng, 2),
            "email": None if rng.random() < 0.3 else f"user{i}@example.com",
            "level": rng.choice(["low", "mid", "high"]),
        }
    return {
        "id": i,
        "title": words.sentence(rng, 3),
        "summary": words.sentence(rng, rng.randint(8, 20)),
        "tags": [rng.choice(words.WORDS) for _ in range(rng.randint(1, 5))],
        "score": round(rng.random() * 100, 3),
        "status": rng.choice(["draft", "review", "published", "archived"]),
        "owner": owner,
    }


@dataclass(frozen=True)
class CatalogWorkload:
    """A ``Catalog`` document of ``n_items`` items: its JSON text and the ``str`` chunks every runner is fed
    (1-8 characters, as tokens come; ``big_chunks``: 1-4 KiB, as network reads of a fast stream come)."""

    n_items: int
    text: str
    chunks: tuple[str, ...] = field(repr=False)
    big_chunks: tuple[str, ...] = field(repr=False, default=())

    @property
    def label(self) -> str:
        return f"{self.n_items:,} items"

    @property
    def n_bytes(self) -> int:
        return len(self.text.encode())

    @cached_property
    def expected(self) -> Catalog:
        return Catalog.model_validate_json(self.text)


def make_catalog(n_items: int, *, seed: int = 0, chunk_seed: int = CHUNK_SEED) -> CatalogWorkload:
    words = harness.load_workload()
    rng = random.Random(seed)
    document = {"items": [catalog_item(rng, i, words) for i in range(n_items)]}
    text = json.dumps(document, ensure_ascii=False)
    chunks = tuple(words.chunks(text, seed=chunk_seed, lo=1, hi=8))
    big_chunks = tuple(words.chunks(text, seed=chunk_seed, lo=1024, hi=4096))
    assert "".join(chunks) == text == "".join(big_chunks)
    return CatalogWorkload(n_items, text, chunks, big_chunks)


def _touch(partial: Any) -> Any:
    """What a consumer does with each partial: look at it (the same for every runner)."""
    return None if partial is None else partial.items


def midstream_catalog(chunks: Iterable[str]) -> Catalog:
    """``ModelStream(Catalog)``: feed every chunk, touch the partial after each; return the validated final value."""
    stream = midstream.ModelStream(Catalog)
    feed = stream.feed
    for chunk in chunks:
        _touch(feed(chunk))
    return stream.finish()


def midstream_catalog_read(chunks: Iterable[str]) -> Catalog:
    """``ModelStream(Catalog)``: the partial read after every chunk (``feed`` returns it) and dropped."""
    stream = midstream.ModelStream(Catalog)
    feed = stream.feed
    for chunk in chunks:
        feed(chunk)  # read and dropped at once: not held while the next chunk is fed
    return stream.finish()


def parser_value_catalog(chunks: Iterable[str]) -> Any:
    """The floor of ``midstream_catalog_read``, the same loop: ``Parser.feed`` every chunk, then ``Parser.value``."""
    parser = midstream.Parser()
    feed = parser.feed
    for chunk in chunks:
        feed(chunk)
        parser.value  # noqa: B018
    return parser.finish()


def midstream_catalog_kept(chunks: Iterable[str]) -> list[Any]:
    """Every partial kept: ``list(midstream.stream(Catalog, chunks))``."""
    return list(midstream.stream(Catalog, chunks))


def parser_snapshots_kept(chunks: Iterable[str]) -> list[Any]:
    """The floor of ``midstream_catalog_kept``: ``Parser.snapshot()`` kept after every chunk."""
    parser = midstream.Parser()
    kept = []
    for chunk in chunks:
        parser.feed(chunk)
        kept.append(parser.snapshot())
    parser.finish()
    return kept


def validate_whole(text: str) -> Catalog:
    """No streaming: one ``Catalog.model_validate_json`` of the finished text."""
    return Catalog.model_validate_json(text)


def new_instructor_partial(model: type[BaseModel]) -> Any:
    """instructor's ``Partial[model]``: a new class on every call (typed ``Any``: its methods are not on the model)."""
    return InstructorPartial[model]


@cache
def instructor_partial(model: type[BaseModel]) -> Any:
    """instructor's ``Partial[model]`` with its partial model built, once per model."""
    partial = new_instructor_partial(model)
    partial.get_partial_model()
    return partial


def instructor_catalog(chunks: Iterable[str]) -> Catalog | None:
    """``Partial[Catalog].model_from_chunks``: consume and touch every partial; return the last one."""
    last = None
    for partial in instructor_partial(Catalog).model_from_chunks(chunks):
        _touch(partial)
        last = partial
    return last


# ---------------------------------------------------------------------------------------------------------------------
# (c): the first partial of a wide, 3-level schema

#: Scalar field kinds of the wide models, cycled through: (annotation, default or ..., JSON value for field i).
SCALAR_KINDS: tuple[tuple[Any, Any, Callable[[int], Any]], ...] = (
    (str, ..., lambda i: f"text {i}"),
    (int, ..., lambda i: i),
    (float, ..., lambda i: i + 0.5),
    (bool, ..., lambda i: i % 2 == 0),
    (list[str], ..., lambda i: [f"tag{i}", "x"]),
    (Literal["alpha", "beta", "gamma"], ..., lambda i: ("alpha", "beta", "gamma")[i % 3]),
    (str | None, None, lambda i: None if i % 4 == 0 else f"maybe {i}"),
    (dict[str, int], ..., lambda i: {"k": i}),
    (Annotated[int, pydantic.Field(ge=0)], ..., lambda i: i * 3),
    (list[int], pydantic.Field(default_factory=list), lambda i: [i, i + 1]),
)
#: How the nested models are referred to, cycled through: plain, optional, in a list.
NESTED_KINDS = ("model", "optional", "list")


@dataclass(frozen=True)
class WideModelSpec:
    """One model of the wide schema: its name, its scalar fields and its nested-model fields."""

    name: str
    scalars: tuple[tuple[str, int], ...]  # (field name, index into SCALAR_KINDS)
    nested: tuple[tuple[str, str, WideModelSpec], ...]  # (field name, one of NESTED_KINDS, the nested model)

    @property
    def n_models(self) -> int:
        return 1 + sum(child.n_models for _, _, child in self.nested)

    @property
    def n_fields(self) -> int:
        return len(self.scalars) + sum(1 + child.n_fields for _, _, child in self.nested)


@dataclass(frozen=True)
class WideSpec:
    """A 3-level schema, one document for it, and that document's chunks."""

    root: WideModelSpec
    fields_per_model: int
    text: str
    chunks: tuple[str, ...] = field(repr=False)

    @property
    def label(self) -> str:
        return f"3 levels, {self.fields_per_model} fields per model, {self.root.n_models} models"

    def build(self) -> type[BaseModel]:
        """The root model class, created anew (with all its nested classes) by ``pydantic.create_model``."""
        return _create(self.root)


def _create(spec: WideModelSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, kind in spec.scalars:
        annotation, default, _ = SCALAR_KINDS[kind]
        fields[name] = (annotation, default)
    for name, how, child in spec.nested:
        cls = _create(child)
        if how == "optional":
            fields[name] = (cls | None, None)
        elif how == "list":
            fields[name] = (list[cls], ...)  # type: ignore[valid-type]
        else:
            fields[name] = (cls, ...)
    model: type[BaseModel] = pydantic.create_model(spec.name, **fields)
    return model


def _wide_model(name: str, level: int, n_fields: int, n_nested: int, offset: int) -> WideModelSpec:
    nested_here = n_nested if level < 3 else 0
    # The nested fields spread over the model, the first at index 1.
    nested_at = {1 + (j * n_fields) // max(nested_here, 1) for j in range(nested_here)}
    scalars: list[tuple[str, int]] = []
    nested: list[tuple[str, str, WideModelSpec]] = []
    for i in range(n_fields):
        field_name = f"{name.lower()}_f{i:02d}"
        if i in nested_at:
            j = len(nested)
            child = _wide_model(f"{name}N{j}", level + 1, n_fields, n_nested, offset + i)
            nested.append((field_name, NESTED_KINDS[j % len(NESTED_KINDS)], child))
        else:
            scalars.append((field_name, (offset + i) % len(SCALAR_KINDS)))
    return WideModelSpec(name, tuple(scalars), tuple(nested))


def _wide_value(spec: WideModelSpec) -> dict[str, Any]:
    value: dict[str, Any] = {}
    order = {name: i for i, (name, _) in enumerate(spec.scalars)}
    for name, kind in spec.scalars:
        value[name] = SCALAR_KINDS[kind][2](order[name])
    for name, how, child in spec.nested:
        value[name] = [_wide_value(child), _wide_value(child)] if how == "list" else _wide_value(child)
    return dict(sorted(value.items()))  # declaration order: the field names sort by index


def make_wide_spec(
    fields_per_model: int = WIDE_FIELDS, nested_per_model: int = WIDE_NESTED, *, chunk_seed: int = CHUNK_SEED
) -> WideSpec:
    words = harness.load_workload()
    root = _wide_model("Root", 1, fields_per_model, nested_per_model, 0)
    text = json.dumps(_wide_value(root), ensure_ascii=False)
    chunks = tuple(words.chunks(text, seed=chunk_seed, lo=1, hi=8))
    return WideSpec(root, fields_per_model, text, chunks)


@dataclass(frozen=True)
class FirstPartial:
    partial: Any
    chunks_fed: int


def midstream_first_partial(root: type[BaseModel], chunks: Sequence[str]) -> FirstPartial:
    """``ModelStream(root)``, then feed chunks until the partial is not ``None``."""
    stream = midstream.ModelStream(root)
    for i, chunk in enumerate(chunks):
        partial = stream.feed(chunk)
        if partial is not None:
            return FirstPartial(partial, i + 1)
    raise AssertionError("no partial from the whole document")


def instructor_first_partial(root: type[BaseModel], chunks: Sequence[str]) -> FirstPartial:
    """``Partial[root]`` (not cached by instructor), then its partials until one is not ``None``."""
    partials = new_instructor_partial(root).model_from_chunks(chunks)
    for i, partial in enumerate(partials):
        if partial is not None:
            return FirstPartial(partial, i + 1)
    raise AssertionError("no partial from the whole document")


def check_first_partial(root: type[BaseModel], result: FirstPartial) -> bool:
    """A first partial is an instance of the root class (instructor's: of a subclass) with no field filled in yet."""
    partial = result.partial
    if not isinstance(partial, root):
        return False
    for name, info in root.model_fields.items():
        value = getattr(partial, name)
        if value is None or isinstance(value, BaseModel):  # instructor shows nested models as empty partials
            continue
        if info.is_required() or value != info.get_default(call_default_factory=True):
            return False
    return True


def check_wide_document(spec: WideSpec) -> None:
    """Both libraries read the whole wide document into ``Root.model_validate_json(text)`` (raises if not)."""
    root = spec.build()
    expected = root.model_validate_json(spec.text)
    stream = midstream.ModelStream(root)
    for chunk in spec.chunks:
        stream.feed(chunk)
    assert stream.finish() == expected, "midstream: wrong final value for the wide schema"
    # instructor re-parses everything after every chunk: use a few big chunks for this check.
    big = [spec.text[i : i + 4096] for i in range(0, len(spec.text), 4096)]
    last = None
    for last in new_instructor_partial(root).model_from_chunks(big):  # noqa: B007
        pass
    assert last == expected, "instructor: wrong final value for the wide schema"


# ---------------------------------------------------------------------------------------------------------------------


def sizes(smoke: bool) -> tuple[int, int]:
    """Items in the compared list and in the 10x list."""
    return (SMOKE_CATALOG_ITEMS, SMOKE_GROWTH_ITEMS) if smoke else (CATALOG_ITEMS, GROWTH_ITEMS)


def wide_shape(smoke: bool) -> tuple[int, int]:
    """Fields per model and nested-model fields per model of the wide schema."""
    return (SMOKE_WIDE_FIELDS, SMOKE_WIDE_NESTED) if smoke else (WIDE_FIELDS, WIDE_NESTED)


def versions() -> dict[str, str]:
    out = {}
    for name in ("midstream", "pydantic", "pydantic_core", "instructor", "jiter"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
