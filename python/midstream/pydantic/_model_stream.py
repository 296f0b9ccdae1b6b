"""``ModelStream``: feed chunks of a JSON document, get typed partials of the user's own type after every chunk."""

from __future__ import annotations

import typing
from collections.abc import Callable
from functools import cached_property
from typing import Any, Generic, Literal, NamedTuple, TypeVar, overload

import pydantic

from midstream._native import DEFAULT_MAX_DEPTH, TypedParser, TypedPlan
from midstream.patch import Format, Op
from midstream.pydantic._cache import TypeCache
from midstream.pydantic._compile import compile_shape
from midstream.pydantic._native_plan import plan_of, whole_validator
from midstream.pydantic._patches import PartialPatches
from midstream.pydantic._policies import PolicyView, policy_of
from midstream.pydantic._python_engine import PythonEngine
from midstream.pydantic._reuse import reusing_validator
from midstream.pydantic._shapes import DictShape, ListShape, ModelShape, RecordShape, Shape

T = TypeVar("T")
#: Which engine follows the document: ``"auto"`` (the native one when it covers the type), ``"native"`` (raise
#: ``TypeError`` if it does not), ``"python"`` (the Python one: slower, the same results; for comparing them).
Engine = Literal["auto", "native", "python"]
PathLike = typing.Sequence[str | int]
#: Where a value of a stream is (``ModelStream.state``): not begun, begun, or finished.
FieldState = Literal["pending", "incomplete", "complete"]


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

    ``engine``: the native engine (``midstream._native.TypedParser``) follows the document when it covers the type,
    the Python one otherwise (``native`` says which); ``engine="python"`` asks for the Python one, which gives the
    same results more slowly, ``engine="native"`` raises ``TypeError`` for a type the native one does not cover.

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
        engine: Engine = "auto",
    ) -> None: ...

    @overload
    def __init__(
        self: ModelStream[Any],
        tp: Any,
        *,
        fail_fast: bool = False,
        max_depth: int = DEFAULT_MAX_DEPTH,
        allow_nan: bool = False,
        engine: Engine = "auto",
    ) -> None: ...

    def __init__(
        self,
        tp: Any,
        *,
        fail_fast: bool = False,
        max_depth: int = DEFAULT_MAX_DEPTH,
        allow_nan: bool = False,
        engine: Engine = "auto",
    ) -> None:
        self.type = tp
        self.fail_fast = fail_fast
        setup = _setups.get(tp, _setup)
        self._shape = setup.shape
        self._engine = _engine(setup, fail_fast=fail_fast, max_depth=max_depth, allow_nan=allow_nan, engine=engine)
        # The engine's own feed: a chunk goes from bytes to the new partial without a Python frame of ours.
        self.feed = self._engine.feed  # type: ignore[method-assign]
        self.take_changed = self._engine.take_changed  # type: ignore[method-assign]
        self._patches: PartialPatches | None = None
        policy = policy_of(tp)
        self._policy = None if policy is None else PolicyView(policy, lambda: self._engine.path)
        if self._policy is not None:  # NotNull: each partial is shown through a view (Done needs none: _compile)
            self.feed = self._feed_viewed  # type: ignore[method-assign]
            self.take_changed = self._take_view_changed  # type: ignore[method-assign]
            self._handed: Any = None

    @property
    def native(self) -> bool:
        """Whether the native engine follows this type (else the Python one: same results, more Python per value)."""
        return isinstance(self._engine, TypedParser)

    def _feed_viewed(self, chunk: bytes | bytearray | memoryview | str) -> Any:
        return self._shown(self._engine.feed(chunk))

    def _shown(self, partial: Any) -> Any:
        """The engine's ``partial`` as shown: through the ``NotNull`` view until the value is complete."""
        assert self._policy is not None
        return partial if self._engine.complete else self._policy.view(partial)

    def _take_view_changed(self) -> bool:
        self._engine.take_changed()
        shown = self.partial
        changed = shown is not self._handed
        self._handed = shown
        return changed

    @property
    def native_engine(self) -> TypedParser | None:
        """The native engine, for native code that feeds it directly (``ProviderReader.read_into``: a read's text
        from the provider reader to the partial with no Python in between); ``None`` when the Python engine
        follows the type, or when the type's ``NotNull`` fields show each partial through a view (``Done`` alone keeps
        it). Feeding it is feeding this stream."""
        if self._policy is not None:
            return None
        return self._engine if isinstance(self._engine, TypedParser) else None

    # -------------------------------------------------------------------------------------------------------------
    # feeding

    def feed(self, chunk: bytes | bytearray | memoryview | str) -> T | None:
        """Parse the next chunk; return the partial (``None`` until the root value has begun)."""
        return self._engine.feed(chunk)  # type: ignore[no-any-return]

    def finish(self) -> T:
        """End of input: return the validated final value.

        Raises ``midstream.IncompleteJSONError`` if the document was cut short, ``midstream.JSONError`` if it is not
        JSON, and ``pydantic.ValidationError`` (every invalid part, each at its full location) if it does not fit.
        """
        return self._engine.finish()  # type: ignore[no-any-return]

    # -------------------------------------------------------------------------------------------------------------
    # state

    @property
    def partial(self) -> T | None:
        """The partial value: an instance of the type, or ``None`` before the root begins.

        A snapshot: later chunks do not change it. Reading it again before the next change gives the same object.
        With ``Done``/``NotNull`` in the type, what they hold back is left out (``Done``: by the engine itself;
        ``NotNull``: by a view of the engine's partial)."""
        if self._policy is not None:
            return self._shown(self._engine.partial)  # type: ignore[no-any-return]
        return self._engine.partial  # type: ignore[no-any-return]

    @property
    def document(self) -> Any:
        """The JSON value parsed so far, untyped (``Parser.value``: live, changed by later feeds)."""
        return self._engine.document

    @property
    def complete(self) -> bool:
        """Whether the whole value has finished and validated."""
        return self._engine.complete

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The validation errors of the parts that finished invalid so far (pydantic's error dicts)."""
        return self._engine.errors

    def is_complete(self, path: PathLike = ()) -> bool:
        """Whether the value at ``path`` has finished (keys may be JSON keys or field names, as may indices)."""
        # A field may be read under its name as well as its alias (populate_by_name): any spelling counts.
        return any(self._engine.is_complete(keys) for keys in json_paths(self._shape, path))

    def state(self, path: PathLike = ()) -> FieldState:
        """Where the value at ``path`` (field names or aliases, indices) is: ``"complete"`` once finished,
        ``"incomplete"`` once begun, ``"pending"`` before. States only move forward; after ``finish()`` all are
        complete."""
        return self._state(path, _Reading(self._engine))

    def _state(self, path: PathLike, reading: _Reading) -> FieldState:
        if self._engine.complete or self.is_complete(path):
            return "complete"
        return "incomplete" if self._begun(path, reading) else "pending"

    def states(self, path: PathLike = ()) -> dict[str, FieldState]:
        """The state of each field of the record at ``path`` (by field name), for a UI's spinner per field."""
        shape = self._shape
        for step in path:
            if isinstance(shape, RecordShape) and isinstance(step, str):
                spec = shape.fields.get(step) or next((s for s in shape.fields.values() if s.name == step), None)
                if spec is None:
                    raise KeyError(step)
                shape = spec.shape
            elif isinstance(shape, ListShape):
                shape = shape.item
            elif isinstance(shape, DictShape):
                shape = shape.value
        if not isinstance(shape, RecordShape):
            raise TypeError(f"no record at {tuple(path)!r}")
        names = dict.fromkeys(spec.name for spec in shape.fields.values())
        reading = _Reading(self._engine)  # the open path and the document, read once for every field
        return {name: self._state((*path, name), reading) for name in names}

    def _begun(self, path: PathLike, reading: _Reading) -> bool:
        """Whether the value at ``path`` has begun (under any spelling of its fields): it is on the open path (its
        key has arrived; a number is being read), or in the document parsed so far."""
        for keys in json_paths(self._shape, path):
            if keys and reading.open_path[: len(keys)] == keys:
                return True
            if _found(reading.document, keys):
                return True
        return False

    @property
    def progress(self) -> float:
        """The fraction of the root's fields that have finished (for a root that is not a record: 0.0 or 1.0)."""
        engine = self._engine
        if engine.complete:
            return 1.0
        shape = self._shape
        if not isinstance(shape, RecordShape) or shape.field_count == 0:
            return 0.0
        spellings: dict[str, set[str]] = {}
        for key, spec in shape.fields.items():
            spellings.setdefault(spec.name, set()).add(key)
        finished = sum(1 for keys in spellings.values() if any(engine.is_complete((key,)) for key in keys))
        return finished / len(spellings)

    def drain_patches(self, format: Format = "midstream", *, exclude_unset: bool = False) -> list[Op]:
        """The JSON Patch operations (``midstream.patch``) that turn the JSON form of the partial at the last drain
        (``null`` before the first) into that of the partial now (``partial.model_dump(mode="json")``, or the type's
        ``TypeAdapter(...).dump_python(..., mode="json")``; with ``exclude_unset=True``, the fields not seen yet left
        out, as ``model_dump(exclude_unset=True)`` does). The first non-empty batch replaces the whole document;
        then a grown string is an ``append`` of what it gained (``format="rfc6902"``: a ``replace``), a new item an
        ``add``. Cost: the path that changed, not the partial's size (``PartialPatches``). One stream's drains
        follow one JSON form: ``exclude_unset`` cannot change between them."""
        patches = self._patches
        if patches is None:
            patches = self._patches = PartialPatches(self.type, exclude_unset=exclude_unset)
        elif patches.exclude_unset != exclude_unset:
            raise ValueError(
                f"this stream's patches follow exclude_unset={patches.exclude_unset}: a client holds one JSON form"
            )
        return patches.update(self.partial, format)

    @property
    def changed(self) -> bool:
        """Whether the partial changed since this flag was last cleared (``clear_changed``). With ``Done``/``NotNull``
        in the type: whether what is shown changed (a held-back field growing is no change)."""
        if self._policy is not None:
            return self.partial is not self._handed  # a value completing changes the view, not the engine's partial
        return self._engine.changed

    def clear_changed(self) -> None:
        self._engine.changed = False
        if self._policy is not None:
            self._handed = self.partial

    def take_changed(self) -> bool:
        """Whether the partial changed since the last ``take_changed`` (or ``clear_changed``), clearing the flag: the
        one call a loop that hands out each changed partial makes after every feed (the engine's own method, no
        Python frame)."""
        return self._engine.take_changed()


class _Reading:
    """What ``state`` reads from the engine, each read at most once (the document only if it is asked for)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    @cached_property
    def open_path(self) -> tuple[str | int, ...]:
        return self._engine.path  # type: ignore[no-any-return]

    @cached_property
    def document(self) -> Any:
        return self._engine.document


def _found(document: Any, keys: tuple[str | int, ...]) -> bool:
    """Whether ``keys`` lead to a value in the untyped ``document`` (``None`` before the root begins)."""
    if document is None:
        return False
    value = document
    for key in keys:
        if isinstance(value, dict):
            if key not in value:
                return False
        elif not (isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value)):
            return False
        value = value[key]
    return True


class _Setup(NamedTuple):
    """What every ``ModelStream`` of one type starts from, worked out once per type."""

    shape: Shape
    #: The native engine's plan (``None``: the Python engine follows the type).
    plan: TypedPlan | None
    #: How the finished root is validated as a whole, if it is not a record (``_root_check``).
    root_check: Callable[[Any], Any] | None
    #: Gives the type's ``validate_json`` for a document that arrives whole in one chunk, or ``None``
    #: (``whole_validator``, worked out when first asked: it walks the type's core schema).
    whole: Callable[[], Callable[[str | bytes], Any] | None]
    title: Callable[[], str]


def _setup(tp: Any) -> _Setup:
    shape = compile_shape(tp)
    plan = plan_of(shape)
    return _Setup(shape, plan, _root_check(tp, shape), _once(lambda: whole_validator(tp)), lambda: type_title(tp))


def _once(make: Callable[[], T]) -> Callable[[], T]:
    """``make``, called the first time only."""
    made: list[T] = []

    def once() -> T:
        if not made:
            made.append(make())
        return made[0]

    return once


_setups: TypeCache[_Setup] = TypeCache("__midstream_stream_setup__")


def _engine(
    setup: _Setup, *, fail_fast: bool, max_depth: int, allow_nan: bool, engine: Engine
) -> TypedParser | PythonEngine:
    """The native engine if the plan covers the type (``engine="auto"``), else the Python one."""
    if engine not in ("auto", "native", "python"):
        raise ValueError(f"engine must be 'auto', 'native' or 'python', not {engine!r}")
    if setup.plan is None and engine == "native":
        raise TypeError(f"the native engine does not cover {type_title_of_shape(setup.shape)} yet: use engine='auto'")
    options: dict[str, Any] = {
        "title": setup.title,
        "fail_fast": fail_fast,
        "root_check": setup.root_check,
        "max_depth": max_depth,
        "allow_nan": allow_nan,
    }
    if setup.plan is not None and engine != "python":
        return TypedParser(setup.plan, whole=setup.whole, **options)
    return PythonEngine(setup.shape, **options)


_MAX_SPELLINGS = 16


def json_paths(shape: Shape, path: PathLike) -> list[tuple[str | int, ...]]:
    """The JSON paths ``path`` may stand for: each field step spelled by any key its field is read from (alias or
    name), the step as given first."""
    paths: list[tuple[str | int, ...]] = [()]
    for step in path:
        spellings: list[str | int] = [step]
        if isinstance(shape, RecordShape) and isinstance(step, str):
            spec = shape.fields.get(step) or next((s for s in shape.fields.values() if s.name == step), None)
            if spec is not None:
                spellings += [key for key in shape.keys_by_name[spec.name] if key != step]
                shape = spec.shape
        elif isinstance(shape, ListShape):
            shape = shape.item
        elif isinstance(shape, DictShape):
            shape = shape.value
        paths = [(*prefix, spelling) for prefix in paths for spelling in spellings][:_MAX_SPELLINGS]
    return paths


def type_title_of_shape(shape: Shape) -> str:
    return type_title(shape.annotation)


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
