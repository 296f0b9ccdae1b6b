"""Partial values as patches: the operations that turn the JSON of the last partial sent into the current one.

A client that holds the previous partial (``null`` before the first) applies a batch of operations and has the
current one; only what changed crosses the wire. The operations are JSON Patch (RFC 6902: ``add``, ``replace``,
``remove``, with RFC 6901 JSON Pointer paths: ``~`` written ``~0`` and ``/`` written ``~1`` in keys) plus one
extension for the commonest change of a streamed answer, a string that grew::

    {"op": "append", "path": "/items/3/title", "value": " world"}

``to_rfc6902`` turns a batch into strictly standard operations (an ``append`` becomes a ``replace`` of the whole
string) for consumers such as AG-UI's ``STATE_DELTA`` or the ``jsonpatch`` library.

Batches come from ``ParserPatches``, which builds them from a parser's events (what the parser already knows
changed, not a diff of snapshots: a drain costs O(what changed)), merged per drain: one ``append`` per string, and a
value added in a drain carries everything added inside it in the same drain (an item begun and finished between
two drains is one ``add``). ``apply`` is the reference applier.

>>> from midstream import Parser
>>> parser = Parser(events=True)
>>> patches = ParserPatches(parser)
>>> parser.feed('{"title": "Hel')
>>> patches.drain()
[{'op': 'replace', 'path': '', 'value': {'title': 'Hel'}}]
>>> parser.feed('lo", "tags": ["a"')
>>> batch = patches.drain()
>>> batch
[{'op': 'append', 'path': '/title', 'value': 'lo'}, {'op': 'add', 'path': '/tags', 'value': ['a']}]
>>> apply({"title": "Hel"}, batch)
{'title': 'Hello', 'tags': ['a']}
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeAlias, TypedDict

from midstream._native import Parser

__all__ = [
    "AddOp",
    "AppendOp",
    "Format",
    "Op",
    "ParserPatches",
    "PatchError",
    "RemoveOp",
    "ReplaceOp",
    "apply",
    "parse_pointer",
    "pointer",
    "to_rfc6902",
]


class AddOp(TypedDict):
    """Add ``value`` at ``path``: a new member (or a new value for one), an item inserted (``-``: at the end)."""

    op: Literal["add"]
    path: str
    value: Any


class ReplaceOp(TypedDict):
    """Replace the value at ``path`` (which must exist; ``""``: the whole document) with ``value``."""

    op: Literal["replace"]
    path: str
    value: Any


class RemoveOp(TypedDict):
    """Remove the value at ``path``."""

    op: Literal["remove"]
    path: str


class AppendOp(TypedDict):
    """midstream's extension: the string at ``path`` grew by ``value``."""

    op: Literal["append"]
    path: str
    value: str


Op: TypeAlias = AddOp | ReplaceOp | RemoveOp | AppendOp
#: ``"midstream"``: JSON Patch plus ``append``; ``"rfc6902"``: JSON Patch only.
Format: TypeAlias = Literal["midstream", "rfc6902"]
PathElement: TypeAlias = str | int


class PatchError(ValueError):
    """An operation does not apply to the document: its index in the batch, and why."""

    def __init__(self, index: int, op: Any, reason: str) -> None:
        super().__init__(f"operation {index} ({op!r}): {reason}")
        self.index = index
        self.op = op


# --- JSON Pointer (RFC 6901) -------------------------------------------------------------------------------------


