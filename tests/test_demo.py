"""``midstream demo``: replays the bundled recordings through the whole pipeline, with or without rich."""

from __future__ import annotations

import html
import http.client
import io
import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support import STREAMS, patched
from midstream import demo, demo_web
from midstream.testing import recorded_streams

HANG_GUARD = 120.0
COST = re.compile(
    r"^decoding cost, warm caches \(the best of (?P<runs>\d+) back-to-back replays, no pauses, no drawing\):\n"
    r"  (?P<per_chunk>[\d.]+) µs per (?P<chunk_size>\d+)-byte chunk, raw SSE to typed partials "
    r"\((?P<chunks>\d+) chunks, (?P<bytes>\d+) bytes, (?P<total_ms>[\d.]+) ms in all\)\n"
    r"  (?P<per_delta>[\d.]+) µs per text delta, ModelStream\((?P<model>\w+)\) alone "
    r"\((?P<deltas>\d+) deltas, the partial read after each\)$",
    re.MULTILINE,
)

#: Where each bundled recording comes from in tests/data/streams.
ORIGINS = {
    "openai-weather": "openai-chat/json-schema-content",
    "openai-tool-call": "openai-chat/tool-strict",
    "anthropic-characters": "vercel-ai/anthropic-json-output-format.1",
}


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "midstream", "demo", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=HANG_GUARD,
        check=False,
        cwd=cwd,
        env=env,
    )


def final_json(output: str, model: str) -> object:
    """The validated object of ``--json`` output: the ``final <Model>: <JSON>`` line."""
    line = next(line for line in output.splitlines() if line.startswith(f"final {model}: "))
    return json.loads(line.split(": ", 1)[1])


def final_indented(output: str, model: str) -> object:
    """The validated object of the default output: indented JSON under ``validated <Model>:``, one field a line."""
    text = output.split(f"\nvalidated {model}:\n", 1)[1]
    value, end = json.JSONDecoder().raw_decode(text)
    block = text[:end]
    assert block == json.dumps(value, indent=2, ensure_ascii=False), block[:300]
    return value


