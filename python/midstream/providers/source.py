"""Reading a provider stream from whatever the user holds: raw SSE bytes, decoded payloads, or SDK objects.

``source_items`` / ``async_source_items`` take the source itself: an iterable (or async iterable) of chunks,
payloads or SDK events, or one whole ``str``/``bytes``/``bytearray``/``memoryview``, which is one chunk (iterating
it would give characters or ints). Anything else raises a ``TypeError`` that says what a source is.

``EventReader`` is push-style (``item(x)`` then ``end()``) so the sync and async entry points share it. SDK
objects are recognised by the module of their class, so no SDK is imported here:

- openai ``Stream``/``AsyncStream`` items (``ChatCompletionChunk`` or Responses events), and the events of the
  ``client.chat.completions.stream(...)`` helper (its ``chunk`` events carry the chunks);
- anthropic ``Stream``/``AsyncStream`` items and ``MessageStream`` events (its derived ``text``/``input_json``
  events repeat the raw ones and are skipped);
- google-genai ``GenerateContentResponse`` items from ``generate_content_stream``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Literal

from midstream.providers.reader import Piece, ProviderReader
from midstream.providers.registry import guess_provider, reader_for

_TEXT = (bytes, bytearray, memoryview, str)
#: what the sync and the async entry points take as a source
Source = Iterable[Any] | bytes | bytearray | memoryview | str
AsyncSource = AsyncIterable[Any] | bytes | bytearray | memoryview | str
#: events the anthropic MessageStream derives from the raw ones (the raw ones come too)
_ANTHROPIC_DERIVED = frozenset({"text", "input_json", "citation", "thinking", "signature", "compaction"})


def is_text_chunk(item: object) -> bool:
    return isinstance(item, _TEXT)


def source_items(source: object) -> Iterator[Any]:
    """The items of a sync source: its chunks, payloads or events; a whole ``str``/``bytes`` is one chunk."""
    if isinstance(source, _TEXT):
        return iter((source,))
    if isinstance(source, Iterable) and not _one_object(source):
        return iter(source)
    raise _not_a_source(source, "an iterable")


def async_source_items(source: object) -> AsyncIterator[Any]:
    """The items of an async source; a whole ``str``/``bytes`` is one chunk."""
    if isinstance(source, _TEXT):
        return _one(source)
    if isinstance(source, AsyncIterable):
        return source.__aiter__()
    raise _not_a_source(source, "an async iterable")


async def _one(chunk: Any) -> AsyncIterator[Any]:
    yield chunk


def _one_object(source: object) -> bool:
    """Iterable, but one payload or response rather than a stream (a dict iterates its keys, a pydantic model
    its fields)."""
    return isinstance(source, Mapping) or hasattr(source, "model_dump")


def _not_a_source(source: object, wanted: str) -> TypeError:
    kind = type(source)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(source, Mapping):
        hint = ": a dict is one payload, not a stream (pass the stream, or a list of payloads)"
    elif hasattr(source, "model_dump"):
        hint = ": one object, not a stream (a whole response? ask for it with stream=True)"
    elif isinstance(source, AsyncIterable):
        hint = ": an async source takes the async entry point (`aiter_items`, `async for` over `stream`)"
    elif isinstance(source, Iterable):
        hint = ": a sync source takes the sync entry point (`iter_items`, `for` over `stream`)"
    elif hasattr(source, "__enter__") or hasattr(source, "__aenter__"):
        hint = ": enter it first and pass the stream it gives (`with ... as stream`)"
    else:
        hint = ""
    return TypeError(
        f"a stream source is {wanted} of text chunks, payloads or SDK stream events, or one str/bytes; got {name}{hint}"
    )


class EventReader:
    """Turns the items of one provider stream into updates: raw SSE chunks (with ``provider``), decoded payloads or
    SDK objects (the provider told from the first one when not given). A ``ProviderReader`` does the reading."""

    def __init__(self, provider: str | None = None) -> None:
        self.reader = reader_for(provider) if provider is not None else None
        self.provider = provider

    def item(self, item: object) -> list[Piece]:
        reader = self.reader
        if isinstance(item, _TEXT):
            if reader is None:
                raise TypeError("raw SSE chunks need provider= ('openai', 'openai-responses', 'anthropic', 'gemini')")
            return reader.read(item)
        data, provider = payload_of(item)
        if data is None:
            return []
        if reader is None:
            provider = provider or guess_provider(data)
            if provider is None:
                raise TypeError(f"cannot tell which provider's stream this is: {type(item).__name__} {data!r:.200}")
            reader = self.reader = ProviderReader(provider)
            self.provider = provider
        return reader.payload(data)

    def follow(self, what: Literal["content", "tool"] | None) -> None:
        """Hand out the text of what the caller follows (``"content"``, ``"tool"``) as plain ``str``s."""
        if self.reader is not None:
            self.reader.follow = what

    @property
    def usage(self) -> dict[str, Any] | None:
        """The token usage the stream reported so far."""
        return self.reader.usage_dict if self.reader is not None else None

    @property
    def followed(self) -> bool:
        """Whether any followed text was handed out as ``str``."""
        return self.reader is not None and self.reader.followed

    def end(self) -> list[Piece]:
        return self.reader.end() if self.reader is not None else []


def payload_of(item: object) -> tuple[Any, str | None]:
    """An SDK object (or a decoded payload) as the JSON payload it was sent as, and its provider if known."""
    if isinstance(item, dict):
        return item, None
    module = type(item).__module__ or ""
    kind = getattr(item, "type", None)
    if module.startswith("openai"):
        if kind == "chunk" and hasattr(item, "chunk"):  # chat.completions.stream(...) helper events
            item = item.chunk
        elif module.startswith("openai.lib") and not str(kind).startswith(("response.", "error")):
            return None, None  # the chat helper's derived events (content.delta, tool_calls.function...)
        data = _dump(item)
        return data, "openai" if data.get("object") == "chat.completion.chunk" else "openai-responses"
    if module.startswith("anthropic"):
        if kind in _ANTHROPIC_DERIVED:
            return None, None
        return _dump(item), "anthropic"
    if module.startswith("google.genai"):
        dump = getattr(item, "model_dump", None)
        if dump is None:
            return None, None
        return dump(mode="json", by_alias=True, exclude_none=True), "gemini"
    dump = getattr(item, "model_dump", None)
    if dump is not None:
        return dump(mode="json", by_alias=True, exclude_none=True), None
    raise TypeError(f"cannot read a {type(item).__module__}.{type(item).__name__} as a stream event")


def _dump(item: Any) -> dict[str, Any]:
    """A Stainless SDK (openai, anthropic) model as its wire payload: API names, only the fields that were sent."""
    to_dict = getattr(item, "to_dict", None)
    if to_dict is not None:
        return to_dict(mode="json")  # type: ignore[no-any-return]
    return item.model_dump(mode="json", by_alias=True, exclude_unset=True)  # type: ignore[no-any-return]
