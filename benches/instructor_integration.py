"""Side by side: instructor's streaming decode with and without ``midstream.integrations.instructor``.

``midstream bench``'s ``structured`` document of 100 items (``midstream.bench.workloads.build_items``, about 32 KB)
in token-sized chunks of 1 to 8 bytes (``midstream.bench.cut``), decoded end to end through instructor's own entry
points (``Partial[Catalog].model_from_chunks`` for ``create_partial``/``stream=True``,
``IterableModel(Item).tasks_from_chunks`` for ``create_iterable``, the items as ``{"tasks": [...]}``); prints a
markdown table.

Run: ``python benches/instructor_integration.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import instructor
import midstream.integrations.instructor as integration
import openai
from instructor.dsl.iterable import IterableModel
from instructor.dsl.partial import Partial
from midstream.bench import TOKEN_SIZED, Document, cut
from midstream.bench.workloads import Catalog, Item, build_items
from midstream.testing import ReplayServer, chat_stream

MESSAGES = [{"role": "user", "content": "go"}]


def document(count: int) -> tuple[Document, Document]:
    """The catalog of ``count`` items, and the same items as instructor's Iterable expects them."""
    catalog = build_items(count)
    tasks = json.dumps({"tasks": catalog.expected["items"]}, ensure_ascii=False)
    return catalog, Document(catalog.workload, len(tasks.encode()), tasks)


def tokens(document: Document) -> list[str]:
    return list(cut(document, TOKEN_SIZED).text_chunks)


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
    partial_cls, iterable_cls = Partial[Catalog], IterableModel(Item)

    def run_partial() -> Any:
        last = None
        for last in partial_cls.model_from_chunks(iter(partial_chunks)):  # type: ignore[attr-defined]  # noqa: B007
            pass
        return last

    def run_iterable() -> Any:
        return list(iterable_cls.tasks_from_chunks(iter(iterable_chunks)))  # type: ignore[attr-defined]

    body = chat_stream(partial_doc.text)

    def run_client() -> Any:
        # The whole path: a real openai client reading a Chat Completions stream from a loopback replay (in this
        # process: the server's work shares the GIL and is counted too), instructor extracting the JSON text.
        with ReplayServer(body) as server:
            raw = openai.OpenAI(base_url=server.base_url + "/v1", api_key="replay", max_retries=0)
            client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
            last = None
            for last in client.create_partial(model="replay", response_model=Catalog, messages=MESSAGES):  # noqa: B007
                pass
            return last

    rows = []
    cases: list[tuple[str, Callable[[], Any], list[str]]] = [
        ("Partial[Catalog] (create_partial)", run_partial, partial_chunks),
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

    print(f"{args.items} items ({partial_doc.n_bytes:,} B), token-sized chunks (1-8 bytes); best of {args.repeat}\n")
    print("| decode | chunks | instructor | instructor + midstream | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, count, before, after in rows:
        print(f"| {name} | {count} | {before * 1000:.1f} ms | {after * 1000:.1f} ms | {before / after:.0f}x |")


if __name__ == "__main__":
    main()
