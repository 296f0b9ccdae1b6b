"""Which text of a provider stream a structured answer is parsed from.

``Follower`` follows choice 0: its content, or — when the model answers with exactly one tool call — that call's
arguments. Prose before a tool call (an Anthropic model often says what it is about to do) is held back until the
stream shows which of the two the answer is: content that starts like JSON is followed at once. A refusal raises
``RefusalError`` when the stream ends. With ``fenced=True`` the content goes through ``FencedJSON`` first, so
JSON inside a Markdown code fence or after some prose is streamed as it arrives.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from midstream._errors import RefusalError
from midstream._fenced import FencedJSON
from midstream.providers._updates import Finished, RefusalDelta, TextDelta, ToolCallDelta, Update
from midstream.providers.source import EventReader, is_text_chunk

Chunk = bytes | bytearray | memoryview | str

_JSON_STARTS = frozenset('{["-0123456789tfn')


class Follower:
    def __init__(self, *, fenced: bool = False) -> None:
        self._fence = FencedJSON() if fenced else None
        self._following: str | None = None  # "content" or "tool"
        self._held: list[str] = []  # content not yet known to be the answer
        self._refusal: list[str] = []
        self._arguments = False  # whether the followed tool call had any argument text
        self._finished = False  # whether choice 0 ended as the provider ends it (not cut short)
        self._error: Exception | None = None  # raised once the text before it was handed over

    def take(self, updates: list[Update]) -> list[str]:
        """The text to parse that these updates add."""
        if self._error is not None:
            raise self._error
        texts: list[str] = []
        for update in updates:
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
        return texts

    def _content(self, text: str, texts: list[str]) -> None:
        if self._fence is not None:
            text = self._fence.feed(text)
            if not text:
                return
        if self._following == "content":
            texts.append(text)
        elif self._following is None:
            self._held.append(text)
            start = "".join(self._held).lstrip()
            if start and (start[0] in _JSON_STARTS or self._fence is not None):
                self._following = "content"
                texts += self._held
                self._held = []

    def _tool_call(self, update: ToolCallDelta, texts: list[str]) -> None:
        if self._following == "content":
            return
        if update.index != 0:
            raise ValueError(
                "the model answered with more than one tool call: use midstream.stream_tool_calls to stream them"
            )
        self._following = "tool"
        self._held = []  # prose before the call
        if update.arguments:
            self._arguments = True
            texts.append(update.arguments)

    def end(self) -> list[str]:
        """The stream ended: text still held back, or the refusal."""
        if self._error is not None:
            raise self._error
        if self._refusal:
            raise RefusalError("".join(self._refusal))
        if self._following == "tool" and not self._arguments:
            # A call without arguments (Anthropic sends none for an empty input) -- unless the stream was cut.
            return ["{}"] if self._finished else []
        if not self._finished and self._following is None:
            self._held = []  # cut short while only prose had come: the answer (perhaps a tool call) never began
        texts = self._held
        self._held = []
        if self._fence is not None:
            rest = self._fence.finish()
            if rest:
                texts.append(rest)
        return texts


_END = object()


def followed_text(source: Iterable[Any], provider: str | None = None, *, fenced: bool = False) -> Iterator[Chunk]:
    """The JSON text to parse from ``source``.

    Without a provider, a source of ``str``/``bytes`` chunks is the JSON text itself (through ``FencedJSON`` when
    ``fenced``); anything else — SDK stream objects, decoded payloads, or raw SSE bytes with ``provider=`` — is read
    as a provider stream and followed (see ``Follower``).
    """
    items = iter(source)
    first = next(items, _END)
    if first is _END:
        return
    if provider is None and is_text_chunk(first):
        yield from _plain(itertools.chain([first], items), fenced)
        return
    reader = EventReader(provider)
    follower = Follower(fenced=fenced)
    yield from follower.take(reader.item(first))
    for item in items:
        yield from follower.take(reader.item(item))
    yield from follower.take(reader.end())
    yield from follower.end()


async def afollowed_text(
    source: AsyncIterable[Any], provider: str | None = None, *, fenced: bool = False
) -> AsyncIterator[Chunk]:
    """``followed_text`` for an async source."""
    items = source.__aiter__()
    try:
        first = await items.__anext__()
    except StopAsyncIteration:
        return
    if provider is None and is_text_chunk(first):
        fence = _FenceOverBytes() if fenced else None
        for text in _fenced(first, fence):
            yield text
        async for item in items:
            for text in _fenced(item, fence):
                yield text
        rest = fence.finish() if fence is not None else ""
        if rest:
            yield rest
        return
    reader = EventReader(provider)
    follower = Follower(fenced=fenced)
    for text in follower.take(reader.item(first)):
        yield text
    async for item in items:
        for text in follower.take(reader.item(item)):
            yield text
    for text in [*follower.take(reader.end()), *follower.end()]:
        yield text


def _plain(chunks: Iterator[Any], fenced: bool) -> Iterator[Chunk]:
    if not fenced:
        yield from chunks
        return
    fence = _FenceOverBytes()
    for chunk in chunks:
        yield from _fenced(chunk, fence)
    rest = fence.finish()
    if rest:
        yield rest


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
