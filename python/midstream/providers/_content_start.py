"""Whether the content a model is writing is its JSON answer or prose, decided from as little text as it takes.

Prose such as ``null hypothesis: ...``, ``1. look it up``, ``- step one`` or ``[1] Smith et al.`` is a valid JSON
prefix for a few characters, so the first character decides nothing. ``ContentStart`` reads the content with a
midstream ``Parser`` as a probe (it raises ``JSONError`` at the first byte that cannot begin or continue JSON) and
gives one of three verdicts:

- ``JSON`` once the text is certainly JSON: the root is an object whose first key began (``{"``), or an array
  whose first element is an object, array or string (``[{``, ``[[``, ``["``) or is followed by a comma (``[1,``);
- ``PROSE`` once the text stops being a JSON prefix before that point;
- ``HELD`` until then. A scalar or string root (``42``, ``null``, ``"text"``) and a root container with nothing
  certain in it (``[]``, ``{}``, ``[1]``) stay held to the end of the content: prose may still follow them.

The verdict depends on the text only, never on how it was cut into chunks: "certainly JSON" holds for every
longer valid prefix once it holds, and when the probe fails the valid text before the failing byte is read too.

>>> start = ContentStart()
>>> start.feed("null"), start.feed(" hypothesis")
('held', 'prose')
>>> ContentStart().feed('{"city"')
'json'
"""

from __future__ import annotations

from typing import Final, Literal

from midstream._errors import JSONError
from midstream._native import Parser

__all__ = ["HELD", "JSON", "PROSE", "ContentStart", "Verdict"]

Verdict = Literal["held", "json", "prose"]
HELD: Final = "held"
JSON: Final = "json"
PROSE: Final = "prose"

_SPACE = frozenset(" \t\r\n")
_CERTAIN_ELEMENT = frozenset('{["')  # a first array element that prose does not open with

# What the root looks like so far (only the first few characters are ever read).
_START = 0  # nothing but whitespace yet
_OBJECT = 1  # "{": waiting for the first key
_ARRAY = 2  # "[": waiting for the first element
_ARRAY_SCALAR = 3  # "[1", "[true": waiting for the comma after the first element
_OTHER = 4  # a scalar or string root, or a container closed with nothing certain in it


class ContentStart:
    """Feed the content as it arrives; ``feed`` returns the verdict so far (final once not ``HELD``)."""

    __slots__ = ("_fed", "_probe", "_shape", "error", "verdict")

    def __init__(self) -> None:
        self._probe = Parser()
        self._fed = 0  # bytes the probe accepted
        self._shape = _START
        self.verdict: Verdict = HELD
        #: why the content is prose: the probe's error (offset, line and column in the content)
        self.error: JSONError | None = None

    def feed(self, text: str) -> Verdict:
        if self.verdict != HELD:
            return self.verdict
        data = text.encode()
        try:
            self._probe.feed(data)
        except JSONError as error:
            # The text before the failing byte may already have been certain JSON (JSON, then garbage): read it,
            # so the verdict is the same as if the text had been cut just before that byte.
            self._read(data[: error.offset - self._fed].decode("utf-8", "ignore"))
            if self.verdict == HELD:
                self.verdict, self.error = PROSE, error
            return self.verdict
        self._fed += len(data)
        self._read(text)
        return self.verdict

    def _read(self, text: str) -> None:
        """Follow the root's first characters (the probe has checked that they are a JSON prefix)."""
        shape = self._shape
        for char in text:
            if shape == _OTHER:
                break
            if shape == _ARRAY_SCALAR:
                if char == ",":
                    self.verdict = JSON
                    break
                if char == "]":
                    shape = _OTHER
                continue
            if char in _SPACE:
                continue
            if shape == _START:
                shape = _OBJECT if char == "{" else _ARRAY if char == "[" else _OTHER
            elif shape == _OBJECT:
                if char == '"':
                    self.verdict = JSON
                    break
                shape = _OTHER  # "{}"
            elif char in _CERTAIN_ELEMENT:
                self.verdict = JSON
                break
            else:
                shape = _OTHER if char == "]" else _ARRAY_SCALAR
        self._shape = shape
