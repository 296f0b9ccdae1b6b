"""Make instructor's streaming decode with midstream: ``enable()``, ``disable()``, ``with enabled(): ...``.

instructor turns a stream of JSON text deltas into partial models (``Partial[Model]``: ``create_partial``,
``create(..., stream=True)``) and into finished items (``Iterable[Model]``: ``create_iterable``) in four
classmethods: ``PartialBase.model_from_chunks(_async)`` and ``IterableBase.tasks_from_chunks(_async)``. Those take
the JSON text that instructor's own provider code extracted from the chunks (content, tool-call arguments, Markdown
fences; every mode and provider) and are the only thing replaced here:

- ``Partial``: one ``midstream.ModelStream`` per response instead of re-parsing the whole text and re-running the
  sibling-based completeness check after every chunk. The partials are the same kind of objects (instances of your
  model, built with ``model_construct`` while open, validated once finished), but numbers, Literals and Enums appear
  only once finished and valid.
- ``Iterable``: ``midstream.iter_items`` instead of brace counting, so brackets, braces and quotes inside strings
  cannot split or merge items, and each item is validated once, as soon as it finishes.

The replacement is a small patch of those four classmethods, applied only to instructor versions this was verified
against (``VERIFIED``); a response it cannot decode exactly as instructor would (a validation ``context`` or
``strict`` argument, a type midstream does not support, an Iterable response that is neither a list nor
``{"tasks": [...]}``) is handed to instructor's own implementation.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import re
import threading
from collections.abc import AsyncGenerator, AsyncIterable, Generator, Iterable, Iterator
from typing import Any, Final, Union, get_origin

from pydantic import BaseModel

from midstream._errors import IncompleteJSONError
from midstream.pydantic import ModelStream
from midstream.streams import aiter_items, iter_items

__all__ = ["VERIFIED", "UnsupportedVersionError", "disable", "enable", "enabled", "is_enabled"]

#: The instructor versions (``major.minor``) this integration was verified against, with instructor's own tests.
VERIFIED: Final = ("1.17",)

_PARTIAL_METHODS: Final = ("model_from_chunks", "model_from_chunks_async")
_ITERABLE_METHODS: Final = ("tasks_from_chunks", "tasks_from_chunks_async")


class UnsupportedVersionError(RuntimeError):
    """The installed instructor is not a version this integration was verified against (``enable(force=True)``
    patches it anyway)."""


# -------------------------------------------------------------------------------------------------------------------
# switching it on and off

_lock = threading.RLock()
_explicit = False  # enable() was called (and not disable())
_scopes = 0  # enabled() blocks currently open, in any thread or task
_originals: dict[tuple[type, str], Any] = {}  # (class, method name) -> the classmethod object instructor defines


def _instructor_version() -> str:
    try:
        return importlib.metadata.version("instructor")
    except importlib.metadata.PackageNotFoundError:
        import instructor

        return str(getattr(instructor, "__version__", "unknown"))


def _check_version() -> None:
    version = _instructor_version()
    if not any(version == v or version.startswith(v + ".") for v in VERIFIED):
        raise UnsupportedVersionError(
            f"midstream.integrations.instructor was verified with instructor {', '.join(v + '.x' for v in VERIFIED)}; "
            f"instructor {version} is installed. Pass force=True to enable it anyway."
        )


def _bases() -> tuple[type, type]:
    from instructor.dsl.iterable import IterableBase
    from instructor.dsl.partial import PartialBase

    return PartialBase, IterableBase


def _install() -> None:
    partial_base, iterable_base = _bases()
    replacements = {
        (partial_base, "model_from_chunks"): _model_from_chunks,
        (partial_base, "model_from_chunks_async"): _model_from_chunks_async,
        (iterable_base, "tasks_from_chunks"): _tasks_from_chunks,
        (iterable_base, "tasks_from_chunks_async"): _tasks_from_chunks_async,
    }
    for cls, name in replacements:
        original = cls.__dict__.get(name)
        if not isinstance(original, classmethod):
            raise UnsupportedVersionError(f"instructor's {cls.__name__}.{name} is not the classmethod expected")
        _originals[cls, name] = original
    for (cls, name), function in replacements.items():
        setattr(cls, name, classmethod(function))  # type: ignore[arg-type]


def _uninstall() -> None:
    for (cls, name), original in _originals.items():
        setattr(cls, name, original)
    _originals.clear()


def _active() -> bool:
    return bool(_originals)


def enable(*, force: bool = False) -> None:
    """Decode instructor's Partial and Iterable streaming with midstream, from now on, in every thread (idempotent).

    Raises ``UnsupportedVersionError`` if the installed instructor is not one of ``VERIFIED`` (unless ``force``)."""
    global _explicit
    with _lock:
        if not force:
            _check_version()
        if not _active():
            _install()
        _explicit = True


def disable() -> None:
    """Restore instructor's own decoding (idempotent). Inside an ``enabled()`` block it takes effect when the last
    open block ends."""
    global _explicit
    with _lock:
        _explicit = False
        if _scopes == 0 and _active():
            _uninstall()


def is_enabled() -> bool:
    """Whether instructor's streaming currently decodes with midstream."""
    return _active()


