"""``FencedJSON``: the JSON in a Markdown answer (code fence or bare among prose), streamed as it arrives."""

from __future__ import annotations

import doctest
import itertools
import json
from typing import Any

import midstream
import pytest
from _support import assert_json_equal, split_at
from hypothesis import given
from hypothesis import strategies as st
from midstream import _fenced
from midstream._fenced import FencedJSON


def extract(*chunks: str) -> str:
    fenced = FencedJSON()
    return "".join(fenced.feed(chunk) for chunk in chunks) + fenced.finish()


# (name, text, output): the output of the whole text; every chunking must give the same.
CORPUS: list[tuple[str, str, str]] = [
    ("fence-json", 'Here you go:\n```json\n{"a": 1}\n```\nHope this helps!', '{"a": 1}\n'),
    ("fence-no-language", "```\n[1, 2]\n```", "[1, 2]\n"),
    ("fence-JSON-upper", 'Result:\n\n```JSON\n{"a": true}\n```', '{"a": true}\n'),
    ("fence-jsonc-attrs", '```jsonc title="out"\n{"a": null}\n```\n', '{"a": null}\n'),
    ("fence-info-spaces", "```  json  \n{}\n```", "{}\n"),
    ("fence-tilde", 'Sure.\n~~~json\n{"a": "~~~"}\n~~~\nbye', '{"a": "~~~"}\n'),
    ("fence-tilde-info-backticks", '~~~ json `x`\n{"a": 1}\n~~~', '{"a": 1}\n'),
    ("fence-indented", 'List:\n   ```json\n   {"a": 1}\n   ```\nend', '   {"a": 1}\n   '),
    ("fence-four-backticks", '````json\n{"a":\n```\n1}\n````\nafter', '{"a":\n```\n1}\n'),
    ("fence-longer-close", '```json\n{"a": 1}\n`````  \nafter', '{"a": 1}\n'),
    ("fence-close-with-trailing-space", '```json\n{"a": 1}\n```  \t\n{"b"}', '{"a": 1}\n'),
    ("fence-close-at-end", '```json\n{"a": 1}\n```', '{"a": 1}\n'),
    ("fence-close-with-text-is-content", '```json\n{"a": 1}\n```x\n```\n', '{"a": 1}\n```x\n'),
    ("fence-close-other-char", '```json\n{"a": 1}\n~~~\n```', '{"a": 1}\n~~~\n'),
    ("fence-close-too-short", "````json\n[1,\n```\n2]\n````", "[1,\n```\n2]\n"),
    ("fence-close-four-spaces", "```json\n[1,\n    ```\n2]\n```", "[1,\n    ```\n2]\n"),
    (
        "fence-backticks-in-string",
        '```json\n{"code": "```python\\nprint(1)\\n```"}\n```',
        '{"code": "```python\\nprint(1)\\n```"}\n',
    ),
    (
        "fence-backtick-runs-mid-line",
        '```json\n{"a": "`", "b": "``", "c": "````"}\n```',
        '{"a": "`", "b": "``", "c": "````"}\n',
    ),
    ("fence-pretty", '```json\n{\n  "a": [\n    1,\n    2\n  ]\n}\n```', '{\n  "a": [\n    1,\n    2\n  ]\n}\n'),
    ("fence-crlf", '```json\r\n{"a": 1}\r\n```\r\nbye', '{"a": 1}\r\n'),
    ("fence-unclosed", '```json\n{"a": [1, 2', '{"a": [1, 2'),
    ("fence-unclosed-held-run", "```json\n[1,\n``", "[1,\n``"),
    ("fence-empty", "```json\n```\n{}", ""),
    ("fence-skips-other-language", '```python\nx = {"a": [1]}\n```\n```json\n{"b": 2}\n```', '{"b": 2}\n'),
    ("fence-skipped-tilde-then-bare", '~~~text\n{"no": 1}\n~~~\nThen: {"yes": 2} done', '{"yes": 2}'),
    ("fence-inline-is-prose", 'Use ```json {"a": 1}``` here', '{"a": 1}'),
    ("fence-inline-at-line-start", '```json {"a": [1]}``` ok', '{"a": [1]}'),
    ("fence-inline-backtick-in-string", '```json {"a": "`x"}``` ok', '{"a": "`x"}'),
    ("fence-after-rejected-brace-is-prose", '{~~~json\n{"a": 1}\n~~~', '{"a": 1}'),
    ("fence-two-backticks-is-prose", '``json\n{"a": 1}\n``', '{"a": 1}'),
    ("fence-mid-line-is-prose", 'see ```json\n{"a": 1}\n```', '{"a": 1}'),
    ("fence-after-tab-is-prose", '\t```json\n{"a": 1}\n```', '{"a": 1}'),
    ("bare-start", '{"a": 1}', '{"a": 1}'),
    ("bare-prose-around", 'The answer is {"a": [1, {"b": 2}]} as requested {"x": 1}.', '{"a": [1, {"b": 2}]}'),
    ("bare-after-colon", 'JSON:{"a": 1}', '{"a": 1}'),
    ("bare-newline", 'Sure!\n\n{\n  "a": 1\n}\nAnything else?', '{\n  "a": 1\n}'),
    ("bare-braces-in-strings", 'x {"a": "}{][", "b": "{"} y', '{"a": "}{][", "b": "{"}'),
    (
        "bare-escaped-quotes",
        'x {"a": "say \\"}\\" ok", "b\\\\": "\\\\"} y }',
        '{"a": "say \\"}\\" ok", "b\\\\": "\\\\"}',
    ),
    ("bare-escaped-unicode", 'x {"a": "\\u007d\\""} y', '{"a": "\\u007d\\""}'),
    ("bare-nested-arrays", 'Here:\n[[1, [2, [3]]], [], {"a": []}] and more ]', '[[1, [2, [3]]], [], {"a": []}]'),
    ("bare-array-after-colon", "values: [1, 2, 3].", "[1, 2, 3]"),
    ("bare-array-negative", "\n[-1, 2]", "[-1, 2]"),
    ("bare-empty-object", "x {} y", "{}"),
    ("bare-empty-array", "result:\n[]", "[]"),
    ("bare-space-after-brace", 'x {  \n "a": 1 }', '{  \n "a": 1 }'),
    ("bare-placeholder-skipped", 'Fill {name} and {{x}} then { "a": 1 }', '{ "a": 1 }'),
    ("bare-double-brace-skipped", 'x {{"a": 1}} {"b": 2}', '{"b": 2}'),
    ("bare-literal-arrays-skipped", 'Notes:\n[note] x\n[true, 1]\n{"a": 1}', '{"a": 1}'),
    ("bare-links-skipped", 'See [the docs](http://x) and [1] or [true]:\n[\n  "ok"\n]', '[\n  "ok"\n]'),
    ("bare-bracket-mid-line-skipped", 'see [1, 2] then {"a": 1}', '{"a": 1}'),
    ("bare-brace-after-word-skipped", 'x{"a": 1} {"b": 2}', '{"b": 2}'),
    ("bare-rejected-then-fence", '{ name }\n```json\n{"a": 1}\n```', '{"a": 1}\n'),
    ("bare-then-fence-ignored", '{"a": 1}\n```json\n{"b": 2}\n```', '{"a": 1}'),
    ("bare-truncated", 'x {"a": [1, "}', '{"a": [1, "}'),
    ("bare-held-brace-at-end", "x { \n", "{ \n"),
    ("no-json", "Sorry, I can't help with that.", ""),
    ("empty", "", ""),
    ("unicode", 'Voilà : {"é": "😀 ```"} fin', '{"é": "😀 ```"}'),
]


