"""``from_anthropic(client)``: typed partials from ``anthropic.Anthropic`` / ``AsyncAnthropic`` messages.

::

    client = midstream.from_anthropic(anthropic.Anthropic())
    for user in client.chat.completions.create(model="claude-sonnet-4-5", messages=messages,
                                               response_model=User, stream=True):
        render(user)                            # or client.messages.create(...): the same object

The surface is ``StructuredClient``'s, the same as ``from_openai``'s, and so is the call: OpenAI-style system
messages (``{"role": "system", ...}``, or ``"developer"``) move to Anthropic's ``system=`` parameter, after any
``system=`` given, and ``max_tokens`` defaults to 1024. The request forces one tool whose ``input_schema`` is the
model's schema. As with ``from_openai``, the SDK sends the request and midstream reads the raw response body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from midstream.clients._core import Response, reask_text
from midstream.clients._schema import Target
from midstream.clients._surface import StructuredClient

__all__ = ["AnthropicClient", "AnthropicDialect", "from_anthropic", "openai_style_to_anthropic"]

DEFAULT_MAX_TOKENS = 1024
AnthropicMode = Literal["tools"]

_SYSTEM_ROLES = frozenset({"system", "developer"})


class AnthropicDialect:
    provider = "anthropic"

    def with_mode(self, mode: str | None) -> AnthropicDialect:
        if mode not in (None, "tools"):
            raise ValueError(f"from_anthropic asks with a forced tool: mode must be 'tools', not {mode!r}")
        return self

    def send(self, client: Any) -> Callable[..., Any]:
        return client.messages.create  # type: ignore[no-any-return]

    def send_raw(self, client: Any) -> Callable[..., Any]:
        return client.messages.with_streaming_response.create  # type: ignore[no-any-return]

    def prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return openai_style_to_anthropic(kwargs)

    def request(self, kwargs: dict[str, Any], target: Target) -> dict[str, Any]:
        request = {**self.prepare(kwargs), "stream": True}
        tool = {"name": target.name, "description": target.description, "input_schema": target.schema}
        request["tools"] = [tool]
        request["tool_choice"] = {"type": "tool", "name": target.name}
        return request

    def reask(self, state: Response, error: Exception) -> list[dict[str, Any]]:
        call_id = state.tool_call_id or "toolu_0"
        use = {"type": "tool_use", "id": call_id, "name": state.tool_name or "", "input": state.partial_json()}
        result = {"type": "tool_result", "tool_use_id": call_id, "content": reask_text(error), "is_error": True}
        return [{"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]


def openai_style_to_anthropic(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Messages API arguments from OpenAI-style ones: system messages become ``system=``, ``max_tokens`` defaults.

    >>> openai_style_to_anthropic({"messages": [{"role": "system", "content": "Be brief."},
    ...                                         {"role": "user", "content": "Hi"}]})
    {'messages': [{'role': 'user', 'content': 'Hi'}], 'system': 'Be brief.', 'max_tokens': 1024}

    Several system messages (and a ``system=`` given as well, first) are joined by a blank line; when any of them
    is a list of content blocks, ``system`` is the list of their blocks.
    """
    request = dict(kwargs)
    messages = list(request.get("messages") or ())
    system = [message for message in messages if _is_system(message)]
    if system:
        parts = ([request["system"]] if request.get("system") else []) + [message.get("content") for message in system]
        request["messages"] = [message for message in messages if not _is_system(message)]
        request["system"] = _joined(parts)
    request.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    return request


def _is_system(message: Any) -> bool:
    return isinstance(message, Mapping) and message.get("role") in _SYSTEM_ROLES


def _joined(parts: list[Any]) -> str | list[Any]:
    if all(isinstance(part, str) for part in parts):
        return "\n\n".join(part for part in parts if part)
    blocks: list[Any] = []
    for part in parts:
        for block in part if isinstance(part, list) else [part]:
            if isinstance(block, str):
                if block:
                    blocks.append({"type": "text", "text": block})
            elif block:
                blocks.append(block)
    return blocks


class AnthropicClient(StructuredClient):
    """What ``from_anthropic`` returns: ``.chat.completions``, ``.messages``, ``.responses`` and the top-level
    ``create``/``create_partial``/``create_iterable``, taking ``response_model=`` (see ``StructuredClient``)."""

    def __init__(self, client: Any, *, mode: AnthropicMode = "tools") -> None:
        super().__init__(client, AnthropicDialect().with_mode(mode))


def from_anthropic(client: Any, *, mode: AnthropicMode = "tools") -> AnthropicClient:
    """Wrap an ``anthropic.Anthropic`` or ``anthropic.AsyncAnthropic`` client."""
    return AnthropicClient(client, mode=mode)
