"""Vertex AI streamed function-call arguments (``partialArgs``) turned into growing JSON text.

With ``streamFunctionCallArguments``, Vertex sends a function call's arguments as pieces, each a JSONPath and one
value: ``{"jsonPath": "$.recipe.steps[0]", "stringValue": "Preheat", "willContinue": true}``. A string piece with
``willContinue`` is followed by more text for the same path; the string ends with the first piece for that path
without it (Vertex sends an empty ``stringValue`` for that). ``PartialArgsWriter`` writes the JSON text the pieces
add, so that a streaming JSON parser fed the outputs sees one valid, growing document.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

__all__ = ["PartialArgsWriter", "parse_json_path"]

Segment: TypeAlias = str | int

# The value fields in order of precedence, each as (wire camelCase, SDK snake_case).
_STRING = ("stringValue", "string_value")
_NUMBER = ("numberValue", "number_value")
_BOOL = ("boolValue", "bool_value")
_NULL = ("nullValue", "null_value")
_PATH = ("jsonPath", "json_path")
_CONTINUE = ("willContinue", "will_continue")

_SURROGATE = re.compile("[\ud800-\udfff]")
_NAME = re.compile(r"[^.\[\]\s'\"]+")  # a dot-notation member name (lenient: not only RFC 9535's)
_INDEX = re.compile(r"\[\s*(0|[1-9][0-9]*)\s*\]")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "/": "/", "\\": "\\", "'": "'", '"': '"'}
_MAX_SAFE_INTEGER = 2**53


class PartialArgsWriter:
    """Turns the ``partialArgs`` of one streamed function call into JSON text, piece by piece.

    ``feed`` returns the text the pieces add (containers opened as paths go deeper, commas between members, a
    string left open while ``willContinue``); ``finish`` closes whatever is still open. The concatenation of all
    outputs is the arguments as one JSON document; every prefix of it is a prefix of that document.

    >>> writer = PartialArgsWriter()
    >>> writer.feed([{"jsonPath": "$.recipe.steps[0]", "stringValue": "Pre", "willContinue": True}])
    '{"recipe":{"steps":["Pre'
    >>> writer.feed([{"jsonPath": "$.recipe.steps[0]", "stringValue": "heat"}, {"jsonPath": "$.n", "numberValue": 2}])
    'heat"]},"n":2'
    >>> writer.finish()
    '}'

    Pieces must come in document order: a path never goes back into a container that was closed (``ValueError``
    if one does, or if a path reuses a key, or uses an index for an object / a name for an array). An array index
    that skips ahead pads the gap with ``null`` (Vertex cannot express an empty container, so it never sends one).
    Both the wire's camelCase keys and SDK snake_case keys are read, from mappings or from objects (attributes).
    Values: ``stringValue``, then ``numberValue`` (a float with an integral value up to 2**53 is written as an
    integer, as JavaScript would), then ``boolValue``, then ``nullValue`` (present with any value on the wire,
    where protobuf's ``NullValue`` is JSON ``null``; with a non-``None`` value in snake_case, as SDK dumps give
    ``"NULL_VALUE"``). A piece with no value is ignored. A string still open (its last piece said more would
    follow) is closed by the next piece for another path, or by ``finish``; an empty terminator for a string
    that had already ended is ignored.
    """

    __slots__ = ("_closed_string", "_finished", "_frames", "_last_path", "_last_raw", "_open_string", "_started")

    def __init__(self) -> None:
        self._frames: list[_Frame] = []  # the open containers, the root first
        self._open_string: tuple[Segment, ...] | None = None  # path of a string whose closing quote is owed
        self._closed_string: tuple[Segment, ...] | None = None  # path of the last leaf, if a finished string
        self._started = False
        self._finished = False
        self._last_raw = "$"  # the last jsonPath parsed (string pieces repeat it) and its segments
        self._last_path: tuple[Segment, ...] = ()

    def feed(self, partial_args: Iterable[Mapping[str, Any] | object]) -> str:
        """The JSON text these pieces add to the document (possibly ``""``)."""
        if self._finished:
            raise ValueError("PartialArgsWriter.feed after finish()")
        out: list[str] = []
        for arg in partial_args:
            self._piece(arg, out)
        return "".join(out)

    def finish(self) -> str:
        """Close the open string and containers; the document is then complete (``{}`` if nothing came)."""
        if self._finished:
            return ""
        self._finished = True
        out: list[str] = []
        if self._open_string is not None:
            out.append('"')
            self._open_string = None
        if not self._started:
            return "{}"
        out.extend("]" if frame.is_array else "}" for frame in reversed(self._frames))
        self._frames.clear()
        return "".join(out)

    def _piece(self, arg: Mapping[str, Any] | object, out: list[str]) -> None:
        raw_path = _field(arg, _PATH)
        if not isinstance(raw_path, str):
            raise ValueError(f"partialArg without a jsonPath: {arg!r}")
        if raw_path != self._last_raw:
            self._last_path, self._last_raw = parse_json_path(raw_path), raw_path
        path = self._last_path
        string = _field(arg, _STRING)
        if self._open_string is not None:
            if string is not None and path == self._open_string:  # more of the open string
                out.append(_escaped(_as_str(string, raw_path)))
                if not _field(arg, _CONTINUE):
                    out.append('"')
                    self._closed_string, self._open_string = path, None
                return
            out.append('"')  # a string left open by a piece that said more would follow: it ends here
            self._closed_string, self._open_string = self._open_string, None
        if string == "" and path == self._closed_string:
            return  # an empty terminator for a string that had already ended
        more = string is not None and bool(_field(arg, _CONTINUE))
        value = _scalar(arg, string, more, raw_path)
        if value is None:
            return  # no value at all: nothing to write
        if not path:
            raise ValueError(f"jsonPath {raw_path!r} is the root: the arguments must be an object")
        self._navigate(path, raw_path, out)
        out.append(value)
        if more:
            self._open_string, self._closed_string = path, None
        else:
            self._closed_string = path if string is not None else None

    def _navigate(self, path: tuple[Segment, ...], raw_path: str, out: list[str]) -> None:
        """Write what leads from the current position to a new member at ``path``: closings, commas, keys."""
        frames = self._frames
        if not self._started:
            self._started = True
            frames.append(_Frame(None, isinstance(path[0], int)))
            out.append("[" if frames[0].is_array else "{")
        # frames[i + 1] is the container at path[i]; keep the open containers the new path shares.
        common = 0
        limit = min(len(frames) - 1, len(path) - 1)
        while common < limit and frames[common + 1].segment == path[common]:
            common += 1
        while len(frames) > common + 1:
            out.append("]" if frames.pop().is_array else "}")
        for depth in range(common, len(path)):
            frames[-1].member(path[depth], raw_path, out)
            if depth + 1 < len(path):
                frame = _Frame(path[depth], isinstance(path[depth + 1], int))
                frames.append(frame)
                out.append("[" if frame.is_array else "{")


class _Frame:
    __slots__ = ("count", "is_array", "keys", "segment")

    def __init__(self, segment: Segment | None, is_array: bool) -> None:
        self.segment = segment
        self.is_array = is_array
        self.count = 0
        self.keys: set[str] | None = None if is_array else set()

    def member(self, segment: Segment, raw_path: str, out: list[str]) -> None:
        """Write the comma and key (or the ``null`` padding) that start member ``segment`` of this container."""
        if self.is_array:
            if not isinstance(segment, int):
                raise ValueError(f"jsonPath {raw_path!r} names a member {segment!r} of an array")
            if segment < self.count:
                raise ValueError(f"jsonPath {raw_path!r} goes back to array item {segment}, which has ended")
            while self.count < segment:  # a skipped index: Vertex left out an empty container
                out.append(",null" if self.count else "null")
                self.count += 1
            if self.count:
                out.append(",")
        else:
            if not isinstance(segment, str):
                raise ValueError(f"jsonPath {raw_path!r} indexes an object with [{segment}]")
            assert self.keys is not None
            if segment in self.keys:
                raise ValueError(f"jsonPath {raw_path!r} goes back to key {segment!r}, which has ended")
            self.keys.add(segment)
            if self.count:
                out.append(",")
            out.append(_escaped_key(segment))
        self.count += 1


def _field(arg: Mapping[str, Any] | object, names: tuple[str, str]) -> Any:
    camel, snake = names
    if isinstance(arg, Mapping):
        value = arg.get(camel)
        return arg.get(snake) if value is None else value
    value = getattr(arg, snake, None)
    return getattr(arg, camel, None) if value is None else value


def _scalar(arg: Mapping[str, Any] | object, string: Any, more: bool, raw_path: str) -> str | None:
    """The JSON text of a piece's value (a string without its closing quote if ``more``), or None if it has none."""
    if string is not None:
        return '"' + _escaped(_as_str(string, raw_path)) + ("" if more else '"')
    number = _field(arg, _NUMBER)
    if number is not None:
        return _number(number, raw_path)
    boolean = _field(arg, _BOOL)
    if boolean is not None:
        if not isinstance(boolean, bool):
            raise ValueError(f"boolValue at {raw_path} is not a bool: {boolean!r}")
        return "true" if boolean else "false"
    return "null" if _has_null(arg) else None


