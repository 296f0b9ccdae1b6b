"""Typed partial values: map the parser's events onto Pydantic models, dataclasses, TypedDicts and containers.

``ModelStream`` is the engine; ``stream`` and ``iter_items`` drive it from a source of chunks; ``Partial[Model]``
names the type of a partial in annotations.
"""

from midstream.pydantic._iterate import (
    AsyncPartialStream,
    ItemReader,
    PartialStream,
    aiter_items,
    iter_items,
    stream,
)
from midstream.pydantic._model_stream import ModelStream
from midstream.pydantic._partial_type import Partial

__all__ = [
    "AsyncPartialStream",
    "ItemReader",
    "ModelStream",
    "Partial",
    "PartialStream",
    "aiter_items",
    "iter_items",
    "stream",
]
