"""The one surface every client wrapper offers, so code moves from one provider to another unchanged.

``from_openai`` and ``from_anthropic`` both return a ``StructuredClient``; only the ``Dialect`` differs (how a
request is written, which SDK method sends it). Like instructor's clients, each entry point is reachable by the
OpenAI name and by the Anthropic one::

    client.chat.completions.create(model=..., messages=..., response_model=User, stream=True)
    client.messages.create(...)                      # the same object as client.chat.completions
    client.create(...)                               # and create_partial / create_iterable, at every level
    with client.responses.stream(..., response_model=User) as stream:
        user = stream.get_final_response()
"""

from __future__ import annotations

from typing import Any

from midstream.clients._core import AsyncStructuredStream, Dialect, Mode, StructuredStream
from midstream.clients._schema import Target

__all__ = ["Chat", "Completions", "Responses", "StructuredClient"]


class Completions:
    """``create`` / ``create_partial`` / ``create_iterable`` taking ``response_model=`` (``client.chat.completions``
    and ``client.messages``)."""

    def __init__(self, client: Any, dialect: Dialect, is_async: bool) -> None:
        self._client = client
        self._dialect = dialect
        self._async = is_async

    def create(
        self,
        *,
        response_model: Any = None,
        stream: bool = False,
        max_retries: int = 0,
        mode: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """With ``response_model``: a stream of partials (``stream=True``) or the validated value; without it, the
        client's own create (with the request written for its provider). On an async client the validated value
        is awaitable."""
        if response_model is None:
            dialect = self._dialect
            return dialect.send(self._client)(stream=stream, **dialect.prepare(kwargs))
        structured = self._stream(response_model, kwargs, max_retries=max_retries, mode=mode)
        return structured if stream else structured.get_final_response()

    def create_partial(
        self, *, response_model: Any, max_retries: int = 0, mode: str | None = None, **kwargs: Any
    ) -> Any:
        """Iterate the partials of ``response_model`` (``async for`` on an async client)."""
        return self._stream(response_model, kwargs, max_retries=max_retries, mode=mode)

    def create_iterable(
        self, *, response_model: Any, max_retries: int = 0, mode: str | None = None, **kwargs: Any
    ) -> Any:
        """Each finished, validated ``response_model`` of a list the model writes, once."""
        return self._stream(response_model, kwargs, kind="iterable", max_retries=max_retries, mode=mode)

    def _stream(
        self,
        response_model: Any,
        kwargs: dict[str, Any],
        *,
        kind: Mode = "partial",
        max_retries: int = 0,
        mode: str | None = None,
    ) -> Any:
        dialect = self._dialect.with_mode(mode)
        item_type = None
        if kind == "iterable":
            item_type, response_model = response_model, list[response_model]
        target = Target(response_model)
        cls = AsyncStructuredStream if self._async else StructuredStream
        return cls(
            dialect.send_raw(self._client),
            dialect,
            target,
            dialect.request(kwargs, target),
            mode=kind,
            item_type=item_type,
            max_retries=max_retries,
        )


class Chat:
    """``client.chat``: holds ``completions``."""

    def __init__(self, completions: Completions) -> None:
        self.completions = completions


class Responses:
    """``client.responses``: ``stream(...)``, the seed documents' API."""

    def __init__(self, completions: Completions) -> None:
        self._completions = completions

    def stream(self, *, response_model: Any, max_retries: int = 0, mode: str | None = None, **kwargs: Any) -> Any:
        """A stream of partials (a context manager) with ``get_final_response()``; it runs on the provider's chat
        API (chat completions, messages)."""
        return self._completions.create_partial(
            response_model=response_model, max_retries=max_retries, mode=mode, **kwargs
        )


class StructuredClient:
    """A wrapped SDK client: ``.chat.completions``, ``.messages``, ``.responses`` and the top-level ``create``,
    ``create_partial`` and ``create_iterable``, all taking ``response_model=``."""

    def __init__(self, client: Any, dialect: Dialect) -> None:
        #: the SDK client, used as it is
        self.client = client
        self.is_async = type(client).__name__.startswith("Async")
        self.messages = Completions(client, dialect, self.is_async)
        self.chat = Chat(self.messages)
        self.responses = Responses(self.messages)

    def create(
        self,
        *,
        response_model: Any = None,
        stream: bool = False,
        max_retries: int = 0,
        mode: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """``chat.completions.create``."""
        return self.messages.create(
            response_model=response_model, stream=stream, max_retries=max_retries, mode=mode, **kwargs
        )

    def create_partial(
        self, *, response_model: Any, max_retries: int = 0, mode: str | None = None, **kwargs: Any
    ) -> Any:
        """``chat.completions.create_partial``."""
        return self.messages.create_partial(response_model=response_model, max_retries=max_retries, mode=mode, **kwargs)

    def create_iterable(
        self, *, response_model: Any, max_retries: int = 0, mode: str | None = None, **kwargs: Any
    ) -> Any:
        """``chat.completions.create_iterable``."""
        return self.messages.create_iterable(
            response_model=response_model, max_retries=max_retries, mode=mode, **kwargs
        )