def _has_null(arg: Mapping[str, Any] | object) -> bool:
    camel, snake = _NULL
    if isinstance(arg, Mapping):
        return camel in arg or arg.get(snake) is not None
    return getattr(arg, snake, None) is not None or getattr(arg, camel, None) is not None


def _as_str(value: Any, raw_path: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"stringValue at {raw_path} is not a string: {value!r}")
    return value


def _escaped(text: str) -> str:
    """``text`` as the inside of a JSON string; lone surrogates as ``\\uXXXX`` (the pair may span pieces)."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    if _SURROGATE.search(body):
        body = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", body)
    return body


def _escaped_key(key: str) -> str:
    return '"' + _escaped(key) + '":'


def _number(value: Any, raw_path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"numberValue at {raw_path} is not a number: {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"numberValue at {raw_path} is not finite: {value!r}")
        if value.is_integer() and abs(value) <= _MAX_SAFE_INTEGER:
            return str(int(value))
        return repr(value)
    return str(value)


def parse_json_path(raw: str) -> tuple[Segment, ...]:
    """The keys and indices of a singular JSONPath (RFC 9535): ``$.a['b c'][0]`` -> ``('a', 'b c', 0)``.

    Accepts ``.name`` (up to the next ``.`` or ``[``; no spaces or quotes), ``[index]`` and ``['name']`` /
    ``["name"]`` with RFC 9535 escapes. Wildcards, slices, negative indices and filters raise ``ValueError``.
    """
    if not raw.startswith("$"):
        raise ValueError(f"jsonPath {raw!r} does not start with $")
    segments: list[Segment] = []
    i, end = 1, len(raw)
    while i < end:
        char = raw[i]
        if char == ".":
            match = _NAME.match(raw, i + 1)
            if match is None or match.group() == "*":
                raise ValueError(f"jsonPath {raw!r}: expected a member name at {i + 1}")
            segments.append(match.group())
            i = match.end()
        elif char == "[":
            match = _INDEX.match(raw, i)
            if match is not None:
                segments.append(int(match.group(1)))
                i = match.end()
                continue
            j = i + 1
            while j < end and raw[j] == " ":
                j += 1
            if j >= end or raw[j] not in "'\"":
                raise ValueError(f"jsonPath {raw!r}: expected an index or a quoted name at {i}")
            name, j = _quoted(raw, j)
            while j < end and raw[j] == " ":
                j += 1
            if j >= end or raw[j] != "]":
                raise ValueError(f"jsonPath {raw!r}: expected ] at {j}")
            segments.append(name)
            i = j + 1
        else:
            raise ValueError(f"jsonPath {raw!r}: unexpected {char!r} at {i}")
    return tuple(segments)


def _quoted(raw: str, start: int) -> tuple[str, int]:
    """The name in the quoted string starting at ``raw[start]`` and the index after its closing quote."""
    quote = raw[start]
    parts: list[str] = []
    i, end = start + 1, len(raw)
    while i < end:
        char = raw[i]
        if char == quote:
            return "".join(parts), i + 1
        if char != "\\":
            parts.append(char)
            i += 1
            continue
        if i + 1 >= end:
            break
        escape = raw[i + 1]
        if escape in _ESCAPES:
            parts.append(_ESCAPES[escape])
            i += 2
        elif escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[i + 2 : i + 6]):
            code = int(raw[i + 2 : i + 6], 16)
            i += 6
            if (
                0xD800 <= code < 0xDC00
                and raw[i : i + 2] == "\\u"
                and re.fullmatch(r"[0-9a-fA-F]{4}", raw[i + 2 : i + 6])
            ):
                low = int(raw[i + 2 : i + 6], 16)
                if 0xDC00 <= low < 0xE000:
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
            parts.append(chr(code))
        else:
            raise ValueError(f"jsonPath {raw!r}: bad escape \\{escape} at {i}")
    raise ValueError(f"jsonPath {raw!r}: unterminated quoted name")
