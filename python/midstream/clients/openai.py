"""``from_openai(client)``: typed partials from ``openai.OpenAI`` / ``AsyncOpenAI`` chat completions.

::

    client = midstream.from_openai(openai.OpenAI())
    for ideas in client.chat.completions.create(model="gpt-4o", messages=messages,
                                                response_model=list[Idea], stream=True):
        render(ideas)                           # a growing list of partial Ideas

The response body is read raw (``with_streaming_response``): the SDK sends the request (authentication, base URL,
timeouts, retries, its own exceptions for HTTP errors) and midstream reads the SSE bytes, with no SDK object per
chunk. The request asks for the model's JSON schema (``response_format`` ``json_schema``, strict when the schema allows)
or, with ``mode="tools"`` (on the client or per call), for a forced call of one function whose parameters are the
schema. The surface is ``StructuredClient``'s, the same as ``from_anthropic``'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from midstream.clients._core import Response, reask_text
from midstream.clients._schema import Target
from midstream.clients._surface import StructuredClient

__all__ = ["OpenAIClient", "OpenAIDialect", "from_openai"]

OpenAIMode = Literal["json_schema", "tools"]


class OpenAIDialect:
    provider = "openai"

    def __init__(self, mode: str = "json_schema") -> None:
        if mode not in ("json_schema", "tools"):
            raise ValueError(f"mode must be 'json_schema' or 'tools', not {mode!r}")
        self.mode = mode

    def with_mode(self, mode: str | None) -> OpenAIDialect:
        return self if mode is None or mode == self.mode else OpenAIDialect(mode)

    def send(self, client: Any) -> Callable[..., Any]:
        return client.chat.completions.create  # type: ignore[no-any-return]

    def send_raw(self, client: Any) -> Callable[..., Any]:
        return client.chat.completions.with_streaming_response.create  # type: ignore[no-any-return]

    def prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return dict(kwargs)

    def request(self, kwargs: dict[str, Any], target: Target) -> dict[str, Any]:
        request = {**self.prepare(kwargs), "stream": True}
        request.setdefault("stream_options", {"include_usage": True})
        if self.mode == "tools":
            function: dict[str, Any] = {
                "name": target.name,
                "description": target.description,
                "parameters": target.schema,
            }
            if target.strict:
                function["strict"] = True
            request["tools"] = [{"type": "function", "function": function}]
            request["tool_choice"] = {"type": "function", "function": {"name": target.name}}
        else:
            json_schema: dict[str, Any] = {"name": target.name, "schema": target.schema, "strict": target.strict}
            request["response_format"] = {"type": "json_schema", "json_schema": json_schema}
        return request

    def reask(self, state: Response, error: Exception) -> list[dict[str, Any]]:
        if self.mode == "tools":
            call_id = state.tool_call_id or "call_0"
            call = {
                "id": call_id,
                "type": "function",
                "function": {"name": state.tool_name or "", "arguments": json.dumps(state.partial_json())},
            }
            return [
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call_id, "content": reask_text(error)},
            ]
        return [{"role": "assistant", "content": state.text}, {"role": "user", "content": reask_text(error)}]


class OpenAIClient(StructuredClient):
    """What ``from_openai`` returns: ``.chat.completions``, ``.messages``, ``.responses`` and the top-level
    ``create``/``create_partial``/``create_iterable``, taking ``response_model=`` (see ``StructuredClient``)."""

    def __init__(self, client: Any, *, mode: OpenAIMode = "json_schema") -> None:
        super().__init__(client, OpenAIDialect(mode))


def from_openai(client: Any, *, mode: OpenAIMode = "json_schema") -> OpenAIClient:
    """Wrap an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` client (or any OpenAI-compatible one)."""
    return OpenAIClient(client, mode=mode)
