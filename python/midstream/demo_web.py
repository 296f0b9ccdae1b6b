"""``midstream demo --web``: the FastAPI example page (examples/fastapi_sse), answered by a loopback replay.

The upstream "model" is ``midstream.testing.ReplayServer`` streaming a Chat Completions answer (a list of ideas) at a
model's pace, so the page shows partial lists growing with no network and no API key. The example app lives in
the repository's ``examples/`` folder: run this from a checkout (``pip install '.[web,openai]'``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from midstream.testing.replay import ReplayServer, chat_stream

IDEAS = [
    {"title": "Solar kettle", "pitch": "Boils water for tea with a folding mirror dish and an afternoon of sun."},
    {"title": "Seed library", "pitch": "Borrow seeds in spring, bring back seeds from the harvest in autumn."},
    {"title": "Repair café", "pitch": "Neighbours fix each other's lamps, bikes and jumpers over coffee."},
    {"title": "Tool share", "pitch": "One good drill per street is plenty: book it from a shared shed."},
    {"title": "Rain garden", "pitch": "Turn the downpipe's runoff into a bed of irises and a home for frogs."},
]


def ideas_stream(seed: int = 0) -> bytes:
    """The ideas answer as an OpenAI Chat Completions SSE stream, in token-sized pieces."""
    return chat_stream(json.dumps({"items": IDEAS}, ensure_ascii=False), seed=seed)


def find_example() -> Path | None:
    """examples/fastapi_sse/app.py of the checkout this runs from (the working directory or the source tree)."""
    here = Path(__file__).resolve()
    for root in (Path.cwd(), *here.parents):
        candidate = root / "examples" / "fastapi_sse" / "app.py"
        if candidate.is_file():
            return candidate
    return None


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("midstream_fastapi_sse_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def serve(host: str = "127.0.0.1", port: int = 8000, pace: float = 0.003) -> int:
    """Serve the example page until interrupted; returns the exit status."""
    try:
        import openai
        import uvicorn
    except ImportError:
        print("midstream demo --web needs: pip install 'midstream[web,openai]'", file=sys.stderr)
        return 2
    path = find_example()
    if path is None:
        print("midstream demo --web serves examples/fastapi_sse/: run it from a checkout", file=sys.stderr)
        return 2
    example = _load(path)
    with ReplayServer(ideas_stream(), pace=pace, max_chunk=64) as upstream:  # about 2 s per answer
        client = openai.AsyncOpenAI(base_url=upstream.base_url + "/v1", api_key="replay", max_retries=0)
        app = example.create_app(client, model="replay")
        print(f"midstream demo --web: {path.parent} on http://{host}:{port}/ (upstream: a replay)", file=sys.stderr)
        uvicorn.run(app, host=host, port=port, log_level="info")
    return 0
