"""Which text of a provider stream a structured answer is parsed from.

``Follower`` follows choice 0: its content, or — when the model answers with exactly one tool call — that call's
arguments. Models often write a sentence before a tool call, and some sentences (``null hypothesis: ...``,
``1. look it up``) read as JSON for a few characters, so content is held while it could be either (see
``ContentStart``):

- content is followed, and streamed from then on, once it is certainly JSON (``{"``, ``[{``, ``[1,`` ...);
- a tool call that begins while the content is still held wins, and the held content is dropped;
- held content that stops being a JSON prefix is prose: it is dropped and the tool call after it followed. If no
  tool call comes and the stream ends as the provider ends it, the prose was the answer, and parsing it raises
  ``JSONError`` where it stops being JSON;
- held content still undecided at the end (a scalar root such as ``42``, ``null``, ``"text"``) is the answer if
  the stream ended as the provider ends it. A stream cut short (no end, or a token limit) before anything was
  followed has no answer: ``IncompleteJSONError``.

A refusal raises ``RefusalError`` when the stream ends. With ``fenced=True`` the content goes through
``FencedJSON`` first, and what it passes on (the JSON in a Markdown fence, or a bare object or array) is followed
at once.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from midstream._errors import RefusalError
from midstream._fenced import FencedJSON
from midstream.providers._content_start import JSON, PROSE, ContentStart
from midstream.providers._updates import Finished, RefusalDelta, TextDelta, ToolCallDelta
from midstream.providers.reader import Piece
from midstream.providers.source import AsyncSource, EventReader, Source, async_source_items, is_text_chunk, source_items

if TYPE_CHECKING:
    from midstream._native import TypedParser

Chunk = bytes | bytearray | memoryview | str


class Follower:
    def __init__(self, *, fenced: bool = False, reader: EventReader | None = None) -> None:
        self._reader = reader  # told what is followed, so that it hands that text out as plain str
        self._fence = FencedJSON() if fenced else None
        self._start = ContentStart()
        self._following: str | None = None  # "content" or "tool"
        self._held: list[str] = []  # content not yet known to be the answer
        self._prose: str | None = None  # content found not to be JSON (up to where it stopped being JSON)
        self._refusal: list[str] = []
        self._arguments = False  # whether the followed tool call had any argument text
        self._finished = False  # whether choice 0 ended as the provider ends it (not cut short)
        self._truncated = False  # ... and whether that end was a token limit
        self._error: Exception | None = None  # raised once the text before it was handed over

    def take(self, updates: list[Piece]) -> list[str]:
        """The text to parse that these updates add (a ``str`` among them is text already followed)."""
        if self._error is not None:
            raise self._error
        texts: list[str] = []
        for update in updates:
            if isinstance(update, str):  # text the reader was told this follows
                texts.append(update)
                continue
            if update.choice != 0:
                continue
            if isinstance(update, TextDelta):
                self._content(update.text, texts)
            elif isinstance(update, ToolCallDelta):
                try:
                    self._tool_call(update, texts)
                except ValueError as error:
                    if not texts:
                        raise
                    self._error = error
                    break
            elif isinstance(update, RefusalDelta):
                self._refusal.append(update.text)
            elif isinstance(update, Finished):
                self._finished = True
                self._truncated = update.truncated
        return texts

    def _content(self, text: str, texts: list[str]) -> None:
        if self._fence is not None:
            text = self._fence.feed(text)
            if not text:
                return
        if self._following == "content":
            texts.append(text)
            return
        if self._following is not None or self._prose is not None:
            return  # text after the tool call's start, or more of the prose
        self._held.append(text)
        if self._fence is not None:
            follow = not text.isspace()  # the fence passes on only JSON
        else:
            verdict = self._start.feed(text)
            if verdict == PROSE:
                self._prose = "".join(self._held)
                self._held = []
                return
            follow = verdict == JSON
        if follow:
            self._following = "content"
            if self._reader is not None and self._fence is None:
                self._reader.follow("content")
            texts += self._held
            self._held = []

    def _tool_call(self, update: ToolCallDelta, texts: list[str]) -> None:
        if self._following == "content":
            return
        if update.index != 0:
            raise ValueError(
                "the model answered with more than one tool call: use midstream.stream_tool_calls to stream them"
            )
        if self._following is None and self._reader is not None:
            self._reader.follow("tool")
        self._following = "tool"
        self._held = []  # content before the call that was not certainly JSON: the call is the answer
        if update.arguments:
            self._arguments = True
            texts.append(update.arguments)

    def end(self) -> list[str]:
        """The stream ended: text still held back, or the refusal."""
        if self._error is not None:
            raise self._error
        if self._refusal:
            raise RefusalError("".join(self._refusal))
        complete = self._finished and not self._truncated
        if self._following == "tool":
            # A call without arguments (Anthropic sends none for an empty input) -- unless the stream was cut.
            had_arguments = self._arguments or (self._reader is not None and self._reader.followed)
            return ["{}"] if complete and not had_arguments else []
        texts = self._held if self._following == "content" else self._undecided(complete)
        self._held = []
        if self._fence is not None:
            rest = self._fence.finish()
            if rest:
                texts.append(rest)
        return texts

    def _undecided(self, complete: bool) -> list[str]:
        """The stream ended before any answer was followed: the held text, or the prose, if it is the answer.

        Only if the stream ended as the provider ends it: cut short or stopped by the token limit, the answer (a
        tool call, or more text: ``42`` might have become ``4217``, ``[1]`` been ``[1] Smith et al.``) may still
        have been to come, so nothing is handed over and the parser reports an incomplete answer."""
        if not complete:
            return []
        return [self._prose] if self._prose is not None else self._held


class AnswerText:
    """The JSON text of the answer in the items of a source, push-style (``read(item)`` for each item, then
    ``end()``), so that the sync and the async entry points share it. Made from the source's first item:

    - without a provider, ``str``/``bytes`` items are the JSON text itself (``plain``), through ``FencedJSON`` when
      ``fenced``;
    - anything else is a provider stream (raw SSE bytes with ``provider``, SDK objects, payloads), read by an
      ``EventReader`` and followed by a ``Follower``. Raw SSE bytes go straight to the Rust reader, which, once the
      answer is known, hands its text out joined per read: a read costs one Python call here.
    """

    def __init__(self, first: Any, provider: str | None, *, fenced: bool = False) -> None:
        self.plain = provider is None and is_text_chunk(first)
        self._fence = _FenceOverBytes() if fenced and self.plain else None
        self.events = EventReader(provider)
        self.follower = Follower(fenced=fenced, reader=self.events)
        #: raw SSE bytes: the Rust reader's ``read`` (its pieces go to ``follower.take`` unless they are one ``str``)
        self.raw: Callable[[Any], list[Any]] | None = None
        #: raw SSE bytes: the Rust reader's ``read_into`` (the followed text fed straight into a native engine)
        self.raw_into: Callable[[Any, TypedParser], Any] | None = None
        if self.plain:
            self.read = self._plain  # type: ignore[method-assign]
        elif is_text_chunk(first) and self.events.reader is not None:
            self.raw = self.events.reader.read
            self.raw_into = self.events.reader.read_into
            self.read = self._raw  # type: ignore[method-assign]

    def read(self, item: Any) -> list[Chunk]:
        """The answer's text that ``item`` adds (SDK objects and payloads)."""
        return self.follower.take(self.events.item(item))  # type: ignore[return-value]

    def _raw(self, item: Any) -> list[Chunk]:
        assert self.raw is not None
        pieces = self.raw(item)
        if not pieces or (len(pieces) == 1 and type(pieces[0]) is str):
            return pieces  # nothing, or text of the answer already followed: the common reads
        return self.follower.take(pieces)  # type: ignore[return-value]

    def _plain(self, item: Any) -> list[Chunk]:
        return _fenced(item, self._fence)

    def end(self) -> list[Chunk]:
        """The source ran out: text still held back (or the refusal, or the provider's error, raised)."""
        if self.plain:
            rest = self._fence.finish() if self._fence is not None else ""
            return [rest] if rest else []
        return [*self.follower.take(self.events.end()), *self.follower.end()]


