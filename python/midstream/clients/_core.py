"""The engine under ``from_openai``/``from_anthropic``: stream one structured answer, re-asking on invalid output.

A ``Dialect`` knows one provider's wire format (how to ask, what to record from each payload, how to re-ask).
``Attempt`` follows one response, push-style so sync and async share it; ``StructuredStream`` and
``AsyncStructuredStream`` run attempts until one validates or the retries run out.

The SDK sends each request through its raw streaming response (``with_streaming_response``): authentication, base
URL, timeouts, retries of the HTTP request and the SDK's own exceptions for HTTP errors stay the SDK's, and the
response body's bytes go straight to midstream's Rust reader (SSE framing, events, the answer's text), so no SDK
object is built per chunk. Closing a stream closes the response, and so the connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Generator, Iterable, Iterator
from types import TracebackType
from typing import Any, Generic, Literal, NoReturn, Protocol, TypeVar

import pydantic

from midstream._errors import IncompleteJSONError, JSONError
from midstream._native import UNCHANGED, Parser, ReadPieces
from midstream.clients._schema import Target
from midstream.providers import Finished, ToolCallDelta
from midstream.providers.follow import Follower
from midstream.providers.reader import Piece
from midstream.providers.source import EventReader
from midstream.pydantic import FieldState, ItemReader, ModelStream

T = TypeVar("T")
Mode = Literal["partial", "iterable"]

_TRUNCATED = frozenset({"length", "max_tokens", "max_output_tokens", "incomplete"})


class Dialect(Protocol):
    """One provider's request and response format."""

    provider: str

    def with_mode(self, mode: str | None) -> Dialect:
        """This dialect asking in another way (``None``: the client's own mode); ``ValueError`` for a mode the
        provider does not have."""
        ...

    def send(self, client: Any) -> Callable[..., Any]:
        """The SDK method that sends a request (``client.chat.completions.create``, ``client.messages.create``)."""
        ...

    def send_raw(self, client: Any) -> Callable[..., Any]:
        """The same method answering with the raw streaming response (``....with_streaming_response.create``):
        called with the request, it gives a context manager that sends it and yields the response."""
        ...

    def prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The caller's create() arguments written for this provider (OpenAI-style ones included)."""
        ...

    def request(self, kwargs: dict[str, Any], target: Target) -> dict[str, Any]:
        """The create() arguments for a streamed structured answer (``messages`` included)."""
        ...

    def reask(self, state: Response, error: Exception) -> list[dict[str, Any]]:
        """The messages that hand the answer so far back with its errors."""
        ...


class Response:
    """What one attempt's response said besides its answer (``usage``, ``finish_reason``, the answer's text)."""

    def __init__(self, events: EventReader | None = None) -> None:
        self._events = events
        self.finish_reason: str | None = None
        self.tool_call_id: str | None = None
        self.tool_name: str | None = None
        self.chunks: list[str] = []

    @property
    def usage(self) -> dict[str, Any] | None:
        """The provider's token usage as it reported it (merged, for Anthropic's two reports), once it came."""
        return self._events.usage if self._events is not None else None

    @property
    def text(self) -> str:
        """The JSON text of the answer received so far."""
        return "".join(self.chunks)

    def partial_json(self) -> Any:
        """The answer so far as plain JSON values (an object for a cut-short answer), for re-asking."""
        parser = Parser()
        with contextlib.suppress(JSONError):
            parser.feed(self.text)
        value = parser.value
        return value if isinstance(value, dict) else {}


