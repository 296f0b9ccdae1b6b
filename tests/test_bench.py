"""``midstream bench``: workloads, chunking, the budget rules, the report files, and the CLI end to end.

Nothing here asserts a speed: the runs are tiny and check what the benchmark reports, not how fast anything is.
"""

from __future__ import annotations

import dataclasses
import json
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream.bench import NETWORK_SIZED, PEERS, TOKEN_SIZED, WORKLOADS, Chunking, Config, build, cut, run
from midstream.bench import command as command_module  # imported before any test patches PEERS
from midstream.bench import peers as peers_module
from midstream.bench import report as report_module
from midstream.bench import runner as runner_module
from midstream.bench.chunking import parse_size
from midstream.bench.report import BEGIN, END, write_markdown
from midstream.cli import main

ALL_STATUSES = {"ok", "over budget", "skipped", "wrong result", "error", "not installed"}

# ---------------------------------------------------------------------------------------------------------------------
# workloads and chunking


@pytest.mark.parametrize("name", list(WORKLOADS))
@pytest.mark.parametrize("target", [1, 300, 5_000, 60_000])
def test_workload_is_deterministic_valid_and_near_its_size(name: str, target: int) -> None:
    document = build(name, target)
    assert document.text == build(name, target).text
    assert document.n_bytes >= target
    # At most one unit (item, tree, record, word) over: the biggest unit of these workloads is under 10 KB.
    assert document.n_bytes < max(2 * target, target + 10_000)
    workload = WORKLOADS[name]
    assert workload.model.model_validate_json(document.text).model_dump(mode="json") == document.expected
    from pydantic import TypeAdapter

    assert TypeAdapter(workload.typed_dict).validate_json(document.text) == document.expected


def test_workloads_differ_by_seed_and_hold_what_makes_strings_expensive() -> None:
    text = build("structured", 20_000).text
    assert text != build("structured", 20_000, seed=1).text
    for needle in ('\\"', "\\\\", "\\n", "\\t", "東京", "🚀", "é"):
        assert needle in text


def test_deep_workload_is_deep() -> None:
    value: Any = build("deep", 30_000).expected["trees"][0]
    depth = 0
    while value["children"]:
        value, depth = value["children"][-1], depth + 1
    assert depth >= 30


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(list(WORKLOADS)),
    lo=st.integers(1, 40),
    span=st.integers(0, 60),
    seed=st.integers(0, 2**32),
)
def test_every_cut_is_on_a_character_boundary(name: str, lo: int, span: int, seed: int) -> None:
    document = build(name, 2_000)
    stream = cut(document, Chunking(lo, lo + span), seed=seed)
    assert b"".join(stream.byte_chunks) == document.data
    assert "".join(stream.text_chunks) == document.text
    assert [len(c.encode()) for c in stream.text_chunks] == [len(c) for c in stream.byte_chunks]
    for chunk in stream.byte_chunks[:-1]:  # the last one may be short: the document ran out
        assert lo <= len(chunk) <= lo + span + 3  # moved forward past at most 3 continuation bytes
    assert sum(len(block) for block in stream.byte_blocks) == stream.n_chunks
    assert [c for block in stream.text_blocks for c in block] == list(stream.text_chunks)


def test_sizes_and_chunk_ranges_parse() -> None:
    assert [parse_size(s) for s in ("300", "10k", "1M", "1.5k", "4KB")] == [300, 10_000, 1_000_000, 1_500, 4_000]
    assert Chunking.parse("1-8") == TOKEN_SIZED
    assert Chunking.parse("1K-4K") == NETWORK_SIZED == Chunking(1024, 4096)
    for bad in ("ten", "-3", "1k-"):
        with pytest.raises(ValueError):
            Chunking.parse(bad) if "-" in bad else parse_size(bad)
    with pytest.raises(ValueError, match="lo <= hi"):
        Chunking(8, 1)


# ---------------------------------------------------------------------------------------------------------------------
# the runner


