"""``midstream/static/midstream.js`` under Node: its ``applyPatch`` builds the same documents as Python's ``apply``
from the same batches, and its ``sseEvents`` reads the same events as ``midstream.sse.decode`` from the same bytes
cut anywhere. Node (Debian's ``nodejs``) is installed by ``.ci/run``; without it these tests skip.
"""

from __future__ import annotations

import copy
import json
import math
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import midstream
import pydantic
import pytest
from _support import split_at
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream.bench import WORKLOADS, build
from midstream.patch import ParserPatches, to_rfc6902
from midstream.sse import decode
from test_model_properties import CASE_NAMES, chunked, documents

MODULE = Path(midstream.__file__).parent / "static" / "midstream.js"
SUITE = Path(__file__).parent / "data" / "JSONTestSuite" / "test_parsing"
STREAMS = Path(__file__).parent / "data" / "streams" / "openai-chat"
NODE = shutil.which("node") or shutil.which("nodejs")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (Debian: apt-get install nodejs)")


def _node(script: str, payload: Any) -> Any:
    """Run an ES module ``script`` (given the module's URL as ``MODULE``) on ``payload``; its printed JSON."""
    assert NODE is not None
    source = f"import * as midstream from {json.dumps(MODULE.as_uri())};\n{script}"
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", source],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    return True


def _cases() -> list[dict[str, Any]]:
    """Documents (every JSONTestSuite document that must parse, and a 3 KB answer) cut at seeded random places,
    a batch drained after each chunk; with the values ``Parser.value`` had after each."""
    texts = [path.read_bytes() for path in sorted(SUITE.glob("y_*.json"))]
    texts.append(build("structured", 3_000).data)
    rng = random.Random(16)
    cases = []
    for text in texts:
        cuts = rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(0, 12))) if len(text) > 1 else []
        parser = midstream.Parser(events=True)
        patches = ParserPatches(parser)
        batches, values, rfc = [], [], []
        for chunk in [*split_at(text, cuts), b""]:
            if chunk:
                parser.feed(chunk)
            else:
                parser.finish()
            batch = patches.drain()
            batches.append(batch)
            rfc.append(to_rfc6902(batch, parser.value))
            values.append(copy.deepcopy(parser.value))
        if _finite(values):
            cases.append({"batches": batches, "rfc": rfc, "values": values})
    return cases


def test_apply_patch_in_node_builds_what_python_builds() -> None:
    cases = _cases()
    assert len(cases) > 90
    script = """
import { readFileSync } from "node:fs";
const cases = JSON.parse(readFileSync(0, "utf8"));
const out = cases.map(({ batches, rfc }) => {
  let doc = null, standard = null;
  const seen = [];
  batches.forEach((batch, i) => {
    const before = JSON.stringify(doc);
    const next = midstream.applyPatch(doc, batch);
    if (JSON.stringify(doc) !== before) throw new Error("applyPatch changed its input");
    doc = next;
    standard = midstream.applyPatch(standard, rfc[i]);
    seen.push([doc, standard]);
  });
  return seen;
});
console.log(JSON.stringify(out));
"""
    got = _node(script, cases)
    for case, seen in zip(cases, got, strict=True):
        # Both sides through JSON: what a browser receives (JavaScript numbers are doubles on both sides).
        want = json.loads(json.dumps(case["values"]))
        assert [doc for doc, _ in seen] == want
        assert [standard for _, standard in seen] == want


def test_apply_patch_errors_name_the_operation() -> None:
    script = """
const out = [];
for (const op of [
  { op: "add", path: "/missing/x", value: 1 }, { op: "add", path: "/a/5", value: 1 },
  { op: "remove", path: "/nope" }, { op: "append", path: "/a", value: "x" }, { op: "move", path: "/a" },
  { op: "add", path: "a", value: 1 },
]) {
  try { midstream.applyPatch({ a: [1] }, [{ op: "add", path: "/z", value: 0 }, op]); out.push(null); }
  catch (error) { out.push([error.name, error.index]); }
}
console.log(JSON.stringify(out));
"""
    assert _node(script, None) == [["PatchError", 1]] * 6


def _typed_cases() -> list[dict[str, Any]]:
    """Every bench workload's model (its TypedDict twin too) streamed at seeded random cuts, a batch drained from
    ``ModelStream.drain_patches`` after each chunk and after ``finish()``; with the partial's JSON after each."""
    rng = random.Random(17)
    cases = []
    for workload in WORKLOADS.values():
        text = build(workload.name, 4_000).data
        for tp in (workload.model, workload.typed_dict):
            cuts = sorted(rng.sample(range(1, len(text)), 60))
            stream = midstream.ModelStream(tp)
            dump = pydantic.TypeAdapter(tp).dump_python
            batches, values = [], []
            for chunk in [*split_at(text, cuts), b""]:
                partial = stream.feed(chunk) if chunk else stream.finish()
                batches.append(stream.drain_patches())
                values.append(None if partial is None else dump(partial, mode="json", warnings=False))
            cases.append({"batches": batches, "values": values})
    return cases