@pytest.mark.parametrize(("text", "output"), [case[1:] for case in CORPUS], ids=[case[0] for case in CORPUS])
def test_corpus_whole_and_every_split(text: str, output: str) -> None:
    assert extract(text) == output
    assert extract(*text) == output, "one character at a time"
    for cut in range(len(text) + 1):
        assert extract(text[:cut], text[cut:]) == output, f"cut at {cut}"


@pytest.mark.parametrize(("text", "output"), [case[1:] for case in CORPUS], ids=[case[0] for case in CORPUS])
def test_corpus_every_three_way_split(text: str, output: str) -> None:
    for first, second in itertools.combinations(range(1, len(text)), 2):
        assert extract(text[:first], text[first:second], text[second:]) == output, f"cuts at {first}, {second}"


def test_corpus_outputs_that_should_be_json_parse() -> None:
    unparsable = {"fence-unclosed", "fence-unclosed-held-run", "fence-empty", "fence-four-backticks"}
    unparsable |= {"fence-close-with-text-is-content", "fence-close-other-char", "fence-close-too-short"}
    unparsable |= {"fence-close-four-spaces", "bare-truncated", "bare-held-brace-at-end", "no-json", "empty"}
    for name, _, output in CORPUS:
        if name not in unparsable:
            json.loads(output)


