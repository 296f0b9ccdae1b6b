"""Incremental Server-Sent Events decoding, exactly as the WHATWG HTML standard interprets an event stream.

Feed the raw bytes of a ``text/event-stream`` response, cut anywhere, and get the dispatched events::

    >>> from midstream import sse
    >>> list(sse.decode([b"data: a\\r", b"\\ndata: b\\n\\n"]))
    [SSEEvent(event='message', data='a\\nb', id=None, retry=None)]
    >>> decoder = sse.SSEDecoder()
    >>> decoder.feed(b'\\xef\\xbb\\xbfevent: delta\\nid: 7\\ndata: {"x"')
    []
    >>> decoder.feed(b": 1}\\n\\n: ping\\n\\ndata: \\xe2\\x82")
    [SSEEvent(event='delta', data='{"x": 1}', id='7', retry=None)]
    >>> decoder.feed(b"\\xac\\r\\r")
    [SSEEvent(event='message', data='€', id='7', retry=None)]
    >>> decoder.finish()
    []

What the decoder does (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

- bytes are decoded as UTF-8 across chunk boundaries, invalid sequences becoming U+FFFD (one per maximal
  ill-formed subpart, as the WHATWG Encoding standard says); one U+FEFF byte order mark is dropped at the very
  start of the stream, and only there. ``str`` chunks are taken as already-decoded text.
- lines end at CRLF, LF or CR. A lone CR ends its line at once (nothing waits for the next chunk); an LF that then
  starts the next chunk is skipped, so a CRLF split across two chunks is one line end.
- a line starting with ``:`` is a comment (keep-alives such as ``: ping``); otherwise the field name is the text
  before the first ``:`` and the value the text after it, less one leading space; a line without ``:`` is a field
  with an empty value. ``event`` sets the event type, ``data`` adds a line of data, ``id`` sets the last event ID
  (unless the value contains U+0000), ``retry`` sets the reconnection time (only when the value is all ASCII
  digits); other fields are ignored.
- a blank line dispatches the event: nothing if no ``data`` field was seen since the last blank line, else an
  :class:`SSEEvent`. The event type resets at each blank line; the last event ID persists from event to event.
- a block that the stream's end cuts off before its blank line is discarded.

The work is linear in the input: each chunk is scanned once (by ``str`` methods, not per character in Python) and
only the unfinished last line is kept between chunks.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Chunk", "SSEDecoder", "SSEEvent", "adecode", "decode"]

#: What the decoder accepts: raw bytes of the stream (cut anywhere) or already-decoded text.
Chunk = bytes | bytearray | memoryview | str

#: ``int()`` refuses longer digit strings by default (``sys.get_int_max_str_digits``); such a retry is ignored.
_MAX_RETRY_DIGITS = 4300


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched server-sent event.

    - ``event``: the type given by the block's ``event`` field, or ``"message"`` when it had none (or an empty one).
    - ``data``: the block's ``data`` lines joined with ``"\\n"`` (``""`` for a single empty ``data:`` line).
    - ``id``: the last event ID of the stream at this event: the value of the latest ``id`` field, in this block or
      an earlier one (``""`` after an empty ``id:``, which clears it); ``None`` if no ``id`` field has been seen.
    - ``retry``: the reconnection time in milliseconds given by this block's ``retry`` field, if it had a valid one.
    """

    event: str
    data: str
    id: str | None
    retry: int | None


