"""``--plot``: cost per chunk against document size, log-log, one line per parser (needs matplotlib).

A parser that re-parses the text so far on every chunk climbs with the size (O(n) per chunk); midstream stays flat
(O(1) per chunk). One panel per workload and chunking; peers over the budget stop where they gave up.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from midstream.bench.peers import PEERS
from midstream.bench.report import groups
from midstream.bench.runner import Row

#: midstream's own lines stand out; the peers share a palette.
_OWN_COLORS = {"midstream": "black", "midstream-model": "#c00000", "midstream-events": "#7f7f7f"}
_MISSING_MATPLOTLIB = "--plot needs matplotlib: pip install 'midstream[plot]'"


def write_plot(rows: Sequence[Row], path: Path) -> None:
    """Draw the PNG (or any format matplotlib knows from the suffix) to ``path``."""
    try:
        import matplotlib
    except ImportError as error:
        raise RuntimeError(_MISSING_MATPLOTLIB) from error
    matplotlib.use("Agg")  # no display; also what makes this safe in a test
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    panels = groups(rows)
    workloads = list(dict.fromkeys(workload for workload, _ in panels))
    chunkings = list(dict.fromkeys(chunking for _, chunking in panels))
    figure, axes = plt.subplots(
        len(chunkings),
        len(workloads),
        figsize=(3.6 * len(workloads) + 1, 3.2 * len(chunkings) + 1.2),
        squeeze=False,
        sharex="col",
    )
    order = {name: i for i, name in enumerate(PEERS)}
    palette = plt.get_cmap("tab20")
    others = [name for name in PEERS if name not in _OWN_COLORS]

    def color(name: str) -> Any:
        return _OWN_COLORS.get(name) or palette(others.index(name) % 20)

    for (workload, chunking), group in panels.items():
        ax = axes[chunkings.index(chunking)][workloads.index(workload)]
        for parser in dict.fromkeys(row.parser for row in group):
            points = sorted((r.doc_bytes, r.us_per_chunk) for r in group if r.parser == parser and r.us_per_chunk)
            if not points:
                continue
            peer = PEERS[parser]
            ax.plot(
                [x for x, _ in points],
                [y for _, y in points],
                label=parser,
                color=color(parser),
                linestyle=":" if peer.kind in ("whole", "events") else "-",
                linewidth=2.6 if parser == peer.baseline else 1.3,
                marker="o",
                markersize=3,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{workload}, chunks of {chunking}", fontsize=9)
        ax.xaxis.set_minor_formatter(NullFormatter())  # decade labels only
        ax.grid(True, which="major", alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("document size (bytes)", fontsize=8)
    for row_axes in axes:
        row_axes[0].set_ylabel("µs per chunk", fontsize=8)
    handles: dict[str, Any] = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    labels = sorted(handles, key=lambda name: order[name])
    figure.legend(
        [handles[label] for label in labels], labels, loc="lower center", ncol=min(8, len(labels)), fontsize=8
    )
    figure.suptitle("Cost per chunk against document size (log-log): flat is O(1) per chunk, rising is re-parsing")
    figure.tight_layout(rect=(0, 0.07 + 0.02 * (len(labels) > 8), 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