def config(**changes: Any) -> Config:
    base = Config(("structured",), (300,), (TOKEN_SIZED,), ("midstream",), budget=30.0, repeat=1)
    return dataclasses.replace(base, **changes)


def test_every_installed_peer_gets_every_workload_right() -> None:
    """At a tiny size and a generous budget every installed peer finishes, with the right final value."""
    rows = run(config(workloads=tuple(WORKLOADS), peers=tuple(PEERS), chunkings=(TOKEN_SIZED, NETWORK_SIZED)))
    assert len(rows) == len(WORKLOADS) * 2 * len(PEERS)
    for row in rows:
        expected = "ok" if PEERS[row.parser].installed() else "not installed"
        assert row.status == expected, (row.parser, row.workload, row.detail)
    for row in rows:
        if row.status == "ok":
            assert row.seconds is not None and row.seconds > 0 and row.seconds == min(row.runs)
            assert row.ratio is not None
            if row.parser == PEERS[row.parser].baseline:
                assert row.ratio == 1.0


def test_config_rejects_unknown_names_and_bad_numbers() -> None:
    with pytest.raises(ValueError, match="unknown peer"):
        config(peers=("midstream", "nope"))
    with pytest.raises(ValueError, match="unknown workload"):
        config(workloads=("nope",))
    with pytest.raises(ValueError):
        config(budget=0)
    with pytest.raises(ValueError):
        config(sizes=())


@pytest.fixture
def fake_peers(monkeypatch: pytest.MonkeyPatch) -> dict[str, peers_module.Peer]:
    """A writable copy of the peer registry (the runner, the config check and the CLI all read ``PEERS``)."""
    registry = dict(PEERS)
    for module in (peers_module, runner_module, report_module, command_module):
        monkeypatch.setattr(module, "PEERS", registry)
    return registry


def _peer(name: str, prepare: Any, **changes: Any) -> peers_module.Peer:
    base = peers_module.Peer(name, name, "value", None, "json", prepare, None)
    return dataclasses.replace(base, **changes)