class SSEDecoder:
    """Incremental event-stream decoder: :meth:`feed` chunks, cut anywhere, and :meth:`finish` at the end.

    >>> decoder = SSEDecoder()
    >>> decoder.feed(b"retry: 3000\\nid: 1\\ndata: x\\n")
    []
    >>> decoder.feed(b"\\nid: 2\\n\\ndata: y\\n\\n")
    [SSEEvent(event='message', data='x', id='1', retry=3000), SSEEvent(event='message', data='y', id='2', retry=None)]
    >>> decoder.last_event_id, decoder.retry
    ('2', 3000)

    After :meth:`finish` the decoder is ready for the next stream of the same source (a reconnection): it keeps
    :attr:`last_event_id` (what to send as ``Last-Event-ID``) and :attr:`retry`, and resets everything else.
    """

    __slots__ = (
        "_data",
        "_decoder",
        "_dispatched_id",
        "_event",
        "_last_id",
        "_pending",
        "_reconnect",
        "_retry",
        "_skip_lf",
        "_started",
    )

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._started = False  # has the first character of the stream (a possible BOM) been seen?
        self._skip_lf = False  # did the text so far end with a CR, so that a next LF belongs to its line end?
        self._pending: list[str] = []  # pieces of the unfinished last line (joined once the line ends)
        self._data: list[str] = []  # the data buffer, as lines (joined with "\n" on dispatch)
        self._event = ""  # the event type buffer
        self._last_id: str | None = None  # the last event ID buffer (None: no id field yet)
        self._retry: int | None = None  # the retry value of the current block
        self._dispatched_id: str | None = None  # the stream's last event ID, as of the last blank line
        self._reconnect: int | None = None  # the stream's reconnection time (latest valid retry field)

    @property
    def last_event_id(self) -> str | None:
        """The last event ID as of the latest blank line (what a reconnecting client sends as ``Last-Event-ID``)."""
        return self._dispatched_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds set by the latest valid ``retry`` field, if any."""
        return self._reconnect

    def feed(self, chunk: Chunk) -> list[SSEEvent]:
        """Take the next piece of the stream; return the events it completes (often none).

        ``bytes``-like chunks may split a UTF-8 sequence or a CRLF anywhere; a ``str`` chunk is decoded text.
        """
        if isinstance(chunk, str):
            text = chunk
            if self._decoder.getstate()[0]:  # bytes of an unfinished UTF-8 sequence before this text
                text = self._decoder.decode(b"", True) + text
        else:
            text = self._decoder.decode(chunk)
        if not text:
            return []
        if not self._started:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
                if not text:
                    return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if text[-1] == "\r":
                self._skip_lf = True
            text = text.replace("\r", "\n")
        if "\n" not in text:
            self._pending.append(text)
            return []
        lines = text.split("\n")
        tail = lines.pop()
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = "".join(self._pending)
            self._pending.clear()
        if tail:
            self._pending.append(tail)
        return self._process(lines)

    def finish(self) -> list[SSEEvent]:
        """End the stream: flush the UTF-8 decoder and discard an unterminated block.

        Returns the events still to dispatch, which by the standard is always none (a block is dispatched only by
        its blank line). The decoder is then ready for the next stream (see the class docstring).
        """
        self._decoder.decode(b"", True)  # only U+FFFD can come out of an unfinished sequence: no line end
        self._decoder.reset()
        self._started = False
        self._skip_lf = False
        self._pending.clear()
        self._data = []
        self._event = ""
        self._retry = None
        self._last_id = self._dispatched_id
        return []

    def _process(self, lines: list[str]) -> list[SSEEvent]:
        """Interpret complete lines (without their line ends)."""
        events: list[SSEEvent] = []
        data = self._data
        event = self._event
        last_id = self._last_id
        retry = self._retry
        dispatched_id = self._dispatched_id
        for line in lines:
            if not line:  # blank line: dispatch
                dispatched_id = last_id
                if data:
                    events.append(SSEEvent(event or "message", "\n".join(data), last_id, retry))
                    data = []
                event = ""
                retry = None
                continue
            colon = line.find(":")
            if colon > 0:
                name = line[:colon]
                value = line[colon + 2 :] if line.startswith(" ", colon + 1) else line[colon + 1 :]
            elif colon == 0:  # comment
                continue
            else:
                name = line
                value = ""
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                if "\0" not in value:
                    last_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                digits = value.lstrip("0") or "0"
                if len(digits) <= _MAX_RETRY_DIGITS:
                    retry = self._reconnect = int(digits)
        self._data = data
        self._event = event
        self._last_id = last_id
        self._retry = retry
        self._dispatched_id = dispatched_id
        return events


def decode(chunks: Iterable[Chunk]) -> Iterator[SSEEvent]:
    """Decode a whole event stream given as chunks (bytes cut anywhere, or text) into its events, lazily.

    >>> list(decode([b"data: a\\r", b"\\ndata: b\\n\\n"]))
    [SSEEvent(event='message', data='a\\nb', id=None, retry=None)]
    >>> [e.data for e in decode(["event: x\\ndata:1\\n\\n", ": ping\\n\\n", "data: [DONE]\\n\\n", "data: cut"])]
    ['1', '[DONE]']
    """
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.finish()


async def adecode(chunks: AsyncIterable[Chunk]) -> AsyncIterator[SSEEvent]:
    """Like :func:`decode`, for an async source (e.g. ``httpx.Response.aiter_bytes()``).

    >>> import asyncio
    >>> async def source():
    ...     for chunk in (b"data: a\\r", b"\\ndata: b\\n\\n"):
    ...         yield chunk
    >>> async def main():
    ...     return [event async for event in adecode(source())]
    >>> asyncio.run(main())
    [SSEEvent(event='message', data='a\\nb', id=None, retry=None)]
    """
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.finish():
        yield event
