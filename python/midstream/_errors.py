"""The exceptions midstream raises. Defined in Python so they pickle, type-check and document like any other."""

from __future__ import annotations

__all__ = ["IncompleteJSONError", "JSONError"]


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