def decoding_cost(output: str, demo_stream: demo.DemoStream, chunk_size: int) -> dict[str, str]:
    """The decoding cost lines, checked against the recording: every chunk of it, every byte, the answer's model."""
    match = COST.search(output)
    assert match, output[-600:]
    body = demo_stream.body()
    assert int(match["chunk_size"]) == chunk_size
    assert int(match["chunks"]) == -(-len(body) // chunk_size)
    assert int(match["bytes"]) == len(body)
    assert match["model"] == demo_stream.model.__name__
    assert int(match["runs"]) == demo.MEASURED_RUNS
    # The deltas the adapter hands over: the recording's text deltas, some possibly held together, none split.
    assert 0 < int(match["deltas"]) <= len(recorded_deltas(demo_stream.name))
    assert float(match["per_chunk"]) > 0 and float(match["per_delta"]) > 0
    return match.groupdict()


def test_bundled_recordings_are_the_test_fixtures() -> None:
    streams = recorded_streams(STREAMS)
    assert set(demo.STREAMS) == set(ORIGINS)
    for name, origin in ORIGINS.items():
        assert demo.STREAMS[name].body() == streams[origin].body, name
        assert demo.STREAMS[name].provider == streams[origin].provider


def test_default_demo() -> None:
    result = run_cli("--delay", "0")
    assert result.returncode == 0, result.stderr
    final = final_indented(result.stdout, "Characters")
    assert isinstance(final, dict)
    assert [c["name"] for c in final["characters"]] == ["Theron Ironheart", "Lyra Starweaver", "Rook Shadowstep"]
    assert not any(line.startswith("final ") for line in result.stdout.splitlines())  # no one-line dump
    decoding_cost(result.stdout, demo.STREAMS["anthropic-characters"], demo.DEFAULT_CHUNK_SIZE)


@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_each_stream(name: str) -> None:
    stream = demo.STREAMS[name]
    result = run_cli("--delay", "0", "--stream", name, "--chunk-size", "7")
    assert result.returncode == 0, result.stderr
    expected = json.loads(recorded_answer(name))
    assert final_indented(result.stdout, stream.model.__name__) == expected
    lines = [line for line in result.stdout.splitlines() if line.startswith("[chunk")]
    assert len(lines) > 3  # one line per changed partial
    assert len(lines) == len(set(lines))
    decoding_cost(result.stdout, stream, 7)


@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_json_option_ends_with_the_validated_object_on_one_line(name: str) -> None:
    stream = demo.STREAMS[name]
    result = run_cli("--delay", "0", "--stream", name, "--json")
    assert result.returncode == 0, result.stderr
    assert final_json(result.stdout, stream.model.__name__) == json.loads(recorded_answer(name))
    assert f"validated {stream.model.__name__}:" not in result.stdout
    decoding_cost(result.stdout, stream, demo.DEFAULT_CHUNK_SIZE)


def recorded_deltas(name: str) -> list[str]:
    """The answer's non-empty text deltas, as the recording's events carry them (independent of midstream)."""
    stream = recorded_streams(STREAMS)[ORIGINS[name]]
    parts = []
    for event in stream.events:
        if event.get("choices"):  # the last chunk may carry only usage
            delta = event["choices"][0]["delta"]
            parts.append(delta.get("content") or "")
            parts.extend(call["function"].get("arguments") or "" for call in delta.get("tool_calls") or [])
        elif event.get("type") == "content_block_delta":
            parts.append(event["delta"].get("text", "") + event["delta"].get("partial_json", ""))
    return [part for part in parts if part]


def recorded_answer(name: str) -> str:
    """The answer's JSON text, as the recording's deltas spell it."""
    return "".join(recorded_deltas(name))


def test_works_without_the_repository(tmp_path: Path) -> None:
    """Installed: the data comes from the package, not from shared/ or the working directory."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = run_cli("--delay", "0", "--stream", "openai-weather", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert final_indented(result.stdout, "Weather") == {"city": "San Francisco", "temperature": 61, "units": "f"}
    decoding_cost(result.stdout, demo.STREAMS["openai-weather"], demo.DEFAULT_CHUNK_SIZE)


@pytest.fixture(scope="module")
def web_demo() -> Iterator[str]:
    """``midstream demo --web --port 0`` run from the checkout; yields the ``host:port`` uvicorn says it took."""
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    pytest.importorskip("openai")
    repo = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "midstream", "demo", "--web", "--port", "0"],
        cwd=repo,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stderr is not None
        address = None
        for line in process.stderr:  # uvicorn logs the port it picked
            found = re.search(r"Uvicorn running on http://([\d.]+:\d+)", line)
            if found:
                address = found.group(1)
                break
        assert address, "the server did not start"
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


def ask_for_ideas(address: str, topic: str, count: int) -> tuple[list[list[dict[str, Any]]], list[dict[str, Any]]]:
    """POST /ideas as the page does: the partial lists (every ``patch`` batch applied in turn), then the ``done``
    list."""
    connection = http.client.HTTPConnection(address, timeout=30)
    body = json.dumps({"topic": topic, "count": count})
    connection.request("POST", "/ideas", body=body, headers={"content-type": "application/json"})
    response = connection.getresponse()
    text = response.read().decode()
    assert response.status == 200, text
    batches = [json.loads(line[6:]) for line in text.split("event: done")[0].splitlines() if line.startswith("data: ")]
    partials = patched(("patch", batch) for batch in batches)
    done = json.loads(text.split("event: done\ndata: ")[1].split("\n")[0])
    return partials, done


def test_web_page_says_it_is_a_replay(web_demo: str) -> None:
    connection = http.client.HTTPConnection(web_demo, timeout=30)
    connection.request("GET", "/")
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200 and '<form id="form">' in page
    assert f'<p id="notice" role="note">{html.escape(demo_web.REPLAY_NOTICE)}</p>' in page  # shown, not hidden
    assert "no model is called" in demo_web.REPLAY_NOTICE


@pytest.mark.parametrize(("topic", "count"), [("streets", 5), ("bicycle repair", 2), ('a café\'s "regulars"', 1)])
def test_web_replay_answers_the_topic_and_count_asked_for(web_demo: str, topic: str, count: int) -> None:
    partials, final = ask_for_ideas(web_demo, topic, count)
    assert len(final) == count
    assert len({idea["title"] for idea in final}) == count
    assert all(topic in idea["pitch"] for idea in final)
    assert final == demo_web.generated_ideas(topic, count)
    assert len(partials) >= 2 and partials[-1] == final
    assert [len(partial) for partial in partials] == sorted(len(partial) for partial in partials)  # the list grows
    assert ask_for_ideas(web_demo, topic, count)[1] == final  # the same answer each time


def test_web_replay_answers_differ_with_the_topic(web_demo: str) -> None:
    titles = {topic: [idea["title"] for idea in ask_for_ideas(web_demo, topic, 4)[1]] for topic in ("parks", "music")}
    assert titles["parks"] != titles["music"]


@pytest.mark.parametrize("args", [["--stream", "nope"], ["--chunk-size", "0"], ["--delay", "-1"]])
def test_bad_arguments(args: list[str]) -> None:
    assert run_cli(*args).returncode == 2


def test_live_rendering_with_rich() -> None:
    pytest.importorskip("rich")
    out = io.StringIO()
    assert demo.run(out, stream="anthropic-characters", delay=0, chunk_size=64, live=True) == 0
    text = out.getvalue()
    assert "midstream demo · anthropic-characters" in text
    assert "Rook Shadowstep" in text and "[2]" in text  # the tree shows the list items
    # The last frame drawn is the validated object, as a tree: no JSON dump after it.
    last_frame = text.rsplit("midstream demo · anthropic-characters", 1)[1]
    assert last_frame.startswith(" · validated Characters")
    assert "Rook Shadowstep" in last_frame and "final Characters" not in text and "validated Characters:" not in text
    decoding_cost(text, demo.STREAMS["anthropic-characters"], 64)


def test_in_process_main_and_plain_partials() -> None:
    out = io.StringIO()
    assert demo.main(["--stream", "openai-tool-call", "--delay", "0"], out) == 0
    lines = out.getvalue().splitlines()
    partials = [json.loads(line.split("] ", 1)[1]) for line in lines if line.startswith("[chunk")]
    # partials only grow: a field once set is never unset, strings only extend
    for before, after in itertools.pairwise(partials):
        for key, value in before.items():
            if value is not None:
                assert isinstance(after[key], str) and after[key].startswith(value)
    assert partials[-1] == {"city": "Edinburgh", "country": "UK", "units": "c"}
    assert demo.plain(None) is None
