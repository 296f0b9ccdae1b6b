"""``midstream demo --web``: the FastAPI example page (examples/fastapi_sse), answered by a loopback replay.

No model is called. The upstream is ``midstream.testing.ReplayServer`` answering each request of the example's
OpenAI client with a Chat Completions stream it generates from the request: as many ideas as the page's Count
asks for, each about the page's Topic, the same answer for the same Topic and Count. It streams at a model's pace,
so the page shows partial lists growing, with no network and no API key; the page says it is a replay. The
example app lives in the repository's ``examples/`` folder: run this from a checkout
(``pip install '.[web,openai]'``).
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from midstream.testing.replay import ReplayServer, chat_stream

__all__ = [
    "REPLAY_NOTICE",
    "find_example",
    "generated_ideas",
    "load_example",
    "replay_answer",
    "replay_app",
    "replay_server",
    "serve",
    "topic_and_count",
]

#: Shown at the top of the page.
REPLAY_NOTICE = (
    "This is a replay: no model is called. A local server generates an answer from your topic and count "
    "(the same one each time) and streams it at a model's pace, so you can watch midstream turn it into "
    "partial lists."
)

#: One idea each: a title, and a pitch about the topic.
IDEA_TEMPLATES = [
    ("Swap shelf", "A shelf by the door for {topic}: leave one thing, take another, and it restocks itself."),
    ("Repair evening", "Once a month, neighbours bring what is broken in {topic} and fix it together over tea."),
    ("Starter kit", "A box with everything a beginner needs for {topic}, lent out a week at a time."),
    ("Skill swap", "One evening, ten tables: each person teaches the one thing about {topic} they know best."),
    ("Open map", "A shared map of {topic} nearby, drawn and corrected by the people who use it."),
    ("Tool share", "One good set of tools for {topic} per street is plenty: book it from a shared shed."),
    ("Walking tour", "An hour's walk that shows newcomers where {topic} already happens, led by those who run it."),
    ("Notice board", "A board outside the bakery where offers and requests about {topic} meet, cleared each Monday."),
    ("Mentor pairs", "Pair someone who has done {topic} for years with someone starting out, for three coffees."),
    ("Pop-up day", "Close one street for a Saturday and give every doorstep to {topic}."),
    ("Small grants", "Fifty pounds, no forms: a jar filled by local shops for anyone trying {topic}."),
    ("Story night", "Five-minute stories about {topic}; the best become a booklet for the library."),
    ("Summer crew", "Teenagers run one corner of {topic} for the summer, paid in references and pizza."),
    ("Open studio", "A room with a kettle and a key code where anyone working on {topic} can drop in."),
    ("Shared calendar", "One calendar for everything about {topic}, so two good events never clash."),
    ("Buddy rota", "Nobody tries {topic} alone the first time: a rota of volunteers who come along."),
    ("Photo archive", "Scan the old photographs of {topic} before they are lost, and show them in the square."),
    ("Swap meet", "Twice a year, bring what you no longer need for {topic} and leave with what you do."),
    ("Quiet hour", "An hour a week when {topic} is made easy for people who find crowds hard."),
    ("Welcome card", "New neighbours get a card that says where {topic} happens and whom to ask."),
]

#: The example's prompt, ``examples/fastapi_sse/app.py`` ``messages_for``: "Give me exactly N ideas about: TOPIC".
_PROMPT = re.compile(r"exactly (\d+) ideas about: (.*)", re.DOTALL)
_DEFAULT_COUNT = 3


def generated_ideas(topic: str, count: int) -> list[dict[str, str]]:
    """``count`` ideas about ``topic`` (at most one per template), in an order that depends on the topic only."""
    templates = random.Random(topic).sample(IDEA_TEMPLATES, min(max(count, 1), len(IDEA_TEMPLATES)))
    return [{"title": title, "pitch": pitch.format(topic=topic)} for title, pitch in templates]


def topic_and_count(request: Any) -> tuple[str, int]:
    """What the page asked for, read back from the last user message of a Chat Completions request."""
    messages = request.get("messages", []) if isinstance(request, dict) else []
    asked = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    found = _PROMPT.search(asked) if isinstance(asked, str) else None
    if found is None:
        return str(asked), _DEFAULT_COUNT
    return found.group(2).strip(), int(found.group(1))


def replay_answer(method: str, path: str, request: Any) -> bytes:
    """The replay server's answer to one request: the generated ideas as a Chat Completions SSE stream."""
    topic, count = topic_and_count(request)
    # The example asks for a list; midstream's client wraps a list answer in {"items": [...]}.
    answer = json.dumps({"items": generated_ideas(topic, count)}, ensure_ascii=False)
    return chat_stream(answer)


def find_example() -> Path | None:
    """examples/fastapi_sse/app.py of the checkout this runs from (the working directory or the source tree)."""
    here = Path(__file__).resolve()
    for root in (Path.cwd(), *here.parents):
        candidate = root / "examples" / "fastapi_sse" / "app.py"
        if candidate.is_file():
            return candidate
    return None


def load_example(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("midstream_fastapi_sse_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def replay_server(pace: float = 0.002) -> ReplayServer:
    """The upstream: about half a second per idea at the default pace (1 to 64-byte pieces, ``pace`` s apart)."""
    return ReplayServer(replay_answer, pace=pace, max_chunk=64)


def replay_app(example: ModuleType, upstream: ReplayServer) -> Any:
    """The example app, its OpenAI client pointed at the running ``upstream``, its page saying it is a replay."""
    import openai

    client = openai.AsyncOpenAI(base_url=upstream.base_url + "/v1", api_key="replay", max_retries=0)
    return example.create_app(client, model="replay", notice=REPLAY_NOTICE)


def serve(host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve the example page until interrupted; returns the exit status."""
    try:
        import openai  # noqa: F401
        import uvicorn
    except ImportError:
        print("midstream demo --web needs: pip install 'midstream[web,openai]'", file=sys.stderr)
        return 2
    path = find_example()
    if path is None:
        print("midstream demo --web serves examples/fastapi_sse/: run it from a checkout", file=sys.stderr)
        return 2
    with replay_server() as upstream:
        app = replay_app(load_example(path), upstream)
        print(
            f"midstream demo --web: {path.parent} on http://{host}:{port}/ "
            "(upstream: a local replay generating its answer from the page's topic and count; no model is called)",
            file=sys.stderr,
        )
        uvicorn.run(app, host=host, port=port, log_level="info")
    return 0
