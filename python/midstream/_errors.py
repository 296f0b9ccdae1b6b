"""The exceptions midstream raises. Defined in Python so they pickle, type-check and document like any other."""

from __future__ import annotations

__all__ = ["IncompleteJSONError", "JSONError", "ProviderError", "RefusalError"]


class JSONError(ValueError):
    """The input is not JSON (or not the JSON allowed by the parser's options).

    ``offset`` is the 0-based byte offset in the whole stream of the first byte at which the input can no longer
    be the prefix of any valid JSON text, so it is the same however the stream was chunked. ``line`` and
    ``column`` are 1-based; ``column`` counts bytes from the start of the line. ``str`` chunks count as their
    UTF-8 bytes.
    """

    def __init__(self, msg: str, offset: int, line: int, column: int) -> None:
        super().__init__(f"{msg} at line {line} column {column} (byte {offset})")
        self.msg = msg
        self.offset = offset
        self.line = line
        self.column = column

    def __reduce__(self) -> tuple[type[JSONError], tuple[str, int, int, int]]:
        return (type(self), (self.msg, self.offset, self.line, self.column))


class IncompleteJSONError(JSONError):
    """The input ended (``finish()``) before the JSON value was complete: truncated, not malformed.

    ``offset`` is the length of the input.
    """


class ProviderError(Exception):
    """The model provider reported an error in the stream (an ``error`` event or payload, a failed response).

    ``message`` is the provider's own message; ``type`` and ``code`` its error type and code where it gives them;
    ``payload`` the error object as received.
    """

    def __init__(
        self, message: str, *, type: str | None = None, code: str | None = None, payload: object = None
    ) -> None:
        super().__init__(f"{message} ({type or code})" if type or code else message)
        self.message = message
        self.type = type
        self.code = code
        self.payload = payload

    def __reduce__(self) -> tuple[object, ...]:
        return (_provider_error, (type(self), self.message, self.type, self.code, self.payload))


class RefusalError(Exception):
    """The model refused to answer; ``refusal`` is its refusal text (or the provider's explanation)."""

    def __init__(self, refusal: str) -> None:
        super().__init__(f"the model refused: {refusal}")
        self.refusal = refusal

    def __reduce__(self) -> tuple[type[RefusalError], tuple[str]]:
        return (type(self), (self.refusal,))


def _provider_error(
    cls: type[ProviderError], message: str, type: str | None, code: str | None, payload: object
) -> ProviderError:
    return cls(message, type=type, code=code, payload=payload)