def pointer(path: Iterable[PathElement]) -> str:
    """The JSON Pointer of a path of keys and indices: ``("a/b", 0)`` -> ``"/a~1b/0"``; ``()`` -> ``""``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def parse_pointer(text: str) -> list[str]:
    """The reference tokens of a JSON Pointer, unescaped: ``"/a~1b/0"`` -> ``["a/b", "0"]``."""
    if text == "":
        return []
    if not text.startswith("/"):
        raise ValueError(f"a JSON Pointer starts with '/': {text!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in text[1:].split("/")]


# --- the reference applier -------------------------------------------------------------------------------------


def apply(doc: Any, ops: Sequence[Op] | Sequence[dict[str, Any]]) -> Any:
    """The document ``ops`` make of ``doc`` (``None`` before the first batch), as a new value: ``doc`` is not
    changed, and nothing of the result is shared with the operations' values. Raises ``PatchError`` for an
    operation that does not apply (a missing parent, an index out of range, ``append`` to a non-string)."""
    root: list[Any] = [doc]  # the document as the only item of a holder, so the root is a slot like any other
    owned: set[int] = {id(root)}  # containers this call made (copied or created): changed in place
    for index, op in enumerate(ops):
        try:
            _apply_one(root, owned, op)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise PatchError(index, op, str(error) or type(error).__name__) from None
    return root[0]


def _apply_one(root: list[Any], owned: set[int], op: Any) -> None:
    tokens = parse_pointer(op["path"])
    if not tokens:  # the whole document
        _change(root, 0, op, whole=True)
        return
    container = _owned(root, 0, owned)
    for token in tokens[:-1]:
        container = _owned(container, _key(container, token, last=False), owned)
    _change(container, _key(container, tokens[-1], last=True), op, whole=False)


def _owned(parent: Any, key: Any, owned: set[int]) -> Any:
    """``parent[key]``, copied first (and put back) unless this call made it."""
    child = parent[key]
    if id(child) in owned:
        return child
    if isinstance(child, dict):
        child = dict(child)
    elif isinstance(child, list):
        child = list(child)
    else:
        raise TypeError(f"cannot go into a {type(child).__name__}")
    owned.add(id(child))
    parent[key] = child
    return child


def _key(container: Any, token: str, *, last: bool) -> Any:
    if isinstance(container, dict):
        return token
    if isinstance(container, list):
        if token == "-" and last:
            return len(container)
        if not token.isdigit() or (token.startswith("0") and token != "0"):
            raise ValueError(f"not an array index: {token!r}")
        return int(token)
    raise TypeError(f"cannot go into a {type(container).__name__}")


def _change(parent: Any, key: Any, op: Any, *, whole: bool) -> None:
    kind = op["op"]
    if kind == "add" and isinstance(parent, list) and not whole:
        if key > len(parent):
            raise IndexError(f"index {key} is past the end ({len(parent)} items)")
        parent.insert(key, copy.deepcopy(op["value"]))
    elif kind == "add":
        parent[key] = copy.deepcopy(op["value"])
    elif kind == "replace":
        _check_exists(parent, key)
        parent[key] = copy.deepcopy(op["value"])
    elif kind == "remove":
        if whole:
            raise ValueError("the whole document cannot be removed")
        _check_exists(parent, key)
        del parent[key]
    elif kind == "append":
        _check_exists(parent, key)
        if not isinstance(parent[key], str) or not isinstance(op["value"], str):
            raise TypeError("append needs a string at the path and a string value")
        parent[key] += op["value"]
    else:
        raise ValueError(f"unknown operation {kind!r}")


def _check_exists(parent: Any, key: Any) -> None:
    if isinstance(parent, dict):
        if key not in parent:
            raise KeyError(f"no member {key!r}")
    elif not 0 <= key < len(parent):
        raise IndexError(f"no item {key}")


def to_rfc6902(ops: Sequence[Op], doc: Any) -> list[Op]:
    """``ops`` as strictly standard JSON Patch: each ``append`` becomes a ``replace`` of the whole string, read
    from ``doc``, the document after the whole batch (a batch has one ``append`` per string, so that is the
    string's value after it)."""
    out: list[Op] = []
    for op in ops:
        if op["op"] == "append":
            out.append({"op": "replace", "path": op["path"], "value": _at(doc, op["path"])})
        else:
            out.append(op)
    return out


def _at(doc: Any, path: str) -> Any:
    for token in parse_pointer(path):
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


# --- patches from a parser's events ------------------------------------------------------------------------------


class ParserPatches:
    """The patches of a ``Parser(events=True)``'s value (``Parser.value``), drained between feeds.

    Built from the parser's events (``drain_events``, which this takes: drain them in one place only): a
    container or string that begins is added (``{}``, ``[]``, ``""``), a string that grows is appended to, a
    number, ``true``, ``false`` or ``null`` is added when it ends (a partial never shows a number that may still
    grow). The root is set with a ``replace`` at ``""``. Within one drain a value added in it takes in what is added
    inside it, and a string's fragments make one ``append``.
    """

    def __init__(self, parser: Parser) -> None:
        self._parser = parser
        self._ops: list[Op] = []
        #: Where each value added in this drain lives (its op's ``value``, or its slot in a container added in this
        #: drain), so what happens inside it goes into it.
        self._made: dict[tuple[PathElement, ...], tuple[Any, Any]] = {}
        #: This drain's ``append`` of each string added before it.
        self._appends: dict[tuple[PathElement, ...], AppendOp] = {}

    def drain(self, format: Format = "midstream") -> list[Op]:
        """The operations since the last drain (from ``null`` at the first), in order."""
        if format not in ("midstream", "rfc6902"):
            raise ValueError(f"format must be 'midstream' or 'rfc6902', not {format!r}")
        for event in self._parser.drain_events():
            self._event(event.kind, event.path, event.value)
        ops = self._ops
        self._ops, self._made, self._appends = [], {}, {}
        return to_rfc6902(ops, self._parser.value) if format == "rfc6902" else ops

    def _event(self, kind: str, path: tuple[PathElement, ...], value: Any) -> None:
        if kind == "begin":
            if value == "object":
                self._add(path, {})
            elif value == "array":
                self._add(path, [])
            elif value == "string":
                self._add(path, "")
        elif kind == "delta":
            made = self._made.get(path)
            if made is not None:
                holder, key = made
                holder[key] += value
                return
            append = self._appends.get(path)
            if append is not None:
                append["value"] += value
                return
            append = {"op": "append", "path": pointer(path), "value": value}
            self._ops.append(append)
            self._appends[path] = append
        elif not isinstance(value, (str, dict, list)):  # the end of a number, true, false or null: shown now
            self._add(path, value)

    def _add(self, path: tuple[PathElement, ...], value: Any) -> None:
        if not path:
            op: Op = {"op": "replace", "path": "", "value": value}
            self._ops.append(op)
            self._made[path] = (op, "value")
            return
        parent = self._made.get(path[:-1])
        if parent is None:
            op = {"op": "add", "path": pointer(path), "value": value}
            self._ops.append(op)
            self._made[path] = (op, "value")
            return
        holder, key = parent
        container = holder[key]
        if isinstance(container, list):
            container.append(value)
            self._made[path] = (container, len(container) - 1)
        else:
            container[path[-1]] = value
            self._made[path] = (container, path[-1])
