"""Where a typed partial's time goes, counted in instructions: the loop of ``compare_models.py``'s first floor
(``ModelStream(Catalog)``, the partial read after every 1-8 B chunk) and its floor (``Parser.value``) under
callgrind, split by layer. Instruction counts do not drift with a shared machine's load, as times do; the cache
simulation shows what instructions alone do not (the typed path runs through more code per chunk).

    python benches/where_time_goes.py [--items 1000]      # needs valgrind (Debian: valgrind)

Prints a markdown table: instructions per chunk in each layer, and the simulated L1 misses of both loops.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Each layer is the inclusive count of one function, less the layers it contains (listed after it).
LAYERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("the core (bytes to events)", "midstream_core::parser::Parser::feed", ()),
    (
        "the value builder (untyped value, typed events, the growing string's `str`)",
        "_native::parser::Parser::feed_bytes",
        ("midstream_core::parser::Parser::feed",),
    ),
    ("pydantic-core: each finished record validated once", "cfunction_vectorcall_FASTCALL_KEYWORDS@end", ()),
    (
        "the typed builder (events to the partial)",
        "_native::typed::TypedParser::apply",
        ("cfunction_vectorcall_FASTCALL_KEYWORDS@end",),
    ),
    ("reading the partial (a partial instance per record begun)", "_native::typed::TypedParser::hand_out", ()),
]


def run_loop(mode: str, items: int) -> None:
    """Under callgrind: build the workload, run the loop once to warm up, then once counted."""
    sys.path.insert(0, str(Path(__file__).parent))
    import model_runs as models

    chunks = models.make_catalog(items).chunks
    loop = models.midstream_catalog_read if mode == "typed" else models.parser_value_catalog
    loop(chunks)
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=True)
    loop(chunks)
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=True)
    print(len(chunks))


def measure(mode: str, items: int, out: Path) -> tuple[int, str, str]:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--cache-sim=yes",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        __file__,
        "--run",
        mode,
        "--items",
        str(items),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    n_chunks = int(done.stdout.split()[-1])
    annotate = ["callgrind_annotate", "--inclusive=yes", "--show=Ir,I1mr,D1mr,D1mw", str(out)]
    inclusive = subprocess.run(annotate, capture_output=True, text=True, check=True).stdout
    calling = ["callgrind_annotate", "--tree=calling", "--inclusive=yes", str(out)]
    tree = subprocess.run(calling, capture_output=True, text=True, check=True).stdout
    return n_chunks, inclusive, tree


def count(text: str, function: str) -> int:
    """The inclusive instruction count of ``function`` (``name@caller``: its calls from ``caller`` only)."""
    name, _, caller = function.partition("@")
    if caller:
        # In the calling tree, the callee lines under `* ...TypedBuilder::<caller>` start with `>`.
        block = re.search(rf"\*\s+\S*TypedBuilder::{caller} .*?\n((?:.*>.*\n)*)", text)
        lines = block.group(1).splitlines() if block else []
        return sum(int(line.split()[0].replace(",", "")) for line in lines if name in line)
    for line in text.splitlines():
        if re.search(rf"[:\s]{re.escape(name)}\s", line) and "*" not in line.split()[1:2]:
            return int(line.split()[0].replace(",", ""))
    return 0


def totals(inclusive: str) -> dict[str, int]:
    """PROGRAM TOTALS: instructions, and the simulated L1 instruction and data misses."""
    line = next(line for line in inclusive.splitlines() if "PROGRAM TOTALS" in line)
    numbers = [int(n.replace(",", "")) for n in re.findall(r"[\d,]+(?= \()", line)]
    return {"Ir": numbers[0], "I1mr": numbers[1], "D1m": numbers[2] + numbers[3]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--run", choices=("typed", "floor"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_loop(args.run, args.items)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        n_chunks, typed, tree = measure("typed", args.items, Path(tmp) / "typed.out")
        _, floor, _ = measure("floor", args.items, Path(tmp) / "floor.out")
    ours, theirs = totals(typed), totals(floor)

    def per(n: int) -> str:
        return f"{n / n_chunks:,.0f}"

    print(f"| layer (`ModelStream`, partial read after every 1-8 B chunk, {n_chunks:,} chunks) | instructions/chunk |")
    print("|---|---:|")
    accounted = 0
    for label, function, less in LAYERS:
        source = tree if "@" in function else typed
        value = count(source, function) - sum(count(tree if "@" in x else typed, x) for x in less)
        if value <= 0:  # callgrind_annotate's output changed shape, or a function was renamed
            raise SystemExit(f"no instructions found for {function!r}: update LAYERS")
        accounted += value
        print(f"| {label} | {per(value)} |")
    rest = "the rest: the Python loop, the call into the extension, `feed`'s own bookkeeping"
    print(f"| {rest} | {per(ours['Ir'] - accounted)} |")
    print(f"| **all** | **{per(ours['Ir'])}** |")
    print(f"| `Parser.value` read after every chunk (the floor), all | {per(theirs['Ir'])} |")
    print()
    print("| simulated per chunk (callgrind, 32 KiB L1 caches) | `ModelStream` | `Parser.value` | ratio |")
    print("|---|---:|---:|---:|")
    for key, label in (("Ir", "instructions"), ("I1mr", "L1 instruction misses"), ("D1m", "L1 data misses")):
        print(f"| {label} | {per(ours[key])} | {per(theirs[key])} | {ours[key] / theirs[key]:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
