"""``midstream demo``: replays the bundled recordings through the whole pipeline, with or without rich."""

from __future__ import annotations

import http.client
import io
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _support import STREAMS
from midstream import demo
from midstream.testing import recorded_streams

HANG_GUARD = 120.0
TIMING = re.compile(r"^decoding: [\d.]+ µs/chunk, [\d.]+ ms total, (\d+) chunks, (\d+) bytes$", re.MULTILINE)

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
    line = next(line for line in output.splitlines() if line.startswith(f"final {model}: "))
    return json.loads(line.split(": ", 1)[1])


def test_bundled_recordings_are_the_test_fixtures() -> None:
    streams = recorded_streams(STREAMS)
    assert set(demo.STREAMS) == set(ORIGINS)
    for name, origin in ORIGINS.items():
        assert demo.STREAMS[name].body() == streams[origin].body, name
        assert demo.STREAMS[name].provider == streams[origin].provider


def test_default_demo() -> None:
    result = run_cli("--delay", "0")
    assert result.returncode == 0, result.stderr
    final = final_json(result.stdout, "Characters")
    assert isinstance(final, dict)
    assert [c["name"] for c in final["characters"]] == ["Theron Ironheart", "Lyra Starweaver", "Rook Shadowstep"]
    match = TIMING.search(result.stdout)
    assert match, result.stdout[-500:]
    assert int(match[2]) == len(demo.STREAMS["anthropic-characters"].body())


@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_each_stream(name: str) -> None:
    stream = demo.STREAMS[name]
    result = run_cli("--delay", "0", "--stream", name, "--chunk-size", "7")
    assert result.returncode == 0, result.stderr
    expected = json.loads(recorded_answer(name))
    assert final_json(result.stdout, stream.model.__name__) == expected
    lines = [line for line in result.stdout.splitlines() if line.startswith("[chunk")]
    assert len(lines) > 3  # one line per changed partial
    assert len(lines) == len(set(lines))
    match = TIMING.search(result.stdout)
    assert match
    body = stream.body()
    assert int(match[1]) == -(-len(body) // 7) and int(match[2]) == len(body)


def recorded_answer(name: str) -> str:
    """The answer's JSON text, as the recording's deltas spell it (independent of midstream)."""
    stream = recorded_streams(STREAMS)[ORIGINS[name]]
    parts = []
    for event in stream.events:
        if event.get("choices"):  # the last chunk may carry only usage
            delta = event["choices"][0]["delta"]
            parts.append(delta.get("content") or "")
            parts.extend(call["function"].get("arguments") or "" for call in delta.get("tool_calls") or [])
        elif event.get("type") == "content_block_delta":
            parts.append(event["delta"].get("text", "") + event["delta"].get("partial_json", ""))
    return "".join(parts)


def test_works_without_the_repository(tmp_path: Path) -> None:
    """Installed: the data comes from the package, not from shared/ or the working directory."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = run_cli("--delay", "0", "--stream", "openai-weather", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert final_json(result.stdout, "Weather") == {"city": "San Francisco", "temperature": 61, "units": "f"}
    assert TIMING.search(result.stdout)


def test_web_serves_the_example_page_answered_by_a_replay() -> None:
    """``midstream demo --web`` from the checkout: the page, then POST /ideas streams partial lists and ``done``."""
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
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
        connection = http.client.HTTPConnection(address, timeout=30)
        connection.request("GET", "/")
        page = connection.getresponse()
        assert page.status == 200 and "ideas" in page.read().decode()
        connection.request(
            "POST",
            "/ideas",
            body=json.dumps({"topic": "streets", "count": 5}),
            headers={"content-type": "application/json"},
        )
        response = connection.getresponse()
        body = response.read().decode()
        assert response.status == 200
        datas = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
        done = body.split("event: done\ndata: ")[1].split("\n")[0]
        final = json.loads(done)
        assert [idea["title"] for idea in final][:2] == ["Solar kettle", "Seed library"] and len(final) == 5
        assert len(datas) >= 2 and all(isinstance(partial, list) for partial in datas)
    finally:
        process.terminate()
        process.wait(timeout=10)


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
    assert "final Characters: " in text and TIMING.search(text)


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
