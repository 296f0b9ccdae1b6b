"""``midstream.from_json``: a drop-in for ``jiter.from_json`` with midstream's partial semantics.

Libraries that call ``jiter.from_json(text_so_far, partial_mode=...)`` on every delta (the openai and anthropic SDK
helpers do) can switch with one import. It parses the whole text on every call, as jiter does; to stop paying for
the text already seen, keep one ``midstream.Parser`` and ``feed`` it the deltas instead.

Where it differs from jiter, on purpose:

* a number is shown only once the byte after it has arrived (``[1, 2`` is ``[1]``: the 2 may become 23); a partial
  mode cannot know the text is complete, so a root number (``12``) raises ``IncompleteJSONError`` there, as an empty
  text does (jiter returns 12): parse complete text with ``partial_mode=False``;
* malformed input is an error in every mode (jiter's partial modes return ``[1]`` for ``[1 2]`` and ``{"a": 1}``
  for ``{"a": 1}x``);
* ``cache_mode`` is accepted and has no effect (keys are always cached); ``float_mode`` other than ``"float"`` and
  ``catch_duplicate_keys=True`` are not supported and raise ``ValueError``.

>>> from_json(b'{"a": [1, 2', partial_mode=True)
{'a': [1]}
>>> from_json(b'{"a": "hel', partial_mode="trailing-strings")
{'a': 'hel'}
>>> from_json(b'{"a": "hel', partial_mode="on")
{}
>>> from_json(b'{"a": 1}')
{'a': 1}
"""

from __future__ import annotations

from typing import Any, Literal, NoReturn

from midstream._errors import IncompleteJSONError
from midstream._native import Parser

PartialMode = Literal[True, False, "off", "on", "trailing-strings"]
CacheMode = Literal[True, False, "all", "keys", "none"]
FloatMode = Literal["float", "decimal", "lossless-float"]

_MODES = {False: "off", "off": "off", True: "on", "on": "on", "trailing-strings": "trailing-strings"}


def from_json(
    json_data: bytes | bytearray | memoryview | str,
    /,
    *,
    allow_inf_nan: bool = True,
    cache_mode: CacheMode = "all",
    partial_mode: PartialMode = False,
    catch_duplicate_keys: bool = False,
    float_mode: FloatMode = "float",
) -> Any:
    """Parse ``json_data`` like ``jiter.from_json``; see the module docstring for where the results differ.

    Raises ``midstream.JSONError`` (a ``ValueError``) on malformed input, and ``midstream.IncompleteJSONError``
    when the input is incomplete and ``partial_mode`` is off, or when nothing can be shown yet.
    """
    mode = _MODES.get(partial_mode)
    if mode is None:
        raise ValueError(
            f"invalid partial_mode {partial_mode!r}: expected True, False, 'off', 'on' or 'trailing-strings'"
        )
    if float_mode != "float":
        raise ValueError(f"float_mode={float_mode!r} is not supported by midstream.from_json; use 'float'")
    if catch_duplicate_keys:
        raise ValueError("catch_duplicate_keys=True is not supported by midstream.from_json")
    parser = Parser(allow_nan=allow_inf_nan)
    parser.feed(json_data)
    if mode == "off" or parser.done:
        return parser.finish()
    value = parser.value  # the parser is ours alone: its live value can be handed out, and edited
    if isinstance(value, str) and mode == "trailing-strings":
        return value  # an open root string, as far as it goes
    if not isinstance(value, dict | list):
        # Nothing shown yet: nothing begun, an open root string in "on" mode, or a root number or literal that may
        # still continue ("12" may become "123": a partial mode cannot know the text is complete).
        _raise_incomplete(json_data)
    if mode == "on":
        _drop_open_string(parser, value)
    return value


def _raise_incomplete(data: bytes | bytearray | memoryview | str) -> NoReturn:
    """``IncompleteJSONError`` at the end of ``data``: what a partial mode raises when it has nothing to show."""
    text = data.encode() if isinstance(data, str) else bytes(data)
    line_start = text.rfind(b"\n") + 1
    message = "nothing to show yet: no value has begun, or a root scalar may still continue"
    raise IncompleteJSONError(message, len(text), text.count(b"\n") + 1, len(text) - line_start + 1)


def _drop_open_string(parser: Parser, value: Any) -> None:
    """``partial_mode="on"`` shows no unfinished string: take the one being written out of its container."""
    path = parser.path
    if not path or parser.is_complete(path):
        return
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if isinstance(parent, dict) and isinstance(parent.get(last), str):
        del parent[last]
    elif (
        isinstance(parent, list) and isinstance(last, int) and last == len(parent) - 1 and isinstance(parent[last], str)
    ):
        parent.pop()
