"""OpenAI Responses API streams: typed events (``response.output_text.delta``, ``...function_call_arguments.delta``).

Function calls are keyed by ``item_id`` (and ``output_index``) and numbered in the order they were added. Custom
tool calls carry free text, not JSON, and are left out. Unknown event types are ignored, as the API asks.
"""

from __future__ import annotations

from typing import Any

from midstream.providers._updates import Finished, RefusalDelta, TextDelta, ToolCallDelta, Update
from midstream.providers.openai_chat import provider_error


class OpenAIResponsesAdapter:
    #: the SSE event types this adapter reads; others are skipped unparsed (and may even be malformed)
    events = frozenset(
        {
            "response.output_text.delta",
            "response.refusal.delta",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.completed",
            "response.incomplete",
            "response.failed",
            "error",
        }
    )

    def __init__(self) -> None:
        self._calls: dict[Any, int] = {}  # item_id and output_index -> call position

    def payload(self, data: Any, event: str | None = None) -> list[Update]:
        if not isinstance(data, dict):
            return []
        kind = data.get("type") or event
        if kind == "response.output_text.delta":
            return [TextDelta(data.get("delta") or "")] if data.get("delta") else []
        if kind == "response.refusal.delta":
            return [RefusalDelta(data.get("delta") or "")] if data.get("delta") else []
        if kind == "response.output_item.added":
            item = data.get("item") or {}
            if item.get("type") != "function_call":
                return []
            position = len({*self._calls.values()})
            self._calls[item.get("id")] = position
            self._calls[("output", data.get("output_index"))] = position
            return [ToolCallDelta(position, item.get("arguments") or "", item.get("call_id"), item.get("name"))]
        if kind == "response.function_call_arguments.delta":
            found = self._calls.get(data.get("item_id"), self._calls.get(("output", data.get("output_index"))))
            if found is None or not data.get("delta"):
                return []
            return [ToolCallDelta(found, data["delta"])]
        if kind == "response.completed":
            return [Finished("completed")]
        if kind == "response.incomplete":
            details = (data.get("response") or {}).get("incomplete_details") or {}
            return [Finished(details.get("reason") or "incomplete")]
        if kind == "response.failed":
            error = (data.get("response") or {}).get("error") or {"message": "the response failed"}
            raise provider_error(error)
        if kind == "error":  # the error object nested, or its fields on the event itself
            raise provider_error(data.get("error") or {"message": data.get("message"), "code": data.get("code")})
        return []

    def end(self) -> list[Update]:
        return []
