"""What provider adapters produce: the pieces of a model's output, in the order they arrived."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextDelta:
    """More of the answer's text (for structured output: more of the JSON document)."""

    text: str
    choice: int = 0


@dataclass(frozen=True, slots=True)
class RefusalDelta:
    """More of a refusal's text."""

    text: str
    choice: int = 0


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of one tool call's JSON arguments. ``index`` counts the calls of a choice from 0 in the order
    they began; ``id`` and ``name`` come with the call's first fragment (None afterwards)."""

    index: int
    arguments: str
    id: str | None = None
    name: str | None = None
    choice: int = 0


@dataclass(frozen=True, slots=True)
class Finished:
    """The output of a choice ended; ``reason`` as the provider says it (``stop``, ``length``, ``max_tokens``...)."""

    reason: str | None
    choice: int = 0

    @property
    def truncated(self) -> bool:
        """Whether the output was cut short by a token limit."""
        return (self.reason or "").lower() in {"length", "max_tokens", "max_output_tokens", "incomplete"}


Update = TextDelta | RefusalDelta | ToolCallDelta | Finished
