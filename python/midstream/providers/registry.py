"""Adapters by provider name, and how a provider is told from the first payload of a stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from midstream.providers._updates import Update


class Adapter(Protocol):
    """Turns one stream's events into updates. One adapter per stream: it keeps the stream's state."""

    def payload(self, data: Any, event: str | None = None) -> list[Update]:
        """The updates one event carries. ``data`` is the event's decoded JSON; ``event`` its SSE event type."""
        ...

    def end(self) -> list[Update]:
        """The stream ended (``[DONE]`` or the connection closed): updates still pending, if any."""
        ...


def _openai() -> Adapter:
    from midstream.providers.openai_chat import OpenAIChatAdapter

    return OpenAIChatAdapter()


def _responses() -> Adapter:
    from midstream.providers.openai_responses import OpenAIResponsesAdapter

    return OpenAIResponsesAdapter()


def _anthropic() -> Adapter:
    from midstream.providers.anthropic import AnthropicAdapter

    return AnthropicAdapter()


def _gemini() -> Adapter:
    from midstream.providers.gemini import GeminiAdapter

    return GeminiAdapter()


#: provider name -> a factory of fresh adapters
PROVIDERS: dict[str, Callable[[], Adapter]] = {
    "openai": _openai,
    "openai-responses": _responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
}


def adapter_for(provider: str) -> Adapter:
    """A fresh adapter for ``provider`` (``"openai"`` also covers OpenAI-compatible servers)."""
    try:
        return PROVIDERS[provider]()
    except KeyError:
        raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}") from None


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
