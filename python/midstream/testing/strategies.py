"""Hypothesis strategies for JSON that arrives in pieces (needs ``hypothesis``: ``pip install 'midstream[testing]'``).

* ``json_values()``  -- JSON-compatible Python values, with the nasty parts: escapes and control characters,
  astral characters (surrogate pairs once escaped), non-ASCII, huge and tiny numbers, ``-0.0``, deep nesting,
  empty containers, duplicate-looking keys.
* ``json_texts()``   -- UTF-8 JSON documents of such values, serialized with random whitespace, random ``\\u``
  escaping and random ``ensure_ascii``: the same value spelled many ways.
* ``chunkings(data)`` -- ``data`` cut into chunks, the cuts favouring the places parsers get wrong: inside a UTF-8
  sequence, right after a backslash, inside ``\\uXXXX``, inside numbers and literals.
* ``truncations(data)`` -- proper prefixes of ``data``, favouring the same places.
* ``model_instances(Model)`` -- JSON values that validate as ``Model`` (any type pydantic's ``TypeAdapter`` takes).

>>> from hypothesis import given
>>> @given(json_texts())
... def test_parses(text):
...     assert json.loads(text) is not None or text.strip() == b"null"
>>> test_parses()
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

T = TypeVar("T")

#: Characters that strings must survive: quotes, backslash, every short escape, DEL, the C1 range, the line and
#: paragraph separators JavaScript chokes on, a BOM, an astral emoji, CJK, a combining accent.
NASTY_CHARACTERS = '"\\/\b\f\n\r\t\x00\x1f\x7f\x85\u2028\u2029\ufeff\U0001f680\u6771\u0301é'
#: Numbers at the edges: the smallest subnormal, the largest double, 2**53 + 1 (not a double), 2**64, signed zero.
NASTY_NUMBERS: tuple[int | float, ...] = (
    0,
    -0.0,
    5e-324,
    1.7976931348623157e308,
    2**53 + 1,
    2**64,
    -(2**63),
    10**100,
    1e-7,
    0.1,
)
#: Whitespace JSON allows between tokens.
WHITESPACE = (b"", b"", b" ", b"\n", b"\t", b"\r\n", b"  \n\t ")

_characters = st.one_of(st.characters(codec="utf-8"), st.sampled_from(NASTY_CHARACTERS))
_strings = st.text(_characters, max_size=12)
_integers = st.one_of(
    st.integers(-(2**64), 2**64),
    st.integers(-(10**300), 10**300),  # well within Python's 4,300-digit conversion limit
    st.sampled_from([n for n in NASTY_NUMBERS if isinstance(n, int)]),
)
_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([n for n in NASTY_NUMBERS if isinstance(n, float)]),
)
_scalars = st.one_of(st.none(), st.booleans(), _integers, _floats, _strings)


def _nest(value: Any, depth: int, rnd: random.Random) -> Any:
    for _ in range(depth):
        value = [value] if rnd.random() < 0.5 else {"": value} if rnd.random() < 0.5 else {"k": [value]}
    return value


def json_values(*, max_leaves: int = 30, max_depth: int = 100) -> st.SearchStrategy[Any]:
    """JSON-compatible values (``None``, bools, ints, finite floats, str, lists, str-keyed dicts).

    Most are small trees; some are wrapped in up to ``max_depth`` levels of nesting.
    """
    trees = st.recursive(
        _scalars,
        lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(_strings, children, max_size=5)),
        max_leaves=max_leaves,
    )
    deep = st.builds(_nest, trees, st.integers(1, max_depth), st.randoms(use_true_random=False))
    return st.one_of(trees, trees, trees, deep, st.sampled_from([[], {}, "", [[]], {"": {}}, [{}, []]]))


class _Writer:
    """Serializes a JSON value with random whitespace, random ``\\u`` escapes and random ``ensure_ascii``."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.ascii_only = rnd.random() < 0.3
        self.out = bytearray()

    def write(self, value: Any) -> bytes:
        self.space()
        # An explicit stack, not recursion: deep values must not depend on Python's recursion limit.
        stack: list[Any] = [("value", value)]
        while stack:
            kind, item = stack.pop()
            if kind == "raw":
                self.out += item
            elif kind == "space":
                self.space()
            elif isinstance(item, list):
                stack.append(("raw", b"]"))
                for index in reversed(range(len(item))):
                    stack += [("space", None), ("value", item[index]), ("space", None)]
                    if index:
                        stack.append(("raw", b","))
                self.out += b"["
            elif isinstance(item, dict):
                stack.append(("raw", b"}"))
                keys = list(item)
                for index in reversed(range(len(keys))):
                    key = keys[index]
                    stack += [("space", None), ("value", item[key]), ("space", None), ("raw", b":")]
                    stack += [("space", None), ("raw", self.string(key)), ("space", None)]
                    if index:
                        stack.append(("raw", b","))
                self.out += b"{"
            else:
                self.out += self.scalar(item)
        self.space()
        return bytes(self.out)

    def space(self) -> None:
        if self.rnd.random() < 0.3:
            self.out += self.rnd.choice(WHITESPACE)

    def scalar(self, value: Any) -> bytes:
        if value is None or isinstance(value, bool):
            return b"null" if value is None else b"true" if value else b"false"
        if isinstance(value, int):
            return str(value).encode()
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"JSON has no {value!r}")
            text = repr(value)
            return self.rnd.choice((text, text, text.upper(), f"{value:.17e}", f"{value:.17g}")).encode()
        if isinstance(value, str):
            return self.string(value)
        raise TypeError(f"not a JSON value: {type(value).__name__}")

    def string(self, text: str) -> bytes:
        out = bytearray(b'"')
        for char in text:
            code = ord(char)
            roll = self.rnd.random()
            if char in '"\\':
                out += b"\\" + char.encode() if roll < 0.8 else _u_escape(code, self.rnd)
            elif code < 0x20:
                short = json.dumps(char)[1:-1]
                out += short.encode() if len(short) == 2 and roll < 0.7 else _u_escape(code, self.rnd)
            elif code < 0x80:
                out += char.encode() if roll < 0.9 else _u_escape(code, self.rnd)
            elif 0xD800 <= code <= 0xDFFF:  # a lone surrogate can only be written as an escape
                out += _u_escape(code, self.rnd)
            else:
                out += _u_escape(code, self.rnd) if self.ascii_only or roll < 0.15 else char.encode()
        out += b'"'
        return bytes(out)