def _sleeper(seconds_per_kb: float) -> Any:
    def prepare(stream: Any) -> Any:
        def run(deadline: float) -> None:
            time.sleep(seconds_per_kb * stream.document.n_bytes / 1000)
            if time.perf_counter() > deadline:
                raise peers_module.OverBudget(stream.n_chunks // 2)

        return run

    return prepare


def test_a_peer_over_budget_is_shown_and_not_run_on_bigger_documents(fake_peers: dict[str, Any]) -> None:
    fake_peers["slow"] = _peer("slow", _sleeper(0.2))
    rows = run(config(peers=("midstream", "slow"), sizes=(300, 1_000, 3_000), budget=0.1))
    slow = [row for row in rows if row.parser == "slow"]
    assert [row.status for row in slow] == ["ok", "over budget", "skipped"]
    assert slow[1].seconds is None and "> 0.1 s" in slow[1].detail
    assert "over budget at" in slow[2].detail
    assert all(row.status == "ok" for row in rows if row.parser == "midstream")


def test_a_peer_whose_estimate_passes_the_budget_is_not_started(fake_peers: dict[str, Any]) -> None:
    calls: list[int] = []

    def prepare(stream: Any) -> Any:
        calls.append(stream.document.n_bytes)
        return _sleeper(0.02)(stream)

    fake_peers["reparser"] = _peer("reparser", prepare, reparses=True)
    rows = run(config(peers=("reparser",), sizes=(1_000, 100_000), budget=0.5))
    assert [row.status for row in rows] == ["ok", "skipped"]
    assert rows[1].detail.startswith("estimated") and len(calls) == 1


def test_broken_missing_and_wrong_peers_are_rows_not_crashes(fake_peers: dict[str, Any]) -> None:
    def broken(stream: Any) -> Any:
        def run(deadline: float) -> Any:
            raise RuntimeError("cannot parse this")

        return run

    def wrong(stream: Any) -> Any:
        return lambda deadline: {"not": "it"}

    fake_peers["broken"] = _peer("broken", broken)
    fake_peers["missing"] = _peer("missing", broken, module="no_such_module_for_midstream_tests")
    fake_peers["wrong"] = _peer("wrong", wrong, check=peers_module.PEERS["midstream"].check)
    rows = run(config(peers=("broken", "missing", "wrong", "midstream"), sizes=(300, 1_000)))
    by = {(row.parser, row.doc_bytes): row for row in rows}
    sizes = sorted({row.doc_bytes for row in rows})
    assert by["broken", sizes[0]].status == "error" and "cannot parse this" in by["broken", sizes[0]].detail
    assert by["broken", sizes[1]].status == "skipped"
    assert by["missing", sizes[0]].status == "not installed"
    assert by["wrong", sizes[0]].status == "wrong result" and by["wrong", sizes[0]].seconds is not None
    assert by["midstream", sizes[1]].status == "ok"


def test_overbudget_is_raised_by_the_real_peers_past_their_deadline() -> None:
    stream = cut(build("structured", 5_000), TOKEN_SIZED)
    for name in ("midstream", "midstream-model", "jiter", "instructor", "ijson"):
        peer = PEERS[name]
        if not peer.installed():
            continue
        with pytest.raises(peers_module.OverBudget) as raised:
            peer.prepare(stream)(time.perf_counter() - 1)
        assert raised.value.chunks_done == 0


# ---------------------------------------------------------------------------------------------------------------------
# report files and the CLI


def test_markdown_section_replaces_only_its_own_part(tmp_path: Path) -> None:
    path = tmp_path / "bench.md"
    write_markdown(path, f"{BEGIN}\nfirst\n{END}\n")
    path.write_text("# Benchmarks\n\nHand-written method.\n\n" + path.read_text() + "\nHand-written findings.\n")
    write_markdown(path, f"{BEGIN}\nsecond\n{END}\n")
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written method.\n\n")
    assert text.endswith("\nHand-written findings.\n")
    assert "second" in text and "first" not in text and text.count(BEGIN) == 1


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_cli_quick_run_writes_json_png_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    args = ["bench", "--quick", "--sizes", "300", "2k", "--json", str(out / "rows.json")]
    args += ["--plot", str(out / "plot.png"), "--markdown", str(tmp_path / "docs" / "bench.md")]
    assert main(args) == 0

    report = json.loads((out / "rows.json").read_text())
    assert set(report) == {"command", "machine", "config", "peers", "workloads", "rows"}
    assert report["command"].startswith("midstream bench --quick --sizes 300 2k --json ")
    assert report["machine"]["cpus"] >= 1 and report["machine"]["python"]
    assert report["config"]["quick"] is True and report["config"]["sizes"] == [300, 2000]
    assert set(report["workloads"]) == set(WORKLOADS)
    assert report["peers"]["midstream"]["version"]
    rows = report["rows"]
    assert len(rows) == len(WORKLOADS) * 2 * 2 * len(PEERS)  # workloads x chunkings x sizes x peers
    for row in rows:
        assert {"parser", "workload", "doc_bytes", "chunks", "seconds", "us_per_chunk", "status", "ratio"} <= set(row)
        assert row["status"] in ALL_STATUSES
        assert (row["seconds"] is None) == (row["status"] not in ("ok", "wrong result"))
        if row["parser"].startswith("midstream"):
            assert row["status"] == "ok"
            assert (row["ratio"] == 1.0) == (row["parser"] in ("midstream", "midstream-model"))
            assert row["us_per_chunk"] == pytest.approx(row["seconds"] * 1e6 / row["chunks"])

    width, height = _png_size((out / "plot.png").read_bytes())
    assert width > 800 and height > 300
    from matplotlib.image import imread

    assert imread(out / "plot.png").shape[:2] == (height, width)

    markdown = (tmp_path / "docs" / "bench.md").read_text()
    assert markdown.startswith(BEGIN) and markdown.rstrip().endswith(END)
    assert "](../out/plot.png)" in markdown
    assert "midstream bench --quick --sizes 300 2k" in markdown
    for workload in WORKLOADS:
        assert f"#### {workload}, chunks of 1 B-8 B" in markdown

    terminal = capsys.readouterr().out
    assert "Time relative to midstream" in terminal and "structured" in terminal

    # --from-json runs nothing and writes the same report again (the plot too)
    again = tmp_path / "docs" / "again.md"
    (out / "plot.png").unlink()
    args = ["bench", "--from-json", str(out / "rows.json"), "--plot", str(out / "plot.png"), "--markdown", str(again)]
    assert main(args) == 0
    assert again.read_text() == markdown
    assert _png_size((out / "plot.png").read_bytes()) == (width, height)


def test_cli_lists_peers_and_rejects_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--list"]) == 0
    listing = capsys.readouterr().out
    for name in [*PEERS, *WORKLOADS]:
        assert name in listing
    assert main(["bench", "--peers", "midstream,nope"]) == 2
    assert "unknown peer(s) nope" in capsys.readouterr().err
    assert main(["bench", "--sizes", "lots"]) == 2
    assert "not a size" in capsys.readouterr().err


def test_cli_options_select_what_runs(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    args = ["bench", "--peers", "midstream,json", "orjson", "--workloads", "numbers", "--sizes", "500"]
    assert main([*args, "--chunk", "2-3", "--repeat", "2", "--budget", "9", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert report["config"]["budget"] == 9 and report["config"]["repeat"] == 2
    assert report["config"]["chunkings"] == [{"lo": 2, "hi": 3, "label": "2 B-3 B"}]
    assert [(row["parser"], row["workload"]) for row in report["rows"]] == [
        ("midstream", "numbers"),
        ("json", "numbers"),
        ("orjson", "numbers"),
    ]


def test_cli_fails_when_midstream_itself_is_wrong(
    fake_peers: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_peers["midstream"] = dataclasses.replace(PEERS["midstream"], check=lambda stream, result: False)
    assert main(["bench", "--peers", "midstream", "--workloads", "numbers", "--sizes", "300", "--chunk", "1-8"]) == 1
    assert "midstream on numbers: wrong result" in capsys.readouterr().err


def test_cli_patches_quick_run_checks_every_way_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``midstream bench --patches``: every way of sending on both answers at both quick cadences, each checked to
    add up to the final value (a way whose sends do not would raise), patches far under snapshots."""
    assert main(["bench", "--patches", "--quick", "--json", str(tmp_path / "wire.json")]) == 0
    shown = capsys.readouterr().out
    assert "Target: a send every 64 chunks, patch bytes ≤ 1.6" in shown
    assert "`midstream bench --patches --quick --json " in shown
    saved = json.loads((tmp_path / "wire.json").read_text())
    rows = {(row["answer"], row["every"], row["way"]): row for row in saved["rows"]}
    assert {every for _, every, _ in rows} == {8, 64}
    for (answer, every, way), row in rows.items():
        assert row["sends"] > 0 and row["us_per_send"] > 0
        if way.endswith("patches"):
            snapshots = rows[(answer, every, way.replace("patches", "snapshots"))]
            assert row["sent_bytes"] * 3 < snapshots["sent_bytes"], (answer, every, way)


def test_check_sends_refuses_sends_that_do_not_add_up() -> None:
    from midstream.bench.wire import check_sends

    check_sends("typed patches", [b'[{"op":"replace","path":"","value":[1]}]'], [1])
    with pytest.raises(AssertionError, match="do not add up"):
        check_sends("typed patches", [b'[{"op":"replace","path":"","value":[1]}]'], [1, 2])
    with pytest.raises(AssertionError, match="do not add up"):
        check_sends("typed snapshots", [b"[1]", b"[1, 3]"], [1, 2])