class RetryableError(Exception):
    """Raised inside an attempt whose answer is invalid while retries remain."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class Attempt:
    """Follows one streamed response: payloads in, partials (or finished items) out."""

    def __init__(
        self, dialect: Dialect, target: Target, mode: Mode, item_type: Any, fail_fast: bool, skip: int = 0
    ) -> None:
        self.dialect = dialect
        self.target = target
        self.mode = mode
        self.fail_fast = fail_fast
        self._reader = EventReader(dialect.provider)
        assert self._reader.reader is not None  # the dialect names its provider
        self._read_raw = self._reader.reader.read  # a piece of the raw body: straight to the Rust reader
        self._read_into = self._reader.reader.read_into
        self.response = Response(self._reader)
        self._follower = Follower(reader=self._reader)
        self._model: ModelStream[Any] = ModelStream(target.stream_type, fail_fast=fail_fast)
        self._items: ItemReader[Any] | None = (
            ItemReader(item_type, ("items",), fail_fast=fail_fast) if mode == "iterable" else None
        )
        self.final: Any = None
        # create_iterable: items an earlier attempt already handed over are not handed over again; a new attempt
        # continues from the next position.
        self.skip = skip
        self.items_seen = 0

    def event(self, item: object) -> list[Any]:
        """The outputs one item of the response adds: a piece of the raw body (or an SDK object, a payload)."""
        pieces = self._read_raw(item) if type(item) is bytes else self._reader.item(item)
        if not pieces:
            return []
        try:
            if len(pieces) == 1 and type(pieces[0]) is str:  # text of the answer, already followed
                return self._feed(pieces)  # type: ignore[arg-type]
            return self._feed(self._follower.take(self._observed(pieces)))
        except (pydantic.ValidationError, JSONError) as error:
            self._raise_converted(error)

    def outputs(self, body: Iterable[bytes]) -> Iterator[Any]:
        """The outputs of the whole raw body, read by ``body``'s pieces, then of its end.

        The loop ``event`` would make per piece, with the common case done natively: when the native engine follows
        the answer, a piece whose only output is text of the answer goes from the Rust reader into the engine (and
        onto the kept text) in one call, ``read_into``, with no Python frame of ours (a read costs less than the
        HTTP client's own work for it); what comes back is the new partial, ``UNCHANGED``, or ``ReadPieces`` for
        the rest."""
        engine = self._model.native_engine
        if self._items is not None or engine is None:
            for piece in body:
                yield from self.event(piece)
            yield from self.end()
            return
        read_into, kept, unwrap = self._read_into, self.response.chunks, self.target.unwrap
        try:
            for piece in body:
                got = read_into(piece, engine, kept)
                if got is UNCHANGED:
                    continue
                if type(got) is not ReadPieces:
                    yield unwrap(got)
                    continue
                yield from self._feed(self._follower.take(self._observed(got.items)))
        except (pydantic.ValidationError, JSONError) as error:
            self._raise_converted(error)
        yield from self.end()

    async def aoutputs(self, body: AsyncIterable[bytes]) -> AsyncIterator[Any]:
        """``outputs`` for a body read asynchronously."""
        engine = self._model.native_engine
        if self._items is not None or engine is None:
            async for piece in body:
                for output in self.event(piece):
                    yield output
            for output in self.end():
                yield output
            return
        read_into, kept, unwrap = self._read_into, self.response.chunks, self.target.unwrap
        try:
            async for piece in body:
                got = read_into(piece, engine, kept)
                if got is UNCHANGED:
                    continue
                if type(got) is not ReadPieces:
                    yield unwrap(got)
                    continue
                for output in self._feed(self._follower.take(self._observed(got.items))):
                    yield output
        except (pydantic.ValidationError, JSONError) as error:
            self._raise_converted(error)
        for output in self.end():
            yield output

    def _observed(self, pieces: list[Piece]) -> list[Piece]:
        """``pieces``, after noting what they say about the response: its finish reason, its tool call."""
        response = self.response
        for piece in pieces:
            if isinstance(piece, str) or piece.choice != 0:
                continue
            if isinstance(piece, Finished):
                response.finish_reason = piece.reason
            elif isinstance(piece, ToolCallDelta) and piece.id and response.tool_call_id is None:
                response.tool_call_id, response.tool_name = piece.id, piece.name
        return pieces

    def end(self) -> list[Any]:
        try:
            out = self._feed([*self._follower.take(self._observed(self._reader.end())), *self._follower.end()])
            if self._items is not None:
                self._items.finish()
                out += self._drain()
                return out
            self.final = self.target.unwrap(self._model.finish())
            if self._model.take_changed():
                out.append(self.target.unwrap(self._model.partial))
            return out
        except (pydantic.ValidationError, JSONError) as error:
            self._raise_converted(error)

    def _feed(self, texts: list[str]) -> list[Any]:
        out: list[Any] = []
        chunks = self.response.chunks
        items = self._items
        if items is not None:
            for text in texts:
                chunks.append(text)
                items.feed(text)
                out += self._drain()
            return out
        model = self._model
        feed = model.feed
        for text in texts:
            chunks.append(text)
            feed(text)
            if model.take_changed():
                out.append(self.target.unwrap(model.partial))
        return out

    def _drain(self) -> list[Any]:
        assert self._items is not None
        items = []
        for item in self._items.items:
            self.items_seen += 1
            if self.items_seen > self.skip:
                items.append(item)
        self._items.items.clear()
        return items

    def _raise_converted(self, error: pydantic.ValidationError | JSONError) -> NoReturn:
        """Raise what an error of the answer becomes (``_converted``), from it; or the error itself."""
        converted = self._converted(error)
        if converted is None:
            raise error
        raise converted from error

    def _converted(self, error: pydantic.ValidationError | JSONError) -> Exception | None:
        """What an error of the answer becomes: an incomplete answer cut by the token limit says so; an invalid
        one is retried while retries remain (``RetryableError``); ``None``: raised as it is."""
        reason = self.response.finish_reason
        if isinstance(error, IncompleteJSONError):
            if reason in _TRUNCATED:
                return IncompleteJSONError(
                    f"the answer was cut short by the token limit (finish_reason={reason!r}): raise max_tokens",
                    error.offset,
                    error.line,
                    error.column,
                )
            return None
        if self.fail_fast and reason not in _TRUNCATED:
            return RetryableError(error)
        return None

    @property
    def partial(self) -> Any:
        return self.target.unwrap(self._model.partial)

    @property
    def progress(self) -> float:
        return self._model.progress

    def state(self, path: Iterable[str | int]) -> FieldState:
        return self._model.state(self.target.stream_path(path))

    def states(self, path: Iterable[str | int]) -> dict[str, FieldState]:
        return self._model.states(self.target.stream_path(path))


def reask_text(error: Exception) -> str:
    """The user message that asks the model to fix its answer."""
    return f"Your answer did not validate. Correct these errors and answer again with the whole object:\n{error}"


class _Base:
    def __init__(
        self,
        dialect: Dialect,
        target: Target,
        request: dict[str, Any],
        *,
        mode: Mode,
        item_type: Any,
        max_retries: int,
    ) -> None:
        self.dialect = dialect
        self.target = target
        self.request = request
        self.mode = mode
        self.item_type = item_type
        self.max_retries = max_retries
        #: The attempt under way (1 for the first request; each re-ask adds one).
        self.attempt = 0
        #: The errors that made each earlier attempt fail.
        self.errors: list[Exception] = []
        self._current: Attempt | None = None
        self._final: Any = None
        self._done = False
        self._closed = False

    def _next_attempt(self) -> Attempt:
        self.attempt += 1
        fail_fast = self.attempt <= self.max_retries
        handed_over = max(self._current.items_seen, self._current.skip) if self._current is not None else 0
        self._current = Attempt(self.dialect, self.target, self.mode, self.item_type, fail_fast, handed_over)
        return self._current

    def _reask(self, failed: Attempt, error: Exception) -> None:
        self.errors.append(error)
        messages = list(self.request["messages"])
        self.request = {**self.request, "messages": [*messages, *self.dialect.reask(failed.response, error)]}

    @property
    def response(self) -> Response | None:
        """What the last response said besides its answer."""
        return self._current.response if self._current is not None else None

    @property
    def usage(self) -> dict[str, Any] | None:
        """The provider's token usage of the last response (its JSON form), once it arrived."""
        return self._current.response.usage if self._current is not None else None

    @property
    def finish_reason(self) -> str | None:
        """Why the last response ended (``stop``, ``length``, ``tool_use``...), once it ended."""
        return self._current.response.finish_reason if self._current is not None else None

    @property
    def partial(self) -> Any:
        """The latest partial of the attempt under way."""
        return self._current.partial if self._current is not None else None

    @property
    def progress(self) -> float:
        """The fraction of the answer's top-level fields finished in the attempt under way (see
        ``ModelStream.progress``; 1.0 once the answer validated)."""
        if self._done:
            return 1.0
        return self._current.progress if self._current is not None else 0.0

    def state(self, path: Iterable[str | int] = ()) -> FieldState:
        """Where the value at ``path`` of the answer is in the attempt under way: ``"pending"``, ``"incomplete"`` or
        ``"complete"`` (see ``ModelStream.state``; a new attempt starts over)."""
        if self._done:
            return "complete"
        return self._current.state(path) if self._current is not None else "pending"

    def states(self, path: Iterable[str | int] = ()) -> dict[str, FieldState]:
        """The state of each field of the record at ``path`` of the answer (see ``ModelStream.states``)."""
        if self._current is None:  # nothing asked yet: every field pending
            fields = ModelStream(self.target.stream_type).states(self.target.stream_path(path))
            return dict.fromkeys(fields, "pending")
        return self._current.states(path)


class StructuredStream(_Base, Generic[T]):
    """Iterate the partials of a structured answer (or each finished item, for ``create_iterable``).

    ``get_final_response()`` reads the rest and returns the validated value. With ``max_retries`` an invalid answer
    is cut off as soon as a part of it fails, and asked again with the errors; the partials of the new attempt
    follow in the same iteration (``attempt`` says which one is under way).
    """

    def __init__(self, create: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create = create
        self._sdk: Any = None
        self._run = self._outputs()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        return next(self._run)  # type: ignore[no-any-return]

    def __enter__(self) -> StructuredStream[T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop: close the response under way (the server sees the connection close)."""
        self._closed = True
        self._run.close()
        self._close_sdk()

    def _close_sdk(self) -> None:
        sdk, self._sdk = self._sdk, None
        if sdk is not None:
            sdk.__exit__(None, None, None)

    def get_final_response(self) -> T:
        """Read the rest of the answer and return the validated value."""
        for _ in self._run:
            pass
        if not self._done:
            raise RuntimeError("the stream was closed before its answer finished")
        return self._final  # type: ignore[no-any-return]

    final = get_final_response

    def _outputs(self) -> Generator[Any, None, None]:
        while True:
            attempt = self._next_attempt()
            self._sdk = self._create(**self.request)  # the SDK's streaming-response context manager
            try:
                response = self._sdk.__enter__()  # sends the request; an HTTP error raises the SDK's exception
                yield from attempt.outputs(response.iter_bytes())
            except RetryableError as retry:
                self._close_sdk()
                self._reask(attempt, retry.error)
                continue
            finally:
                self._close_sdk()
            self._final = attempt.final
            self._done = True
            return


class AsyncStructuredStream(_Base, Generic[T]):
    """``StructuredStream`` for an async client: ``async for``, ``await get_final_response()``."""

    def __init__(self, create: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create = create
        self._sdk: Any = None
        self._run = self._outputs()

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        return await self._run.__anext__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> AsyncStructuredStream[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop: close the response under way (the server sees the connection close)."""
        self._closed = True
        await self._run.aclose()
        await self._close_sdk()

    async def _close_sdk(self) -> None:
        sdk, self._sdk = self._sdk, None
        if sdk is not None:
            await sdk.__aexit__(None, None, None)

    async def get_final_response(self) -> T:
        """Read the rest of the answer and return the validated value."""
        async for _ in self._run:
            pass
        if not self._done:
            raise RuntimeError("the stream was closed before its answer finished")
        return self._final  # type: ignore[no-any-return]

    final = get_final_response

    async def _outputs(self) -> AsyncGenerator[Any, None]:
        while True:
            attempt = self._next_attempt()
            self._sdk = self._create(**self.request)  # the SDK's streaming-response context manager
            try:
                response = await self._sdk.__aenter__()  # an HTTP error raises the SDK's exception
                async for output in attempt.aoutputs(response.iter_bytes()):
                    yield output
            except RetryableError as retry:
                await self._close_sdk()
                self._reask(attempt, retry.error)
                continue
            finally:
                await self._close_sdk()
            self._final = attempt.final
            self._done = True
            return
