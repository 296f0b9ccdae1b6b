"""Side by side: instructor's streaming decode with and without ``midstream.integrations.instructor``.

A 100-item list in token-sized chunks (1 to 6 characters), decoded end to end through instructor's own entry
points (``Partial[Model].model_from_chunks`` for ``create_partial``/``stream=True``,
``IterableModel(Item).tasks_from_chunks`` for ``create_iterable``); prints a markdown table.

Run: ``python benches/instructor_integration.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from typing import Any, Literal

import instructor
import midstream.integrations.instructor as integration
import openai
from instructor.dsl.iterable import IterableModel
from instructor.dsl.partial import Partial
from midstream.testing import ReplayServer, chat_stream
from pydantic import BaseModel

MESSAGES = [{"role": "user", "content": "go"}]


class Item(BaseModel):
    id: int
    title: str
    status: Literal["todo", "doing", "done"]
    tags: list[str]
    score: float


class Board(BaseModel):
    name: str
    items: list[Item]


WORDS = ["ship", "fix", "write", "test", "the", "docs"]


def document(count: int) -> tuple[str, str]:
    rng = random.Random(7)
    items = [
        {
            "id": i,
            "title": f"Item {i}: "
            + " ".join(rng.choice(["ship", "fix", "write", "test", "the", "docs"]) for _ in range(6)),
            "status": rng.choice(["todo", "doing", "done"]),
            "tags": [rng.choice(["a", "b", "c"]) for _ in range(3)],
            "score": round(rng.random() * 100, 2),
        }
        for i in range(count)
    ]
    return json.dumps({"name": "Board", "items": items}), json.dumps({"tasks": items})


def tokens(text: str) -> list[str]:
    rng = random.Random(0)
    chunks, position = [], 0
    while position < len(text):
        size = rng.randint(1, 6)
        chunks.append(text[position : position + size])
        position += size
    return chunks


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-client", action="store_true", help="skip the run through the openai client")
    args = parser.parse_args()
    partial_doc, iterable_doc = document(args.items)
    partial_chunks, iterable_chunks = tokens(partial_doc), tokens(iterable_doc)
    partial_cls, iterable_cls = Partial[Board], IterableModel(Item)

    def run_partial() -> Any:
        last = None
        for last in partial_cls.model_from_chunks(iter(partial_chunks)):  # type: ignore[attr-defined]  # noqa: B007
            pass
        return last

    def run_iterable() -> Any:
        return list(iterable_cls.tasks_from_chunks(iter(iterable_chunks)))  # type: ignore[attr-defined]

    body = chat_stream(partial_doc)

    def run_client() -> Any:
        # The whole path: a real openai client reading a Chat Completions stream from a loopback replay (in this
        # process: the server's work shares the GIL and is counted too), instructor extracting the JSON text.
        with ReplayServer(body) as server:
            raw = openai.OpenAI(base_url=server.base_url + "/v1", api_key="replay", max_retries=0)
            client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
            last = None
            for last in client.create_partial(model="replay", response_model=Board, messages=MESSAGES):  # noqa: B007
                pass
            return last

    rows = []
    cases: list[tuple[str, Callable[[], Any], list[str]]] = [
        ("Partial[Board] (create_partial)", run_partial, partial_chunks),
        ("Iterable[Item] (create_iterable)", run_iterable, iterable_chunks),
    ]
    if not args.no_client:
        cases.append(("create_partial through openai.OpenAI and a loopback replay", run_client, partial_chunks))
    for name, run, chunks in cases:
        integration.disable()
        before, expected = timed(run, 1 if len(chunks) > 2000 else args.repeat)
        with integration.enabled():
            after, got = timed(run, args.repeat)
        if got != expected:
            raise SystemExit(f"{name}: the results differ with the integration")
        rows.append((name, len(chunks), before, after))

    print(f"{args.items} items, token-sized chunks (1-6 characters); best of {args.repeat}\n")
    print("| decode | chunks | instructor | instructor + midstream | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, count, before, after in rows:
        print(f"| {name} | {count} | {before * 1000:.1f} ms | {after * 1000:.1f} ms | {before / after:.0f}x |")


if __name__ == "__main__":
    main()
