"""A catalog of hostile JSON inputs, and a harness that runs JSON parsers on them and says what happened.

Each :class:`HostileInput` is a name, the bytes and what it probes. :func:`run` parses one input in a child
process, with a time limit, and classifies the outcome: a value, an error (type and message), a
``RecursionError``, a crash (the process died, e.g. on a stack overflow) or a timeout. The table in
``docs/hardening.md`` is printed by::

    python -m midstream.testing.hostile --markdown

which runs midstream (``Parser`` feed + finish), ``json.loads``, ``jiter.from_json`` (partial mode off) and
``ijson.items`` on every input, each column only if that parser is installed.

>>> outcome = run(PARSERS["midstream"], by_name()["deep nesting"].data)
>>> outcome.kind, outcome.detail
('error', 'JSONError: nesting deeper than the depth limit of 512 at line 1 column 513 (byte 512)')
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "HOSTILE_INPUTS",
    "PARSERS",
    "HostileInput",
    "Outcome",
    "available_parsers",
    "by_name",
    "describe",
    "markdown_table",
    "run",
]


@dataclass(frozen=True)
class HostileInput:
    """One hostile input: ``name``, the bytes, and what it probes."""

    name: str
    data: bytes
    probes: str


_DEEP = 100_000
_DIGITS = 5_000  # past Python's default limit of 4,300 digits (sys.get_int_max_str_digits)

#: Every hostile input tried, roughly in the order of the hardening checklist.
HOSTILE_INPUTS: tuple[HostileInput, ...] = (
    # nesting
    HostileInput("deep nesting", b"[" * _DEEP, f"{_DEEP:,} open brackets: a recursive parser overflows its stack"),
    HostileInput("deep nesting, closed", b"[" * _DEEP + b"]" * _DEEP, f"{_DEEP:,} nested arrays, a complete text"),
    HostileInput("deep objects", b'{"a":' * _DEEP + b"1" + b"}" * _DEEP, f"{_DEEP:,} nested objects"),
    # numbers
    HostileInput("huge integer", b"1" * _DIGITS, f"{_DIGITS:,} digits: over Python's int digit limit"),
    HostileInput("huge integer in an array", b"[" + b"9" * _DIGITS + b"]", "the same inside a container"),
    HostileInput("huge exponent", b"1e999999999", "a float that overflows: inf or an error"),
    HostileInput("huge negative exponent", b"[-1e-999999999]", "a float that underflows to -0.0"),
    HostileInput("exponent of a million digits", b"1e" + b"9" * 1_000_000, "exponent digits are not a number"),
    HostileInput("mantissa of a million digits", b"0." + b"1" * 1_000_000, "slow float conversion"),
    HostileInput("leading zero", b"01", "RFC 8259 forbids leading zeros"),
    HostileInput("plus sign", b"+1", "RFC 8259 forbids a leading +"),
    # NaN and infinities
    HostileInput("NaN", b"NaN", "not JSON; json.loads accepts it"),
    HostileInput("Infinity", b"[Infinity]", "not JSON; json.loads accepts it"),
    HostileInput("-Infinity", b"-Infinity", "not JSON; json.loads accepts it"),
    # invalid UTF-8
    HostileInput("overlong UTF-8", b'"\xc0\xaf"', "an overlong encoding of '/': a classic filter bypass"),
    HostileInput("truncated UTF-8", b'"\xe2\x82"', "a 3-byte sequence cut after 2 bytes"),
    HostileInput("UTF-8-encoded surrogate", b'"\xed\xa0\x80"', "U+D800 encoded as UTF-8 (CESU/WTF-8)"),
    HostileInput("above U+10FFFF", b'"\xf4\x90\x80\x80"', "a code point past the end of Unicode"),
    HostileInput("lone continuation byte", b'"\x80"', "a continuation byte with no lead byte"),
    HostileInput("Latin-1 text", b'"caf\xe9"', "not UTF-8 at all"),
    HostileInput("invalid UTF-8 in a key", b'{"\xff": 1}', "keys are strings too"),
    # surrogate escapes
    HostileInput("lone high surrogate escape", b'"\\ud800"', "valid escape syntax, not a character"),
    HostileInput("lone low surrogate escape", b'"\\udc00"', "valid escape syntax, not a character"),
    HostileInput("inverted surrogate pair", b'"\\udc00\\ud800"', "low before high"),
    # control characters and NUL
    HostileInput("raw control character", b'"a\x01b"', "U+0001 unescaped in a string"),
    HostileInput("raw newline in a string", b'"a\nb"', "must be escaped"),
    HostileInput("raw NUL in a string", b'"a\x00b"', "C string truncation"),
    HostileInput("escaped NUL", b'"a\\u0000b"', "valid JSON: the string holds U+0000"),
    HostileInput("NUL before the value", b"\x00[1]", "NUL is not whitespace"),
    HostileInput("NUL between values", b"[1,\x002]", "NUL is not whitespace"),
    HostileInput("NUL after the value", b"[1]\x00", "C-style terminator after the text"),
    # byte order marks and encodings
    HostileInput("UTF-8 BOM", b"\xef\xbb\xbf[1]", "RFC 8259: must not be added; may be ignored"),
    HostileInput("UTF-16LE BOM", b"\xff\xfe[\x001\x00]\x00", "UTF-16 text with its BOM"),
    HostileInput("UTF-16BE, no BOM", b"\x00[\x001\x00]", "UTF-16 text without a BOM"),
    HostileInput("BOM inside a string", b'"\xef\xbb\xbf"', "U+FEFF is an ordinary character there"),
    # whitespace
    HostileInput("empty input", b"", "no value at all"),
    HostileInput("whitespace only", b" \t\r\n", "no value at all"),
    HostileInput("form feed", b"\x0c[1]", "whitespace in JavaScript, not in JSON"),
    HostileInput("no-break space", b"\xc2\xa0[1]", "Unicode whitespace, not JSON whitespace"),
    # structure
    HostileInput("trailing garbage", b"[1] x", "data after the value"),
    HostileInput("two values", b"[1][2]", "a second value after the first"),
    HostileInput("trailing comma", b"[1,]", "JSON5, not JSON"),
    HostileInput("comment", b"[1 /* c */]", "JSON5, not JSON"),
    HostileInput("single quotes", b"['a']", "JSON5, not JSON"),
    HostileInput("duplicate keys", b'{"a": 1, "a": 2}', "which one wins"),
    HostileInput("very long key", b'{"' + b"k" * 1_000_000 + b'": 1}', "a 1 MB key"),
    HostileInput("truncated", b'{"a": [1, "b', "a cut-off stream"),
)


def by_name() -> dict[str, HostileInput]:
    """The catalog by name."""
    return {item.name: item for item in HOSTILE_INPUTS}


# --------------------------------------------------------------------------------------------------------------
# parsers

Parse = Callable[[bytes], Any]


def _midstream(data: bytes) -> Any:
    from midstream import Parser

    parser = Parser()
    parser.feed(data)
    return parser.finish()


def _json(data: bytes) -> Any:
    return json.loads(data)


def _jiter(data: bytes) -> Any:
    return importlib.import_module("jiter").from_json(data)


def _ijson(data: bytes) -> Any:
    items = list(importlib.import_module("ijson").items(io.BytesIO(data), ""))
    return items[0] if len(items) == 1 else items


#: The parsers compared, by column title (module-level functions, so a child process can run them).
PARSERS: dict[str, Parse] = {
    "midstream": _midstream,
    "json.loads": _json,
    "jiter.from_json": _jiter,
    "ijson.items": _ijson,
}
_NEEDS = {"jiter.from_json": "jiter", "ijson.items": "ijson"}


def available_parsers() -> dict[str, Parse]:
    """The entries of :data:`PARSERS` whose library is installed."""
    found = {}
    for title, parse in PARSERS.items():
        module = _NEEDS.get(title)
        if module is not None:
            try:
                importlib.import_module(module)
            except ImportError:
                continue
        found[title] = parse
    return found


# --------------------------------------------------------------------------------------------------------------
# running and classifying

OutcomeKind = Literal["value", "error", "recursion", "crash", "timeout"]


@dataclass(frozen=True)
class Outcome:
    """What a parser did with an input: ``kind``, a one-line ``detail`` and the ``seconds`` it took."""

    kind: OutcomeKind
    detail: str
    seconds: float

    def __str__(self) -> str:
        if self.kind == "value":
            return f"ok: {self.detail}"
        if self.kind == "error":
            return self.detail
        return f"{self.kind.upper()}: {self.detail}"


def describe(value: Any, limit: int = 40) -> str:
    """A short description of a parsed value that never recurses (values may be nested 100,000 deep) and never
    converts a huge ``int`` to text (which Python refuses past its digit limit)."""
    depth, count, stack = 0, 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        count += 1
        depth = max(depth, level)
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
            stack.extend((key, level + 1) for key in item)
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
        elif isinstance(item, str) and len(item) > limit:
            what = f"str of {len(item):,} chars"
            return what if item is value else f"{type(value).__name__} holding a {what}"
        elif isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > 100:
            digits = len(str(item)) if item.bit_length() < 10_000 else f"~{int(item.bit_length() * 0.30103):,}"
            return f"int of {digits} digits" if item is value else f"{type(value).__name__} holding a huge int"
    if depth > 10:
        return f"{type(value).__name__} nested {depth:,} deep"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error(error: BaseException, limit: int = 100) -> str:
    message = " ".join(str(error).split())
    message = "".join(char if char.isprintable() else repr(char)[1:-1] for char in message)
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _classify(parse: Parse, data: bytes) -> Outcome:
    start = time.perf_counter()
    kind: OutcomeKind
    try:
        value = parse(data)
    except RecursionError as error:
        kind, detail = "recursion", _error(error)
    except Exception as error:
        kind, detail = "error", _error(error)
    else:
        kind, detail = "value", describe(value)
    return Outcome(kind, detail, time.perf_counter() - start)


def _child(parse: Parse, data: bytes, conn: Any) -> None:
    conn.send(_classify(parse, data))
    conn.close()


def run(parse: Parse, data: bytes, *, timeout: float = 10.0, isolate: bool = True) -> Outcome:
    """Run ``parse(data)`` and classify the outcome.

    With ``isolate`` (the default) it runs in a forked child process, so a crash (a stack overflow in C or Rust, a
    segfault) is reported as ``crash`` rather than taking the caller down, and a run past ``timeout`` seconds is
    killed and reported as ``timeout``. ``isolate=False`` runs it here (no crash or timeout protection).
    """
    if not isolate or sys.platform == "win32":
        return _classify(parse, data)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(parse, data, sender), daemon=True)
    start = time.perf_counter()
    process.start()
    sender.close()
    try:
        if receiver.poll(timeout):
            try:
                outcome: Outcome = receiver.recv()
            except EOFError:  # the child died before it could answer
                process.join(timeout)
                return Outcome("crash", f"exit code {process.exitcode}", time.perf_counter() - start)
            process.join(timeout)
            return outcome
        if process.is_alive():
            process.kill()
            process.join()
            return Outcome("timeout", f"over {timeout:g} s", time.perf_counter() - start)
        process.join()
        return Outcome("crash", f"exit code {process.exitcode}", time.perf_counter() - start)
    finally:
        receiver.close()


def run_all(
    parsers: dict[str, Parse] | None = None,
    inputs: Sequence[HostileInput] = HOSTILE_INPUTS,
    *,
    timeout: float = 10.0,
) -> dict[tuple[str, str], Outcome]:
    """Every parser (default: :func:`available_parsers`) on every input, keyed by (input name, parser title)."""
    parsers = parsers if parsers is not None else available_parsers()
    return {
        (item.name, title): run(parse, item.data, timeout=timeout)
        for item in inputs
        for title, parse in parsers.items()
    }


def _preview(data: bytes, limit: int = 24) -> str:
    text = repr(data[:limit])[2:-1]
    if len(data) > limit:
        text += f"… ({len(data):,} bytes)"
    return text


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def markdown_table(results: dict[tuple[str, str], Outcome], inputs: Sequence[HostileInput] = HOSTILE_INPUTS) -> str:
    """The results as a Markdown table: one row per input, one column per parser."""
    titles = list(dict.fromkeys(title for _, title in results))
    lines = [
        "| input | what it probes | bytes | " + " | ".join(titles) + " |",
        "|---|---|---|" + "---|" * len(titles),
    ]
    for item in inputs:
        cells = [_cell(str(results[item.name, title])) for title in titles if (item.name, title) in results]
        lines.append(f"| {item.name} | {_cell(item.probes)} | `{_preview(item.data)}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m midstream.testing.hostile", description="Run JSON parsers on hostile inputs."
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per parser and input (default 10)")
    parser.add_argument("--parser", action="append", help="only this parser (repeatable): " + ", ".join(PARSERS))
    parser.add_argument("--input", action="append", help="only the input with this name (repeatable)")
    args = parser.parse_args(argv)
    parsers = available_parsers()
    if args.parser:
        parsers = {title: parsers[title] for title in args.parser if title in parsers}
    inputs = [item for item in HOSTILE_INPUTS if not args.input or item.name in args.input]
    results = run_all(parsers, inputs, timeout=args.timeout)
    if args.markdown:
        print(markdown_table(results, inputs))
    else:
        for item in inputs:
            print(f"{item.name}: {item.probes}")
            for title in parsers:
                outcome = results[item.name, title]
                print(f"    {title:16} {outcome}  [{outcome.seconds * 1000:.1f} ms]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