def test_streams_without_holding_back() -> None:
    """Fenced content with no line starting with a backtick, and a bare value, come out character by character."""
    content = '{\n  "a": "x ``` y",\n  "b": [1, 2]\n}\n'
    text = "Here:\n```json\n" + content + "```\nbye"
    fenced = FencedJSON()
    start = text.index(content)
    seen = ""
    for position, char in enumerate(text):
        seen += fenced.feed(char)
        if start <= position < start + len(content):
            assert seen == text[start : position + 1]
    assert seen == content
    bare = 'Answer: {"a": "b"} end'
    fenced = FencedJSON()
    seen = ""
    for position, char in enumerate(bare):
        seen += fenced.feed(char)
        if position >= bare.index('"'):  # the "{" and spaces after it are held until the next character
            assert seen == bare[bare.index("{") : position + 1][: len('{"a": "b"}')]


def test_holds_back_only_the_fence_run() -> None:
    fenced = FencedJSON()
    assert fenced.feed("```json\n[1,\n") == "[1,\n"
    assert fenced.feed("`") == ""
    assert fenced.feed("`") == ""
    assert fenced.feed("x") == "``x"  # two backticks and more: content
    assert fenced.feed("\n  ``") == "\n  "
    assert fenced.feed("`") == ""
    assert fenced.feed("  ") == ""  # a full run and whitespace: still maybe the closing fence
    assert fenced.feed("2") == "```  2"  # no: content
    assert fenced.feed("]\n```") == "]\n"
    assert fenced.feed("\ntrailing prose {") == ""
    assert fenced.finish() == ""


def test_feed_after_finish_raises() -> None:
    fenced = FencedJSON()
    fenced.finish()
    assert fenced.finish() == ""
    with pytest.raises(ValueError, match="after finish"):
        fenced.feed("x")


def test_long_input_is_linear() -> None:
    """A big answer in small chunks: each chunk costs its own size (no rescanning of what came before)."""
    item = '{"id": 1, "text": "a } ] \\" ``` b", "list": [1, [2, {"x": "{"}]]}'
    body = "[" + ",\n".join([item] * 3000) + "]"
    for text, expected in ((f"Here:\n```json\n{body}\n```\n", body + "\n"), (f"Here: {body} bye", body)):
        fenced = FencedJSON()
        out = [fenced.feed(text[i : i + 7]) for i in range(0, len(text), 7)]
        assert "".join(out) + fenced.finish() == expected