def test_apply_patch_in_node_builds_the_json_of_every_typed_partial() -> None:
    cases = _typed_cases()
    script = """
import { readFileSync } from "node:fs";
const cases = JSON.parse(readFileSync(0, "utf8"));
const out = cases.map(({ batches }) => {
  let doc = null;
  return batches.map((batch) => (doc = midstream.applyPatch(doc, batch)));
});
console.log(JSON.stringify(out));
"""
    got = _node(script, cases)
    for case, seen in zip(cases, got, strict=True):
        assert seen == json.loads(json.dumps(case["values"]))
    assert sum(op["op"] == "append" for case in cases for batch in case["batches"] for op in batch) > 100


class NodeApplier:
    """One Node process applying batches for many hypothesis examples: a line of JSON in (a list of batches), a
    line out (the document after each), so an example costs a round trip, not a Node start."""

    SCRIPT = """
import { createInterface } from "node:readline";
for await (const line of createInterface({ input: process.stdin })) {
  let doc = null;
  const docs = JSON.parse(line).map((batch) => (doc = midstream.applyPatch(doc, batch)));
  process.stdout.write(JSON.stringify(docs) + "\\n");
}
"""

    def __init__(self) -> None:
        assert NODE is not None
        source = f"import * as midstream from {json.dumps(MODULE.as_uri())};\n{self.SCRIPT}"
        self.process = subprocess.Popen(
            [NODE, "--input-type=module", "-e", source],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def apply_all(self, batches: list[Any]) -> list[Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(batches) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "node stopped"
        return json.loads(answer)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture(scope="module")
def node_applier() -> Iterator[NodeApplier]:
    applier = NodeApplier()
    try:
        yield applier
    finally:
        applier.close()


@pytest.mark.parametrize("name", CASE_NAMES)
@given(data=st.data())
@settings(max_examples=max(1, settings.default.max_examples // 10), deadline=None)
def test_apply_patch_in_node_rebuilds_random_typed_partials(
    node_applier: NodeApplier, name: str, data: st.DataObject
) -> None:
    """The property test of the typed patches (``test_model_properties``), applied by ``midstream.js``: random
    documents of every model case, random chunkings, drains at random moments; Node's document after each batch is
    the JSON of the partial at that drain (through JSON, as a browser receives it)."""
    doc = data.draw(documents([name]), label="document")
    dump = pydantic.TypeAdapter(doc.tp).dump_python
    stream = midstream.ModelStream(doc.tp)
    batches, wanted = [], []
    for piece, _ in chunked(data, doc.text):
        stream.feed(piece)
        if data.draw(st.booleans(), label="drain"):
            batches.append(stream.drain_patches())
            wanted.append(None if stream.partial is None else dump(stream.partial, mode="json", warnings=False))
    final = stream.finish()
    batches.append(stream.drain_patches())
    wanted.append(dump(final, mode="json"))
    assert _as_js(node_applier.apply_all(batches)) == _as_js(wanted)


def _as_js(value: Any) -> Any:
    """``value`` as JavaScript holds it: every number a double (an integer past 2**53 rounds, as in a browser)."""
    return json.loads(json.dumps(value), parse_int=float)


def test_sse_events_in_node_read_what_python_reads() -> None:
    bodies = [path.read_bytes() for path in sorted(STREAMS.glob("*.sse"))]
    bodies.append(b"data: a\r\ndata: b\r\rid: 7\nevent: patch\n: note\ndata:[1]\n\nevent: x\n\ndata: cut")
    rng = random.Random(7)
    cases = []
    for body in bodies:
        cuts = rng.sample(range(1, len(body)), min(len(body) - 1, 40))
        pieces = split_at(body, cuts)
        events = [{"event": e.event, "data": e.data, "id": e.id or ""} for e in decode(pieces)]
        cases.append({"pieces": [list(piece) for piece in pieces], "events": events})
    script = """
import { readFileSync } from "node:fs";
const cases = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const { pieces } of cases) {
  const body = new ReadableStream({
    start(controller) { for (const piece of pieces) controller.enqueue(new Uint8Array(piece)); controller.close(); },
  });
  const events = [];
  for await (const event of midstream.sseEvents(new Response(body))) events.push(event);
  out.push(events);
}
console.log(JSON.stringify(out));
"""
    got = _node(script, cases)
    for case, events in zip(cases, got, strict=True):
        assert events == case["events"]
    assert sum(len(events) for events in got) > 100


def test_the_module_ships_in_the_package() -> None:
    from importlib.resources import files

    shipped = files("midstream") / "static" / "midstream.js"
    assert shipped.is_file()
    text = shipped.read_text(encoding="utf-8")
    for name in ("export function applyPatch", "export async function* sseEvents", "export class PatchError"):
        assert name in text
