"""OpenAI Chat Completions streams, and the OpenAI-compatible servers (Ollama, vLLM, Groq, Mistral, xAI, DeepSeek).

Each chunk's ``choices[i].delta`` carries ``content``, ``refusal`` or ``tool_calls`` fragments; ``finish_reason``
ends a choice; a chunk with an ``error`` (and no choices) is an error. Tool calls are matched to their calls by
``index``, tolerating the compatible servers' deviations: a missing ``index`` (each chunk then names its call by
``id``, or continues the last one), an ``index`` repeated with a new ``id`` (a new call), ``name: ""`` on
continuations, and whole arguments in one chunk.
"""

from __future__ import annotations

from typing import Any

from midstream._errors import ProviderError
from midstream.providers._updates import Finished, RefusalDelta, TextDelta, ToolCallDelta, Update


class _Calls:
    """The tool calls of one choice: positions by the provider's ``index`` and by ``id``."""

    def __init__(self) -> None:
        self.ids: list[str | None] = []
        self.by_index: dict[int, int] = {}

    def position(self, index: Any, call_id: str | None) -> tuple[int, bool]:
        """The call a fragment belongs to, and whether it is a new call."""
        if not isinstance(index, int):
            if self.ids and (call_id is None or call_id == self.ids[-1]):
                return len(self.ids) - 1, False
            return self._new(call_id), True
        known = self.by_index.get(index)
        if known is not None and (call_id is None or self.ids[known] in (None, call_id)):
            if call_id is not None:
                self.ids[known] = call_id
            return known, False
        position = self._new(call_id)
        self.by_index[index] = position
        return position, True

    def _new(self, call_id: str | None) -> int:
        self.ids.append(call_id)
        return len(self.ids) - 1


class OpenAIChatAdapter:
    def __init__(self) -> None:
        self._calls: dict[int, _Calls] = {}

    def payload(self, data: Any, event: str | None = None) -> list[Update]:
        if not isinstance(data, dict):
            return []
        error = data.get("error")
        if error and not data.get("choices"):
            raise provider_error(error)
        updates: list[Update] = []
        for choice in data.get("choices") or ():
            number = choice.get("index") or 0
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content:
                updates.append(TextDelta(content, number))
            refusal = delta.get("refusal")
            if refusal:
                updates.append(RefusalDelta(refusal, number))
            for call in delta.get("tool_calls") or ():
                updates.append(self._tool_call(number, call))
            reason = choice.get("finish_reason")
            if reason:
                updates.append(Finished(reason, number))
        return updates

    def _tool_call(self, choice: int, call: dict[str, Any]) -> ToolCallDelta:
        calls = self._calls.setdefault(choice, _Calls())
        function = call.get("function") or {}
        call_id = call.get("id") or None
        position, new = calls.position(call.get("index"), call_id)
        name = function.get("name") or None
        return ToolCallDelta(
            position, function.get("arguments") or "", call_id if new else None, name if new else None, choice
        )

    def end(self) -> list[Update]:
        return []


def provider_error(error: Any) -> ProviderError:
    """A ProviderError from an ``{"message", "type", "code"}`` error object (or a bare message)."""
    if isinstance(error, dict):
        code = error.get("code")
        return ProviderError(
            str(error.get("message") or error),
            type=error.get("type") or None,
            code=str(code) if code is not None else None,
            payload=error,
        )
    return ProviderError(str(error), payload=error)
