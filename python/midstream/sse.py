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

- a ``retry`` value longer than 4,300 digits (leading zeros aside) is ignored, as ``int()`` refuses longer digit
  strings by default (``sys.get_int_max_str_digits``).

The decoding runs in the Rust extension (``rust/sse``, ``memchr`` for line ends, SIMD UTF-8 validation): linear in
the input, each chunk scanned once, only the unfinished last line kept between chunks, and no Python object made
but the events themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

from midstream._native import SSEDecoder as _NativeSSEDecoder

__all__ = ["Chunk", "SSEDecoder", "SSEEvent", "adecode", "decode"]

#: What the decoder accepts: raw bytes of the stream (cut anywhere) or already-decoded text.
Chunk = bytes | bytearray | memoryview | str


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


class SSEDecoder(_NativeSSEDecoder):
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

    The decoding runs in the Rust extension (``rust/sse``: ``midstream_sse::Decoder``); each event is handed out as
    an :class:`SSEEvent`. ``feed`` takes ``bytes``-like chunks, which may split a UTF-8 sequence or a CRLF anywhere,
    or ``str`` chunks of decoded text (a lone surrogate in one, which only text made in Python can hold, becomes
    U+FFFD). ``finish`` ends the stream: it discards an unterminated block and returns the events still to
    dispatch, which by the standard is always none.
    """

    __slots__ = ()

    def __new__(cls) -> SSEDecoder:
        return super().__new__(cls, SSEEvent)


def decode(chunks: Iterable[Chunk]) -> Iterator[SSEEvent]:
    """Decode a whole event stream given as chunks (bytes cut anywhere, or text) into its events, lazily.

    >>> list(decode([b"data: a\\r", b"\\ndata: b\\n\\n"]))
    [SSEEvent(event='message', data='a\\nb', id=None, retry=None)]
    >>> [e.data for e in decode(["event: x\\ndata:1\\n\\n", ": ping\\n\\n", "data: [DONE]\\n\\n", "data: cut"])]
    ['1', '[DONE]']
    """
    return SSEDecoder().events(chunks)


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
