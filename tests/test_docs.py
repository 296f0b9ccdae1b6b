"""The examples in the package docstring and the README run and show what they claim."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import midstream

README = Path(__file__).resolve().parents[1] / "README.md"


def test_package_docstring_examples() -> None:
    result = doctest.testmod(midstream, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_python_examples_show_what_they_claim() -> None:
    """Each ``expr  # shown`` line in the README's python blocks evaluates to the shown value."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    checked = 0
    namespace: dict[str, object] = {"midstream": midstream}
    for block in blocks:
        pending_comment_for: str | None = None
        for line in block.splitlines():
            if pending_comment_for is not None and line.startswith("# "):
                assert repr(eval(pending_comment_for, namespace)) == line[2:].strip()
                checked += 1
                pending_comment_for = None
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
            if shown and shown[0] in "{[('TF0123456789" and not code.startswith("parser.feed"):
                assert repr(value) == shown, (code, value, shown)
                checked += 1
    assert checked >= 6
