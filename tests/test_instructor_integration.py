"""midstream.integrations.instructor: instructor driven by a real openai client against a loopback replay."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

instructor = pytest.importorskip("instructor")
openai = pytest.importorskip("openai")

import midstream.integrations.instructor as integration  # noqa: E402
from midstream.testing import ReplayServer  # noqa: E402
from midstream.testing.replay import chat_stream  # noqa: E402

MESSAGES = [{"role": "user", "content": "go"}]


class Address(BaseModel):
    city: str
    zip: str


class User(BaseModel):
    name: str
    age: int
    role: Literal["admin", "user"]
    address: Address
    tags: list[str]


class Task(BaseModel):
    title: str
    minutes: int


USER = {
    "name": "Ada Lovelace",
    "age": 1234,
    "role": "admin",
    "address": {"city": "London", "zip": "N1"},
    "tags": ["x [y]", "{z}"],
}
TASKS = [
    {"title": 'brackets [ in { strings "quoted" } ]', "minutes": 5},
    {"title": "close } early ]", "minutes": 10},
    {"title": "plain", "minutes": 15},
]


@pytest.fixture(autouse=True)
def _restore() -> Any:
    yield
    integration.disable()


def client(server: ReplayServer) -> Any:
    raw = openai.OpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0)
    return instructor.from_openai(raw, mode=instructor.Mode.JSON)


def aclient(server: ReplayServer) -> Any:
    raw = openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="test", max_retries=0)
    return instructor.from_openai(raw, mode=instructor.Mode.JSON)


def partials(how: str, document: Any, seed: int = 0) -> list[Any]:
    with ReplayServer(chat_stream(json.dumps(document), seed=seed), max_chunk=16) as server:
        c = client(server)
        if how == "create_partial":
            return list(c.create_partial(model="m", messages=MESSAGES, response_model=User))
        return list(
            c.chat.completions.create(
                model="m", messages=MESSAGES, response_model=instructor.Partial[User], stream=True
            )
        )


async def apartials(document: Any) -> list[Any]:
    with ReplayServer(chat_stream(json.dumps(document)), max_chunk=16) as server:
        return [p async for p in aclient(server).create_partial(model="m", messages=MESSAGES, response_model=User)]


def tasks(document: Any) -> list[Any]:
    with ReplayServer(chat_stream(json.dumps(document)), max_chunk=16) as server:
        return list(client(server).create_iterable(model="m", messages=MESSAGES, response_model=Task))


async def atasks(document: Any) -> list[Any]:
    with ReplayServer(chat_stream(json.dumps(document)), max_chunk=16) as server:
        return [t async for t in aclient(server).create_iterable(model="m", messages=MESSAGES, response_model=Task)]


def assert_refinements(seq: list[Any]) -> None:
    """Every partial is an instance of the model; numbers and Literals only ever appear whole."""
    for p in seq:
        assert isinstance(p, User)
        assert p.age in (None, 1234)
        assert p.role in (None, "admin")
        assert p.address is not None  # instructor shows an empty Address before it arrives
        assert p.address.city is None or "London".startswith(p.address.city)


@pytest.mark.parametrize("how", ["create_partial", "create_stream"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partial_streaming_matches_instructor(how: str, seed: int) -> None:
    plain = partials(how, USER, seed)
    with integration.enabled():
        assert integration.is_enabled()
        fast = partials(how, USER, seed)
    assert not integration.is_enabled()
    assert fast[-1] == plain[-1] == User.model_validate(USER)
    assert len(fast) == len(plain)  # one partial per chunk, as instructor yields
    assert_refinements(fast)
    # each partial is a snapshot: earlier ones did not change afterwards
    names = [p.name for p in fast]
    assert all(a is None or (b is not None and b.startswith(a)) for a, b in itertools.pairwise(names))


def test_instructor_shows_half_literals_and_early_numbers_midstream_does_not() -> None:
    plain = partials("create_partial", USER, seed=3)
    assert any(p.age not in (None, 1234) for p in plain) or any(p.role not in (None, "admin") for p in plain)
    integration.enable()
    assert_refinements(partials("create_partial", USER, seed=3))


def test_partial_async() -> None:
    plain = asyncio.run(apartials(USER))
    with integration.enabled():
        fast = asyncio.run(apartials(USER))
    assert fast[-1] == plain[-1] == User.model_validate(USER)
    assert_refinements(fast)


def test_iterable_streaming_with_brackets_in_strings() -> None:
    document = {"tasks": TASKS}
    plain = tasks(document)
    integration.enable()
    fast = tasks(document)
    assert fast == plain == [Task.model_validate(t) for t in TASKS]


def test_iterable_async_and_bare_list() -> None:
    with integration.enabled():
        assert asyncio.run(atasks({"tasks": TASKS})) == [Task.model_validate(t) for t in TASKS]
        assert tasks(TASKS) == [Task.model_validate(t) for t in TASKS]


def test_iterable_brace_counting_bug_is_fixed() -> None:
    # A key before the list: instructor starts at the first '[' anywhere, here inside a string, and loses its place.
    from instructor.dsl.iterable import IterableModel

    model = IterableModel(Task)
    text = json.dumps({"tasks": TASKS})
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]
    with integration.enabled():
        assert list(model.tasks_from_chunks(iter(chunks))) == [Task.model_validate(t) for t in TASKS]


def test_enable_disable_restore_instructor() -> None:
    from instructor.dsl.iterable import IterableBase
    from instructor.dsl.partial import PartialBase

    before = (PartialBase.__dict__["model_from_chunks"], IterableBase.__dict__["tasks_from_chunks"])
    integration.enable()
    integration.enable()
    assert PartialBase.__dict__["model_from_chunks"] is not before[0]
    with integration.enabled():
        pass
    assert integration.is_enabled()  # the block leaves an explicit enable() alone
    integration.disable()
    integration.disable()
    assert (PartialBase.__dict__["model_from_chunks"], IterableBase.__dict__["tasks_from_chunks"]) == before
    with integration.enabled(), integration.enabled():
        assert integration.is_enabled()
    assert not integration.is_enabled()


def test_version_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(integration, "_instructor_version", lambda: "0.1.0")
    with pytest.raises(integration.UnsupportedVersionError):
        integration.enable()
    assert not integration.is_enabled()
    integration.enable(force=True)
    assert integration.is_enabled()


def test_validation_context_falls_back_to_instructor() -> None:
    from instructor.dsl.partial import Partial

    text = json.dumps(USER)
    chunks = [text[i : i + 4] for i in range(0, len(text), 4)]
    plain = list(Partial[User].model_from_chunks(iter(chunks), context={"x": 1}))  # type: ignore[attr-defined]
    with integration.enabled():
        same = list(Partial[User].model_from_chunks(iter(chunks), context={"x": 1}))  # type: ignore[attr-defined]
    assert same == plain


# ---------------------------------------------------------------------------------------------------------------------
# instructor's own streaming tests, with the integration enabled

INSTRUCTOR_TESTS = [
    "tests/dsl/test_partial.py",
    "tests/dsl/test_gemini_tools_async_streaming.py",
    "tests/v2/test_iterable_streaming.py",
    "tests/v2/test_openai_streaming.py",
    "tests/coverage/test_dsl_partial_coverage.py",
    "tests/test_streaming_reask_bug.py",
    "tests/test_streaming_reasoning_events.py",
]
# instructor's test that asserts a half Literal ('act' for 'active') is shown: the fix changes it on purpose.
EXPECTED_DIFFERENT = {
    "tests/dsl/test_partial.py::TestModelValidatorsDuringStreaming::test_model_validator_skipped_during_streaming"
}

PLUGINS = {
    "midstream_async_runner.py": """
        import asyncio, inspect
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_pyfunc_call(pyfuncitem):
            if not inspect.iscoroutinefunction(pyfuncitem.obj):
                return None
            args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
            asyncio.run(pyfuncitem.obj(**args))
            return True
    """,
    "midstream_enable.py": """
        import midstream.integrations.instructor as integration

        def pytest_configure(config):
            integration.enable()
    """,
}


#: Where instructor's own source (its sdist, which has its tests) is unpacked: `.ci/run` fetches the version CI pins
#: there before the tests run (`bash .ci/instructor-tests.sh DIR` does it by hand); no test downloads anything.
SOURCE_ENV = "MIDSTREAM_INSTRUCTOR_SRC"
#: Set by `.ci/run`: a missing source is then a failure, not a skip.
REQUIRED_ENV = "MIDSTREAM_REQUIRE_INSTRUCTOR_SRC"


def instructor_source() -> Path:
    version = instructor.__version__
    folder = os.environ.get(SOURCE_ENV)
    root = Path(folder) / f"instructor-{version}" if folder else None
    if root is None or not (root / "tests").is_dir():
        why = (
            f"instructor {version}'s source is not unpacked in ${SOURCE_ENV} ({folder or 'unset'}): "
            f"bash .ci/instructor-tests.sh <dir> fetches it"
        )
        if os.environ.get(REQUIRED_ENV):
            pytest.fail(why)
        pytest.skip(why)
    return root


def test_instructor_own_streaming_tests_pass_with_the_integration(tmp_path: Path) -> None:
    root = instructor_source()
    for name, text in PLUGINS.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    env.pop("OPENAI_API_KEY", None)

    def run(*plugins: str) -> dict[str, str]:
        args = [sys.executable, "-m", "pytest", *INSTRUCTOR_TESTS, "-q", "-rA", "-p", "no:cacheprovider"]
        for plugin in plugins:
            args += ["-p", plugin]
        out = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=300).stdout
        outcomes = {}
        for line in out.splitlines():
            word, _, rest = line.partition(" ")
            if word in ("PASSED", "FAILED", "ERROR"):
                outcomes[rest.split(" - ")[0]] = word
        return outcomes

    before = run("midstream_async_runner")
    after = run("midstream_async_runner", "midstream_enable")
    assert len(before) > 50 and set(before) == set(after)
    changed = {test for test in before if before[test] != after[test]}
    assert changed <= EXPECTED_DIFFERENT, changed
    assert sum(outcome == "PASSED" for outcome in after.values()) >= len(after) - len(EXPECTED_DIFFERENT)


def test_iterable_skips_empty_chunks_before_the_list_begins() -> None:
    """instructor's extractors yield None or "" for chunks without text; one before the list must not end it."""
    from instructor.dsl.iterable import IterableModel

    text = json.dumps({"tasks": TASKS})
    chunks: list[Any] = [None, "", *(text[i : i + 3] for i in range(0, len(text), 3))]
    expected = list(IterableModel(Task).tasks_from_chunks(iter([c for c in chunks if c])))
    with integration.enabled():
        assert list(IterableModel(Task).tasks_from_chunks(iter(chunks))) == expected == [Task(**t) for t in TASKS]
