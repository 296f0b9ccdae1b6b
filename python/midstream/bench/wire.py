"""``midstream bench --patches``: partial values on the wire, patches against snapshots at the same send cadence.

Two answers, streamed in token-sized chunks (1-8 bytes): the FastAPI example's list of 100 ideas
(``list[Idea]``) and a ~30 KB ``structured`` answer (``Catalog``). A send every ``every`` chunks (1, 8, 64) and
one at the end; each way of sending measured on the same chunks:

- **patches**: ``Parser.drain_patches()`` (the untyped value) and ``ModelStream.drain_patches()`` (the typed
  partial's ``model_dump(mode="json")``, or with ``exclude_unset=True`` its fields seen so far): only what changed,
  merged per send;
- **snapshots**: the whole value at every send (``json.dumps(Parser.value)``; typed: the type's ``dump_json``),
  what the seed documents' example does;
- **diff of snapshots**: ``jsonpatch.make_patch`` between consecutive typed snapshots, what a server that diffs
  does (a grown string is resent whole); skipped past 1,000 sends (it costs the whole value per send).

Bytes are the sends' compact JSON (UTF-8, what ``midstream.web`` writes), over the whole answer, against the
final value's compact JSON. Time per send is what building the send costs (draining or dumping, and writing the
JSON), the feeding left out; best of ``repeat`` runs, interleaved. Every way is checked outside the timing: its
sends applied in turn give the final value.

>>> rows = run_wire(WireConfig(items=5, answer_bytes=2_000, cadences=(64,), repeat=1))
>>> sorted({row.way for row in rows})[:2]
['Parser patches', 'Parser snapshots']
"""

# The output is markdown for humans: the multiplication signs in it are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic

import midstream
from midstream.bench.chunking import TOKEN_SIZED, cut_bytes
from midstream.bench.pipeline import installed
from midstream.bench.workloads import WORKLOADS, build
from midstream.patch import apply, compact_json

#: issue 16's target: a send every 64 chunks, patch bytes <= 1.6x the final JSON
TARGET_RATIO = 1.6
TARGET_EVERY = 64
#: diffing snapshots costs the whole value per send: not run past this many sends
MAX_DIFF_SENDS = 1_000


class Idea(pydantic.BaseModel):
    """The FastAPI example's item (examples/fastapi_sse/app.py)."""

    title: str
    pitch: str


@dataclass(frozen=True)
class WireConfig:
    items: int = 100  # ideas in the example's answer
    answer_bytes: int = 30_000  # size of the structured answer
    cadences: tuple[int, ...] = (1, 8, 64)
    repeat: int = 5


@dataclass(frozen=True)
class WireRow:
    """One way of sending one answer at one cadence."""

    answer: str
    every: int
    way: str
    sends: int
    sent_bytes: int
    final_bytes: int
    seconds: float  # building and writing every send, best run

    @property
    def ratio(self) -> float:
        return self.sent_bytes / self.final_bytes

    @property
    def us_per_send(self) -> float:
        return self.seconds / self.sends * 1e6

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "ratio": self.ratio, "us_per_send": self.us_per_send}


def ideas_answer(count: int) -> bytes:
    """The example's answer with ``count`` ideas: ``midstream demo --web``'s generated ideas, numbered past 20."""
    from midstream.demo_web import IDEA_TEMPLATES

    topic = "community projects for a small town"
    ideas = []
    for n in range(count):
        title, pitch = IDEA_TEMPLATES[n % len(IDEA_TEMPLATES)]
        ideas.append({"title": f"{title} {n // len(IDEA_TEMPLATES) + 1}", "pitch": pitch.format(topic=topic)})
    return compact_json(ideas)


#: A way of sending: given the type, returns (feed, send) where send() gives the bytes of one send (b"": none).
Way = Callable[[Any], tuple[Callable[[bytes], Any], Callable[[], bytes]]]


def _parser_patches(tp: Any) -> tuple[Callable[[bytes], Any], Callable[[], bytes]]:
    parser = midstream.Parser(events=True)

    def send() -> bytes:
        batch = parser.drain_patches()
        return compact_json(batch) if batch else b""

    return parser.feed, send


def _parser_snapshots(tp: Any) -> tuple[Callable[[bytes], Any], Callable[[], bytes]]:
    parser = midstream.Parser()
    return parser.feed, lambda: compact_json(parser.value)


def _typed_patches(tp: Any) -> tuple[Callable[[bytes], Any], Callable[[], bytes]]:
    stream = midstream.ModelStream(tp)

    def send() -> bytes:
        batch = stream.drain_patches()
        return compact_json(batch) if batch else b""

    return stream.feed, send


def _typed_patches_unset(tp: Any) -> tuple[Callable[[bytes], Any], Callable[[], bytes]]:
    stream = midstream.ModelStream(tp)

    def send() -> bytes:
        batch = stream.drain_patches(exclude_unset=True)
        return compact_json(batch) if batch else b""

    return stream.feed, send


def _typed_snapshots(tp: Any) -> tuple[Callable[[bytes], Any], Callable[[], bytes]]:
    stream = midstream.ModelStream(tp)
    dump_json = pydantic.TypeAdapter(tp).dump_json
    return stream.feed, lambda: dump_json(stream.partial, warnings=False)


