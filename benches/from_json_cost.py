"""Cost per call of ``midstream.from_json`` beside ``jiter.from_json`` (the drop-in case: the whole text parsed
on every call), on the ``structured`` workload of ``midstream bench``; prints a markdown table.

    python benches/from_json_cost.py [--sizes 1k 10k 100k]
"""

# The multiplication sign in the output is meant.
# ruff: noqa: RUF001

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from typing import Any

import jiter
import midstream
from midstream.bench.chunking import human_bytes, parse_size
from midstream.bench.workloads import build


def best_per_call(call: Callable[[], Any], budget: float = 0.2) -> float:
    number = max(1, int(budget / max(timeit.timeit(call, number=1), 1e-7)))
    return min(timeit.repeat(call, number=number, repeat=5)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", nargs="+", default=["1k", "10k", "100k"])
    args = parser.parse_args()
    print("| document | call | jiter.from_json | midstream.from_json | ratio |")
    print("|---|---|---:|---:|---:|")
    for size in args.sizes:
        data = build("structured", parse_size(size)).data
        half = data[: len(data) // 2]
        for label, text, mode in (
            ("whole, partial_mode=False", data, False),
            ("half, trailing-strings", half, "trailing-strings"),
        ):
            ours = best_per_call(lambda text=text, mode=mode: midstream.from_json(text, partial_mode=mode))
            theirs = best_per_call(lambda text=text, mode=mode: jiter.from_json(text, partial_mode=mode))
            cells = (human_bytes(len(data)), label, f"{theirs * 1e6:,.1f} µs", f"{ours * 1e6:,.1f} µs")
            print("| " + " | ".join(cells) + f" | {ours / theirs:.2f}× |")


if __name__ == "__main__":
    main()
