"""A pytest plugin (registered as ``midstream`` when midstream is installed): fixtures to hold a partial-JSON
parser to the partial-value contract in your own test suite. Needs ``hypothesis`` only when a fixture is used.

    def test_my_parser_keeps_its_promises(partial_contract):
        partial_contract(lambda prefix: my_library.parse_partial(prefix), max_examples=300)

``partial_contract`` fails the test with the shrunk counter-example (see ``midstream.testing.contract``);
``partial_contract_document`` checks every prefix of one given document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def partial_contract() -> Callable[..., None]:
    """``check(parse_prefix, *, max_examples=200, seed=0, documents=None, finish=None)``: fail on the first
    violation found (the arguments are ``find_violation``'s)."""
    from midstream.testing.contract import find_violation

    def check(
        parse_prefix: Callable[[bytes], Any], *, max_examples: int = 200, seed: int | None = 0, **kw: Any
    ) -> None:
        violation = find_violation(parse_prefix, max_examples=max_examples, seed=seed, **kw)
        if violation is not None:
            pytest.fail(f"partial-value contract broken: {violation}", pytrace=False)

    return check


@pytest.fixture
def partial_contract_document() -> Callable[..., None]:
    """``check(parse_prefix, document, *, finish=None)``: fail if any prefix of ``document`` breaks the contract."""
    from midstream.testing.contract import check_prefixes

    def check(parse_prefix: Callable[[bytes], Any], document: bytes, **kw: Any) -> None:
        violation = check_prefixes(parse_prefix, document, **kw)
        if violation is not None:
            pytest.fail(f"partial-value contract broken: {violation}", pytrace=False)

    return check
