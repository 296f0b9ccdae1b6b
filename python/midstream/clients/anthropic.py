"""``from_anthropic(client)``: typed partials from ``anthropic.Anthropic`` / ``AsyncAnthropic`` messages.

::

    client = midstream.from_anthropic(anthropic.Anthropic())
    for user in client.messages.create(model="claude-sonnet-4-5", messages=messages,
                                       response_model=User, stream=True):
        render(user)

The request forces one tool whose ``input_schema`` is the model's schema; ``max_tokens`` defaults to 1024.
"""

from __future__ import annotations

from typing import Any

from midstream.clients._core import AsyncStructuredStream, Mode, Response, StructuredStream, reask_text
from midstream.clients._schema import Target

__all__ = ["AnthropicDialect", "from_anthropic"]

DEFAULT_MAX_TOKENS = 1024


class AnthropicDialect:
    provider = "anthropic"

    def request(self, kwargs: dict[str, Any], target: Target) -> dict[str, Any]:
        request = {**kwargs, "stream": True}
        request.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        tool = {"name": target.name, "description": target.description, "input_schema": target.schema}
        request["tools"] = [tool]
        request["tool_choice"] = {"type": "tool", "name": target.name}
        return request

    def observe(self, payload: dict[str, Any], state: Response) -> None:
        kind = payload.get("type")
        if kind == "message_start":
            usage = (payload.get("message") or {}).get("usage")
            if usage:
                state.usage = dict(usage)
        elif kind == "message_delta":
            reason = (payload.get("delta") or {}).get("stop_reason")
            if reason:
                state.finish_reason = reason
            usage = payload.get("usage")
            if usage:
                state.usage = {**(state.usage or {}), **{k: v for k, v in usage.items() if v is not None}}
        elif kind == "content_block_start":
            block = payload.get("content_block") or {}
            if block.get("type") == "tool_use" and state.tool_call_id is None:
                state.tool_call_id = block.get("id")
                state.tool_name = block.get("name")

    def reask(self, state: Response, error: Exception) -> list[dict[str, Any]]:
        call_id = state.tool_call_id or "toolu_0"
        use = {"type": "tool_use", "id": call_id, "name": state.tool_name or "", "input": state.partial_json()}
        result = {"type": "tool_result", "tool_use_id": call_id, "content": reask_text(error), "is_error": True}
        return [{"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]


class _Messages:
    def __init__(self, client: Any, is_async: bool) -> None:
        self._client = client
        self._async = is_async
        self._dialect = AnthropicDialect()

    def _stream(
        self, response_model: Any, kwargs: dict[str, Any], *, kind: Mode = "partial", max_retries: int = 0
    ) -> Any:
        item_type = None
        if kind == "iterable":
            item_type, response_model = response_model, list[response_model]
        target = Target(response_model)
        request = self._dialect.request(kwargs, target)
        cls = AsyncStructuredStream if self._async else StructuredStream
        return cls(
            self._client.messages.create,
            self._dialect,
            target,
            request,
            mode=kind,
            item_type=item_type,
            max_retries=max_retries,
        )

    def create(self, *, response_model: Any = None, stream: bool = False, max_retries: int = 0, **kwargs: Any) -> Any:
        """With ``response_model``: a stream of partials (``stream=True``) or the validated value; without it, the
        client's own ``create``. On an async client the validated value is awaitable."""
        if response_model is None:
            return self._client.messages.create(stream=stream, **kwargs)
        structured = self._stream(response_model, kwargs, max_retries=max_retries)
        return structured if stream else structured.get_final_response()

    def create_partial(self, *, response_model: Any, max_retries: int = 0, **kwargs: Any) -> Any:
        """Iterate the partials of ``response_model`` (``async for`` on an async client)."""
        return self._stream(response_model, kwargs, max_retries=max_retries)

    def create_iterable(self, *, response_model: Any, max_retries: int = 0, **kwargs: Any) -> Any:
        """Each finished, validated ``response_model`` of a list the model writes, once."""
        return self._stream(response_model, kwargs, kind="iterable", max_retries=max_retries)


class _Responses:
    def __init__(self, messages: _Messages) -> None:
        self._messages = messages

    def stream(self, *, response_model: Any, max_retries: int = 0, **kwargs: Any) -> Any:
        """A stream of partials (a context manager) with ``get_final_response()``."""
        return self._messages.create_partial(response_model=response_model, max_retries=max_retries, **kwargs)


class AnthropicClient:
    """What ``from_anthropic`` returns: ``.messages`` and ``.responses`` taking ``response_model=``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.is_async = type(client).__name__.startswith("Async")
        self.messages = _Messages(client, self.is_async)
        self.responses = _Responses(self.messages)


def from_anthropic(client: Any) -> AnthropicClient:
    """Wrap an ``anthropic.Anthropic`` or ``anthropic.AsyncAnthropic`` client."""
    return AnthropicClient(client)