def followed_text(source: Source, provider: str | None = None, *, fenced: bool = False) -> Iterator[Chunk]:
    """The JSON text to parse from ``source`` (see ``AnswerText``). A single ``str``/``bytes`` is one chunk; a
    source that is not one raises ``TypeError`` here, not at the first ``next``."""
    return _followed(source_items(source), provider, fenced)


def _followed(items: Iterator[Any], provider: str | None, fenced: bool) -> Iterator[Chunk]:
    first: Any = next(items, _END)
    if first is _END:
        return
    answer = AnswerText(first, provider, fenced=fenced)
    read = answer.read
    yield from read(first)
    for item in items:
        yield from read(item)
    yield from answer.end()


def afollowed_text(source: AsyncSource, provider: str | None = None, *, fenced: bool = False) -> AsyncIterator[Chunk]:
    """``followed_text`` for an async source (or a single ``str``/``bytes``)."""
    return _afollowed(async_source_items(source), provider, fenced)


async def _afollowed(items: AsyncIterator[Any], provider: str | None, fenced: bool) -> AsyncIterator[Chunk]:
    try:
        first = await items.__anext__()
    except StopAsyncIteration:
        return
    answer = AnswerText(first, provider, fenced=fenced)
    read = answer.read
    for text in read(first):
        yield text
    async for item in items:
        for text in read(item):
            yield text
    for text in answer.end():
        yield text


_END = object()


class _FenceOverBytes:
    """``FencedJSON`` for chunks that may be bytes cut inside a UTF-8 character."""

    def __init__(self) -> None:
        self.fence = FencedJSON()
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: Chunk) -> str:
        text = chunk if isinstance(chunk, str) else self.decoder.decode(bytes(chunk))
        return self.fence.feed(text)

    def finish(self) -> str:
        return self.fence.feed(self.decoder.decode(b"", final=True)) + self.fence.finish()


def _fenced(chunk: Chunk, fence: _FenceOverBytes | None) -> list[Chunk]:
    if fence is None:
        return [chunk]
    text = fence.feed(chunk)
    return [text] if text else []
