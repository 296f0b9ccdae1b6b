"""The examples in the package docstring and the README run and show what they claim."""

from __future__ import annotations

import ast
import doctest
import inspect
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import midstream
import midstream.testing

README = Path(__file__).resolve().parents[1] / "README.md"


def test_package_docstring_examples() -> None:
    result = doctest.testmod(midstream, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def _statements(block: str) -> list[str]:
    """Top-level statements of a code block: a line at column 0 and the indented lines that follow it."""
    statements: list[str] = []
    for line in block.splitlines():
        if line[:1].isspace() and statements:
            statements[-1] += "\n" + line
        else:
            statements.append(line)
    return statements


def test_readme_python_examples_show_what_they_claim() -> None:
    """Each ``expr  # shown`` line in the README's python blocks evaluates to the shown value. (Blocks that need
    a provider's API are tagged ``py`` rather than ``python`` and are not run.)"""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    checked = 0
    module = types.ModuleType("readme_examples")  # pydantic resolves annotations in the defining module
    module.__dict__["midstream"] = midstream
    namespace = module.__dict__
    sys.modules[module.__name__] = module
    try:
        for block in blocks:
            pending_comment_for: str | None = None
            for line in _statements(block):
                if pending_comment_for is not None and line.startswith("# "):
                    assert repr(eval(pending_comment_for, namespace)) == line[2:].strip()
                    checked += 1
                    pending_comment_for = None
                    continue
                if "\n" in line:
                    exec(line, namespace)
                    continue
                code, _, comment = line.partition("#")
                code = code.rstrip()
                if not code:
                    continue
                try:
                    compiled = compile(code, "README", "eval")
                except SyntaxError:
                    exec(code, namespace)
                    continue
                if code.endswith("drain_events()"):
                    namespace["_last"] = eval(compiled, namespace)
                    pending_comment_for = "_last"
                    continue
                value = eval(compiled, namespace)
                shown = comment.strip().split("  ")[0]
                if shown and (shown[0] in "{[('0123456789" or shown[0].isupper()) and ".feed(" not in code:
                    assert repr(value) == shown, (code, value, shown)
                    checked += 1
    finally:
        del sys.modules[module.__name__]
    assert checked >= 9


def test_module_docstring_examples() -> None:
    import midstream._from_json
    import midstream.bench
    import midstream.bench.chunking
    import midstream.bench.wire
    import midstream.bench.workloads
    import midstream.patch
    import midstream.pydantic._model_stream
    import midstream.pydantic._patches
    import midstream.sse
    import midstream.streams
    import midstream.testing.contract
    import midstream.testing.strategies

    attempted = 0
    modules = (
        midstream._from_json,
        midstream.patch,
        midstream.pydantic._model_stream,
        midstream.streams,
        midstream.sse,
        midstream.bench,
        midstream.bench.chunking,
        midstream.bench.wire,
        midstream.bench.workloads,
        midstream.pydantic._patches,
        midstream.testing.contract,
        midstream.testing.strategies,
    )
    for module in modules:
        result = doctest.testmod(module, verbose=False)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted >= 20


def test_models_doc_first_example_runs() -> None:
    """docs/models.md's opening example runs as written and ends with the object it describes."""
    text = (README.parent / "docs" / "models.md").read_text(encoding="utf-8")
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    module = types.ModuleType("models_doc_example")  # pydantic resolves annotations in the defining module
    sys.modules[module.__name__] = module
    try:
        exec(block, module.__dict__)
    finally:
        del sys.modules[module.__name__]
    stream = module.__dict__["stream"]
    final = stream.finish()  # type: ignore[attr-defined]
    assert [task.title for task in final.tasks] == ["Write docs", "Test"]
    assert stream.progress == 1.0  # type: ignore[attr-defined]


def test_embedding_doc_examples_run() -> None:
    """docs/embedding.md's python blocks run as written: the events loop and the SSE -> adapter -> ModelStream
    pipeline, which ends with the object it names."""
    text = (README.parent / "docs" / "embedding.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    module = types.ModuleType("embedding_doc_example")  # pydantic resolves annotations in the defining module
    sys.modules[module.__name__] = module
    try:
        for block in blocks:
            exec(block, module.__dict__)
    finally:
        del sys.modules[module.__name__]
    assert repr(module.__dict__["note"]) == "Note(title='Hello')"


# --- calls in the prose agree with the code ------------------------------------------------------------------------

DOCS = [*sorted((README.parent / "docs").glob("*.md")), README]
#: Public callables the docs show calls of, by the name a call spells.
CALLABLES = {
    "Parser": midstream.Parser,
    "ModelStream": midstream.ModelStream,
    "stream": midstream.stream,
    "iter_items": midstream.iter_items,
    "aiter_items": midstream.aiter_items,
    "stream_tool_calls": midstream.stream_tool_calls,
    "from_json": midstream.from_json,
    "throttle": midstream.throttle,
    "from_openai": midstream.from_openai,
    "from_anthropic": midstream.from_anthropic,
    "find_violation": midstream.testing.find_violation,
}


def _calls(text: str) -> Iterator[tuple[str, ast.Call]]:
    """Every call of a known callable that parses as Python, in code spans and code blocks alike."""
    pattern = re.compile(r"(?<![\w.])(?:midstream\.)?(" + "|".join(CALLABLES) + r")\(")
    for match in pattern.finditer(text):
        before = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
        if re.search(r"(jiter|pydantic[-_]core|instructor|ijson)\W*$", before):
            continue  # a peer's function of the same name
        depth, end = 0, match.end() - 1
        while end < len(text):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
            end += 1
        try:
            tree = ast.parse(text[match.start() : end + 1].replace("midstream.", "", 1), mode="eval")
        except SyntaxError:
            continue  # prose around a name, a signature with annotations...
        if isinstance(tree.body, ast.Call):
            yield match.group(1), tree.body


def test_calls_in_the_docs_match_the_signatures() -> None:
    """A keyword the docs pass exists; a positional argument named like another parameter is not in its place
    (``iter_items(source, Item)``)."""
    wrong: list[str] = []
    checked = 0
    for path in DOCS:
        for name, call in _calls(path.read_text(encoding="utf-8")):
            parameters = inspect.signature(CALLABLES[name]).parameters
            names = list(parameters)
            takes_any_keyword = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
            spelled = f"{path.name}: {ast.unparse(call)}"
            for keyword in call.keywords:
                if keyword.arg is not None and keyword.arg not in parameters and not takes_any_keyword:
                    wrong.append(f"{spelled}: no parameter {keyword.arg!r}")
            positional = [
                p
                for p in names
                if parameters[p].kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            ]
            for index, argument in enumerate(call.args):
                if (
                    isinstance(argument, ast.Name)
                    and argument.id in positional
                    and positional.index(argument.id) != index
                ):
                    wrong.append(f"{spelled}: {argument.id!r} is parameter {positional.index(argument.id)}")
            checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked > 30
