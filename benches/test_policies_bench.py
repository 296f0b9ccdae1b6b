"""What ``midstream.Done`` and ``midstream.NotNull`` cost per chunk (issue 17), side by side in one run.

The same ``Catalog`` document (``midstream bench``'s ``structured`` workload, 100 items, ``str`` chunks of 1-8
bytes) parsed as three types that differ only in their markers:

* ``plain``    -- ``Catalog`` as it is;
* ``Done``     -- ``title``, ``blurb`` and each tag ``Done``, the owner ``Done`` (kept by the engine itself: the
  shapes hold those values back, no Python per chunk);
* ``NotNull``  -- ``title`` ``NotNull`` in each item (an item is shown once its title has begun), the owner's
  ``name`` ``NotNull`` (shown through a view of each partial: ``pydantic/_policies.py``).

Each group runs them by ``ModelStream.feed`` (the partial read after every chunk) and by ``midstream.stream`` over
the raw OpenAI SSE bytes of the same answer (network-sized reads: the Rust reader feeds the native engine directly
unless a view is needed). Every run checks its final value once; none asserts on timings.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Annotated, Any, Literal

import midstream
import model_runs as models
import pytest
from midstream import Done, NotNull
from midstream.testing.replay import chat_stream
from pydantic import BaseModel


class DoneOwner(BaseModel):
    name: str
    email: str | None
    level: Literal["low", "mid", "high"]


class DoneItem(BaseModel):
    id: int
    title: Annotated[str, Done]
    blurb: Annotated[str, Done]
    score: float
    tags: list[Annotated[str, Done]]
    active: bool
    owner: Annotated[DoneOwner, Done]


class DoneCatalog(BaseModel):
    items: list[DoneItem]


class HeldOwner(BaseModel):
    name: Annotated[str, NotNull]
    email: str | None
    level: Literal["low", "mid", "high"]


class HeldItem(BaseModel):
    id: int
    title: Annotated[str, NotNull]
    blurb: str
    score: float
    tags: list[str]
    active: bool
    owner: HeldOwner


class HeldCatalog(BaseModel):
    items: list[HeldItem]


TYPES: dict[str, type[BaseModel]] = {"plain": models.Catalog, "Done": DoneCatalog, "NotNull": HeldCatalog}


@cache
def workload(smoke: bool) -> models.CatalogWorkload:
    return models.make_catalog(models.sizes(smoke)[0])


@cache
def sse_reads(smoke: bool) -> tuple[bytes, ...]:
    """The answer as OpenAI chat SSE bytes, cut into 4 KiB reads."""
    body = chat_stream(workload(smoke).text, seed=7)
    return tuple(body[i : i + 4096] for i in range(0, len(body), 4096))


def feed_all(tp: type[BaseModel], chunks: Iterable[str]) -> Any:
    stream = midstream.ModelStream(tp)
    feed = stream.feed
    for chunk in chunks:
        feed(chunk)  # the partial read and dropped at once
    return stream.finish()


def stream_sse(tp: type[BaseModel], reads: Iterable[bytes]) -> Any:
    partials = midstream.stream(tp, reads, provider="openai")
    for _ in partials:
        pass
    return partials.final()


@pytest.mark.parametrize("markers", list(TYPES))
def test_model_stream_feed(benchmark: Any, smoke: bool, markers: str) -> None:
    load = workload(smoke)
    benchmark.group = f"policies: ModelStream.feed, {load.label} ({load.n_bytes:,} B, {len(load.chunks):,} chunks)"
    result = benchmark(feed_all, TYPES[markers], load.chunks)
    assert result.model_dump() == load.expected.model_dump()


@pytest.mark.parametrize("markers", list(TYPES))
def test_stream_raw_sse(benchmark: Any, smoke: bool, markers: str) -> None:
    load = workload(smoke)
    reads = sse_reads(smoke)
    benchmark.group = f"policies: stream() over raw OpenAI SSE, {load.label} ({len(reads)} reads of 4 KiB)"
    result = benchmark(stream_sse, TYPES[markers], reads)
    assert result.model_dump() == load.expected.model_dump()
