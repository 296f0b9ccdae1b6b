"""What a benchmark run reports: the machine, rich tables in the terminal, JSON rows and a markdown section.

``results_json`` is the ``--json`` file: ``{"command", "machine", "config", "peers", "workloads", "rows"}``, every row
``{parser, kind, workload, chunking, doc_bytes, chunks, seconds, us_per_chunk, ratio, status, detail, runs}``.
"""

# The output is for humans: the multiplication signs and dashes in it are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from midstream.bench.chunking import Chunking, human_bytes
from midstream.bench.peers import PEERS
from midstream.bench.runner import Config, Row
from midstream.bench.workloads import WORKLOADS

#: ``--markdown`` rewrites only what is between these lines, so hand-written text around them stays.
BEGIN = "<!-- midstream bench: begin generated section -->"
END = "<!-- midstream bench: end generated section -->"


# ---------------------------------------------------------------------------------------------------------------------
# machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_revision() -> str | None:
    """The checkout midstream runs from, if it runs from one (``abc1234`` or ``abc1234+dirty``)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / ".git").exists():
        return None
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("+dirty" if dirty else "")


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "git": git_revision(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def results_json(
    config: Config, rows: Sequence[Row], *, machine_info: dict[str, Any] | None = None, command: str = ""
) -> dict[str, Any]:
    """The ``--json`` document."""
    config_json = asdict(config)
    config_json["chunkings"] = [{"lo": c.lo, "hi": c.hi, "label": c.label} for c in config.chunkings]
    return {
        "command": command,
        "machine": machine_info if machine_info is not None else machine(),
        "config": config_json,
        "peers": {
            name: {"label": peer.label, "kind": peer.kind, "version": peer.version(), "baseline": peer.baseline}
            for name, peer in PEERS.items()
            if name in config.peers
        },
        "workloads": {name: WORKLOADS[name].description for name in config.workloads},
        "rows": [row.as_json() for row in rows],
    }


def load_results(document: dict[str, Any]) -> tuple[Config, list[Row], dict[str, Any], str]:
    """The inverse of ``results_json``: config, rows, machine and command of a saved run."""
    config_json = dict(document["config"])
    config_json["chunkings"] = tuple(Chunking(c["lo"], c["hi"]) for c in config_json["chunkings"])
    for key in ("workloads", "sizes", "peers"):
        config_json[key] = tuple(config_json[key])
    fields = {f.name for f in dataclasses.fields(Row)}
    rows = [Row(**{k: v for k, v in row.items() if k in fields}) for row in document["rows"]]
    return Config(**config_json), rows, document["machine"], document.get("command", "")


# ---------------------------------------------------------------------------------------------------------------------
# formatting


def human_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e9:.3g} ns"


def human_ratio(ratio: float) -> str:
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    if ratio >= 10:
        return f"{ratio:.0f}×"
    return f"{ratio:.2g}×"


def outcome(row: Row) -> str:
    """The time, or why there is none."""
    if row.seconds is None:
        return {"over budget": "over budget", "skipped": "skipped", "error": "error", "not installed": "—"}.get(
            row.status, row.status
        )
    return human_seconds(row.seconds)


def groups(rows: Iterable[Row]) -> dict[tuple[str, str], list[Row]]:
    """Rows by (workload, chunking), in run order."""
    out: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        out.setdefault((row.workload, row.chunking), []).append(row)
    return out


def headline(rows: Sequence[Row], chunking: str) -> dict[str, dict[str, Row]]:
    """Per peer and workload, its row at the biggest size where it finished (with ``chunking``'s chunks)."""
    best: dict[str, dict[str, Row]] = {}
    for row in rows:
        if row.chunking != chunking or row.ratio is None:
            continue
        cell = best.setdefault(row.parser, {})
        if row.workload not in cell or row.doc_bytes > cell[row.workload].doc_bytes:
            cell[row.workload] = row
    return best


def _headline_cell(row: Row | None) -> str:
    if row is None or row.ratio is None:
        return "—"
    return f"{human_ratio(row.ratio)} @{short_bytes(row.doc_bytes)}"


def short_bytes(n: int) -> str:
    """11,270 -> ``"11k"``, 1,000,110 -> ``"1M"``: document sizes in a narrow cell."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.2g}M"
    if n >= 10_000:
        return f"{round(n / 1_000)}k"
    return f"{n / 1_000:.2g}k" if n >= 1_000 else str(n)


# ---------------------------------------------------------------------------------------------------------------------
# terminal


def print_tables(rows: Sequence[Row], console: Any) -> None:
    """One rich table per workload and chunking, then the headline ratios."""
    from rich.table import Table

    for (workload, chunking), group in groups(rows).items():
        title = f"{workload} — {WORKLOADS[workload].description}; chunks of {chunking}"
        table = Table(title=title, title_justify="left")
        table.add_column("document")
        table.add_column("parser")
        table.add_column("per stream", justify="right")
        table.add_column("per chunk", justify="right")
        table.add_column("vs midstream", justify="right")
        table.add_column("note", overflow="fold")
        last_size = None
        for row in group:
            size = f"{human_bytes(row.doc_bytes)}, {row.chunks:,} chunks"
            if last_size is not None and size != last_size:
                table.add_section()
            per_chunk = "" if row.us_per_chunk is None else human_seconds(row.us_per_chunk / 1e6)
            ratio = "" if row.ratio is None else human_ratio(row.ratio)
            style = "bold" if row.parser in ("midstream", "midstream-model") else None
            note = row.detail if row.status != "ok" else ""
            first = size if size != last_size else ""
            table.add_row(first, row.parser, outcome(row), per_chunk, ratio, note, style=style)
            last_size = size
        console.print(table)
    for chunking in dict.fromkeys(row.chunking for row in rows):
        _print_headline(rows, chunking, console)


def _print_headline(rows: Sequence[Row], chunking: str, console: Any) -> None:
    from rich.table import Table

    best = headline(rows, chunking)
    workloads = list(dict.fromkeys(row.workload for row in rows))
    table = Table(
        title=f"Time relative to midstream, biggest document each finished, chunks of {chunking}",
        title_justify="left",
    )
    table.add_column("parser")
    for workload in workloads:
        table.add_column(workload, justify="right")
    for name in PEERS:
        if name in best and name != PEERS[name].baseline:
            table.add_row(name, *(_headline_cell(best[name].get(workload)) for workload in workloads))
    console.print(table)


# ---------------------------------------------------------------------------------------------------------------------
# markdown


def markdown_section(
    config: Config, rows: Sequence[Row], machine_info: dict[str, Any], command: str, plot: str | None
) -> str:
    """The generated part of ``docs/benchmarks.md``: how it was run, on what, the headline, the plot, every row."""
    lines = [BEGIN, "", f"Generated by `{command}` on {machine_info['date']}.", ""]
    lines += [
        "**Machine.** "
        f"{machine_info['cpu']}, {machine_info['cpus']} CPUs, {machine_info['platform']}, {machine_info['python']}"
        + (f", midstream at git `{machine_info['git']}`" if machine_info.get("git") else "")
        + ".",
        "",
        f"**Run.** Sizes {', '.join(human_bytes(s) for s in sorted(config.sizes))}; chunks of "
        f"{' and '.join(c.label for c in config.chunkings)}; best of {config.repeat} (runs under "
        f"{human_seconds(0.05)} in total repeated up to 20 times); a run is abandoned after {config.budget:g} s.",
        "",
        "| peer | what it does | kind | version |",
        "|---|---|---|---|",
    ]
    for name in config.peers:
        peer = PEERS[name]
        lines.append(f"| {name} | {_md(peer.label)} | {peer.kind} | {peer.version()} |")
    lines.append("")
    for chunking in dict.fromkeys(row.chunking for row in rows):
        lines += _markdown_headline(rows, chunking)
    if plot:
        lines += [f"![cost per chunk against document size]({plot})", ""]
    for (workload, chunking), group in groups(rows).items():
        lines += [
            f"#### {workload}, chunks of {chunking}",
            "",
            f"{WORKLOADS[workload].description}.",
            "",
            "| document | parser | per stream | per chunk | vs midstream | note |",
            "|---|---|---:|---:|---:|---|",
        ]
        for row in group:
            per_chunk = "" if row.us_per_chunk is None else human_seconds(row.us_per_chunk / 1e6)
            ratio = "" if row.ratio is None else human_ratio(row.ratio)
            note = _md(row.detail) if row.status != "ok" else ""
            name = f"**{row.parser}**" if row.parser == PEERS[row.parser].baseline else row.parser
            lines.append(
                f"| {human_bytes(row.doc_bytes)}, {row.chunks:,} chunks | {name} | {outcome(row)} | {per_chunk} "
                f"| {ratio} | {note} |"
            )
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def _markdown_headline(rows: Sequence[Row], chunking: str) -> list[str]:
    best = headline(rows, chunking)
    workloads = list(dict.fromkeys(row.workload for row in rows))
    lines = [
        f"**Time relative to midstream, chunks of {chunking}** (at the biggest document each peer finished within "
        "the budget; value parsers against `midstream`, typed ones against `midstream-model`):",
        "",
        "| parser | " + " | ".join(workloads) + " |",
        "|---|" + "---:|" * len(workloads),
    ]
    for name in PEERS:
        if name in best and name != PEERS[name].baseline:
            lines.append(f"| {name} | " + " | ".join(_headline_cell(best[name].get(w)) for w in workloads) + " |")
    return [*lines, ""]


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def write_markdown(path: Path, section: str) -> None:
    """Put ``section`` between the markers of ``path`` (the whole file, if it has none or does not exist)."""
    try:
        old = path.read_text()
    except FileNotFoundError:
        old = ""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.DOTALL)
    if pattern.search(old):
        new = pattern.sub(lambda _: section, old, count=1)
    else:
        new = (old.rstrip() + "\n\n" if old.strip() else "") + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)
