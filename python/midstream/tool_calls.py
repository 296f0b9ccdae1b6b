"""``stream_tool_calls``: parallel tool calls streamed independently, each parsed (and typed) as it arrives."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from midstream._errors import RefusalError
from midstream.providers import Finished, RefusalDelta, ToolCallDelta, Update
from midstream.providers.source import AsyncSource, EventReader, Source, async_source_items, source_items
from midstream.pydantic import ModelStream


@dataclass(frozen=True, slots=True)
class ToolCallUpdate:
    """The state of one tool call after a change.

    ``index`` counts the calls from 0 in the order they began; ``partial`` is the partial arguments (an instance of
    the tool's model when ``tools`` names one, else the parsed JSON so far); ``complete`` says the arguments have
    finished; ``value`` is then the validated arguments (``None`` before)."""

    index: int
    id: str | None
    name: str | None
    partial: Any
    complete: bool
    value: Any = None


Tools = Mapping[str, Any] | Sequence[type]


class _Call:
    def __init__(self, index: int, call_id: str | None, name: str | None, model: Any, fail_fast: bool) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.stream: ModelStream[Any] = ModelStream(model, fail_fast=fail_fast)
        self.fed = False
        self.done = False

    def update(self) -> ToolCallUpdate:
        if self.done:
            value = self.stream.finish()
            return ToolCallUpdate(self.index, self.id, self.name, value, True, value)
        return ToolCallUpdate(self.index, self.id, self.name, self.stream.partial, False)


class ToolCallStreams:
    """Push-style core of ``stream_tool_calls``: ``take(updates)`` / ``end()`` return the tool-call updates."""

    def __init__(self, tools: Tools | None = None, *, fail_fast: bool = False) -> None:
        self.models = _models(tools)
        self.fail_fast = fail_fast
        self.calls: dict[int, _Call] = {}
        self.finished = False  # whether the stream ended as the provider ends it (not cut short, no token limit)
        self.refusal: list[str] = []

    def take(self, updates: Sequence[Update | str]) -> list[ToolCallUpdate]:
        """The calls these updates changed (text the reader was told to follow, ``str``, is not read here)."""
        changed: list[ToolCallUpdate] = []
        for update in updates:
            if isinstance(update, str) or update.choice != 0:
                continue
            if isinstance(update, Finished):
                self.finished = not update.truncated
                continue
            if isinstance(update, RefusalDelta):
                self.refusal.append(update.text)
                continue
            if not isinstance(update, ToolCallDelta):
                continue
            call = self.calls.get(update.index)
            if call is None:
                model = self.models.get(update.name or "", Any)
                call = self.calls[update.index] = _Call(update.index, update.id, update.name, model, self.fail_fast)
            if update.arguments and not call.done:
                call.fed = True
                stream = call.stream
                stream.feed(update.arguments)
                if stream.complete:
                    call.done = True
                elif not stream.changed:
                    continue
                stream.clear_changed()
            elif update.arguments or update.id is None:
                continue
            changed.append(call.update())
        return changed

    def end(self) -> list[ToolCallUpdate]:
        """The stream ended: finish every call (a call with no argument text at all had ``{}``, unless the stream
        was cut short or stopped by the token limit); raise ``RefusalError`` for a refusal."""
        if self.refusal:
            raise RefusalError("".join(self.refusal))
        finished: list[ToolCallUpdate] = []
        for call in self.calls.values():
            if call.done:
                continue
            if not call.fed and self.finished:
                call.stream.feed("{}")
            call.stream.finish()  # raises IncompleteJSONError / ValidationError for this call
            call.done = True
            finished.append(call.update())
        return finished


def _models(tools: Tools | None) -> dict[str, Any]:
    if tools is None:
        return {}
    if isinstance(tools, Mapping):
        return dict(tools)
    return {tool.__name__: tool for tool in tools}


@overload
def stream_tool_calls(
    source: AsyncIterable[Any], tools: Tools | None = None, *, provider: str | None = None, fail_fast: bool = False
) -> AsyncIterator[ToolCallUpdate]: ...
@overload
def stream_tool_calls(
    source: Source, tools: Tools | None = None, *, provider: str | None = None, fail_fast: bool = False
) -> Iterator[ToolCallUpdate]: ...
def stream_tool_calls(
    source: Source | AsyncSource,
    tools: Tools | None = None,
    *,
    provider: str | None = None,
    fail_fast: bool = False,
) -> Iterator[ToolCallUpdate] | AsyncIterator[ToolCallUpdate]:
    """Stream the tool calls of a provider stream, each on its own, even when their fragments interleave.

    ``source`` is an SDK stream (openai, anthropic, google-genai; sync or async) or raw SSE bytes with
    ``provider=`` (a whole body as one ``bytes`` works too); ``tools`` maps tool names to the types of their
    arguments (or is a list of models, named by class). Each change of a call yields a ``ToolCallUpdate``; the last
    one for a call has ``complete=True`` and the validated ``value``. An async source gives an async iterator.
    """
    calls = ToolCallStreams(tools, fail_fast=fail_fast)
    if isinstance(source, AsyncIterable):
        return _aiter_tool_calls(async_source_items(source), calls, EventReader(provider))
    return _iter_tool_calls(source_items(source), calls, EventReader(provider))


def _iter_tool_calls(source: Iterator[Any], calls: ToolCallStreams, reader: EventReader) -> Iterator[ToolCallUpdate]:
    for item in source:
        yield from calls.take(reader.item(item))
    yield from calls.take(reader.end())
    yield from calls.end()


async def _aiter_tool_calls(
    source: AsyncIterator[Any], calls: ToolCallStreams, reader: EventReader
) -> AsyncIterator[ToolCallUpdate]:
    async for item in source:
        for update in calls.take(reader.item(item)):
            yield update
    for update in calls.take(reader.end()):
        yield update
    for update in calls.end():
        yield update
