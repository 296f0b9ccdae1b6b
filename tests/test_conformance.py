"""JSONTestSuite (``tests/data/JSONTestSuite/test_parsing``), fed whole, one byte at a time and in
seeded random chunks, as bytes and (when the file is UTF-8) as str.

- ``y_*``: accepted, with exactly the value ``json.loads`` gives.
- ``n_*``: rejected with ``JSONError`` at the same offset (and message, line, column) for every chunking; a
  malformed input raises from the ``feed`` of the chunk holding the offending byte, a truncated one raises
  ``IncompleteJSONError`` from ``finish()`` with the input length as offset.
- ``i_*``: implementation-defined; whatever midstream does must not depend on the chunking, and must be what
  ``I_BEHAVIOUR`` records, so that a change is noticed.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from typing import Any

import midstream
import pytest
from _support import SUITE, Outcome, assert_json_equal, chunkings, run

FILES = sorted(path.name for path in SUITE.iterdir() if path.suffix == ".json")
Y_FILES = [name for name in FILES if name.startswith("y_")]
N_FILES = [name for name in FILES if name.startswith("n_")]
I_FILES = [name for name in FILES if name.startswith("i_")]

ACCEPT = ("accept", None)


def reject(offset: int) -> tuple[str, int]:
    return ("reject", offset)


#: What midstream does with each implementation-defined file: ``("accept", None)`` (the value is then the
#: one ``json.loads`` gives, lone surrogates kept as it keeps them) or ``("reject", offset)`` with a
#: ``JSONError`` at that byte. Summary: huge and tiny numbers accepted like ``json.loads`` (inf, 0.0, exact
#: big ints); lone and inverted surrogate escapes accepted like ``json.loads``; 500 nested arrays accepted
#: (the limit is 512); invalid UTF-8, UTF-16 input and a UTF-8 byte order mark rejected.
I_BEHAVIOUR: dict[str, tuple[str, int | None]] = {
    "i_number_double_huge_neg_exp.json": ACCEPT,  # [123.456e-789] -> [0.0]
    "i_number_huge_exp.json": ACCEPT,  # -> [inf]
    "i_number_neg_int_huge_exp.json": ACCEPT,  # [-1e+9999] -> [-inf]
    "i_number_pos_double_huge_exp.json": ACCEPT,  # [1.5e+9999] -> [inf]
    "i_number_real_neg_overflow.json": ACCEPT,  # -> [-inf]
    "i_number_real_pos_overflow.json": ACCEPT,  # -> [inf]
    "i_number_real_underflow.json": ACCEPT,  # -> [0.0]
    "i_number_too_big_neg_int.json": ACCEPT,  # exact int
    "i_number_too_big_pos_int.json": ACCEPT,  # exact int
    "i_number_very_big_negative_int.json": ACCEPT,  # exact int
    "i_object_key_lone_2nd_surrogate.json": ACCEPT,  # {"\udfaa": 0}
    "i_string_1st_surrogate_but_2nd_missing.json": ACCEPT,
    "i_string_1st_valid_surrogate_2nd_invalid.json": ACCEPT,
    "i_string_UTF-16LE_with_BOM.json": reject(0),  # 0xFF
    "i_string_UTF-8_invalid_sequence.json": reject(7),
    "i_string_UTF8_surrogate_U+D800.json": reject(3),  # ED A0: an encoded surrogate
    "i_string_incomplete_surrogate_and_escape_valid.json": ACCEPT,
    "i_string_incomplete_surrogate_pair.json": ACCEPT,
    "i_string_incomplete_surrogates_escape_valid.json": ACCEPT,
    "i_string_invalid_lonely_surrogate.json": ACCEPT,
    "i_string_invalid_surrogate.json": ACCEPT,
    "i_string_invalid_utf-8.json": reject(2),  # 0xFF
    "i_string_inverted_surrogates_U+1D11E.json": ACCEPT,
    "i_string_iso_latin_1.json": reject(3),  # E9 then '"': the quote breaks the sequence
    "i_string_lone_second_surrogate.json": ACCEPT,
    "i_string_lone_utf8_continuation_byte.json": reject(2),
    "i_string_not_in_unicode_range.json": reject(3),  # F4 BF: above U+10FFFF
    "i_string_overlong_sequence_2_bytes.json": reject(2),  # C0
    "i_string_overlong_sequence_6_bytes.json": reject(2),  # FC
    "i_string_overlong_sequence_6_bytes_null.json": reject(2),  # FC
    "i_string_truncated-utf-8.json": reject(3),  # E0 FF
    "i_string_utf16BE_no_BOM.json": reject(0),  # 0x00
    "i_string_utf16LE_no_BOM.json": reject(1),  # '[' then 0x00
    "i_structure_500_nested_arrays.json": ACCEPT,
    "i_structure_UTF-8_BOM_empty_object.json": reject(0),  # a byte order mark is not JSON
}


def read(name: str) -> bytes:
    return (SUITE / name).read_bytes()


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode())


def all_outcomes(data: bytes, seed: int) -> dict[str, Outcome]:
    """The outcome of every chunking, as bytes and (if the file is UTF-8) as str."""
    inputs: dict[str, Any] = {"bytes": data}
    with contextlib.suppress(UnicodeDecodeError):
        inputs["str"] = data.decode("utf-8")
    outcomes = {}
    for kind, document in inputs.items():
        for way, chunks in chunkings(document, seed).items():
            outcomes[f"{kind}/{way}"] = run(chunks)
    return outcomes


def assert_chunk_invariant(outcomes: dict[str, Outcome]) -> Outcome:
    reference = outcomes["bytes/whole"]
    for name, outcome in outcomes.items():
        assert outcome.signature() == reference.signature(), f"{name}: {outcome} != whole: {reference}"
        if outcome.accepted:
            assert_json_equal(outcome.value, reference.value, name)
    return reference


def assert_rejected_where_it_breaks(data: bytes, outcomes: dict[str, Outcome]) -> None:
    """Truncated: IncompleteJSONError from finish() at the input length. Malformed: JSONError from the feed of
    the chunk holding the offending byte; everything before that byte is still a valid prefix."""
    for name, outcome in outcomes.items():
        assert not outcome.accepted, f"{name}: accepted {outcome.value!r}"
        assert outcome.offset is not None
        if outcome.error == "IncompleteJSONError":
            assert outcome.raised_by == "finish", name
            assert outcome.offset == len(data), name
        else:
            assert outcome.error == "JSONError", name
            assert outcome.raised_by == "feed", name
            assert outcome.chunk_span is not None
            start, end = outcome.chunk_span
            assert start <= outcome.offset < end, f"{name}: error at {outcome.offset} raised by chunk {start}:{end}"
    offset = outcomes["bytes/whole"].offset
    assert offset is not None
    prefix = midstream.Parser()
    prefix.feed(data[:offset])  # still the prefix of some JSON text
    if outcomes["bytes/whole"].error == "JSONError":
        with pytest.raises(midstream.JSONError) as caught:
            prefix.feed(data[offset : offset + 1])
        assert caught.value.offset == offset


def test_suite_is_there() -> None:
    assert len(Y_FILES) >= 90
    assert len(N_FILES) >= 180
    assert len(I_FILES) >= 30
    assert len(Y_FILES) + len(N_FILES) + len(I_FILES) == len(FILES)


@pytest.mark.parametrize("name", Y_FILES)
def test_accepted(name: str) -> None:
    data = read(name)
    expected = json.loads(data.decode("utf-8"))
    outcomes = all_outcomes(data, seed_of(name))
    assert "str/whole" in outcomes
    for way, outcome in outcomes.items():
        assert outcome.accepted, f"{way}: {outcome}"
        assert_json_equal(outcome.value, expected, way)


@pytest.mark.parametrize("name", N_FILES)
def test_rejected(name: str) -> None:
    data = read(name)
    outcomes = all_outcomes(data, seed_of(name))
    assert_chunk_invariant(outcomes)
    assert_rejected_where_it_breaks(data, outcomes)


def test_behaviour_table_covers_every_i_file() -> None:
    assert sorted(I_BEHAVIOUR) == I_FILES


@pytest.mark.parametrize("name", I_FILES)
def test_implementation_defined(name: str) -> None:
    data = read(name)
    outcomes = all_outcomes(data, seed_of(name))
    outcome = assert_chunk_invariant(outcomes)
    expected = I_BEHAVIOUR.get(name)
    if outcome.accepted:
        assert expected == ACCEPT, f"accepted {outcome.value!r}, table says {expected}"
        assert_json_equal(outcome.value, json.loads(data.decode("utf-8")))
    else:
        assert expected == reject(outcome.offset or 0), f"rejected: {outcome}, table says {expected}"
        assert_rejected_where_it_breaks(data, outcomes)
