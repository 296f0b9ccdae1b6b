"""The Pydantic-layer benchmarks' runs (``test_models_bench.py``, ``compare_models.py``), of ``midstream.bench``'s
pieces.

One harness: the documents, models and chunkings are ``midstream bench``'s.

* :func:`make_catalog` -- ``midstream bench``'s ``structured`` document of exactly ``n_items`` items: a
  ``Catalog(items: list[Item])`` of LLM-like objects (prose with escapes, accents, CJK and emoji; a float, an int, a
  bool, ``list[str]``; a nested ``Owner`` with a Literal and an optional field), cut by its chunking into ``str``
  chunks of 1-8 bytes (LLM SDKs hand out ``str`` deltas) and of 1-4 KiB (network reads of a fast stream). Cutting
  happens before any timing starts.
* ``midstream.bench.schemas.wide_schema`` -- the 3-level schema with ``n_fields`` fields per model whose classes
  are created anew on every call, so no cache can help a measurement of the first partial.

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

import midstream
import parser_runs
from instructor.dsl.partial import Partial as InstructorPartial
from midstream.bench import NETWORK_SIZED, TOKEN_SIZED, cut
from midstream.bench.schemas import WIDE_FIELDS, WIDE_NESTED, WideSchema
from midstream.bench.workloads import Catalog, build_items
from pydantic import BaseModel

__all__ = ["WIDE_FIELDS", "WIDE_NESTED", "Catalog"]

#: Items in the list benchmarked against instructor (DESIGN.md's target is for 100), and the 10x list for the growth
#: of midstream's cost per chunk.
CATALOG_ITEMS = 100
GROWTH_ITEMS = 1_000
#: The same in smoke mode: enough to run every code path, not to measure.
SMOKE_CATALOG_ITEMS = 10
SMOKE_GROWTH_ITEMS = 100
SMOKE_WIDE_FIELDS = 8
SMOKE_WIDE_NESTED = 2


@dataclass(frozen=True)
class CatalogWorkload:
    """A ``Catalog`` document of ``n_items`` items: its JSON text and the ``str`` chunks every runner is fed
    (1-8 bytes, as tokens come; ``big_chunks``: 1-4 KiB, as network reads of a fast stream come)."""

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


def make_catalog(n_items: int) -> CatalogWorkload:
    document = build_items(n_items)
    chunks = cut(document, TOKEN_SIZED).text_chunks
    big_chunks = cut(document, NETWORK_SIZED).text_chunks
    return CatalogWorkload(n_items, document.text, chunks, big_chunks)


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
# (c): the first partial of a wide, 3-level schema (``midstream.bench.schemas``)


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


def check_wide_document(spec: WideSchema) -> None:
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
    return parser_runs.versions(("midstream", "pydantic", "pydantic_core", "instructor", "jiter"))
