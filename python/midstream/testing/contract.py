"""Check any partial-JSON parser against the partial-value contract (needs ``hypothesis``).

A partial parser is a function from a byte prefix of a JSON document to the value it shows for it. The contract
(what a UI or an agent can rely on while a document streams in):

* a shown number, boolean or null never changes afterwards;
* a shown key never vanishes, a shown list never shrinks, a shown value never changes type;
* a shown string only grows by appending: it is a prefix of every later string at its place;
* nothing is shown that is not in the final value, and the complete document gives what ``json.loads`` gives.

``check_prefixes`` checks one document; ``find_violation`` searches generated documents for the first one a parser
gets wrong and shrinks it to a small example::

    >>> import jiter, midstream
    >>> def midstream_prefix(data: bytes, *, finish: bool = False):
    ...     parser = midstream.Parser()
    ...     parser.feed(data)
    ...     return parser.finish() if finish else parser.value
    >>> print(find_violation(midstream_prefix, finish=lambda data: midstream_prefix(data, finish=True), seed=0))
    None
    >>> violation = find_violation(lambda data: jiter.from_json(data, partial_mode="trailing-strings"), seed=0)
    >>> violation.kind in ("changed", "vanished")  # e.g. "after the prefix b'1' of b'10', it showed 1 at the
    ...                                            # root, which became 10 in the final value"
    True

A prefix on which the parser raises is skipped (a caller keeps the value it had); raising on the complete document
is a violation.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from midstream.testing.strategies import json_texts

PartialParser = Callable[[bytes], Any]
ViolationKind = Literal["changed", "vanished", "not a prefix", "not in final", "final differs", "raised"]
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Violation:
    """The first broken promise: after ``prefix`` the parser showed ``shown`` at ``path``; later it showed
    ``later`` (after ``later_prefix``), or the final value has it."""

    kind: ViolationKind
    document: bytes
    prefix: bytes
    path: Path
    shown: Any
    later: Any
    later_prefix: bytes | None = None

    def __str__(self) -> str:
        where = "".join(f"[{step!r}]" for step in self.path) or "the root"
        if self.kind == "final differs":
            return f"on the complete document {self.document!r} it gave {self.shown!r}, json.loads gives {self.later!r}"
        if self.kind == "raised":
            return f"on the complete document {self.document!r} it raised {self.shown}"
        then = f"after {self.later_prefix!r}" if self.later_prefix is not None else "in the final value"
        what = {
            "changed": f"it showed {self.shown!r} at {where}, which became {self.later!r} {then}",
            "vanished": f"it showed {where} = {self.shown!r}, which was gone {then}",
            "not a prefix": f"it showed the string {self.shown!r} at {where}, not a prefix of {self.later!r} {then}",
            "not in final": f"it showed {where} = {self.shown!r}, which the final value does not have",
        }[self.kind]
        return f"after the prefix {self.prefix!r} of {self.document!r}, {what}"


_ABSENT = object()


def _same_scalar(a: Any, b: Any) -> bool:
    """Equal JSON scalars: ``True`` is not ``1``; ``1`` and ``1.0`` are the same number; ``-0.0`` is not ``0.0``."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if isinstance(a, float) and isinstance(b, float):
            return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (math.isnan(a) and math.isnan(b))
        return a == b
    return type(a) is type(b) and bool(a == b)


def refines(earlier: Any, later: Any, path: Path = ()) -> tuple[ViolationKind, Path, Any, Any] | None:
    """How ``earlier`` fails to be a partial of ``later`` (``None``: it is one). Strings compare as prefixes.

    Iterative, so deep documents do not depend on Python's recursion limit.
    """
    stack: list[tuple[Any, Any, Path]] = [(earlier, later, path)]
    while stack:
        shown, then, where = stack.pop()
        if isinstance(shown, dict):
            if not isinstance(then, dict):
                return "changed", where, shown, then
            for key, value in shown.items():
                if key not in then:
                    return "vanished", (*where, key), value, _ABSENT
                stack.append((value, then[key], (*where, key)))
        elif isinstance(shown, list):
            if not isinstance(then, list):
                return "changed", where, shown, then
            if len(then) < len(shown):
                return "vanished", (*where, len(then)), shown[len(then)], _ABSENT
            stack.extend((item, then[i], (*where, i)) for i, item in enumerate(shown))
        elif isinstance(shown, str):
            if not isinstance(then, str):
                return "changed", where, shown, then
            if not then.startswith(shown):
                return "not a prefix", where, shown, then
        elif not _same_scalar(shown, then):
            return "changed", where, shown, then
    return None


def check_prefixes(
    parse_prefix: PartialParser, document: bytes, *, finish: PartialParser | None = None
) -> Violation | None:
    """Run ``parse_prefix`` on every proper prefix of ``document`` (byte by byte), and ``finish`` (default:
    ``parse_prefix`` again) on all of it; the first broken promise, or ``None``. A root value of ``None`` before the
    document is complete means "nothing yet".

    ``finish`` is for parsers that learn the end of the input separately: a root number such as ``12`` may still
    become ``123`` until then, so midstream shows it only after ``Parser.finish()``.
    """
    final = json.loads(document)
    try:
        whole = (finish or parse_prefix)(document)
    except Exception as error:
        return Violation("raised", document, document, (), f"{type(error).__name__}: {error}", final)
    if refines(whole, final) is not None or refines(final, whole) is not None:
        return Violation("final differs", document, document, (), whole, final)
    previous: tuple[bytes, Any] | None = None
    for end in range(len(document)):
        prefix = document[:end]
        try:
            shown = parse_prefix(prefix)
        except Exception:
            continue  # nothing to show for this prefix; a caller keeps what it had
        if shown is None:
            continue
        if previous is not None:
            broken = refines(previous[1], shown)
            if broken is not None:
                kind, path, value, later = broken
                later = None if later is _ABSENT else later
                return Violation(kind, document, previous[0], path, value, later, later_prefix=prefix)
        broken = refines(shown, final)
        if broken is not None:
            kind, path, value, later = broken
            if kind == "vanished":
                kind = "not in final"
            return Violation(kind, document, prefix, path, value, None if later is _ABSENT else later)
        previous = (prefix, shown)
    return None


def find_violation(
    parse_prefix: PartialParser,
    *,
    max_examples: int = 500,
    seed: int | None = None,
    documents: st.SearchStrategy[bytes] | None = None,
    finish: PartialParser | None = None,
) -> Violation | None:
    """Search generated documents (default ``json_texts()``) for one on which ``parse_prefix`` breaks the
    contract; return the violation on the smallest such document hypothesis can shrink to, or ``None``.

    ``seed`` makes the search repeatable; ``finish`` is as for ``check_prefixes``. Nothing is written to a
    hypothesis example database.
    """
    config = settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    try:
        document = find(
            documents if documents is not None else json_texts(),
            lambda data: check_prefixes(parse_prefix, data, finish=finish) is not None,
            settings=config,
            random=random.Random(seed) if seed is not None else None,
        )
    except NoSuchExample:
        return None
    return check_prefixes(parse_prefix, document, finish=finish)
