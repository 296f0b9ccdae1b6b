"""``midstream.from_json``: jiter's signature, midstream's partial semantics."""

from __future__ import annotations

import json
import math
from typing import Any

import midstream
import pytest
from hypothesis import given, settings
from midstream.testing import check_prefixes, json_texts

jiter = pytest.importorskip("jiter")

MODES: list[Any] = [False, "off", True, "on", "trailing-strings"]


@settings(max_examples=300, deadline=None)
@given(json_texts())
def test_complete_documents_parse_as_json_loads_and_jiter_do(text: bytes) -> None:
    expected = json.loads(text)
    # A root number with nothing after it may still continue (see the next tests); a byte after it ends it.
    open_number = isinstance(expected, int | float) and not isinstance(expected, bool) and text == text.rstrip()
    for mode in MODES:
        if open_number and mode not in (False, "off"):
            with pytest.raises(midstream.IncompleteJSONError):
                midstream.from_json(text, partial_mode=mode)
            continue
        assert midstream.from_json(text, partial_mode=mode) == expected
    assert midstream.from_json(text.decode()) == expected == jiter.from_json(text)


@settings(max_examples=150, deadline=None)
@given(json_texts())
def test_partial_modes_keep_the_partial_value_contract(text: bytes) -> None:
    for mode in ("on", "trailing-strings"):
        shown = lambda prefix, mode=mode: midstream.from_json(prefix, partial_mode=mode)  # noqa: E731
        assert check_prefixes(shown, text, finish=midstream.from_json) is None


@pytest.mark.parametrize(
    ("text", "mode", "jiter_gives", "midstream_gives"),
    [
        (b"[1, 2", True, [1, 2], [1]),  # the 2 may still become 23
        (b'{"a": 1, "b": 2', "trailing-strings", {"a": 1, "b": 2}, {"a": 1}),
        (b"[1 2]", True, [1], ValueError),  # malformed: an error in every mode
        (b'{"a": 1}x', "trailing-strings", {"a": 1}, ValueError),
    ],
)
def test_the_documented_differences(text: bytes, mode: Any, jiter_gives: Any, midstream_gives: Any) -> None:
    assert jiter.from_json(text, partial_mode=mode) == jiter_gives
    if midstream_gives is ValueError:
        with pytest.raises(midstream.JSONError):
            midstream.from_json(text, partial_mode=mode)
    else:
        assert midstream.from_json(text, partial_mode=mode) == midstream_gives


@pytest.mark.parametrize(
    "text",
    [b'{"a": "abc', b'{"a": ["x", "ab', b'{"a": {"b": "c', b'{"a": "\\u00', b'"abc', b"[NaN", b'{"a":', b"[]"],
)
@pytest.mark.parametrize("mode", ["on", "trailing-strings"])
def test_strings_and_the_rest_agree_with_jiter(text: bytes, mode: Any) -> None:
    try:
        expected = jiter.from_json(text, partial_mode=mode)
    except ValueError:
        with pytest.raises(ValueError):
            midstream.from_json(text, partial_mode=mode)
        return
    got = midstream.from_json(text, partial_mode=mode)
    assert repr(got) == repr(expected)  # repr: NaN != NaN


@pytest.mark.parametrize("text", [b"", b"  ", b'{"a": 1', b'"abc'])
def test_incomplete_input_without_partial_mode_raises_incomplete(text: bytes) -> None:
    with pytest.raises(midstream.IncompleteJSONError):
        midstream.from_json(text)


@pytest.mark.parametrize("mode", [True, "on", "trailing-strings"])
def test_a_partial_mode_shows_no_root_number_that_may_continue(mode: Any) -> None:
    assert jiter.from_json(b"12", partial_mode=mode) == 12  # then 123 when the next byte comes
    with pytest.raises(midstream.IncompleteJSONError) as raised:
        midstream.from_json(b" \n12", partial_mode=mode)
    assert (raised.value.offset, raised.value.line, raised.value.column) == (4, 2, 3)
    assert midstream.from_json(b"12") == 12
    assert midstream.from_json(b"[12]", partial_mode=mode) == [12]


def test_options() -> None:
    assert math.isnan(midstream.from_json(b"NaN"))
    with pytest.raises(midstream.JSONError):
        midstream.from_json(b"NaN", allow_inf_nan=False)
    assert midstream.from_json(b'{"a": 1}', cache_mode="none") == {"a": 1}
    with pytest.raises(ValueError, match="float_mode"):
        midstream.from_json(b"1.5", float_mode="decimal")
    with pytest.raises(ValueError, match="catch_duplicate_keys"):
        midstream.from_json(b"{}", catch_duplicate_keys=True)
    with pytest.raises(ValueError, match="partial_mode"):
        midstream.from_json(b"{}", partial_mode="sometimes")  # type: ignore[arg-type]
