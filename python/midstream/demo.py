"""``midstream demo``: stream a JSON answer token by token and watch its partial value take shape.

The answer is the kind of structured output an LLM streams (a list of objects with prose, numbers, nested
objects), generated deterministically and cut into token-sized chunks (1-8 bytes), so the demo needs no network
and no API key. Every frame shows the partial value and which items are final; at the end the parse cost is
measured against re-parsing the accumulated text after every chunk, which is what most Python stacks do today.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Sequence
from typing import Any, TextIO

from midstream._native import Parser

_WORDS = (
    "streaming",
    "structured",
    "output",
    "arrives",
    "token",
    "by",
    "while",
    "the",
    "model",
    "is",
    "still",
    "thinking",
    "about",
    "café",
    "naïve",
    "東京",
    "🚀",
    "rest",
    "of",
    "its",
    "answer",
    "and",
    "every",
    "partial",
    "value",
    "only",
    "ever",
    "grows",
)


def demo_answer(items: int = 6, seed: int = 7) -> str:
    """A deterministic LLM-like JSON answer."""
    rng = random.Random(seed)

    def words(n: int) -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(n))

    ideas = [
        {
            "id": i + 1,
            "title": words(3).capitalize(),
            "summary": words(rng.randint(8, 16)) + ".",
            "score": round(rng.random() * 10, 2),
            "tags": [rng.choice(_WORDS) for _ in range(rng.randint(1, 3))],
            "owner": {"name": words(2).title(), "verified": rng.random() < 0.5},
        }
        for i in range(items)
    ]
    return json.dumps({"topic": "Ideas for a streaming parser", "ideas": ideas}, ensure_ascii=False, indent=1)


def token_chunks(text: str, seed: int = 1, lo: int = 1, hi: int = 8) -> list[str]:
    """Cut ``text`` into token-sized pieces, as an LLM stream delivers it."""
    rng = random.Random(seed)
    chunks, i = [], 0
    while i < len(text):
        size = rng.randint(lo, hi)
        chunks.append(text[i : i + size])
        i += size
    return chunks


def _frame(parser: Parser, width: int) -> str:
    value: Any = parser.value
    ideas = value.get("ideas", []) if isinstance(value, dict) else []
    done = sum(parser.is_complete(("ideas", i)) for i in range(len(ideas)))
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > width:
        shown = "…" + shown[-(width - 1) :]
    path = "/".join(str(step) for step in parser.path) or "(root)"
    return f"ideas final {done}/{len(ideas)}  writing {path}\n  {shown}"


def run(out: TextIO, *, items: int = 6, frames: int = 12, width: int = 100, delay: float = 0.0) -> int:
    text = demo_answer(items)
    chunks = token_chunks(text)
    parser = Parser()
    every = max(1, len(chunks) // frames)
    for n, chunk in enumerate(chunks, 1):
        parser.feed(chunk)
        if n % every == 0:
            out.write(f"[chunk {n:>4}/{len(chunks)}] {_frame(parser, width)}\n")
            out.flush()
            if delay:
                time.sleep(delay)
    final = parser.finish()
    assert final == json.loads(text)
    out.write(f"[final] {len(final['ideas'])} ideas, every value complete: {parser.is_complete()}\n\n")

    big = token_chunks(demo_answer(400))
    start = time.perf_counter()
    parser = Parser()
    for chunk in big:
        parser.feed(chunk)
        parser.value  # noqa: B018 - read the partial value after every chunk, as a UI would
    incremental = time.perf_counter() - start
    sample = big[: len(big) // 10]
    start = time.perf_counter()
    received = ""
    for chunk in sample:
        received += chunk
        with contextlib.suppress(ValueError):
            json.loads(received)
    reparse = (time.perf_counter() - start) * (len(big) / len(sample)) ** 2
    size = sum(len(c.encode()) for c in big)
    out.write(
        f"{size / 1000:.0f} KB in {len(big)} chunks, value read after each: midstream {incremental * 1e3:.1f} ms "
        f"({incremental / len(big) * 1e9:.0f} ns/chunk).\n"
        f"Re-parsing the received text with json.loads after every chunk (estimated from the first tenth, "
        f"cost grows with the square of the length): ~{reparse:.1f} s.\n"
    )
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="midstream demo", description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to pause between frames")
    args = parser.parse_args(argv)
    return run(out or sys.stdout, items=args.items, frames=args.frames, delay=args.delay)
