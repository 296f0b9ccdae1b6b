"""Type stubs for the native module built from rust/python (PyO3)."""

from collections.abc import Iterator, Sequence
from typing import Any, Final, Literal, TypeAlias, final

__all__ = ["DEFAULT_MAX_DEPTH", "Event", "Parser"]

DEFAULT_MAX_DEPTH: Final[int]

_PathElement: TypeAlias = str | int
_EventKind: TypeAlias = Literal["begin", "delta", "end"]

@final
class Event:
    """One parse event: ``begin`` (value = kind of value), ``delta`` (value = new text), ``end`` (value = final)."""

    __match_args__ = ("kind", "path", "value")
    def __new__(cls, kind: _EventKind, path: tuple[_PathElement, ...], value: Any) -> Event: ...
    @property
    def kind(self) -> _EventKind: ...
    @property
    def path(self) -> tuple[_PathElement, ...]: ...
    @property
    def value(self) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...

@final
class Parser:
    """A push-fed JSON parser holding the partial value of everything fed so far."""

    def __new__(
        cls,
        *,
        max_depth: int = ...,
        allow_nan: bool = False,
        events: bool = False,
        forget_items_at: tuple[_PathElement, ...] | list[_PathElement] | None = None,
    ) -> Parser: ...
    def feed(self, chunk: bytes | bytearray | memoryview | str) -> None: ...
    @property
    def value(self) -> Any: ...
    def snapshot(self) -> Any: ...
    @property
    def path(self) -> tuple[_PathElement, ...]: ...
    def is_complete(self, path: Sequence[_PathElement] | None = None) -> bool: ...
    def finish(self) -> Any: ...
    @property
    def done(self) -> bool: ...
    @property
    def offset(self) -> int: ...
    def drain_events(self) -> list[Event]: ...
