"""One provider stream read natively: ``ProviderReader`` over the Rust reader (``rust/providers``).

The Rust reader decodes the SSE framing and each event's JSON, and hands out the stream's updates
(``TextDelta``, ``RefusalDelta``, ``ToolCallDelta``, ``Finished``); Python builds only what is Python's to build:

- ``ProviderError``s from the provider's error payloads (raised once the updates before them were handed over);
- the JSON text of Vertex AI's streamed function-call arguments (``PartialArgsWriter``, from the pieces);
- the token usage, read from the reader when asked (``usage``), not per event.

Once told what its caller follows (``follow = "content"``: the text of choice 0; ``"tool"``: the arguments of its
first tool call), the reader hands that text out as plain ``str``s, the pieces of one feed joined: a stream the
caller follows costs no Python object per event.
"""

from __future__ import annotations

import json
from typing import Any

from midstream._errors import ProviderError
from midstream._native import ProviderReader as _NativeReader
from midstream.providers._gemini_args import PartialArgsWriter
from midstream.providers._updates import Finished, RefusalDelta, TextDelta, ToolCallDelta, Update

__all__ = ["NAMES", "ProviderReader", "provider_error"]

#: the providers a reader reads, by name ("openai" also covers the OpenAI-compatible servers)
NAMES = ("openai", "openai-responses", "anthropic", "gemini")

#: what a read hands out: updates, and the followed text as ``str``
Piece = Update | str


class ProviderReader(_NativeReader):
    """Reads one stream of ``provider``: ``read`` raw SSE chunks (or ``payload`` one decoded event at a time),
    then ``end``. Each returns the updates (and followed text) the stream gained; a provider error is raised once
    the updates before it were handed out (at the next call)."""

    __slots__ = ("_args",)

    def __new__(cls, provider: str) -> ProviderReader:
        return super().__new__(cls, provider, TextDelta, RefusalDelta, ToolCallDelta, Finished)

    def __init__(self, provider: str) -> None:
        self._args: dict[int, PartialArgsWriter] = {}  # Vertex streamed arguments, by candidate

    def payload(self, data: Any, event: str | None = None) -> list[Piece]:
        """The updates of one event's decoded JSON payload (from an SDK object, or a JSON-lines recording)."""
        if self.done or not isinstance(data, dict):
            return []
        return self.read_payload(json.dumps(data, ensure_ascii=False), event)

    @property
    def usage_dict(self) -> dict[str, Any] | None:
        """The token usage the stream reported so far (its JSON form), ``None`` before any."""
        usage = self.usage
        return json.loads(usage) if usage is not None else None

    def _built(self, pieces: list[Any]) -> list[Piece]:
        """``pieces`` with what the Rust reader handed over to build (tuples) built: called by ``read``,
        ``read_payload`` and ``end`` for the lists that hold any."""
        out: list[Piece] = []
        for piece in pieces:
            if type(piece) is not tuple:
                out.append(piece)
                continue
            kind = piece[0]
            if kind == "args":
                _, choice, index, args, start, call_id, name = piece
                if start:
                    self._args[choice] = PartialArgsWriter()
                text = self._args[choice].feed(json.loads(args))
                if start or text:
                    out.append(ToolCallDelta(index, text, call_id, name, choice))
            elif kind == "args-end":
                _, choice, index = piece
                text = self._args.pop(choice).finish()
                if text:
                    out.append(ToolCallDelta(index, text, choice=choice))
            else:
                error = _error_of(self.provider, piece)
                if not out:
                    raise error
                self.defer(error)  # the updates before it count: hand them over first
                break
        return out


def _error_of(provider: str, piece: tuple[Any, ...]) -> ProviderError:
    if piece[0] == "not-json":
        return ProviderError(f"a stream event is not JSON: {piece[1][:200]!r}", payload=piece[1])
    data = json.loads(piece[1])
    if provider == "gemini":  # {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED"}
        return provider_error(data["error"], type_key="status")
    if provider == "openai-responses":
        if data.get("type") == "response.failed":
            return provider_error((data.get("response") or {}).get("error") or {"message": "the response failed"})
        # the error object nested, or its fields on the event itself
        return provider_error(data.get("error") or {"message": data.get("message"), "code": data.get("code")})
    return provider_error(data.get("error") or data)


def provider_error(error: Any, *, type_key: str = "type") -> ProviderError:
    """A ProviderError from an ``{"message", "type", "code"}`` error object (or a bare message); ``type_key`` names
    the member that holds the error's type (Gemini's is ``status``)."""
    if isinstance(error, dict):
        code = error.get("code")
        return ProviderError(
            str(error.get("message") or error),
            type=error.get(type_key) or None,
            code=str(code) if code is not None else None,
            payload=error,
        )
    return ProviderError(str(error), payload=error)
