"""How a document is cut into the chunks every parser is fed: token-sized (1-8 B) or network-sized (1-4 KB).

Chunk sizes are drawn from a seeded ``random.Random`` in bytes, and each cut is moved forward to the next character
boundary, so the same cuts exist as ``bytes`` (for parsers fed bytes) and as ``str`` (for parsers fed text).

>>> from midstream.bench.workloads import build
>>> stream = cut(build("structured", 1_000), Chunking(1, 8))
>>> b"".join(stream.byte_chunks) == stream.document.data and "".join(stream.text_chunks) == stream.document.text
True
>>> Chunking.parse("1-4K")
Chunking(lo=1, hi=4096)
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from midstream.bench.workloads import Document

T = TypeVar("T", str, bytes)

#: Chunks between two looks at the clock by a parser running against a time budget.
BLOCK = 256

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)i?[bB]?\s*$")


def parse_size(text: str) -> int:
    """``"300"``, ``"10k"``, ``"1M"``, ``"4KB"`` -> bytes (k = 1,000 for document sizes; see ``Chunking.parse``)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (expected e.g. 300, 10k, 1M)")
    number, unit = match.groups()
    return round(float(number) * {"": 1, "k": 1_000, "m": 1_000_000}[unit.lower()])


def human_bytes(n: int) -> str:
    """1,536 -> ``"1.5 KB"``; decimal units, as document sizes are given."""
    if n < 1_000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1_000:.3g} KB"
    return f"{n / 1_000_000:.3g} MB"


@dataclass(frozen=True)
class Chunking:
    """Chunk sizes drawn uniformly from ``lo..hi`` bytes."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if not 1 <= self.lo <= self.hi:
            raise ValueError(f"chunk sizes must satisfy 1 <= lo <= hi, got {self.lo}-{self.hi}")

    @classmethod
    def parse(cls, text: str) -> Chunking:
        """``"1-8"`` or ``"1K-4K"`` (here K = 1,024, as buffer sizes are) -> ``Chunking``."""
        parts = text.split("-")
        if len(parts) != 2:
            raise ValueError(f"not a chunk range: {text!r} (expected LO-HI, e.g. 1-8 or 1K-4K)")
        lo, hi = (_chunk_bytes(part) for part in parts)
        return cls(lo, hi)

    @property
    def label(self) -> str:
        return f"{_chunk_label(self.lo)}-{_chunk_label(self.hi)}"


def _chunk_bytes(text: str) -> int:
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a chunk size: {text!r}")
    number, unit = match.groups()
    return round(float(number) * {"": 1, "k": 1_024, "m": 1_024 * 1_024}[unit.lower()])


def _chunk_label(n: int) -> str:
    return f"{n // 1_024} KiB" if n >= 1_024 and n % 1_024 == 0 else f"{n} B"


TOKEN_SIZED = Chunking(1, 8)
NETWORK_SIZED = Chunking(1_024, 4_096)


@dataclass(frozen=True)
class Stream:
    """A document cut into chunks, in both forms, plus the same chunks grouped in blocks of ``BLOCK``."""

    document: Document
    chunking: Chunking
    byte_chunks: tuple[bytes, ...]

    @cached_property
    def text_chunks(self) -> tuple[str, ...]:
        return tuple(chunk.decode() for chunk in self.byte_chunks)

    @cached_property
    def ends(self) -> tuple[int, ...]:
        """``ends[i]``: the bytes fed once chunk ``i`` is (the prefix a re-parser parses after it)."""
        total, ends = 0, []
        for chunk in self.byte_chunks:
            total += len(chunk)
            ends.append(total)
        return tuple(ends)

    @property
    def n_chunks(self) -> int:
        return len(self.byte_chunks)

    @cached_property
    def byte_blocks(self) -> tuple[tuple[bytes, ...], ...]:
        return _blocks(self.byte_chunks)

    @cached_property
    def text_blocks(self) -> tuple[tuple[str, ...], ...]:
        return _blocks(self.text_chunks)


def _blocks(chunks: tuple[T, ...]) -> tuple[tuple[T, ...], ...]:
    return tuple(chunks[i : i + BLOCK] for i in range(0, len(chunks), BLOCK))


def cut(document: Document, chunking: Chunking, *, seed: int = 1) -> Stream:
    """Cut ``document`` at random sizes in ``chunking``'s range, each cut moved to a character boundary."""
    return Stream(document, chunking, cut_bytes(document.data, chunking, seed=seed))


def cut_bytes(data: bytes, chunking: Chunking, *, seed: int = 1) -> tuple[bytes, ...]:
    """UTF-8 ``data`` cut at random sizes in ``chunking``'s range, each cut moved to a character boundary."""
    rng = random.Random(seed)
    chunks: list[bytes] = []
    start = 0
    while start < len(data):
        end = min(len(data), start + rng.randint(chunking.lo, chunking.hi))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: not a boundary
            end += 1
        chunks.append(data[start:end])
        start = end
    return tuple(chunks)
