"""Typed partial values: map the parser's events onto Pydantic models, dataclasses, TypedDicts and containers.

``ModelStream`` is the engine (chunks of JSON text in, partials out); ``ItemReader`` gives the finished items of one
array; ``Partial[Model]`` names the type of a partial in annotations. The entry points that drive them from a source
(``stream``, ``iter_items``) live a layer up, in ``midstream.streams``, above the provider layer too.
"""

from typing import Any

from midstream.pydantic._items import ItemReader
from midstream.pydantic._markers import Done, NotNull
from midstream.pydantic._model_stream import FieldState, ModelStream
from midstream.pydantic._partial_type import Partial
from midstream.pydantic._patches import PartialPatches

__all__ = ["Done", "FieldState", "ItemReader", "ModelStream", "NotNull", "Partial", "PartialPatches"]

_ENTRY_POINTS = frozenset({"AsyncPartialStream", "PartialStream", "aiter_items", "iter_items", "stream"})


def __getattr__(name: str) -> Any:
    # The entry points lived here before they moved above the provider layer: still importable from here.
    if name in _ENTRY_POINTS:
        import midstream.streams

        return getattr(midstream.streams, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