@contextlib.contextmanager
def enabled(*, force: bool = False) -> Iterator[None]:
    """``with enabled(): ...``: midstream decodes instructor's streaming inside the block; afterwards the previous
    state returns. The patch is process-wide while any block is open (blocks in several threads or tasks nest by
    counting); a stream is decoded by whichever implementation is active when its iteration starts."""
    global _scopes
    with _lock:
        if not force:
            _check_version()
        if not _active():
            _install()
        _scopes += 1
    try:
        yield
    finally:
        with _lock:
            _scopes -= 1
            if _scopes == 0 and not _explicit and _active():
                _uninstall()


def _original(cls: type, base: type, name: str) -> Any:
    """instructor's own implementation of ``name``, bound to ``cls``."""
    method = _originals.get((base, name)) or base.__dict__[name]
    return method.__get__(None, cls)


# -------------------------------------------------------------------------------------------------------------------
# Partial

_CONTROL: Final = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)])  # what instructor removes from chunks


def _text(chunk: Any) -> str | None:
    if chunk is None:
        return None
    if not isinstance(chunk, str):
        try:
            chunk = str(chunk)
        except Exception:
            return None
    text: str = chunk.translate(_CONTROL)
    return text


class _PartialDecoder:
    """One response of ``Partial[Model]``: chunks in, instructor-shaped partials out."""

    def __init__(self, model: type[BaseModel], strict: bool | None) -> None:
        self.model = model
        self.strict = strict
        self.stream: ModelStream[Any] = ModelStream(model)
        self.last: Any = None

    @classmethod
    def create(cls, partial_cls: type, kwargs: dict[str, Any]) -> _PartialDecoder | None:
        model = getattr(partial_cls, "_original_model", None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        strict = kwargs.get("strict")
        if any(value is not None for key, value in kwargs.items() if key != "strict"):
            return None  # a validation context: validators may need it, ModelStream validates without one
        try:
            return cls(model, strict)
        except Exception:  # a type midstream does not decode: instructor's own way
            return None

    def feed(self, text: str) -> Any:
        stream = self.stream
        stream.feed(text)
        if self.last is None or stream.changed:
            stream.clear_changed()
            partial = stream.partial
            if partial is None:
                self.last = _skeleton(self.model)
            elif stream.complete:
                self.last = self._final(partial)  # validated and final: never changes again
            else:
                self.last = _with_skeletons(partial)
        return self.last

    def _final(self, partial: Any) -> Any:
        if self.strict is None:
            return partial
        # instructor validates the finished document with strict= as given (create_partial passes strict=True):
        # the same, once, on the parsed document.
        return self.model.model_validate(self.stream.document, strict=self.strict)

    def finish(self) -> None:
        # instructor validates the whole document at the end if it is complete, and says nothing if it was cut off.
        if self.last is not None and self.stream.is_complete(()):
            self.stream.finish()


def _model_from_chunks(cls: type, json_chunks: Iterable[Any], **kwargs: Any) -> Generator[Any, None, None]:
    decoder = _PartialDecoder.create(cls, kwargs)
    if decoder is None:
        yield from _original(cls, _bases()[0], "model_from_chunks")(json_chunks, **kwargs)
        return
    for chunk in json_chunks:
        text = _text(chunk)
        if text is not None:
            yield decoder.feed(text)
    decoder.finish()


async def _model_from_chunks_async(
    cls: type, json_chunks: AsyncIterable[Any], **kwargs: Any
) -> AsyncGenerator[Any, None]:
    decoder = _PartialDecoder.create(cls, kwargs)
    if decoder is None:
        async for item in _original(cls, _bases()[0], "model_from_chunks_async")(json_chunks, **kwargs):
            yield item
        return
    async for chunk in json_chunks:
        text = _text(chunk)
        if text is not None:
            yield decoder.feed(text)
    decoder.finish()


_fields_cache: dict[type[BaseModel], tuple[tuple[str, type[BaseModel] | None], ...]] = {}


def _fields(model: type[BaseModel]) -> tuple[tuple[str, type[BaseModel] | None], ...]:
    """Each field's name, with its model class if it is annotated as a model (instructor shows an empty one)."""
    fields = _fields_cache.get(model)
    if fields is None:
        fields = tuple(
            (
                name,
                info.annotation
                if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
                else None,
            )
            for name, info in model.model_fields.items()
        )
        _fields_cache[model] = fields
    return fields


def _skeleton(model: type[BaseModel]) -> BaseModel:
    """What instructor yields before a model's data arrives: every field ``None`` or its default, and a field
    annotated with a model class holding that model's skeleton."""
    values: dict[str, Any] = {}
    for name, nested in _fields(model):
        info = model.model_fields[name]
        if nested is not None:
            values[name] = _skeleton(nested)
        elif info.is_required():
            values[name] = None
        else:
            values[name] = info.get_default(call_default_factory=True)
    return model.model_construct(**values)


_set = object.__setattr__


def _copy_model(value: BaseModel) -> BaseModel:
    """A shallow copy of a model (what ``BaseModel.__copy__`` does, without its generic copying)."""
    cls = type(value)
    copy = cls.__new__(cls)
    _set(copy, "__dict__", dict(value.__dict__))
    _set(copy, "__pydantic_fields_set__", set(value.__pydantic_fields_set__))
    extra = value.__pydantic_extra__
    _set(copy, "__pydantic_extra__", None if extra is None else dict(extra))
    private = value.__pydantic_private__
    _set(copy, "__pydantic_private__", None if private is None else dict(private))
    return copy


def _with_skeletons(value: Any) -> Any:
    """The partial as instructor shows it: a field annotated with a model class that has not begun holds that
    model's skeleton. ``value`` is a ModelStream partial, a snapshot already: it is returned as it is unless a
    skeleton goes in, and then only the containers on the way to it are copied (finished parts are shared)."""
    if isinstance(value, BaseModel):
        fields = value.__dict__
        filled: dict[str, Any] = {}
        for name, nested in _fields(type(value)):
            item = fields.get(name)
            if item is None:
                if nested is not None and name in fields:
                    filled[name] = _skeleton(nested)
            elif isinstance(item, BaseModel | list | dict):
                new = _with_skeletons(item)
                if new is not item:
                    filled[name] = new
        if not filled:
            return value
        copy = _copy_model(value)
        copy.__dict__.update(filled)
        return copy
    if isinstance(value, list):
        # Only the last item can still be open: the ones before it finished, validated.
        if value and isinstance(value[-1], BaseModel | list | dict):
            last = _with_skeletons(value[-1])
            if last is not value[-1]:
                copied = list(value)
                copied[-1] = last
                return copied
        return value
    if isinstance(value, dict) and value:
        key = next(reversed(value))
        if isinstance(value[key], BaseModel | list | dict):
            last = _with_skeletons(value[key])
            if last is not value[key]:
                copied_dict = dict(value)
                copied_dict[key] = last
                return copied_dict
    return value


# -------------------------------------------------------------------------------------------------------------------
# Iterable

_LIST_START: Final = re.compile(r'\s*(?:\[|\{\s*"((?:[^"\\]|\\.)*)"\s*:)', re.DOTALL)
_UNDECIDED: Final = re.compile(r'\s*(?:\{\s*(?:"(?:[^"\\]|\\.)*(?:"\s*)?)?)?\Z', re.DOTALL)


def _list_path(prefix: str) -> tuple[str, ...] | bool | None:
    """Where the items are, from the start of the text: ``()`` for a list, ``("tasks",)`` for ``{"tasks": [...``,
    ``None`` for anything else (instructor's own way then), ``False`` while it cannot tell yet."""
    match = _LIST_START.match(prefix)
    if match is not None:
        key = match.group(1)
        if key is None:
            return ()
        return ("tasks",) if key == "tasks" else None
    return False if _UNDECIDED.match(prefix) else None


def _task_type(cls: type, kwargs: dict[str, Any]) -> Any:
    """The item type midstream validates, or ``None``: then items are JSON objects validated by instructor's own
    ``extract_cls_task_type`` (a union, whose members instructor tries in order, or validation arguments such as
    ``strict``, which instructor applies to the item's JSON)."""
    task_type = getattr(cls, "task_type", None)
    if task_type is None or get_origin(task_type) in _UNION_ORIGINS:
        return None
    if any(value is not None for value in kwargs.values()):
        return None
    return task_type


_UNION_ORIGINS: Final = (Union, type(int | None))


def _item(cls: Any, task_type: Any, item: Any, kwargs: dict[str, Any]) -> Any:
    if task_type is not None:
        return item
    return cls.extract_cls_task_type(json.dumps(item), **kwargs)


def _tasks_from_chunks(cls: type, json_chunks: Iterable[Any], **kwargs: Any) -> Generator[Any, None, None]:
    task_type = _task_type(cls, kwargs)
    chunks = iter(json_chunks)
    seen: list[str] = []
    path: tuple[str, ...] | bool | None = False
    while path is False:
        chunk: Any = next(chunks, _END)
        if chunk is _END:
            return  # the stream ended before the list began: instructor yields nothing either
        if not chunk:
            continue  # None or "": instructor's extractors yield them for chunks without text
        seen.append(chunk)
        path = _list_path("".join(seen))
    if not isinstance(path, tuple):
        original = _original(cls, _bases()[1], "tasks_from_chunks")
        yield from original(_chain(seen, chunks), **kwargs)
        return
    item_type = dict[str, Any] if task_type is None else task_type
    try:
        for item in iter_items(item_type, _chain(seen, chunks), path=path, fail_fast=True):
            yield _item(cls, task_type, item, kwargs)
    except IncompleteJSONError:
        return  # cut off: instructor yields the items that finished and stops


async def _tasks_from_chunks_async(
    cls: type, json_chunks: AsyncIterable[Any], **kwargs: Any
) -> AsyncGenerator[Any, None]:
    task_type = _task_type(cls, kwargs)
    chunks = json_chunks.__aiter__()
    seen: list[str] = []
    path: tuple[str, ...] | bool | None = False
    while path is False:
        try:
            chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return
        if not chunk:
            continue
        seen.append(chunk)
        path = _list_path("".join(seen))
    if not isinstance(path, tuple):
        original = _original(cls, _bases()[1], "tasks_from_chunks_async")
        async for task in original(_achain(seen, chunks), **kwargs):
            yield task
        return
    item_type = dict[str, Any] if task_type is None else task_type
    try:
        async for item in aiter_items(item_type, _achain(seen, chunks), path=path, fail_fast=True):
            yield _item(cls, task_type, item, kwargs)
    except IncompleteJSONError:
        return


_END: Final = object()


def _chain(seen: list[str], rest: Iterator[Any]) -> Iterator[str]:
    yield from seen
    for chunk in rest:
        if chunk:
            yield chunk


async def _achain(seen: list[str], rest: AsyncIterable[Any]) -> AsyncGenerator[str, None]:
    for chunk in seen:
        yield chunk
    async for chunk in rest:
        if chunk:
            yield chunk
