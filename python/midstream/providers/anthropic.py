"""Anthropic Messages streams: ``content_block_start/delta/stop`` per block ``index``, ``message_delta``, ``error``.

Text blocks give ``text_delta``s; ``tool_use`` blocks give their id and name at ``content_block_start`` and their
JSON arguments as ``input_json_delta.partial_json``. Thinking, signature and citation deltas are left out. A
``refusal`` stop reason becomes a refusal carrying the provider's explanation.
"""

from __future__ import annotations

from typing import Any

from midstream.providers._updates import Finished, RefusalDelta, TextDelta, ToolCallDelta, Update
from midstream.providers.openai_chat import provider_error


class AnthropicAdapter:
    #: the SSE event types this adapter reads; others (ping, message_start...) are skipped unparsed
    events = frozenset({"content_block_start", "content_block_delta", "message_delta", "error"})

    def __init__(self) -> None:
        self._tools: dict[Any, int] = {}  # content block index -> tool call position

    def payload(self, data: Any, event: str | None = None) -> list[Update]:
        if not isinstance(data, dict):
            return []
        kind = data.get("type") or event
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            delta_kind = delta.get("type")
            if delta_kind == "text_delta":
                return [TextDelta(delta["text"])] if delta.get("text") else []
            if delta_kind == "input_json_delta":
                position = self._tools.get(data.get("index"))
                json_text = delta.get("partial_json") or ""
                return [ToolCallDelta(position, json_text)] if position is not None and json_text else []
            return []
        if kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") == "tool_use":
                position = len(self._tools)
                self._tools[data.get("index")] = position
                return [ToolCallDelta(position, "", block.get("id"), block.get("name"))]
            if block.get("type") == "text" and block.get("text"):
                return [TextDelta(block["text"])]
            return []
        if kind == "message_delta":
            delta = data.get("delta") or {}
            reason = delta.get("stop_reason")
            if reason == "refusal":
                details = delta.get("stop_details") or {}
                explanation = details.get("explanation") or details.get("category") or "refused"
                return [RefusalDelta(str(explanation)), Finished(reason)]
            return [Finished(reason)] if reason else []
        if kind == "error":
            raise provider_error(data.get("error") or data)
        return []

    def end(self) -> list[Update]:
        return []
