"""Opt-in extraction of the JSON in a model's Markdown answer: from a code fence, or bare among prose.

Models often answer ``Here you go:\\n```json\\n{...}\\n```\\nHope this helps`` or put prose around bare JSON.
``FencedJSON`` passes on only the JSON text, incrementally: O(new text) per ``feed``, chunks cut anywhere.
"""

from __future__ import annotations

import re

__all__ = ["FencedJSON"]

# Modes.
_SEEK = 0  # prose before any JSON: looking for an opening fence or the start of a bare value
_INFO = 1  # on the opening fence's line, reading its info string
_FENCE = 2  # inside a fence whose content is passed on
_SKIP = 3  # inside a fence of another language (```python ...): its content is skipped
_BARE = 4  # inside a bare object or array, until it ends
_DONE = 5  # the JSON ended: everything after is ignored

# Where a fenced line stands while a closing fence may be starting.
_MID_LINE = 0
_LINE_START = 1  # only spaces (at most 3) so far on this line
_RUN = 2  # fence characters at the start of the line (held back)
_TRAIL = 3  # whitespace after a run long enough to close (held back)

_SPACE = " \t\r"
_BRACE_NEXT = frozenset('"}')  # what may follow "{" (after whitespace) for it to start a bare object
_BRACKET_NEXT = frozenset('{["]-0123456789')  # ... and "[" an array (a leading true/false/null is not taken)
_IN_STRING = re.compile(r'["\\]')
_STRUCTURE = re.compile(r'["{}\[\]]')