def _u_escape(code: int, rnd: random.Random) -> bytes:
    """``\\uXXXX`` in random hex case, or a surrogate pair of them for an astral character."""
    if code > 0xFFFF:
        code -= 0x10000
        return _u_escape(0xD800 + (code >> 10), rnd) + _u_escape(0xDC00 + (code & 0x3FF), rnd)
    return ("\\u" + "".join(rnd.choice((d.lower(), d.upper())) for d in f"{code:04x}")).encode()


def json_texts(values: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[bytes]:
    """UTF-8 JSON documents of ``values`` (default ``json_values()``), each spelled at random."""
    return st.builds(
        lambda value, rnd: _Writer(rnd).write(value),
        values if values is not None else json_values(),
        st.randoms(use_true_random=False),
    )


def interesting_cuts(data: bytes) -> list[int]:
    """Positions where a cut is hardest: inside a UTF-8 sequence, after a backslash or inside ``\\uXXXX``,
    inside a number or a literal."""
    cuts = []
    for i in range(1, len(data)):
        before, after = data[i - 1], data[i]
        mid_character = after & 0xC0 == 0x80  # a UTF-8 continuation byte follows
        mid_escape = before == 0x5C or data[max(0, i - 5) : i - 1].endswith(b"\\u")  # after a backslash, in \\uXXXX
        if mid_character or mid_escape:
            cuts.append(i)
        elif chr(before) in "0123456789.eE+-tfnrlsua" and chr(after) in "0123456789.eE+-rueals":
            cuts.append(i)  # mid-number or mid-literal (and some mid-word cuts in strings, which do no harm)
    return cuts


@st.composite
def _cut_points(draw: st.DrawFn, data: bytes, max_cuts: int) -> list[int]:
    if len(data) < 2:
        return []
    if draw(st.integers(0, 9)) == 0:
        return list(range(1, len(data)))  # one byte at a time
    picks = set(draw(st.lists(st.integers(1, len(data) - 1), max_size=max_cuts)))
    hard = interesting_cuts(data)
    if hard:
        picks |= set(draw(st.lists(st.sampled_from(hard), max_size=max_cuts)))
    return sorted(picks)


def chunkings(data: bytes, *, max_cuts: int = 40) -> st.SearchStrategy[list[bytes]]:
    """``data`` cut into chunks (joined, they are ``data``); sometimes one byte at a time."""
    return _cut_points(data, max_cuts).map(lambda cuts: _split(data, cuts))


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def truncations(data: bytes) -> st.SearchStrategy[bytes]:
    """Proper prefixes of ``data`` (possibly empty), half of them cut at a hard place when it has one."""
    if not data:
        return st.just(b"")
    anywhere = st.integers(0, len(data) - 1)
    hard = interesting_cuts(data)
    cut = st.one_of(anywhere, st.sampled_from(hard)) if hard else anywhere
    return cut.map(lambda n: data[:n])


def model_instances(tp: Any) -> st.SearchStrategy[Any]:
    """JSON values that validate as ``tp`` (a Pydantic model or anything ``TypeAdapter`` takes).

    Each field is drawn from its annotation with its constraints (``Field(min_length=...)`` and the like, via
    ``annotated-types``); the result is the validated value dumped in JSON mode (by alias), so it round-trips.
    """
    adapter: TypeAdapter[Any] = TypeAdapter(tp)

    def dumped(raw: Any) -> Any:
        try:
            value = adapter.dump_python(adapter.validate_python(raw), mode="json", by_alias=True)
            # Strict JSON (no NaN or Infinity, which pydantic's JSON mode keeps), and it must come back valid.
            adapter.validate_json(json.dumps(value, allow_nan=False))
        except (ValidationError, ValueError, TypeError):
            return _INVALID
        return value

    return _objects(tp).map(dumped).filter(lambda value: value is not _INVALID)


_INVALID = object()


def _objects(tp: Any) -> st.SearchStrategy[Any]:
    """Python objects for ``tp``: models field by field (constraints kept), anything else by ``st.from_type``."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        required: dict[str, st.SearchStrategy[Any]] = {}
        optional: dict[str, st.SearchStrategy[Any]] = {}
        for name, info in tp.model_fields.items():
            annotation = info.annotation
            if info.metadata:
                annotation = Annotated[(annotation, *info.metadata)]  # type: ignore[assignment]
            strategy = st.deferred(_deferred(annotation))
            (required if info.is_required() else optional)[info.alias or name] = strategy
        return st.fixed_dictionaries(required, optional=optional)
    return st.from_type(tp)


def _deferred(annotation: Any) -> Callable[[], st.SearchStrategy[Any]]:
    # Deferred, so a model that contains itself (a tree) does not recurse while the strategy is being built.
    return lambda: _objects(annotation) if _is_model(annotation) else st.from_type(annotation)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)
