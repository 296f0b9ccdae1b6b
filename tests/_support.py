"""Helpers shared by the test modules: exact JSON comparison, refinement, chunkings and a feeding driver."""

from __future__ import annotations

import itertools
import math
import random
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import midstream

#: Test data carried in the repository (see ``tests/data/README.md``): the JSONTestSuite corpus and recorded provider
#: streams, each with its licence.
DATA = Path(__file__).resolve().parent / "data"
SUITE = DATA / "JSONTestSuite" / "test_parsing"
STREAMS = DATA / "streams"


def json_equal(a: Any, b: Any) -> bool:
    """Deep equality of JSON values, stricter than ``==`` (and without recursion, for deeply nested values).

    Types must match exactly (``1`` is not ``1.0``, ``True`` is not ``1``), floats compare by ``repr`` (so
    ``-0.0`` is not ``0.0``) except that NaN equals NaN, and dicts must have the same keys in the same order.
    """
    pending = [(a, b)]
    while pending:
        a, b = pending.pop()
        if type(a) is not type(b):
            return False
        if isinstance(a, float):
            if math.isnan(a) or math.isnan(b):
                if not (math.isnan(a) and math.isnan(b)):
                    return False
            elif repr(a) != repr(b):
                return False
        elif isinstance(a, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif isinstance(a, dict):
            if list(a) != list(b):
                return False
            pending.extend((a[key], b[key]) for key in a)
        elif a != b:
            return False
    return True


def assert_json_equal(got: Any, want: Any, context: str = "") -> None:
    if not json_equal(got, want):
        prefix = f"{context}: " if context else ""
        raise AssertionError(f"{prefix}got {_short(got)}, want {_short(want)}")


def _short(value: Any, limit: int = 2000) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def is_refinement(old: Any, new: Any) -> bool:
    """Whether partial value ``new`` can follow ``old``: nothing that was there changed or vanished.

    ``None`` at the top means "the root has not begun" and is refined by anything. Below it: scalars (finished
    values) are equal, strings only grow by appending, lists never shrink and their elements refine, dict keys
    never vanish (and keep their order) and their values refine.
    """
    return old is None or _refines(old, new)


def _refines(old: Any, new: Any) -> bool:
    pending = [(old, new)]
    while pending:
        old, new = pending.pop()
        if type(old) is not type(new):
            return False
        if isinstance(old, str):
            if not new.startswith(old):
                return False
        elif isinstance(old, list):
            if len(new) < len(old):
                return False
            pending.extend(zip(old, new[: len(old)], strict=True))
        elif isinstance(old, dict):
            if list(new)[: len(old)] != list(old):
                return False
            pending.extend((old[key], new[key]) for key in old)
        elif not json_equal(old, new):
            return False
    return True


def split_at(data: Any, cuts: Iterable[int]) -> list[Any]:
    """``data`` cut at the given positions (sorted, duplicates and ends ignored)."""
    points = sorted({cut for cut in cuts if 0 < cut < len(data)})
    bounds = [0, *points, len(data)]
    return [data[start:end] for start, end in itertools.pairwise(bounds)]


def random_pieces(data: Any, seed: int) -> Iterator[Any]:
    """``data`` in pieces of random sizes: mostly token-sized (1-8), sometimes larger."""
    rng = random.Random(seed)
    position = 0
    while position < len(data):
        size = rng.choice((1, 1, 2, 3, 4, 5, 7, 8, 13, 64)) if rng.random() < 0.9 else rng.randint(1, 512)
        yield data[position : position + size]
        position += size


def one_by_one(data: Any) -> Iterator[Any]:
    for index in range(len(data)):
        yield data[index : index + 1]


def chunkings(data: Any, seed: int, randoms: int = 3) -> dict[str, Iterable[Any]]:
    """Named ways to cut ``data``: whole, one byte (or character) at a time, and ``randoms`` seeded ones."""
    ways: dict[str, Iterable[Any]] = {"whole": [data], "one-by-one": one_by_one(data)}
    for number in range(randoms):
        ways[f"random-{number}"] = random_pieces(data, seed * 1000 + number)
    return ways


def byte_len(piece: bytes | str) -> int:
    return len(piece.encode("utf-8", "surrogatepass")) if isinstance(piece, str) else len(piece)


@dataclass(frozen=True)
class Outcome:
    """What parsing some input did: the value, or the error and where it was raised."""

    accepted: bool
    value: Any = None
    error: str | None = None
    offset: int | None = None
    line: int | None = None
    column: int | None = None
    msg: str | None = None
    #: ``"feed"`` or ``"finish"``: which call raised.
    raised_by: str | None = None
    #: Byte span of the chunk whose ``feed`` raised.
    chunk_span: tuple[int, int] | None = None

    def signature(self) -> tuple[Any, ...]:
        """Everything that must not depend on the chunking (the value is compared separately)."""
        return (self.accepted, self.error, self.offset, self.line, self.column, self.msg)


def run(chunks: Iterable[Any], **options: Any) -> Outcome:
    """Feed ``chunks`` to a new parser and finish it; stop at the first error."""
    parser = midstream.Parser(**options)
    position = 0
    for chunk in chunks:
        size = byte_len(chunk)
        try:
            parser.feed(chunk)
        except midstream.JSONError as error:
            return _failed(error, "feed", (position, position + size))
        position += size
    try:
        value = parser.finish()
    except midstream.JSONError as error:
        return _failed(error, "finish", None)
    return Outcome(accepted=True, value=value)


def _failed(error: midstream.JSONError, raised_by: str, span: tuple[int, int] | None) -> Outcome:
    return Outcome(
        accepted=False,
        error=type(error).__name__,
        offset=error.offset,
        line=error.line,
        column=error.column,
        msg=error.msg,
        raised_by=raised_by,
        chunk_span=span,
    )


def parse_whole(data: bytes | str, **options: Any) -> Any:
    parser = midstream.Parser(**options)
    parser.feed(data)
    return parser.finish()


def value_at(value: Any, path: Sequence[str | int]) -> Any:
    for element in path:
        value = value[element]
    return value


def run_interleaved(*targets: Callable[[], None]) -> None:
    """Run ``targets`` in threads at once, switching between them as often as CPython allows (so their calls
    overlap), and wait for all of them."""
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=target) for target in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old_interval)


def patched(events: Iterable[tuple[str, Any]]) -> list[Any]:
    """The document after each ``patch`` event of ``(event, data)`` pairs, every batch applied in turn from ``None``
    (as midstream.js builds it in a page)."""
    from midstream.patch import apply

    doc: Any = None
    docs = []
    for kind, batch in events:
        if kind == "patch":
            doc = apply(doc, batch)
            docs.append(doc)
    return docs
