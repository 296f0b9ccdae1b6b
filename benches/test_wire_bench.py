"""``midstream bench --patches`` under pytest-benchmark: partial values on the wire, patches against snapshots.

The same answers and ways of sending as ``midstream bench --patches`` (``midstream.bench.wire``): the example's
100 ideas and a ~30 KB ``structured`` answer in token-sized chunks, a send every 64 chunks; each group times the
whole stream (feeding and sending) for every way, so the differences are what the sends cost. The bytes each way
sends are checked first (they add up to the final value). Smoke pass (``--benchmark-disable``): smaller answers.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from typing import Any

import pytest
from midstream.bench.chunking import TOKEN_SIZED, cut_bytes
from midstream.bench.wire import WAYS, WireConfig, answers, check_sends, run_sends

EVERY = 64


@cache
def inputs(smoke: bool) -> dict[str, tuple[Any, bytes, tuple[bytes, ...]]]:
    config = WireConfig(items=20, answer_bytes=3_000) if smoke else WireConfig()
    return {label: (tp, text, cut_bytes(text, TOKEN_SIZED)) for label, tp, text in answers(config)}


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("answer", ["ideas", "structured"])
def test_sending_partials(benchmark: Any, smoke: bool, answer: str, way: str) -> None:
    if "jsonpatch" in way and importlib.util.find_spec("jsonpatch") is None:
        pytest.skip("jsonpatch is not installed (pip install -e '.[test]')")
    label = next(name for name in inputs(smoke) if (answer == "ideas") == ("ideas" in name))
    tp, text, chunks = inputs(smoke)[label]
    sends, _ = run_sends(WAYS[way], tp, chunks, EVERY)
    check_sends(way, sends, json.loads(text))
    benchmark.group = f"wire: {label}, a send every {EVERY} chunks"
    benchmark(run_sends, WAYS[way], tp, chunks, EVERY)
