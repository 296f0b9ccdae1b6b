"""``ModelStream``: feed chunks of a JSON document, get typed partials of the user's own type after every chunk."""

from __future__ import annotations

import threading
import typing
from typing import Any, Generic, TypeVar, overload

import pydantic

from midstream._native import DEFAULT_MAX_DEPTH, Parser
from midstream.pydantic._builder import PartialBuilder, Path
from midstream.pydantic._reuse import reusing_validator
from midstream.pydantic._shapes import DictShape, ListShape, ModelShape, RecordShape, Shape, compile_shape

T = TypeVar("T")
PathLike = typing.Sequence[str | int]


class ModelStream(Generic[T]):
    """Incrementally parse and validate one JSON document into ``tp``.

    ``tp`` is a Pydantic model or any type a ``pydantic.TypeAdapter`` accepts (``list[Item]``, a dataclass, a
    TypedDict, a union). After every ``feed``, ``partial`` is an instance of the user's own type holding what has
    arrived: fields not seen yet are ``None`` (or their default), strings grow, numbers, Literals and Enums appear
    once finished and valid, and every finished model is validated exactly once and reused::

        >>> from pydantic import BaseModel
        >>> class User(BaseModel):
        ...     name: str
        ...     age: int
        >>> stream = ModelStream(User)
        >>> stream.feed('{"name": "Ada Lov')
        User(name='Ada Lov', age=None)
        >>> stream.feed('elace", "age": 36')
        User(name='Ada Lovelace', age=None)
        >>> stream.feed('}')
        User(name='Ada Lovelace', age=36)
        >>> stream.finish()
        User(name='Ada Lovelace', age=36)

    Every partial handed out (by ``feed`` or ``partial``) is a snapshot: later chunks never change it, and
    consecutive partials share their finished, validated parts. Keeping them costs a shallow copy of the open
    containers per changed partial; dropping them costs nothing.

    An invalid finished part is left out of the partial and reported by ``finish()`` (a ``pydantic.ValidationError``
    with the part's full location); with ``fail_fast=True`` the ``feed`` that finishes it raises at once.

    A ``ModelStream`` is for one consumer: a ``feed`` or ``finish`` that overlaps another (from another thread)
    raises ``RuntimeError`` rather than interleave two updates of the partial.
    """

    @overload
    def __init__(
        self: ModelStream[T],
        tp: type[T],
        *,
        fail_fast: bool = False,
        max_depth: int = DEFAULT_MAX_DEPTH,
        allow_nan: bool = False,
    ) -> None: ...

    @overload
    def __init__(
        self: ModelStream[Any],
        tp: Any,
        *,
        fail_fast: bool = False,
        max_depth: int = DEFAULT_MAX_DEPTH,
        allow_nan: bool = False,
    ) -> None: ...

    def __init__(
        self, tp: Any, *, fail_fast: bool = False, max_depth: int = DEFAULT_MAX_DEPTH, allow_nan: bool = False
    ) -> None:
        self.type = tp
        self.fail_fast = fail_fast
        self._shape = compile_shape(tp)
        self._parser = Parser(events=True, max_depth=max_depth, allow_nan=allow_nan)
        self._builder = PartialBuilder(
            self._shape,
            title=lambda: type_title(tp),
            fail_fast=fail_fast,
            snapshot=self._snapshot,
            root_check=_root_check(tp, self._shape),
        )
        self._error: BaseException | None = None
        self._finished = False
        # Held by feed and finish: a call that overlaps another (another thread, or a callback re-entering
        # during a feed) is refused, as the Parser refuses it, instead of interleaving two updates of the partial.
        self._busy = threading.Lock()

    # -------------------------------------------------------------------------------------------------------------
    # feeding

    def feed(self, chunk: bytes | bytearray | memoryview | str) -> T | None:
        """Parse the next chunk; return the partial (``None`` until the root value has begun)."""
        if not self._busy.acquire(blocking=False):
            raise _in_use()
        try:
            if self._error is not None:
                raise self._error
            try:
                self._parser.feed(chunk)
            finally:  # whatever parsed before a syntax error still reaches the partial
                self._apply()
            return self._builder.hand_out()  # type: ignore[no-any-return]
        finally:
            self._busy.release()

    def finish(self) -> T:
        """End of input: return the validated final value.

        Raises ``midstream.IncompleteJSONError`` if the document was cut short, ``midstream.JSONError`` if it is not
        JSON, and ``pydantic.ValidationError`` (every invalid part, each at its full location) if it does not fit.
        """
        if not self._busy.acquire(blocking=False):
            raise _in_use()
        try:
            if self._error is not None:
                raise self._error
            if not self._finished:
                try:
                    self._parser.finish()
                finally:
                    self._apply()
                self._finished = True
            builder = self._builder
            if builder.errors:
                self._error = builder.validation_error()
                raise self._error
            return builder.hand_out()  # type: ignore[no-any-return]
        finally:
            self._busy.release()

    def _apply(self) -> None:
        events = self._parser.drain_events()
        if events:
            try:
                self._builder.apply(events)
            except BaseException as error:
                # Sticky, like the parser's own errors: a validation error with fail_fast, or anything raised from
                # inside (a validator's own exception) that left the partial mid-way; what it showed stays.
                self._error = error
                raise

    # -------------------------------------------------------------------------------------------------------------
    # state

    @property
    def partial(self) -> T | None:
        """The partial value: an instance of the type, or ``None`` before the root begins.

        A snapshot: later chunks do not change it. Reading it again before the next change gives the same object."""
        return self._builder.hand_out()  # type: ignore[no-any-return]

    @property
    def document(self) -> Any:
        """The JSON value parsed so far, untyped (``Parser.value``: live, changed by later feeds)."""
        return self._parser.value

    @property
    def complete(self) -> bool:
        """Whether the whole value has finished and validated."""
        return self._builder.complete

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The validation errors of the parts that finished invalid so far (pydantic's error dicts)."""
        return list(self._builder.errors)

    def is_complete(self, path: PathLike = ()) -> bool:
        """Whether the value at ``path`` has finished (keys may be JSON keys or field names, as may indices)."""
        # A field may be read under its name as well as its alias (populate_by_name): any spelling counts.
        return any(self._parser.is_complete(keys) for keys in json_paths(self._shape, path))

    @property
    def progress(self) -> float:
        """The fraction of the root's fields that have finished (for a root that is not a record: 0.0 or 1.0)."""
        if self._builder.complete:
            return 1.0
        shape = self._shape
        if not isinstance(shape, RecordShape) or shape.field_count == 0:
            return 0.0
        spellings: dict[str, set[str]] = {}
        for key, spec in shape.fields.items():
            spellings.setdefault(spec.name, set()).add(key)
        parser = self._parser
        finished = sum(1 for keys in spellings.values() if any(parser.is_complete((key,)) for key in keys))
        return finished / len(spellings)

    @property
    def changed(self) -> bool:
        """Whether the partial changed since this flag was last cleared (``clear_changed``)."""
        return self._builder.changed

    def clear_changed(self) -> None:
        self._builder.changed = False

    def _snapshot(self, path: Path) -> Any:
        """A copy of the parser's value at ``path`` that later feeds leave alone: the containers still open below
        it (along the parser's path) are copied, finished values shared."""
        value = self._parser.value  # reading it also stores the open string into its container
        for step in path:
            value = value[step]
        return copy_open_path(value, self._parser.path[len(path) :])


_MAX_SPELLINGS = 16


def _in_use() -> RuntimeError:
    return RuntimeError(
        "ModelStream is in use: another feed or finish is running (share a ModelStream between threads only "
        "behind a lock)"
    )


def json_paths(shape: Shape, path: PathLike) -> list[tuple[str | int, ...]]:
    """The JSON paths ``path`` may stand for: each field step spelled by any key its field is read from (alias or
    name), the step as given first."""
    paths: list[tuple[str | int, ...]] = [()]
    for step in path:
        spellings: list[str | int] = [step]
        if isinstance(shape, RecordShape) and isinstance(step, str):
            spec = shape.fields.get(step) or next((s for s in shape.fields.values() if s.name == step), None)
            if spec is not None:
                spellings += [key for key, other in shape.fields.items() if other is spec and key != step]
                shape = spec.shape
        elif isinstance(shape, ListShape):
            shape = shape.item
        elif isinstance(shape, DictShape):
            shape = shape.value
        paths = [(*prefix, spelling) for prefix in paths for spelling in spellings][:_MAX_SPELLINGS]
    return paths


def copy_open_path(value: Any, below: typing.Sequence[str | int]) -> Any:
    """``value`` with the containers along ``below`` (the path still being written) copied, shallowly."""
    if not isinstance(value, list | dict):
        return value
    top = node = value.copy()
    for step in below:
        try:
            child = node[step]  # type: ignore[index]
        except (KeyError, IndexError):  # a key whose value has not begun
            break
        if not isinstance(child, list | dict):
            break
        node[step] = child = child.copy()  # type: ignore[index]
        node = child
    return top


def type_title(tp: Any) -> str:
    """The title pydantic gives a ValidationError for this type (``Item``, ``list[Item]``, ``nullable[int]``)."""
    validator = getattr(tp, "__pydantic_validator__", None)
    title = getattr(validator, "title", None)
    if isinstance(title, str):
        return title
    try:
        return str(pydantic.TypeAdapter(tp).validator.title)
    except Exception:  # a title is not worth failing over
        return getattr(tp, "__name__", None) or repr(tp)


def _root_check(tp: Any, shape: Shape) -> Any:
    """How the finished root is validated as a whole (a record was validated when it finished).

    Building the validator here also rejects a type pydantic cannot validate before any input arrives."""
    if isinstance(shape, RecordShape) and shape.cls is tp:
        if not isinstance(shape, ModelShape):  # a model's schema was checked when its class was made
            reusing_validator(tp)
        return None
    return reusing_validator(tp).validate_python
