"""midstream: incremental JSON parsing for LLM streams.

Feed chunks as they arrive; after every chunk ``Parser.value`` holds the partial value of everything seen so far,
finished values never change, and ``is_complete(path)`` says exactly which parts are final::

    >>> import midstream
    >>> parser = midstream.Parser()
    >>> parser.feed('{"items": [{"id": 12')
    >>> parser.value
    {'items': [{}]}
    >>> parser.feed(', "title": "Mids')
    >>> parser.value
    {'items': [{'id': 12, 'title': 'Mids'}]}
    >>> parser.is_complete(("items", 0, "id")), parser.is_complete(("items", 0, "title"))
    (True, False)
"""

from __future__ import annotations

from midstream import sse
from midstream._errors import IncompleteJSONError, JSONError, ProviderError, RefusalError
from midstream._from_json import from_json
from midstream._native import DEFAULT_MAX_DEPTH, Event, Parser
from midstream.clients import AsyncStructuredStream, StructuredStream, from_anthropic, from_openai
from midstream.pydantic import Done, FieldState, ItemReader, ModelStream, NotNull, Partial, PartialPatches
from midstream.streams import AsyncPartialStream, PartialStream, aiter_items, iter_items, stream
from midstream.throttle import throttle
from midstream.tool_calls import ToolCallUpdate, stream_tool_calls

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "AsyncPartialStream",
    "AsyncStructuredStream",
    "Done",
    "Event",
    "FieldState",
    "IncompleteJSONError",
    "ItemReader",
    "JSONError",
    "ModelStream",
    "NotNull",
    "Parser",
    "Partial",
    "PartialPatches",
    "PartialStream",
    "ProviderError",
    "RefusalError",
    "StructuredStream",
    "ToolCallUpdate",
    "aiter_items",
    "from_anthropic",
    "from_json",
    "from_openai",
    "iter_items",
    "sse",
    "stream",
    "stream_tool_calls",
    "throttle",
]
