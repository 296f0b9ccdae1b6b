"""Google Gemini ``streamGenerateContent?alt=sse`` streams (Gemini API and Vertex AI).

Each payload holds ``candidates[i].content.parts``: ``text`` parts (thought parts left out), and ``functionCall``
parts, which arrive whole (``args`` as an object, turned into JSON text) or, on Vertex with streamed function-call
arguments, as a ``functionCall`` with ``willContinue`` followed by ``partialArgs`` pieces (a JSONPath and a value)
that ``PartialArgsWriter`` turns into JSON text as they come. ``finishReason`` ends a candidate; an ``error``
payload raises. Both the wire's camelCase and the SDK's snake_case spellings are read.
"""

from __future__ import annotations

import json
from typing import Any

from midstream._errors import ProviderError
from midstream.providers._gemini_args import PartialArgsWriter
from midstream.providers._updates import Finished, TextDelta, ToolCallDelta, Update
from midstream.providers.openai_chat import provider_error


def _get(data: dict[str, Any], camel: str, snake: str) -> Any:
    value = data.get(camel)
    return data.get(snake) if value is None else value


class GeminiAdapter:
    def __init__(self) -> None:
        self._calls: dict[int, int] = {}  # candidate -> number of function calls begun
        self._streaming: dict[int, tuple[int, PartialArgsWriter]] = {}  # candidate -> call being streamed

    def payload(self, data: Any, event: str | None = None) -> list[Update]:
        if not isinstance(data, dict):
            return []
        if data.get("error"):
            raise _gemini_error(data["error"])
        updates: list[Update] = []
        for number, candidate in enumerate(data.get("candidates") or ()):
            choice = candidate.get("index", number) or 0
            content = candidate.get("content") or {}
            for part in content.get("parts") or ():
                updates += self._part(choice, part)
            reason = _get(candidate, "finishReason", "finish_reason")
            if reason:
                updates += self._close(choice)
                updates.append(Finished(str(reason).lower(), choice))
        return updates

    def _part(self, choice: int, part: dict[str, Any]) -> list[Update]:
        call = _get(part, "functionCall", "function_call")
        if call is None:
            text = part.get("text")
            return [TextDelta(text, choice)] if text and not part.get("thought") else []
        partial_args = _get(call, "partialArgs", "partial_args")
        will_continue = bool(_get(call, "willContinue", "will_continue"))
        streaming = self._streaming.get(choice)
        continues = partial_args is not None or (call.get("name") is None and call.get("args") is None)
        if streaming is not None and continues:  # more of the call being streamed, or its end (`{}`)
            position, writer = streaming
            updates: list[Update] = []
            text = writer.feed(partial_args or [])
            if text:
                updates.append(ToolCallDelta(position, text, choice=choice))
            if not will_continue:
                updates += self._close(choice)
            return updates
        updates = self._close(choice)
        position = self._calls.get(choice, 0)
        self._calls[choice] = position + 1
        args = call.get("args")
        if will_continue and args is None:  # streamed: partialArgs follow
            writer = PartialArgsWriter()
            self._streaming[choice] = (position, writer)
            start = writer.feed(partial_args or [])
            updates.append(ToolCallDelta(position, start, call.get("id"), call.get("name"), choice))
            return updates
        arguments = json.dumps(args if args is not None else {}, ensure_ascii=False)
        updates.append(ToolCallDelta(position, arguments, call.get("id"), call.get("name"), choice))
        return updates

    def _close(self, choice: int) -> list[Update]:
        """End the call of ``choice`` whose arguments are still streaming, if any."""
        streaming = self._streaming.pop(choice, None)
        if streaming is None:
            return []
        position, writer = streaming
        text = writer.finish()
        return [ToolCallDelta(position, text, choice=choice)] if text else []

    def end(self) -> list[Update]:
        # A call still streaming when the stream stops was cut short: it stays open (and so incomplete).
        return []


def _gemini_error(error: Any) -> ProviderError:
    if isinstance(error, dict):  # {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED"}
        code = error.get("code")
        return ProviderError(
            str(error.get("message") or error),
            type=error.get("status") or None,
            code=str(code) if code is not None else None,
            payload=error,
        )
    return provider_error(error)
