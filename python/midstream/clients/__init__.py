"""Structured streaming on the official SDK clients, instructor-style::

    client = midstream.from_openai(openai.OpenAI())
    with client.responses.stream(model="gpt-4o", messages=messages, response_model=User) as stream:
        for user in stream:
            render(user)                       # partial Users, filled field by field
        user = stream.get_final_response()     # the validated User

Both wrappers offer the same surface (``StructuredClient``): ``chat.completions.*``, ``messages.*``, the top-level
``create``/``create_partial``/``create_iterable`` and ``responses.stream``, so code moves between providers
unchanged. No SDK is imported here: the client you pass is used as it is.
"""

from __future__ import annotations

from midstream.clients._core import AsyncStructuredStream, StructuredStream
from midstream.clients._surface import StructuredClient
from midstream.clients.anthropic import AnthropicClient, from_anthropic
from midstream.clients.openai import OpenAIClient, from_openai

__all__ = [
    "AnthropicClient",
    "AsyncStructuredStream",
    "OpenAIClient",
    "StructuredClient",
    "StructuredStream",
    "from_anthropic",
    "from_openai",
]