class FencedJSON:
    """Streams the JSON found in Markdown text: a code fence's content, or one bare object or array.

    ``feed`` returns the JSON text the chunk adds (possibly ``""``: text may be held back until it is known to
    be JSON); ``finish`` returns what was still held back.

    >>> fenced = FencedJSON()
    >>> fenced.feed('Here you go:\\n```json\\n{"a": [1, "`')
    '{"a": [1, "`'
    >>> fenced.feed('``"]}\\n``')
    '``"]}\\n'
    >>> fenced.feed("`\\nHope this helps")
    ''
    >>> fenced.finish()
    ''

    Rules:

    - Fences are CommonMark's: at the start of a line, after at most 3 spaces, a run of at least three backticks
      or tildes, then an info string to the end of the line (for backticks, one without a backtick; otherwise
      the line is prose). A fence that opens before any JSON starts is taken when its info string's first word
      is empty or begins with ``json`` (any case: json, JSON, jsonc, json5); a fence of another language is
      skipped whole and the search goes on after it.
    - A taken fence's content is passed on verbatim, up to its closing fence: at the start of a line, after at
      most 3 spaces, a run of the same character at least as long as the opening one, then only whitespace to
      the end of the line (or of the text). Only that run (and whitespace after it) is ever held back; it is
      released as content as soon as another character shows it is not a closing fence. Backticks inside a JSON
      string never close the fence: a JSON string holds no raw line break, so it cannot start a line.
      Text after the closing fence is ignored; an unclosed fence runs to the end.
    - Without a fence, a bare value starts at a ``{`` that follows the start of the text, whitespace or a ``:``,
      when the next non-whitespace character is ``"`` or ``}``; or at a ``[`` that starts a line (after
      whitespace) or follows a ``:`` (spaces between allowed), when the next non-whitespace character is one of
      ``{["]-`` or a digit. ``{name}`` or ``see [the docs]`` in prose do not start one. The bare value is passed
      on up to its matching closing bracket (strings and escapes tracked, so brackets inside strings do not
      count); text after it is ignored. The ``{`` or ``[`` and the whitespace after it are held back until the
      next character decides; at ``finish`` they are released.
    - Bare scalars (``42``, ``"text"``) are not looked for.
    """

    __slots__ = (
        "_after_colon",
        "_candidate",
        "_depth",
        "_escape",
        "_fence_char",
        "_fence_len",
        "_finished",
        "_indent",
        "_info",
        "_line",
        "_line_start",
        "_mode",
        "_prev_space",
        "_run",
        "_run_char",
        "_string",
        "_trail",
    )

    def __init__(self) -> None:
        self._mode = _SEEK
        self._finished = False
        # Prose (_SEEK).
        self._line_start = True  # only whitespace since the start of the text or the last line break
        self._indent = 0  # columns of that whitespace (a tab counts 4, so it rules out a fence)
        self._prev_space = True  # the last character was whitespace or ":" (or there was none)
        self._after_colon = False  # the last character other than space or tab was ":"
        self._run_char = ""  # fence characters at the start of a line, being counted
        self._run = 0
        self._candidate = ""  # a "{" or "[" and the whitespace after it, waiting for the next character
        # Fences.
        self._info: list[str] = []  # the opening fence's info string so far
        self._fence_char = ""
        self._fence_len = 0
        self._line = _MID_LINE
        self._trail = ""
        # Bare values.
        self._depth = 0
        self._string = False
        self._escape = False

    def feed(self, text: str) -> str:
        """The JSON text that ``text`` adds (only the new part)."""
        if self._finished:
            raise ValueError("FencedJSON.feed after finish()")
        out: list[str] = []
        self._run_text(text, out)
        return "".join(out)

    def finish(self) -> str:
        """The end of the text: release what was held back (an unfinished ``{``, a run that did not close)."""
        if self._finished:
            return ""
        self._finished = True
        mode = self._mode
        if mode == _SEEK and self._candidate:
            held, self._candidate = self._candidate, ""
            return held
        if mode == _FENCE and self._line == _RUN and self._run < self._fence_len:
            return self._fence_char * self._run  # fence characters that turned out to be content
        return ""

    # --- the modes; each consumes text from ``i`` and returns where it stopped --------------------------------

    def _run_text(self, text: str, out: list[str]) -> None:
        i, end = 0, len(text)
        while i < end:
            mode = self._mode
            if mode == _SEEK:
                i = self._seek(text, i, out)
            elif mode == _INFO:
                i = self._info_string(text, i, out)
            elif mode in (_FENCE, _SKIP):
                i = self._fenced(text, i, out if mode == _FENCE else None)
            elif mode == _BARE:
                i = self._bare(text, i, out)
            else:
                return

    def _seek(self, text: str, i: int, out: list[str]) -> int:
        end = len(text)
        while i < end:
            char = text[i]
            if self._candidate:
                if char in _SPACE or char == "\n":
                    self._candidate += char
                    i += 1
                    continue
                held, self._candidate = self._candidate, ""
                if char in (_BRACE_NEXT if held[0] == "{" else _BRACKET_NEXT):
                    out.append(held)
                    self._mode, self._depth, self._string, self._escape = _BARE, 1, False, False
                    return i
                self._prose(held[0])  # not JSON after all: it and its whitespace were prose
                for space in held[1:]:
                    self._prose(space)
                continue  # look at ``char`` again, as prose
            if self._run:
                if char == self._run_char:
                    self._run += 1
                    i += 1
                    continue
                if self._run >= 3:
                    self._mode, self._fence_char, self._fence_len = _INFO, self._run_char, self._run
                    self._run, self._info = 0, []
                    return i
                self._run = 0
                self._line_start = self._prev_space = self._after_colon = False
                continue
            if char in "`~" and self._line_start and self._indent <= 3:
                self._run_char, self._run = char, 1
            elif (char == "{" and self._prev_space) or (char == "[" and (self._line_start or self._after_colon)):
                self._candidate = char
            else:
                self._prose(char)
            i += 1
        return i

    def _prose(self, char: str) -> None:
        if char == "\n":
            self._line_start, self._indent, self._prev_space, self._after_colon = True, 0, True, False
        elif char in _SPACE:
            if self._line_start:
                self._indent += 1 if char == " " else 4
            self._prev_space = True
        else:
            self._line_start = False
            self._prev_space = self._after_colon = char == ":"

    def _info_string(self, text: str, i: int, out: list[str]) -> int:
        newline = text.find("\n", i)
        stop = len(text) if newline < 0 else newline
        if self._fence_char == "`":
            tick = text.find("`", i, stop)
            if tick >= 0:  # a backtick in the info string: not a fence (inline code), so the line is prose
                self._info.append(text[i:tick])
                info, self._info = "".join(self._info), []
                self._mode, self._run = _SEEK, 0
                self._line_start = self._prev_space = self._after_colon = False
                self._run_text(info, out)  # no line break in it, so no fence can open: this does not recurse
                return tick
        self._info.append(text[i:stop])
        if newline < 0:
            return stop
        words = "".join(self._info).split(maxsplit=1)
        self._info = []
        taken = not words or words[0].lower().startswith("json")
        self._mode, self._line = (_FENCE if taken else _SKIP), _LINE_START
        self._indent = 0
        return newline + 1

    def _fenced(self, text: str, i: int, out: list[str] | None) -> int:
        """Content of a fence (passed on to ``out``, or skipped if it is None) up to the closing fence."""
        end = len(text)
        fence = self._fence_char
        while i < end:
            line = self._line
            if line == _MID_LINE:
                newline = text.find("\n", i)
                stop = end if newline < 0 else newline + 1
                if out is not None:
                    out.append(text[i:stop])
                i = stop
                if newline >= 0:
                    self._line, self._indent = _LINE_START, 0
                continue
            char = text[i]
            if line == _LINE_START:
                if char == fence:
                    self._line, self._run = _RUN, 1
                    i += 1
                    continue
                if char == " " and self._indent < 3:
                    self._indent += 1
                    if out is not None:
                        out.append(char)
                    i += 1
                    continue
                self._line = _MID_LINE  # not a closing fence: content (``char`` is looked at again)
            elif line == _RUN:
                if char == fence:
                    self._run += 1
                    i += 1
                elif self._run >= self._fence_len and (char in _SPACE or char == "\n"):
                    self._line, self._trail = _TRAIL, ""
                else:
                    self._release(out)
            else:  # _TRAIL
                if char == "\n":
                    self._mode, self._run = (_DONE if out is not None else _SEEK), 0
                    self._line_start, self._indent, self._prev_space, self._after_colon = True, 0, True, False
                    return i + 1
                if char in _SPACE:
                    self._trail += char
                    i += 1
                else:
                    self._release(out)
        return i

    def _release(self, out: list[str] | None) -> None:
        """The held fence characters (and whitespace) were content after all."""
        if out is not None:
            out.append(self._fence_char * self._run + (self._trail if self._line == _TRAIL else ""))
        self._line, self._run, self._trail = _MID_LINE, 0, ""

    def _bare(self, text: str, i: int, out: list[str]) -> int:
        start, end = i, len(text)
        while i < end:
            if self._escape:
                self._escape = False
                i += 1
                continue
            if self._string:
                found = _IN_STRING.search(text, i)
                if found is None:
                    break
                i = found.end()
                if found.group() == "\\":
                    self._escape = True
                else:
                    self._string = False
                continue
            found = _STRUCTURE.search(text, i)
            if found is None:
                break
            i = found.end()
            char = found.group()
            if char == '"':
                self._string = True
            elif char in "{[":
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    out.append(text[start:i])
                    self._mode = _DONE
                    return end
        out.append(text[start:end])
        return end
