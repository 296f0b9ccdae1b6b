"""``midstream.Done`` and ``midstream.NotNull``: streaming policies per field, as ``typing.Annotated`` metadata.

Plain objects that pydantic ignores (validation and the JSON schema stay the model's own); midstream reads them.
``Done`` is kept by the shapes (``_compile.py``): the engines hold such a value back until it finishes. ``NotNull``
is kept by the view of each partial (``_policies.py``).
"""

from __future__ import annotations

__all__ = ["Done", "NotNull"]


class _Marker:
    """A streaming policy, used as ``Annotated[X, midstream.Done]``; pydantic ignores it."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"midstream.{self._name}"


#: The field (or item) is shown only once its value is complete: until then, its default (``None`` if required).
Done = _Marker("Done")
#: The object holding this field is shown only once the field has a value (with ``Done``: a complete one).
NotNull = _Marker("NotNull")
