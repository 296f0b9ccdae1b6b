"""Readers by provider name, and how a provider is told from the first payload of a stream."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from midstream.providers.reader import NAMES, Piece, ProviderReader


class Adapter(Protocol):
    """Turns one stream's events into updates. One adapter per stream: it keeps the stream's state."""

    def payload(self, data: Any, event: str | None = None) -> list[Piece]:
        """The updates one event carries. ``data`` is the event's decoded JSON; ``event`` its SSE event type. (A
        ``str`` among them is text the reader was told to follow, and only then.)"""
        ...

    def end(self) -> list[Piece]:
        """The stream ended (``[DONE]`` or the connection closed): updates still pending, if any."""
        ...


#: provider name -> a factory of fresh adapters (each a ``ProviderReader``: the Rust reader of that provider)
PROVIDERS: dict[str, Callable[[], Adapter]] = {name: partial(ProviderReader, name) for name in NAMES}


def adapter_for(provider: str) -> Adapter:
    """A fresh adapter for ``provider`` (``"openai"`` also covers OpenAI-compatible servers)."""
    return reader_for(provider)


def reader_for(provider: str) -> ProviderReader:
    """A fresh ``ProviderReader`` for ``provider``; ``ValueError`` naming the known ones for any other name."""
    if provider not in NAMES:
        raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(NAMES)}")
    return ProviderReader(provider)


def guess_provider(data: Any) -> str | None:
    """The provider whose stream starts with this payload, if it is recognisable."""
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if data.get("object") == "chat.completion.chunk" or "choices" in data:
        return "openai"
    if isinstance(kind, str) and (kind.startswith("response.") or (kind == "error" and "sequence_number" in data)):
        return "openai-responses"
    if kind in ("message_start", "content_block_start", "ping", "message_delta") or kind == "error":
        return "anthropic"
    if "candidates" in data or "usageMetadata" in data or "usage_metadata" in data:
        return "gemini"
    return None
