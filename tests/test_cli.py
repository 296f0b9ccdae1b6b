"""``python -m midstream parse`` (and the ``midstream`` console script) as a subprocess fed over a pipe."""

from __future__ import annotations

import itertools
import json
import queue
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from _support import is_refinement, json_equal

#: Only a guard against a hung subprocess; no test asserts how long anything takes.
HANG_GUARD = 60.0

PYTHON_CLI = [sys.executable, "-m", "midstream"]


class Session:
    """A running ``midstream parse``: write chunks to its stdin, read its stdout lines as they come."""

    def __init__(self, *args: str, command: list[str] | None = None) -> None:
        self.process = subprocess.Popen(
            [*(command or PYTHON_CLI), "parse", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, chunk: bytes | str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(chunk.encode() if isinstance(chunk, str) else chunk)
        self.process.stdin.flush()

    def next_json(self) -> Any:
        """The next stdout line, parsed; fails if the process ends or hangs instead."""
        try:
            line = self.lines.get(timeout=HANG_GUARD)
        except queue.Empty:  # pragma: no cover - only when the CLI hangs
            self.process.kill()
            pytest.fail("midstream parse printed nothing")
        assert line is not None, f"midstream parse ended early: {self.stderr()}"
        return json.loads(line)

    def close(self) -> tuple[int, list[Any], str]:
        """Close stdin; the exit code, the remaining stdout lines (parsed) and stderr."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=HANG_GUARD)
        self.reader.join(timeout=HANG_GUARD)
        rest = []
        while (line := self.lines.get(timeout=HANG_GUARD)) is not None:
            rest.append(json.loads(line))
        return code, rest, self.stderr()

    def stderr(self) -> str:
        assert self.process.stderr is not None
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read().decode()


def run_cli(data: bytes, *args: str, command: list[str] | None = None) -> tuple[int, list[Any], str]:
    result = subprocess.run(
        [*(command or PYTHON_CLI), "parse", *args], input=data, capture_output=True, timeout=HANG_GUARD
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.returncode, lines, result.stderr.decode()


def test_partial_values_are_printed_before_the_input_ends() -> None:
    session = Session()
    session.send('{"items": [{"id": 12')
    assert session.next_json() == {"items": [{}]}
    session.send(', "title": "Mids')
    assert session.next_json() == {"items": [{"id": 12, "title": "Mids"}]}
    session.send('tream"}, ')
    assert session.next_json() == {"items": [{"id": 12, "title": "Midstream"}]}
    session.send('{"id": 13}]}')
    assert session.next_json() == {"items": [{"id": 12, "title": "Midstream"}, {"id": 13}]}
    code, rest, stderr = session.close()
    assert (code, rest, stderr) == (0, [], "")


def test_a_root_number_is_printed_at_the_end() -> None:
    session = Session()
    session.send("12")
    session.send("3")
    code, rest, stderr = session.close()
    assert (code, rest, stderr) == (0, [123], "")


def test_output_lines_refine_each_other() -> None:
    document = {
        "title": "Midstream \u00e9\U0001f680",
        "items": [1, 2.5, None, True, {"k": "v" * 40}],
        "n": -7,
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    session = Session()
    for start in range(0, len(data), 5):
        session.send(data[start : start + 5])
        time.sleep(0.002)
    code, lines, stderr = session.close()
    assert (code, stderr) == (0, "")
    assert lines, "nothing printed"
    assert json_equal(lines[-1], document)
    for old, new in itertools.pairwise(lines):
        assert old != new, "a line is printed only when the value changed"
        assert is_refinement(old, new), (old, new)


def test_a_root_null_is_printed() -> None:
    # `null` is a value: it must not be mistaken for "no root yet".
    assert run_cli(b"null") == (0, [None], "")
    assert run_cli(b" null \n") == (0, [None], "")
    code, lines, stderr = run_cli(b"nul")
    assert (code, lines) == (1, [])
    assert "IncompleteJSONError" in stderr
    session = Session()
    session.send("nu")
    session.send("ll")
    assert session.next_json() is None
    assert session.close() == (0, [], "")


def test_events() -> None:
    session = Session("--events")
    session.send('{"a": "xy')
    assert [session.next_json() for _ in range(3)] == [
        {"kind": "begin", "path": [], "value": "object"},
        {"kind": "begin", "path": ["a"], "value": "string"},
        {"kind": "delta", "path": ["a"], "value": "xy"},
    ]
    session.send('z", "b": [1]}')
    assert [session.next_json() for _ in range(7)] == [
        {"kind": "delta", "path": ["a"], "value": "z"},
        {"kind": "end", "path": ["a"], "value": "xyz"},
        {"kind": "begin", "path": ["b"], "value": "array"},
        {"kind": "begin", "path": ["b", 0], "value": "number"},
        {"kind": "end", "path": ["b", 0], "value": 1},
        {"kind": "end", "path": ["b"], "value": [1]},
        {"kind": "end", "path": [], "value": {"a": "xyz", "b": [1]}},
    ]
    code, rest, stderr = session.close()
    assert (code, rest, stderr) == (0, [], "")


def test_malformed_input_exits_1_with_json_error() -> None:
    code, lines, stderr = run_cli(b"[1, x]")
    assert code == 1
    assert lines == [[1]]  # what was parsed before the error is still shown
    assert "JSONError" in stderr
    assert "IncompleteJSONError" not in stderr
    assert "(byte 4)" in stderr


def test_truncated_input_exits_1_with_incomplete_json_error() -> None:
    code, lines, stderr = run_cli(b'[1, "tw')
    assert code == 1
    assert lines == [[1, "tw"]]
    assert "IncompleteJSONError" in stderr
    assert "(byte 7)" in stderr


def test_empty_input_is_incomplete() -> None:
    code, lines, stderr = run_cli(b"")
    assert (code, lines) == (1, [])
    assert "IncompleteJSONError" in stderr


def test_an_error_in_a_streamed_session() -> None:
    session = Session()
    session.send("[1, ")
    assert session.next_json() == [1]
    session.send("}")
    code, rest, stderr = session.close()
    assert (code, rest) == (1, [])
    assert "JSONError" in stderr
    assert "(byte 4)" in stderr


def test_max_depth_option() -> None:
    code, _, stderr = run_cli(b"[[[1]]]", "--max-depth", "2")
    assert code == 1
    assert "depth limit of 2" in stderr
    code, lines, _ = run_cli(b"[[[1]]]", "--max-depth", "3")
    assert (code, lines[-1]) == (0, [[[1]]])


def test_allow_nan_option() -> None:
    code, _, stderr = run_cli(b"[NaN, 1]")
    assert code == 1
    assert "JSONError" in stderr
    code, lines, stderr = run_cli(b"[NaN, Infinity, 1]", "--allow-nan")
    assert (code, stderr) == (0, "")
    assert json_equal(lines[-1], [float("nan"), float("inf"), 1])


def test_non_ascii_output() -> None:
    code, lines, _ = run_cli('{"k\u00e9": "\U0001f680"}'.encode())
    assert (code, lines) == (0, [{"k\u00e9": "\U0001f680"}])


def test_the_console_script() -> None:
    script = shutil.which("midstream")
    if script is None:
        pytest.skip("the midstream console script is not on PATH")
    code, lines, stderr = run_cli(b'{"a": [1, 2]}', command=[script])
    assert (code, lines, stderr) == (0, [{"a": [1, 2]}], "")
    session = Session(command=[script])
    session.send('["stream')
    assert session.next_json() == ["stream"]
    session.send('ing"]')
    assert session.next_json() == ["streaming"]
    code, rest, stderr = session.close()
    assert (code, rest, stderr) == (0, [], "")
    code, _, stderr = run_cli(b"[1,]", command=[script])
    assert code == 1
    assert "JSONError" in stderr
