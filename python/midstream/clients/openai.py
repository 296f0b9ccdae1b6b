"""``from_openai(client)``: typed partials from ``openai.OpenAI`` / ``AsyncOpenAI`` chat completions.

::

    client = midstream.from_openai(openai.OpenAI())
    for ideas in client.chat.completions.create(model="gpt-4o", messages=messages,
                                                response_model=list[Idea], stream=True):
        render(ideas)                           # a growing list of partial Ideas

The request asks for the model's JSON schema (``response_format`` ``json_schema``, strict when the schema allows)
or, with ``mode="tools"``, for a forced call of one function whose parameters are the schema.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from midstream.clients._core import AsyncStructuredStream, Mode, Response, StructuredStream, reask_text
from midstream.clients._schema import Target

__all__ = ["OpenAIDialect", "from_openai"]

OpenAIMode = Literal["json_schema", "tools"]


class OpenAIDialect:
    provider = "openai"

    def __init__(self, mode: OpenAIMode = "json_schema") -> None:
        if mode not in ("json_schema", "tools"):
            raise ValueError(f"mode must be 'json_schema' or 'tools', not {mode!r}")
        self.mode = mode

    def request(self, kwargs: dict[str, Any], target: Target) -> dict[str, Any]:
        request = {**kwargs, "stream": True}
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

    def observe(self, payload: dict[str, Any], state: Response) -> None:
        usage = payload.get("usage")
        if usage:
            state.usage = usage
        for choice in payload.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            if choice.get("finish_reason"):
                state.finish_reason = choice["finish_reason"]
            for call in (choice.get("delta") or {}).get("tool_calls") or ():
                if call.get("id") and state.tool_call_id is None:
                    state.tool_call_id = call["id"]
                    state.tool_name = (call.get("function") or {}).get("name")

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


class _Completions:
    def __init__(self, client: Any, dialect: OpenAIDialect, is_async: bool) -> None:
        self._client = client
        self._dialect = dialect
        self._async = is_async

    def _stream(
        self,
        response_model: Any,
        kwargs: dict[str, Any],
        *,
        kind: Mode = "partial",
        max_retries: int = 0,
        mode: OpenAIMode | None = None,
    ) -> Any:
        dialect = self._dialect if mode is None else OpenAIDialect(mode)
        item_type = None
        if kind == "iterable":
            item_type, response_model = response_model, list[response_model]
        target = Target(response_model)
        request = dialect.request(kwargs, target)
        cls = AsyncStructuredStream if self._async else StructuredStream
        return cls(
            self._client.chat.completions.create,
            dialect,
            target,
            request,
            mode=kind,
            item_type=item_type,
            max_retries=max_retries,
        )

    def create(
        self,
        *,
        response_model: Any = None,
        stream: bool = False,
        max_retries: int = 0,
        mode: OpenAIMode | None = None,
        **kwargs: Any,
    ) -> Any:
        """With ``response_model``: a stream of partials (``stream=True``) or the validated value; without it, the
        client's own ``create``. On an async client the validated value is awaitable."""
        if response_model is None:
            return self._client.chat.completions.create(stream=stream, **kwargs)
        structured = self._stream(response_model, kwargs, max_retries=max_retries, mode=mode)
        if stream:
            return structured
        return structured.get_final_response()

    def create_partial(
        self, *, response_model: Any, max_retries: int = 0, mode: OpenAIMode | None = None, **kwargs: Any
    ) -> Any:
        """Iterate the partials of ``response_model`` (``async for`` on an async client)."""
        return self._stream(response_model, kwargs, max_retries=max_retries, mode=mode)

    def create_iterable(
        self, *, response_model: Any, max_retries: int = 0, mode: OpenAIMode | None = None, **kwargs: Any
    ) -> Any:
        """Each finished, validated ``response_model`` of a list the model writes, once."""
        return self._stream(response_model, kwargs, kind="iterable", max_retries=max_retries, mode=mode)


class _Chat:
    def __init__(self, completions: _Completions) -> None:
        self.completions = completions


class _Responses:
    def __init__(self, completions: _Completions) -> None:
        self._completions = completions

    def stream(
        self, *, response_model: Any, max_retries: int = 0, mode: OpenAIMode | None = None, **kwargs: Any
    ) -> Any:
        """A stream of partials (a context manager) with ``get_final_response()``; it runs on chat completions."""
        return self._completions.create_partial(
            response_model=response_model, max_retries=max_retries, mode=mode, **kwargs
        )


class OpenAIClient:
    """What ``from_openai`` returns: ``.chat.completions`` and ``.responses`` taking ``response_model=``."""

    def __init__(self, client: Any, *, mode: OpenAIMode = "json_schema") -> None:
        self.client = client
        self.is_async = _is_async(client)
        completions = _Completions(client, OpenAIDialect(mode), self.is_async)
        self.chat = _Chat(completions)
        self.responses = _Responses(completions)


def from_openai(client: Any, *, mode: OpenAIMode = "json_schema") -> OpenAIClient:
    """Wrap an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` client (or any OpenAI-compatible one)."""
    return OpenAIClient(client, mode=mode)


def _is_async(client: Any) -> bool:
    return type(client).__name__.startswith("Async")
