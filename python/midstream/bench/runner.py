"""Run every peer on every stream, side by side, within a time budget.

For each workload, chunking and size (smallest first) the document is built and cut once, then every peer runs on
the same chunks; repeats go round-robin over the peers, so drift on a shared machine hits them alike, and the best
run counts. A peer that passes the budget at one size is not run on bigger ones; a peer whose last time, scaled to
the next size, would pass it three times over is not started. Both show up as rows, never silently missing.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from midstream.bench.chunking import Chunking, Stream, cut, human_bytes
from midstream.bench.peers import PEERS, OverBudget, Peer, clock
from midstream.bench.workloads import WORKLOADS, build

Status = Literal["ok", "over budget", "skipped", "wrong result", "error", "not installed"]

#: A peer is not started when its scaled estimate passes the budget this many times over.
SKIP_FACTOR = 3.0
#: Runs shorter than this in total are repeated (up to ``MAX_RUNS``) whatever ``repeat`` says: a millisecond run
#: once is mostly first-call noise (caches, allocator), and repeating it is free.
MIN_TOTAL = 0.05
MAX_RUNS = 20


@dataclass(frozen=True)
class Config:
    """What to run. ``budget``: seconds one run of one peer may take before it is abandoned."""

    workloads: tuple[str, ...]
    sizes: tuple[int, ...]
    chunkings: tuple[Chunking, ...]
    peers: tuple[str, ...]
    budget: float
    repeat: int
    quick: bool = False

    def __post_init__(self) -> None:
        unknown = [name for name in self.workloads if name not in WORKLOADS]
        if unknown:
            raise ValueError(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
        unknown = [name for name in self.peers if name not in PEERS]
        if unknown:
            raise ValueError(f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(PEERS)}")
        if not self.sizes or min(self.sizes) < 1:
            raise ValueError("sizes must be positive")
        if self.budget <= 0 or self.repeat < 1:
            raise ValueError("budget must be positive and repeat at least 1")


@dataclass
class Row:
    """One peer on one stream. ``seconds`` is the best run, ``None`` unless the peer finished."""

    parser: str
    kind: str
    workload: str
    chunking: str
    doc_bytes: int
    chunks: int
    seconds: float | None
    status: Status
    detail: str = ""
    #: ``seconds`` over the baseline peer's (midstream doing the same job) on the same stream.
    ratio: float | None = None
    runs: list[float] = field(default_factory=list)
    target_bytes: int = 0

    @property
    def us_per_chunk(self) -> float | None:
        return None if self.seconds is None else self.seconds * 1e6 / self.chunks

    def as_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["us_per_chunk"] = self.us_per_chunk
        return row


Progress = Callable[[str], None]


@dataclass
class _Track:
    """What a peer did on the previous size of the same workload and chunking."""

    seconds: float | None = None
    doc_bytes: int = 0
    chunks: int = 0
    stopped: str = ""  # why it is not run on bigger sizes


def _estimate(peer: Peer, track: _Track, stream: Stream) -> float | None:
    if track.seconds is None or not track.chunks:
        return None
    growth = stream.document.n_bytes / track.doc_bytes
    if peer.reparses:  # every chunk re-reads everything before it
        growth *= stream.n_chunks / track.chunks
    return track.seconds * growth


def _measure(peer: Peer, stream: Stream, config: Config) -> Row:
    document = stream.document
    row = Row(
        peer.name, peer.kind, document.workload.name, stream.chunking.label, document.n_bytes, stream.n_chunks,
        None, "ok", target_bytes=document.target_bytes,
    )  # fmt: skip
    try:
        run = peer.prepare(stream)
        # One full collection, then the heap frozen: every run starts clean, and the collections that happen
        # inside a run scan only what the run made (as in a long-lived server), not the imported peers' modules.
        gc.collect()
        gc.freeze()
        while len(row.runs) < config.repeat or (sum(row.runs) < MIN_TOTAL and len(row.runs) < MAX_RUNS):
            start = clock()
            result = run(start + config.budget)
            row.runs.append(clock() - start)
            if len(row.runs) == 1 and peer.check is not None and not peer.check(stream, result):
                row.status, row.detail = "wrong result", "final value differs from json.loads / model_validate_json"
            if row.runs[-1] * (config.repeat - len(row.runs)) > 2 * config.budget:
                break  # more repeats of a slow peer would not change the picture, only the wall time
    except OverBudget as over:
        row.status = "over budget"
        row.detail = f"> {config.budget:g} s ({over.chunks_done:,} of {stream.n_chunks:,} chunks done)"
        row.runs.clear()
    except Exception as error:  # a peer that breaks on a workload is a finding, not a crash of the run
        row.status, row.detail = "error", f"{type(error).__name__}: {error}"[:200]
        row.runs.clear()
    finally:
        gc.unfreeze()
    row.seconds = min(row.runs) if row.runs else None
    return row


def run(config: Config, progress: Progress | None = None) -> list[Row]:
    """Every peer of ``config`` on every stream of it; rows in workload, chunking, size, peer order."""
    peers = [PEERS[name] for name in config.peers]
    installed = {peer.name: peer.installed() for peer in peers}
    rows: list[Row] = []
    for workload in config.workloads:
        for chunking in config.chunkings:
            tracks = {peer.name: _Track() for peer in peers}
            for size in sorted(config.sizes):
                stream = cut(build(workload, size), chunking)
                size_rows = [
                    _run_peer(peer, stream, config, tracks[peer.name], installed[peer.name], progress) for peer in peers
                ]
                _add_ratios(size_rows)
                rows += size_rows
    return rows


def _run_peer(
    peer: Peer, stream: Stream, config: Config, track: _Track, installed: bool, progress: Progress | None
) -> Row:
    document = stream.document
    if progress is not None:
        progress(f"{document.workload.name} {human_bytes(document.n_bytes)} {stream.chunking.label}: {peer.name}")

    def row(status: Status, detail: str) -> Row:
        return Row(
            peer.name, peer.kind, document.workload.name, stream.chunking.label, document.n_bytes, stream.n_chunks,
            None, status, detail, target_bytes=document.target_bytes,
        )  # fmt: skip

    if not installed:
        return row("not installed", f"pip install {peer.distribution} (or 'midstream[bench]')")
    if track.stopped:
        return row("skipped", track.stopped)
    estimate = _estimate(peer, track, stream)
    if estimate is not None and estimate > SKIP_FACTOR * config.budget:
        track.stopped = f"over budget from {human_bytes(document.n_bytes)}"
        return row("skipped", f"estimated {estimate:,.0f} s > {config.budget:g} s budget")
    result = _measure(peer, stream, config)
    if result.status in ("over budget", "error"):
        track.stopped = f"{result.status} at {human_bytes(document.n_bytes)}"
    else:
        track.seconds, track.doc_bytes, track.chunks = result.seconds, document.n_bytes, stream.n_chunks
    return result


def _add_ratios(rows: Iterable[Row]) -> None:
    rows = list(rows)
    seconds = {row.parser: row.seconds for row in rows}
    for row in rows:
        base = seconds.get(PEERS[row.parser].baseline)
        if row.seconds is not None and base:
            row.ratio = row.seconds / base


def geometric_mean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else math.nan
