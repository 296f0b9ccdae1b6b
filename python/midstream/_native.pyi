"""Type stubs for the native module built from rust/python (PyO3)."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, Literal, TypeAlias, final

from typing_extensions import Self, disjoint_base

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "UNCHANGED",
    "Event",
    "Parser",
    "ProviderReader",
    "ReadPieces",
    "SSEDecoder",
    "SSEEvents",
    "TypedParser",
    "TypedPlan",
    "Unchanged",
]

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
    def drain_patches(self, format: Literal["midstream", "rfc6902"] = "midstream") -> list[dict[str, Any]]: ...

@final
class TypedPlan:
    """A type's plan for the native typed builder (made by ``pydantic/_native_plan.py``, once per type)."""

    def __new__(cls, nodes: list[tuple[Any, ...]], root: list[int], hooks: Any) -> TypedPlan: ...
    def __len__(self) -> int: ...

@final
class TypedParser:
    """The parser and the native typed builder (the engine of ``ModelStream``; see ``pydantic/_native_plan.py``)."""

    def __new__(
        cls,
        plan: TypedPlan,
        *,
        title: Callable[[], str],
        fail_fast: bool = False,
        root_check: Callable[[Any], Any] | None = None,
        max_depth: int = ...,
        allow_nan: bool = False,
        whole: Callable[[], Callable[[str | bytes], Any] | None] | None = None,
    ) -> TypedParser: ...
    def feed(self, chunk: bytes | bytearray | memoryview | str) -> Any: ...
    def finish(self) -> Any: ...
    @property
    def partial(self) -> Any: ...
    @property
    def document(self) -> Any: ...
    @property
    def path(self) -> tuple[_PathElement, ...]: ...
    def is_complete(self, path: Sequence[_PathElement]) -> bool: ...
    @property
    def complete(self) -> bool: ...
    @property
    def errors(self) -> list[dict[str, Any]]: ...
    @property
    def changed(self) -> bool: ...
    @changed.setter
    def changed(self, changed: bool) -> None: ...
    def take_changed(self) -> bool: ...

@disjoint_base
class SSEDecoder:
    """The ``midstream-sse`` decoder; each event is handed out as an instance of ``event_class`` (its slots
    ``event``, ``data``, ``id`` and ``retry`` set without running its ``__init__``)."""

    def __new__(cls, event_class: type) -> Self: ...
    def feed(self, chunk: bytes | bytearray | memoryview | str) -> list[Any]: ...
    def events(self, chunks: Iterable[bytes | bytearray | memoryview | str]) -> SSEEvents: ...
    def finish(self) -> list[Any]: ...
    @property
    def last_event_id(self) -> str | None: ...
    @property
    def retry(self) -> int | None: ...

@disjoint_base
class ProviderReader:
    """A ``midstream-providers`` reader of one provider stream (``"openai"``, ``"openai-responses"``,
    ``"anthropic"``, ``"gemini"``), handing out updates as instances of the four classes given. A list holding what
    only Python builds (tuples) goes through the subclass's ``_built`` before it is returned."""

    def __new__(cls, provider: str, text: type, refusal: type, tool_call: type, finished: type) -> Self: ...
    def read(self, chunk: bytes | bytearray | memoryview | str) -> list[Any]: ...
    def read_into(
        self, chunk: bytes | bytearray | memoryview | str, parser: TypedParser, keep: list[str] | None = None
    ) -> Any:
        """``read``, the followed text fed straight into ``parser`` (and appended to ``keep`` first): the new
        partial if it changed, ``UNCHANGED`` if not; ``ReadPieces`` (nothing fed) when the read gave more than the
        followed text."""
    def read_payload(self, data: str, event: str | None = None) -> list[Any]: ...
    def end(self) -> list[Any]: ...
    def defer(self, error: BaseException) -> None: ...
    @property
    def provider(self) -> str: ...
    @property
    def done(self) -> bool: ...
    @property
    def usage(self) -> str | None: ...
    @property
    def followed(self) -> bool: ...
    @property
    def follow(self) -> Literal["content", "tool"] | None: ...
    @follow.setter
    def follow(self, what: Literal["content", "tool"] | None) -> None: ...

@final
class ReadPieces:
    """What ``ProviderReader.read_into`` gives for a read with more than the followed text: ``read``'s list."""

    @property
    def items(self) -> list[Any]: ...

@final
class Unchanged:
    """The type of ``UNCHANGED``: ``ProviderReader.read_into``'s "the partial did not change"."""

UNCHANGED: Unchanged

@final
class SSEEvents:
    """The events of a whole stream, lazily (``SSEDecoder.events``)."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> Any: ...
