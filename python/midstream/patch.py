"""Partial values as patches: the operations that turn the JSON of the last partial sent into the current one.

A client that holds the previous partial (``null`` before the first) applies a batch of operations and has the
current one; only what changed crosses the wire. The operations are JSON Patch (RFC 6902: ``add``, ``replace``,
``remove``, with RFC 6901 JSON Pointer paths: ``~`` written ``~0`` and ``/`` written ``~1`` in keys) plus one
extension for the commonest change of a streamed answer, a string that grew::

    {"op": "append", "path": "/items/3/title", "value": " world"}

``to_rfc6902`` turns a batch into strictly standard operations (an ``append`` becomes a ``replace`` of the whole
string) for consumers such as AG-UI's ``STATE_DELTA`` or the ``jsonpatch`` library.

Batches come from ``ParserPatches``, which builds them from a parser's events (what the parser already knows
changed, not a diff of snapshots: a drain costs O(what changed)), and from ``ModelStream.drain_patches`` for typed
partials; merged per drain: one ``append`` per string, a value added in a drain carries everything added inside it
in the same drain (an item begun and finished between two drains is one ``add``), and the operations under one
container become one ``replace`` of it where that takes fewer bytes (``coalesce``). ``apply`` is the reference
applier.

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
import json
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring
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
    "Whole",
    "apply",
    "coalesce",
    "compact_json",
    "json_size_within",
    "op_size",
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


# --- coalescing: one replace where it is fewer bytes ---------------------------------------------------------------


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(value: Any) -> bytes:
    """``value`` as compact JSON, UTF-8, not ASCII-escaped: how ``midstream.web`` sends operations and values."""
    return _COMPACT.encode(value).encode()


def op_size(op: Op | dict[str, Any]) -> int:
    """The bytes of ``op`` as ``compact_json`` writes it."""
    return len(compact_json(op))


#: ``whole(tokens, budget)``: the JSON value now at the path of ``tokens``, if it takes at most ``budget`` bytes as
#: compact JSON; else (or if that value cannot be given) ``None``.
Whole: TypeAlias = Callable[[tuple[str, ...], int], Any]


#: The bytes of a ``replace`` besides its path and value: ``{"op":"replace","path":"","value":}``.
_REPLACE_SYNTAX = len('{"op":"replace","path":"","value":}')


def coalesce(ops: Sequence[Op], whole: Whole) -> list[Op]:
    """``ops`` with the operations under a container replaced by one ``replace`` of the container, wherever that
    takes fewer bytes: a batch that adds three members and appends to a fourth of one object sends the object.

    Containers are tried deepest first; only ones that existed before the batch (not added, replaced or removed by
    it, nor inside one that was) and hold two operations or more. ``whole`` gives a container's value (and, given
    the bytes its operations take, can refuse a bigger one without serializing it). The batch's list operations
    must only add or remove items at the end (true of every batch midstream makes), so no index moves under a
    replaced container."""
    if len(ops) < 2 or any(op["path"] == "" for op in ops):
        return list(ops)
    # Paths as their escaped tokens: grouping needs no unescaping, and a container's pointer is its tokens joined.
    paths = [tuple(op["path"][1:].split("/")) for op in ops]
    blocked = {path for path, op in zip(paths, ops, strict=True) if op["op"] != "append"}
    units: list[tuple[tuple[str, ...], Op, int] | None] = []
    under: dict[tuple[str, ...], list[int]] = {}
    for path, op in zip(paths, ops, strict=True):
        for depth in range(1, len(path)):
            if path[:depth] in blocked:
                break
            under.setdefault(path[:depth], []).append(len(units))
        units.append((path, op, op_size(op)))
    for container in sorted((c for c, members in under.items() if len(members) > 1), key=len, reverse=True):
        members = [i for i in under[container] if units[i] is not None]
        if len(members) < 2:
            continue
        cost = sum(unit[2] for i in members if (unit := units[i]) is not None)
        where = "/" + "/".join(container)
        if cost <= _REPLACE_SYNTAX + len(where.encode()) + 2:
            continue  # even the smallest value (``{}``, ``""``) would not make a replace cheaper
        value = whole(tuple(parse_pointer(where)), cost)
        if value is None:
            continue
        replace: ReplaceOp = {"op": "replace", "path": where, "value": value}
        size = op_size(replace)
        if size >= cost:
            continue
        first = members[0]
        for i in members:
            units[i] = None
        units[first] = (container, replace, size)
        for depth in range(1, len(container)):  # the new unit counts for the containers around this one
            members_above = under.get(container[:depth])
            if members_above is not None and first not in members_above:
                members_above.append(first)
    return [unit[1] for unit in units if unit is not None]


def json_size_within(value: Any, budget: int) -> int | None:
    """The bytes of a JSON value as ``compact_json`` writes it, or ``None`` once it is past ``budget``: a walk
    that stops early, so a big value costs no more than ``budget`` to turn down."""
    size = 0
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str:
            size += len(item) + 2 if len(item) > budget else _string_size(item)
        elif kind is dict:
            size += 2 + len(item) + max(len(item) - 1, 0)  # braces, colons, commas
            size += sum(_string_size(key) for key in item)
            pending += item.values()
        elif kind is list:
            size += 2 + max(len(item) - 1, 0)  # brackets, commas
            pending += item
        elif item is None or item is True:
            size += 4
        elif item is False:
            size += 5
        else:
            size += len(_COMPACT.encode(item))  # a number (float repr, NaN and Infinity as json writes them)
        if size > budget:
            return None
    return size


def _string_size(text: str) -> int:
    """The bytes of a JSON string: quoted and escaped (C code in ``json``), then UTF-8."""
    quoted = encode_basestring(text)
    return len(quoted) if quoted.isascii() else len(quoted.encode())


# --- patches from a parser's events ------------------------------------------------------------------------------


class ParserPatches:
    """The patches of a ``Parser(events=True)``'s value (``Parser.value``), drained between feeds.

    Built from the parser's events (``drain_events``, which this takes: drain them in one place only): a
    container or string that begins is added (``{}``, ``[]``, ``""``), a string that grows is appended to, a
    number, ``true``, ``false`` or ``null`` is added when it ends (a partial never shows a number that may still
    grow). The root is set with a ``replace`` at ``""``. Within one drain a value added in it takes in what is added
    inside it, a string's fragments make one ``append``, and ``coalesce`` sends a container whole where that is
    fewer bytes than its operations.
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
        ops = coalesce(self._ops, self._whole)
        self._ops, self._made, self._appends = [], {}, {}
        return to_rfc6902(ops, self._parser.value) if format == "rfc6902" else ops

    def _whole(self, tokens: tuple[str, ...], budget: int) -> Any:
        """``coalesce``'s ``whole``: a copy of the value at ``tokens`` (the parser's own value is live)."""
        value = _at(self._parser.value, pointer(tokens))
        return copy.deepcopy(value) if json_size_within(value, budget) is not None else None

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