def _snapshot_diffs(tp: Any) -> tuple[Callable[[bytes], Any], Callable[[], bytes]]:
    import jsonpatch

    stream = midstream.ModelStream(tp)
    dump = pydantic.TypeAdapter(tp).dump_python
    last: list[Any] = [None]

    def send() -> bytes:
        now = dump(stream.partial, mode="json", warnings=False)
        ops = jsonpatch.make_patch(last[0], now).patch
        last[0] = now
        return compact_json(ops) if ops else b""

    return stream.feed, send


WAYS: dict[str, Way] = {
    "Parser patches": _parser_patches,
    "Parser snapshots": _parser_snapshots,
    "typed patches": _typed_patches,
    "typed patches, exclude_unset": _typed_patches_unset,
    "typed snapshots": _typed_snapshots,
    "diff of typed snapshots (jsonpatch)": _snapshot_diffs,
}
_PATCHES = {"Parser patches", "typed patches", "typed patches, exclude_unset", "diff of typed snapshots (jsonpatch)"}


def run_sends(way: Way, tp: Any, chunks: tuple[bytes, ...], every: int) -> tuple[list[bytes], float]:
    """Every send of one run (their bytes), and the time spent building them."""
    feed, send = way(tp)
    sent: list[bytes] = []
    spent = 0.0
    clock = time.perf_counter
    last = len(chunks)
    for number, chunk in enumerate(chunks, 1):
        feed(chunk)
        if number % every == 0 or number == last:
            start = clock()
            data = send()
            spent += clock() - start
            if data:
                sent.append(data)
    return sent, spent


def check_sends(way: str, sends: list[bytes], final: Any) -> None:
    """The sends, applied in turn (patches) or the last one (snapshots), give the final value (the answer's own
    JSON: every field of these answers is in it, so ``exclude_unset`` changes nothing at the end)."""
    if way in _PATCHES:
        doc: Any = None
        for data in sends:
            doc = apply(doc, json.loads(data))
    else:
        doc = json.loads(sends[-1])
    if doc != final:
        raise AssertionError(f"{way}: the sends do not add up to the final value")


def answers(config: WireConfig) -> list[tuple[str, Any, bytes]]:
    """(label, type, text) of the answers the rows stream."""
    structured = build("structured", config.answer_bytes)
    return [
        (f"{config.items} ideas (list[Idea])", list[Idea], ideas_answer(config.items)),
        (f"structured, {len(structured.data) // 1000} KB (Catalog)", WORKLOADS["structured"].model, structured.data),
    ]


def run_wire(config: WireConfig) -> list[WireRow]:
    ways = {name: way for name, way in WAYS.items() if "jsonpatch" not in name or installed("jsonpatch")}
    rows: list[WireRow] = []
    for label, tp, text in answers(config):
        chunks = cut_bytes(text, TOKEN_SIZED)
        final = json.loads(text)
        final_bytes = len(compact_json(final))
        for every in config.cadences:
            sends_count = -(-len(chunks) // every)
            contenders = {n: w for n, w in ways.items() if "jsonpatch" not in n or sends_count <= MAX_DIFF_SENDS}
            best = dict.fromkeys(contenders, float("inf"))
            sizes: dict[str, tuple[int, int]] = {}
            for _ in range(config.repeat):
                for name, way in contenders.items():
                    sends, spent = run_sends(way, tp, chunks, every)
                    best[name] = min(best[name], spent)
                    if name not in sizes:
                        check_sends(name, sends, final)
                        sizes[name] = (len(sends), sum(len(data) for data in sends))
            for name in contenders:
                count, sent_bytes = sizes[name]
                rows.append(WireRow(label, every, name, count, sent_bytes, final_bytes, best[name]))
    return rows


def markdown(rows: list[WireRow]) -> str:
    """One table per answer: each way at each cadence, bytes against the final JSON and time per send."""
    lines: list[str] = []
    for label in dict.fromkeys(row.answer for row in rows):
        group = [row for row in rows if row.answer == label]
        lines += [f"**{label}**, final JSON {group[0].final_bytes:,} bytes", ""]
        lines += ["| send every | way | sends | bytes sent | × final | µs per send |", "|---:|---|---:|---:|---:|---:|"]
        lines += [
            f"| {row.every} chunks | {row.way} | {row.sends:,} | {row.sent_bytes:,} | {row.ratio:,.2f}× | "
            f"{row.us_per_send:,.1f} |"
            for row in group
        ]
        lines.append("")
    targets = [row for row in rows if row.every == TARGET_EVERY and row.way in _PATCHES and "jsonpatch" not in row.way]
    if targets:
        verdicts = ", ".join(
            f"{row.way} {row.ratio:.2f}× ({row.answer.split(' (')[0]}) — **{_verdict(row.ratio <= TARGET_RATIO)}**"
            for row in targets
        )
        target = f"a send every {TARGET_EVERY} chunks, patch bytes ≤ {TARGET_RATIO}× the final JSON"
        lines += [f"Target: {target}: {verdicts}."]
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"