def test_docstring_examples() -> None:
    result = doctest.testmod(_fenced, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


# --- property: random JSON wrapped in random prose and fences ---------------------------------------------------

_TEXT = st.text(st.sampled_from('ab {}[]"\\`~:\n\t\u00e9\U0001f600,'), max_size=12)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), _TEXT)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_TEXT, children, max_size=4)),
    max_leaves=20,
)
# Prose before the JSON: no bracket, brace or fence character, so it cannot start anything ...
_PROSE_WORDS = st.text(st.sampled_from("abcXY .,!?':\n\t"), max_size=15)
# ... except these, which must not be taken for JSON or a fence.
_PROSE_TRAPS = st.sampled_from(
    ["see [the docs]", "a {placeholder} b", "inline `code` here", "~tilde~", "``two``", "x{}", "see [1] ", "({", "a `b"]
)
_PROSE = st.lists(st.one_of(_PROSE_WORDS, _PROSE_TRAPS), max_size=4).map("".join)
# After the JSON anything goes: it is ignored.
_AFTER = st.text(st.sampled_from('ab \n{}[]"`~:'), max_size=20)


def _serialize(value: Any, draw: Any) -> str:
    indent = draw(st.sampled_from([None, None, 0, 2, "\t"]))
    ensure_ascii = draw(st.booleans())
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)


def _fenced_document(value: Any, draw: Any) -> tuple[str, str]:
    """Prose, a fence holding ``value``, more prose; and the output expected (the fence's content, which ends
    with the closing fence's indentation)."""
    json_text = _serialize(value, draw)
    char = draw(st.sampled_from("`~"))
    length = draw(st.integers(3, 5))
    info = draw(st.sampled_from(["", "json", "JSON", "jsonc", " json ", "json5 title=x"]))
    before = draw(_PROSE)
    if before and not before.endswith("\n"):
        before += "\n"
    if draw(st.booleans()):  # a fence of another language first: skipped whole
        before += draw(st.sampled_from(['```python\nx = {"a": [1]}\n```\n', "~~~text\n[1, 2]\n~~~\n"]))
    opening = " " * draw(st.integers(0, 3)) + char * length + info + "\n"
    indent = " " * draw(st.integers(0, 3))
    closing = char * (length + draw(st.integers(0, 2))) + draw(st.sampled_from(["", " ", " \t", "\r"]))
    after = draw(st.sampled_from(["", "\n"]))
    if after:
        after += draw(_AFTER)
    content = json_text + "\n" + indent
    return before + opening + content + closing + after, content


def _bare_document(value: Any, draw: Any) -> tuple[str, str]:
    """Prose, the bare ``value`` (an object or array), more prose; and the JSON text."""
    json_text = _serialize(value, draw)
    before = draw(_PROSE)
    if before:
        seps = ["\n", ":", ": ", "\n  "] if json_text[0] == "[" else [" ", "\n", ":", ": ", "\t"]
        before += draw(st.sampled_from(seps))
    return before + json_text + draw(_AFTER), json_text


def _takes_bare(value: Any) -> bool:
    """Whether ``value`` is an object or array the bare rule picks up (an array not opening with a literal)."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and (not value or not (value[0] is None or isinstance(value[0], bool)))


def _check(document: str, draw: Any) -> str:
    whole = extract(document)
    cuts = draw(st.lists(st.integers(0, len(document)), max_size=12))
    chunks = split_at(document, cuts)
    fenced = FencedJSON()
    outputs = [fenced.feed(chunk) for chunk in chunks] + [fenced.finish()]
    assert "".join(outputs) == whole
    parser = midstream.Parser()  # the outputs as a stream: every prefix is a JSON prefix
    for output in outputs:
        parser.feed(output)
    parser.finish()
    return whole


@given(_VALUES, st.data())
def test_fenced_values_come_back(value: Any, data: st.DataObject) -> None:
    document, content = _fenced_document(value, data.draw)
    output = _check(document, data.draw)
    assert output == content
    assert_json_equal(json.loads(output), value)


@given(_VALUES.filter(_takes_bare), st.data())
def test_bare_values_come_back(value: Any, data: st.DataObject) -> None:
    document, json_text = _bare_document(value, data.draw)
    output = _check(document, data.draw)
    assert output == json_text
    assert_json_equal(json.loads(output), value)
