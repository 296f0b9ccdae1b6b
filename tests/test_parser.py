"""Focused tests of ``midstream.Parser``: partial values, paths, completeness, numbers, strings, errors,
limits, feed types, events and concurrency."""

from __future__ import annotations

import gc
import json
import pickle
import sys
import threading
from collections import Counter
from typing import Any

import midstream
import pytest
from _support import assert_json_equal, json_equal, one_by_one, parse_whole, run_interleaved
from hypothesis import given, settings
from hypothesis import strategies as st
from midstream import Event, IncompleteJSONError, JSONError, Parser


def fed(*chunks: bytes | str, **options: Any) -> Parser:
    parser = Parser(**options)
    for chunk in chunks:
        parser.feed(chunk)
    return parser


def error_of(data: bytes | str, *, chunks: str = "whole", **options: Any) -> JSONError:
    """The error feeding ``data`` (whole or one byte at a time) and finishing raises."""
    parser = Parser(**options)
    with pytest.raises(JSONError) as caught:
        for chunk in [data] if chunks == "whole" else one_by_one(data):
            parser.feed(chunk)
        parser.finish()
    return caught.value


# --- the public names ---------------------------------------------------------------------------------------


def test_public_names() -> None:
    for name in ("Parser", "Event", "JSONError", "IncompleteJSONError", "DEFAULT_MAX_DEPTH"):
        assert name in midstream.__all__
        assert hasattr(midstream, name)
    assert midstream.DEFAULT_MAX_DEPTH == 512
    assert issubclass(JSONError, ValueError)
    assert issubclass(IncompleteJSONError, JSONError)


# --- partial values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", " ", " \n\t\r ", b"", b"  \n"])
def test_value_is_none_before_the_root_begins(prefix: bytes | str) -> None:
    parser = fed(prefix)
    assert parser.value is None
    assert parser.snapshot() is None
    assert parser.path == ()
    assert parser.is_complete() is False
    assert parser.done is False
    with pytest.raises(IncompleteJSONError) as caught:
        parser.finish()
    assert caught.value.offset == len(prefix)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("{", {}),
        ('{"a', {}),
        ('{"a"', {}),
        ('{"a" ', {}),
        ('{"a":', {}),
        ('{"a": ', {}),
        ('{"a": "', {"a": ""}),
        ('{"a": "x', {"a": "x"}),
        ('{"a": [', {"a": []}),
        ('{"a": {', {"a": {}}),
        ('{"a": 1', {}),
        ('{"a": t', {}),
        ('{"a": n', {}),
        ('{"a": 1,', {"a": 1}),
        ('{"a": 1, "b":', {"a": 1}),
        ('{"a": 1, "b": "', {"a": 1, "b": ""}),
    ],
)
def test_a_key_appears_only_once_its_value_begins(prefix: str, expected: Any) -> None:
    assert_json_equal(fed(prefix).value, expected)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("[1", []),
        ("[12", []),
        ("[12,", [12]),
        ("[12 ", [12]),
        ("[12]", [12]),
        ("[-", []),
        ("[-0", []),
        ("[-0,", [0]),
        ("[1.", []),
        ("[1.5", []),
        ("[1.5\n", [1.5]),
        ("[1e", []),
        ("[1e5", []),
        ("[1e5]", [100000.0]),
        ("[1, 2", [1]),
        ('{"n": 12', {}),
        ('{"n": 12}', {"n": 12}),
    ],
)
def test_numbers_appear_only_when_the_byte_after_them_arrives(prefix: str, expected: Any) -> None:
    assert_json_equal(fed(prefix).value, expected)


def test_a_number_is_not_final_until_the_byte_after_it() -> None:
    parser = fed("[12")
    assert parser.value == []
    assert parser.is_complete((0,)) is False
    parser.feed("3")
    assert parser.value == []
    parser.feed("]")
    assert parser.value == [123]
    assert parser.is_complete((0,)) is True


def test_a_root_number_is_completed_only_by_finish() -> None:
    parser = fed("12")
    assert parser.value is None
    assert parser.is_complete() is False
    assert parser.done is False
    parser.feed("3")
    assert parser.value is None
    assert parser.finish() == 123
    assert parser.value == 123
    assert parser.is_complete() is True
    assert parser.done is True


def test_a_root_number_followed_by_whitespace_is_complete() -> None:
    parser = fed("-12.5e1 ")
    assert parser.value == -125.0
    assert parser.done is True
    assert parser.is_complete() is True
    assert parser.finish() == -125.0


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("[t", []),
        ("[tr", []),
        ("[tru", []),
        ("[true", [True]),
        ("[fals", []),
        ("[false", [False]),
        ("[nul", []),
        ("[null", [None]),
        ('{"x": nu', {}),
        ('{"x": null', {"x": None}),
    ],
)
def test_literals_appear_only_when_complete(prefix: str, expected: Any) -> None:
    assert_json_equal(fed(prefix).value, expected)


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False), ("null", None)])
def test_root_literals(text: str, value: Any) -> None:
    parser = fed(text[:-1])
    assert parser.value is None
    assert parser.done is False
    parser.feed(text[-1])
    assert parser.done is True
    assert parser.value is value
    assert parser.finish() is value


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ('"', ""),
        ('"ab', "ab"),
        ('"a\\', "a"),
        ('"a\\n', "a\n"),
        ('"a\\u', "a"),
        ('"a\\u00e', "a"),
        ('"a\\u00e9', "aé"),
        ('"a\\ud83d', "a"),
        ('"a\\ud83d\\', "a"),
        ('"a\\ud83d\\u', "a"),
        ('"a\\ud83d\\ude8', "a"),
        ('"a\\ud83d\\ude80', "a\U0001f680"),
        (b'"a\xc3', "a"),
        (b'"a\xc3\xa9', "aé"),
        (b'"a\xf0\x9f\x9a', "a"),
        (b'"a\xf0\x9f\x9a\x80', "a\U0001f680"),
    ],
)
def test_an_open_string_holds_only_whole_characters(prefix: bytes | str, expected: str) -> None:
    for chunks in ([prefix], list(one_by_one(prefix))):
        parser = fed(*chunks)
        assert parser.value == expected
        assert parser.is_complete() is False


# --- path -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "path"),
    [
        ("", ()),
        ("[", ()),
        ("[ ", ()),
        ("[1", (0,)),
        ("[1 ", ()),
        ("[1,", (1,)),
        ("[1, 2", (1,)),
        ('["x', (0,)),
        ('["x"', ()),
        ("[[", (0,)),
        ("[[1]", ()),
        ("[[1],", (1,)),
        ("[tr", (0,)),
        ("{", ()),
        ('{"a', ()),
        ('{"a"', ("a",)),
        ('{"a":', ("a",)),
        ('{"a": 1', ("a",)),
        ('{"a": 1 ', ()),
        ('{"a": 1,', ()),
        ('{"a": 1, "b', ()),
        ('{"a": 1, "b"', ("b",)),
        ('{"a": [1, {"b": "x', ("a", 1, "b")),
        ('{"a": [1, {"b": "x"}', ("a",)),
        ('{"a": [1, {"b": "x"}]}', ()),
        ('"ab', ()),
        ("12", ()),
    ],
)
def test_path(prefix: str, path: tuple[str | int, ...]) -> None:
    assert fed(prefix).path == path


# --- is_complete ------------------------------------------------------------------------------------------


def test_is_complete() -> None:
    parser = fed('{"a": {"b": 1}, "c": [1, {"d": "x')
    assert parser.is_complete() is False
    assert parser.is_complete(()) is False
    assert parser.is_complete(("a",)) is True
    assert parser.is_complete(["a"]) is True  # any sequence
    assert parser.is_complete(("a", "b")) is True
    assert parser.is_complete(("c",)) is False
    assert parser.is_complete(("c", 0)) is True
    assert parser.is_complete(("c", 1)) is False
    assert parser.is_complete(("c", 1, "d")) is False
    parser.feed('"}]}')
    for path in [(), ("a",), ("a", "b"), ("c",), ("c", 0), ("c", 1), ("c", 1, "d")]:
        assert parser.is_complete(path) is True, path


@pytest.mark.parametrize(
    "path",
    [
        ("missing",),
        ("a", "b", "c"),  # below a number
        ("a", 0),  # index into an object
        ("c", "x"),  # key into a list
        ("c", 5),  # past the end
        ("c", True),  # a bool is not an index
        ("c", 2),  # not begun yet
    ],
)
def test_is_complete_is_false_for_missing_paths(path: tuple[Any, ...]) -> None:
    parser = fed('{"a": {"b": 1}, "c": [1, 2, ')
    assert parser.is_complete(path) is False


@pytest.mark.parametrize("path", [("a", 1.5), (None,), (b"a",), ((0,),)])
def test_is_complete_rejects_other_path_elements(path: tuple[Any, ...]) -> None:
    with pytest.raises(TypeError):
        fed('{"a": [1]}').is_complete(path)


def test_is_complete_rejects_a_str_path() -> None:
    with pytest.raises(TypeError, match="not a str"):
        fed('{"a": 1}').is_complete("a")


def test_is_complete_before_the_root() -> None:
    parser = Parser()
    assert parser.is_complete() is False
    assert parser.is_complete(("a",)) is False
    assert parser.is_complete((0,)) is False


# --- snapshot and the live value ----------------------------------------------------------------------------


def test_snapshot_is_independent_of_later_feeds() -> None:
    parser = fed('{"done": {"b": [1, 2]}, "open": [1, {"s": "ab')
    snapshot = parser.snapshot()
    assert snapshot == {"done": {"b": [1, 2]}, "open": [1, {"s": "ab"}]}
    assert snapshot is not parser.value
    assert snapshot["open"] is not parser.value["open"]
    assert snapshot["open"][1] is not parser.value["open"][1]
    # Finished values are shared, not copied.
    assert snapshot["done"] is parser.value["done"]
    parser.feed('cd"}, 3], "more": true}')
    assert snapshot == {"done": {"b": [1, 2]}, "open": [1, {"s": "ab"}]}
    assert parser.value == {"done": {"b": [1, 2]}, "open": [1, {"s": "abcd"}, 3], "more": True}
    final = parser.snapshot()
    assert final is parser.value  # nothing is open any more


def test_snapshot_of_a_root_string() -> None:
    parser = fed('"ab')
    snapshot = parser.snapshot()
    parser.feed('c"')
    assert snapshot == "ab"
    assert parser.snapshot() == "abc"


def test_value_is_live() -> None:
    parser = fed("[")
    live = parser.value
    for chunk in ['{"a": [', "1, 2", "]}, ", '"x', 'y"', ", 3]"]:
        parser.feed(chunk)
        assert parser.value is live
    assert live == [{"a": [1, 2]}, "xy", 3]
    inner = live[0]
    assert parser.finish() is live
    assert parser.value[0] is inner


def test_finished_values_are_the_same_objects_later() -> None:
    parser = fed('[{"a": [1]}, ')
    first = parser.value[0]
    parser.feed('"more", [2], {"b": ')
    assert parser.value[0] is first
    assert parser.snapshot()[0] is first


# --- numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-0",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "123456789012345678901234567890123456789012345678901234567890",
        "-" + "9" * 4000,
    ],
)
def test_big_ints_are_exact(text: str) -> None:
    for chunks in ([text], list(one_by_one(text)), [f"[{text}", "]"]):
        parser = fed(*chunks)
        value = parser.finish()
        if isinstance(value, list):
            value = value[0]
        assert type(value) is int
        assert value == int(text)


def test_ints_over_the_digit_limit_are_json_errors() -> None:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        text = "[0, " + "7" * 1001 + "]"
        for chunks in ("whole", "one-by-one"):
            error = error_of(text, chunks=chunks)
            assert type(error) is JSONError
            assert error.offset == 4  # where the number began
            assert isinstance(error.__cause__, ValueError)
            assert "limit" in str(error.__cause__)
        # At the root the number ends at finish().
        parser = fed("7" * 1001)
        with pytest.raises(JSONError) as caught:
            parser.finish()
        assert type(caught.value) is JSONError
        assert caught.value.offset == 0
        assert isinstance(caught.value.__cause__, ValueError)
        # Within the limit is fine.
        assert parse_whole("[" + "7" * 1000 + "]") == [int("7" * 1000)]
    finally:
        sys.set_int_max_str_digits(old)


TRICKY_NUMBERS = [
    "0.1",
    "0.30000000000000004",
    "2.2250738585072011e-308",
    "2.2250738585072012e-308",
    "2.225073858507201136057409796709131975934819546351645648e-308",
    "4.9e-324",
    "5e-324",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "9007199254740993.0",
    "9007199254740993e0",
    "1e23",
    "8.98846567431158e307",
    "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203124",
    "1.00000000000000011102230246251565404236316680908203126",
    "0." + "0" * 400 + "1e400",
    "1" + "0" * 400 + ".0e-400",
    "3." + "14159265358979323846" * 40,
    "123456789012345678901234567890e-10",
    "-0.0",
    "-0e0",
    "0e-0",
    "0E+00",
    "1E+2",
    "1e-07",
    "7.0e-10",
    "1e400",
    "-1E400",
    "1e-400",
    "-1e-400",
    "1e+9999999999999999999",
]


@pytest.mark.parametrize("text", TRICKY_NUMBERS)
def test_floats_are_exactly_what_json_loads_gives(text: str) -> None:
    want = json.loads(text)
    assert_json_equal(parse_whole(text), want)
    assert_json_equal(fed(*one_by_one(f"[{text}]")).finish(), [want])
    assert_json_equal(fed(*one_by_one(text.encode())).finish(), want)


json_numbers = st.builds(
    lambda sign, whole, fraction, exponent: sign + whole + fraction + exponent,
    st.sampled_from(["", "-"]),
    st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,40}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,30}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"[eE][+-]?[0-9]{1,4}", fullmatch=True)),
)


@given(text=json_numbers, cut=st.integers(0, 80))
def test_any_number_is_what_json_loads_gives(text: str, cut: int) -> None:
    want = json.loads(text)
    document = f'{{"n": {text}}}'
    assert_json_equal(fed(document[:cut], document[cut:]).finish(), {"n": want})
    assert_json_equal(fed(text[:cut], text[cut:]).finish(), want)


# --- strings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        r'"\ud800"',
        r'"\udc00"',
        r'"\udc00\ud800"',
        r'"\ud800x"',
        r'"\ud800\n"',
        r'"\ud800\""',
        r'"\ud800\u0041"',
        r'"\ud800\ud800\udc00"',
        r'"a\ud83d"',
        r'["\ud800", "\udfff"]',
        r'{"\ud800": "\udc00", "k\udbff": 1}',
    ],
)
def test_lone_surrogates_are_kept_as_json_loads_keeps_them(text: str) -> None:
    want = json.loads(text)
    for chunks in ([text], list(one_by_one(text)), [text.encode()], list(one_by_one(text.encode()))):
        assert_json_equal(fed(*chunks).finish(), want)


def test_a_high_surrogate_escape_waits_for_its_partner() -> None:
    parser = fed(r'"a\ud800')
    assert parser.value == "a"
    parser.feed("x")
    assert parser.value == "a\ud800x"
    parser = fed(r'["a\ud800', "\\")
    assert parser.value == ["a"]
    parser.feed("n")
    assert parser.value == ["a\ud800\n"]


def test_a_str_chunk_with_a_lone_surrogate_character_is_rejected() -> None:
    # Not encodable as UTF-8: it reaches the parser as ED A0 80, and A0 (byte 2) breaks the sequence.
    error = error_of('"\ud800"')
    assert type(error) is JSONError
    assert error.offset == 2


def test_str_chunk_offsets_are_utf8_byte_offsets() -> None:
    parser = fed('["é', "\U0001f680", '", ')
    assert parser.offset == len('["é\U0001f680", '.encode())
    with pytest.raises(JSONError) as caught:
        parser.feed("x]")
    assert caught.value.offset == 11
    assert error_of('["é\U0001f680", x]').offset == 11
    assert error_of('["é\U0001f680", x]', chunks="one-by-one").offset == 11


def test_duplicate_keys_last_wins() -> None:
    text = '{"a": 1, "b": 2, "a": "x"}'
    assert_json_equal(parse_whole(text), json.loads(text))
    assert list(parse_whole(text)) == ["a", "b"]
    # While the second "a" is being written it replaces the first (and is not complete).
    parser = fed('{"a": 1, "b": 2, "a": "x')
    assert parser.value == {"a": "x", "b": 2}
    assert parser.is_complete(("a",)) is False


# --- allow_nan --------------------------------------------------------------------------------------------


def test_nan_and_infinity_are_rejected_by_default() -> None:
    for text, offset in [("[NaN]", 1), ("[Infinity]", 1), ("[-Infinity]", 2), ("NaN", 0)]:
        error = error_of(text)
        assert type(error) is JSONError
        assert error.offset == offset


def test_allow_nan() -> None:
    value = parse_whole("[NaN, Infinity, -Infinity]", allow_nan=True)
    assert_json_equal(value, json.loads("[NaN, Infinity, -Infinity]"))
    assert_json_equal(parse_whole("-Infinity", allow_nan=True), float("-inf"))
    assert_json_equal(fed(*one_by_one("[NaN,-Infinity]"), allow_nan=True).finish(), [float("nan"), float("-inf")])
    assert fed("[-Inf", allow_nan=True).value == []
    assert fed("[Infinit", allow_nan=True).value == []
    for text, offset in [("[Infinityx]", 9), ("[-NaN]", 2), ("[nan]", 2), ("[Inf]", 4)]:
        assert error_of(text, allow_nan=True).offset == offset


# --- errors -----------------------------------------------------------------------------------------------


def test_errors_are_sticky_and_keep_the_value() -> None:
    parser = fed('[1, "ab", {"c": tru')
    with pytest.raises(JSONError) as first:
        parser.feed('x, "more"]')
    assert first.value.offset == 19
    assert parser.value == [1, "ab", {}]
    for action in (lambda: parser.feed("]"), lambda: parser.feed(""), parser.finish):
        with pytest.raises(JSONError) as again:
            action()
        assert type(again.value) is JSONError
        assert (again.value.offset, again.value.msg, again.value.line, again.value.column) == (
            first.value.offset,
            first.value.msg,
            first.value.line,
            first.value.column,
        )
    assert parser.value == [1, "ab", {}]
    assert parser.done is False


def test_a_sticky_digit_limit_error_keeps_its_cause() -> None:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        parser = Parser()
        with pytest.raises(JSONError):
            parser.feed("[" + "7" * 1001 + ",")
        with pytest.raises(JSONError) as again:
            parser.feed("1]")
        assert isinstance(again.value.__cause__, ValueError)
    finally:
        sys.set_int_max_str_digits(old)


@pytest.mark.parametrize("text", ["12x", "[12x", '{"n": 1.5e3a'])
def test_a_number_is_not_finished_by_a_byte_that_cannot_follow_it(text: str) -> None:
    # DESIGN.md: "A number is finished only by the byte after it (a delimiter or whitespace) or by finish()".
    parser = Parser(events=True)
    with pytest.raises(JSONError) as caught:
        parser.feed(text)
    assert caught.value.offset == len(text) - 1
    assert not [event for event in parser.drain_events() if event.kind == "end"]
    assert parser.done is False


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b'["abc\x00', ["abc"]),
        (b'["ab\xff', ["ab"]),
        (b'{"k": "v\xc3(', {"k": "v"}),
        (b'[1, "ab", tru ', [1, "ab"]),
    ],
)
def test_an_error_keeps_everything_parsed_before_it_in_the_same_chunk(data: bytes, value: Any) -> None:
    parser = Parser()
    with pytest.raises(JSONError):
        parser.feed(data)
    assert parser.value == value


def test_a_failed_finish_is_sticky_too() -> None:
    parser = fed("[1,")
    with pytest.raises(IncompleteJSONError) as first:
        parser.finish()
    assert first.value.offset == 3
    with pytest.raises(IncompleteJSONError) as again:
        parser.feed("2]")
    assert again.value.offset == 3
    assert parser.value == [1]


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("[1,", 3),
        ("[1", 2),
        ('{"a"', 4),
        ('{"a":', 5),
        ('"ab', 3),
        ('"a\\', 3),
        ("[tr", 3),
        ("-", 1),
        ("1.", 2),
        ("1e+", 3),
    ],
)
def test_truncated_input_is_incomplete(text: str, offset: int) -> None:
    for chunks in ("whole", "one-by-one"):
        error = error_of(text, chunks=chunks)
        assert type(error) is IncompleteJSONError
        assert error.offset == offset == len(text)
        assert "unexpected end of input" in error.msg


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("[1,]", 3),
        ("[1 2]", 3),
        ('{"a" 1}', 5),
        ('{"a": 1,}', 8),
        ("[01]", 2),
        ("[1.]", 3),
        ("[tx]", 2),
        ("{'a': 1}", 1),
        ('["a\\x"]', 4),
    ],
)
def test_malformed_input_is_not_incomplete(text: str, offset: int) -> None:
    for chunks in ("whole", "one-by-one"):
        error = error_of(text, chunks=chunks)
        assert type(error) is JSONError
        assert error.offset == offset


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("{} {}", 3),
        ("1 2", 2),
        ('"a""b"', 3),
        ("nullx", 4),
        ("truefalse", 4),
        ("1x", 1),
        ("[]]", 2),
        ("0 ,", 2),
    ],
)
def test_trailing_data_after_the_root_is_rejected(text: str, offset: int) -> None:
    for chunks in ("whole", "one-by-one"):
        error = error_of(text, chunks=chunks)
        assert type(error) is JSONError
        assert error.offset == offset


def test_trailing_whitespace_after_the_root_is_fine() -> None:
    assert parse_whole("[] \n\t\r ") == []


def test_line_and_column() -> None:
    error = error_of("[\n  1,\n  x]")
    assert (error.offset, error.line, error.column) == (9, 3, 3)
    assert "line 3 column 3 (byte 9)" in str(error)
    error = error_of("[\n  1,\n")
    assert type(error) is IncompleteJSONError
    assert (error.offset, error.line, error.column) == (7, 3, 1)


def test_error_messages_say_what_was_expected() -> None:
    assert "expected ',' or ']'" in error_of("[1 2]").msg
    assert "depth limit" in error_of("[[1]]", max_depth=1).msg


@pytest.mark.parametrize(
    "error",
    [
        JSONError("expected a JSON value, found 'x'", 4, 2, 1),
        IncompleteJSONError("unexpected end of input", 9, 1, 10),
    ],
)
def test_json_errors_pickle(error: JSONError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.msg, copy.offset, copy.line, copy.column) == (
        error.msg,
        error.offset,
        error.line,
        error.column,
    )
    assert str(copy) == str(error)
    assert copy.args == error.args


def test_raised_json_errors_pickle() -> None:
    for text in ("[1, x]", "[1, "):
        error = error_of(text)
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert (copy.msg, copy.offset, copy.line, copy.column) == (
            error.msg,
            error.offset,
            error.line,
            error.column,
        )
        assert str(copy) == str(error)


# --- invalid bytes in strings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b'"\xff"', 1),
        (b'"\x80"', 1),
        (b'"a\xc3("', 3),  # the '(' breaks the sequence
        (b'"\xe2\x82"', 3),  # so does the closing quote
        (b'"\xed\xa0\x80"', 2),  # an encoded surrogate
        (b'"\xf0\x90\x80"', 4),
        (b'"\xf5\x80\x80\x80"', 1),  # above U+10FFFF
        (b'"\xf4\x90\x80\x80"', 2),  # above U+10FFFF
        (b'"\xc0\x80"', 1),  # overlong
        (b'"\xc1\xbf"', 1),  # overlong
        (b'"\xe0\x80\x80"', 2),  # overlong
        (b'"\xf0\x80\x80\x80"', 2),  # overlong
        (b'{"\xff": 1}', 2),
        (b'["ok", "\xe2\x82\xac\xe2\x82"]', 13),
        (b'"a\x00"', 2),
        (b'"\x1f"', 1),
        (b'"\n"', 1),
        (b'["ok", "\t"]', 8),
        (b'{"a\rb": 1}', 3),
    ],
)
def test_invalid_utf8_and_control_characters_in_strings(data: bytes, offset: int) -> None:
    for chunks in ("whole", "one-by-one"):
        error = error_of(data, chunks=chunks)
        assert type(error) is JSONError
        assert error.offset == offset, chunks


def test_del_and_valid_utf8_edges_are_accepted() -> None:
    text = '"\x7f\u0080\u07ff\u0800\ud7ff\ue000\ufffd\uffff\U00010000\U0010ffff"'
    data = text.encode("utf-8")
    want = json.loads(text)
    assert parse_whole(data) == want
    assert fed(*one_by_one(data)).finish() == want


# --- limits -----------------------------------------------------------------------------------------------


def test_a_million_open_brackets_hit_the_depth_limit() -> None:
    parser = Parser()
    with pytest.raises(JSONError) as caught:
        parser.feed("[" * 1_000_000)
    assert type(caught.value) is JSONError
    assert caught.value.offset == 512
    assert "depth limit of 512" in caught.value.msg


def test_a_million_open_brackets_under_a_huge_limit_do_not_crash() -> None:
    parser = Parser(max_depth=10**7)
    parser.feed(b"[" * 1_000_000)
    assert len(parser.path) == 1_000_000 - 1
    assert parser.is_complete((0,) * 10) is False
    with pytest.raises(IncompleteJSONError) as caught:
        parser.finish()
    assert caught.value.offset == 1_000_000


def test_depth_limit_is_exact() -> None:
    assert parse_whole("[" * 512 + "]" * 512) is not None
    assert error_of("[" * 513 + "]" * 513).offset == 512
    assert parse_whole('{"a":' * 3 + "1" + "}" * 3, max_depth=3) == {"a": {"a": {"a": 1}}}
    error = error_of('{"a": [{"b": 1}]}', max_depth=2)
    assert (type(error), error.offset) == (JSONError, 7)
    assert parse_whole("1", max_depth=0) == 1
    assert error_of("[]", max_depth=0).offset == 0


def test_a_16_megabyte_string_in_64_kilobyte_chunks() -> None:
    # 31 bytes per repetition, so chunk boundaries fall inside UTF-8 sequences, escapes and surrogate pairs.
    piece = "ab\u00e9\u20ac\U0001f680".encode() + rb"\n\u00e9\ud83d\ude80"
    decoded_piece = "ab\u00e9\u20ac\U0001f680\n\u00e9\U0001f680"
    repeat = (16 * 1024 * 1024) // len(piece)
    data = b'{"text": "' + piece * repeat + b'"}'
    parser = Parser()
    size = 64 * 1024
    middle = len(data) // 2
    for start in range(0, len(data), size):
        parser.feed(data[start : start + size])
        if start <= middle < start + size:
            partial = parser.value["text"]
            assert 0 < len(partial) < repeat * len(decoded_piece)
            assert (decoded_piece * repeat).startswith(partial)
    value = parser.finish()
    assert value["text"] == decoded_piece * repeat


# --- feed types and lifecycle -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chunk",
    [
        b'{"a": [1]}',
        bytearray(b'{"a": [1]}'),
        memoryview(b'{"a": [1]}'),
        '{"a": [1]}',
        memoryview(b'x{"a": [1]}')[1:],
    ],
)
def test_feed_types(chunk: Any) -> None:
    parser = Parser()
    parser.feed(chunk)
    assert parser.finish() == {"a": [1]}
    assert parser.offset == 10


def test_feed_a_strided_memoryview() -> None:
    parser = fed(memoryview(b"[x1y]z")[::2])
    assert parser.finish() == [1]


def test_feed_mixed_types_and_empty_chunks() -> None:
    parser = fed(b"", "[", bytearray(b"1, "), "", memoryview(b'"\xc3'), b"\xa9", '"]')
    assert parser.finish() == [1, "é"]


@pytest.mark.parametrize("chunk", [1, None, 1.5, ["["], object()])
def test_feed_rejects_other_types(chunk: Any) -> None:
    parser = Parser()
    with pytest.raises(TypeError, match="feed"):
        parser.feed(chunk)
    parser.feed("[]")  # the parser is still usable
    assert parser.finish() == []


def test_feeding_after_finish_is_a_runtime_error() -> None:
    parser = fed("[1]")
    value = parser.finish()
    for chunk in ("", " ", b"[2]"):
        with pytest.raises(RuntimeError, match="finished"):
            parser.feed(chunk)
    assert parser.finish() is value
    assert parser.finish() == [1]


def test_finish_twice_returns_the_value() -> None:
    parser = fed('{"a": "b"}')
    first = parser.finish()
    assert parser.finish() is first
    parser = fed("42")
    assert parser.finish() == 42
    assert parser.finish() == 42


def test_offset_and_repr() -> None:
    parser = Parser()
    assert parser.offset == 0
    parser.feed('{"é": ')
    assert parser.offset == 7
    assert "partial" in repr(parser)
    parser.feed("1}")
    assert "complete" in repr(parser)
    with pytest.raises(JSONError):
        parser.feed("x")
    assert "failed" in repr(parser)


# --- events -----------------------------------------------------------------------------------------------


def test_drain_events_without_events_is_a_value_error() -> None:
    parser = fed("[1]")
    with pytest.raises(ValueError, match="events"):
        parser.drain_events()


def test_events_in_order() -> None:
    parser = fed('{"a": "xy', events=True)
    assert parser.drain_events() == [
        Event("begin", (), "object"),
        Event("begin", ("a",), "string"),
        Event("delta", ("a",), "xy"),
    ]
    assert parser.drain_events() == []
    parser.feed('z", "b": [12')
    assert parser.drain_events() == [
        Event("delta", ("a",), "z"),
        Event("end", ("a",), "xyz"),
        Event("begin", ("b",), "array"),
        Event("begin", ("b", 0), "number"),
    ]
    parser.feed(", true, null]}")
    assert parser.drain_events() == [
        Event("end", ("b", 0), 12),
        Event("begin", ("b", 1), "boolean"),
        Event("end", ("b", 1), True),
        Event("begin", ("b", 2), "null"),
        Event("end", ("b", 2), None),
        Event("end", ("b",), [12, True, None]),
        Event("end", (), {"a": "xyz", "b": [12, True, None]}),
    ]
    parser.finish()
    assert parser.drain_events() == []


def test_a_root_number_ends_at_finish() -> None:
    parser = fed("12", events=True)
    assert parser.drain_events() == [Event("begin", (), "number")]
    assert parser.finish() == 12
    assert parser.drain_events() == [Event("end", (), 12)]


def test_event_equality_repr_unpacking_and_match() -> None:
    event = Event("end", ("a", 0), "x")
    assert event == Event("end", ("a", 0), "x")
    assert event != Event("end", ("a", 1), "x")
    assert event != Event("delta", ("a", 0), "x")
    assert event != Event("end", ("a", 0), "y")
    assert event != ("end", ("a", 0), "x")
    assert repr(event) == "Event('end', ('a', 0), 'x')"
    kind, path, value = event
    assert (kind, path, value) == ("end", ("a", 0), "x")
    assert tuple(event) == ("end", ("a", 0), "x")
    assert (event.kind, event.path, event.value) == ("end", ("a", 0), "x")
    match event:
        case Event("end", ("a", index), text):
            assert (index, text) == (0, "x")
        case _:  # pragma: no cover
            pytest.fail("Event did not match")
    with pytest.raises(ValueError, match="kind"):
        Event("middle", (), None)


def test_event_is_immutable() -> None:
    event = Event("begin", (), "array")
    with pytest.raises(AttributeError):
        event.kind = "end"  # type: ignore[misc]


# --- concurrency ------------------------------------------------------------------------------------------


def test_two_threads_feeding_one_parser_never_crash() -> None:
    parser = fed("[")
    rounds = 3000
    fed_ok = [0, 0]
    unexpected: list[BaseException] = []
    borrowed = []
    start = threading.Barrier(3)

    def feeder(which: int) -> None:
        start.wait()
        for _ in range(rounds):
            try:
                parser.feed(b'{"n": [1, "two"]}, ')
                fed_ok[which] += 1
            except RuntimeError as error:
                borrowed.append(error)
            except BaseException as error:  # pragma: no cover - reported below
                unexpected.append(error)

    def reader() -> None:
        start.wait()
        for _ in range(rounds):
            try:
                parser.snapshot()
                _ = parser.value, parser.path, parser.offset
                parser.is_complete((0, "n"))
            except RuntimeError as error:
                borrowed.append(error)
            except BaseException as error:  # pragma: no cover - reported below
                unexpected.append(error)

    run_interleaved(lambda: feeder(0), lambda: feeder(1), reader)
    assert unexpected == []
    assert all("borrow" in str(error).lower() for error in borrowed), borrowed[:3]
    parser.feed("0]")
    value = parser.finish()
    assert len(value) == sum(fed_ok) + 1
    assert all(item == {"n": [1, "two"]} for item in value[:-1])


def test_feeding_from_inside_a_feed_is_refused() -> None:
    """A garbage-collector callback runs Python code in the middle of ``feed``; feeding the same parser from
    it must raise RuntimeError (already borrowed), not corrupt the parser."""
    parser = fed("[")
    seen: list[str] = []
    feeding = False

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase != "start" or not feeding:
            return
        try:
            parser.feed("")  # a no-op outside a feed: tells whether this collection runs inside one
        except RuntimeError:
            pass
        else:
            return  # between two bytecodes (CPython 3.12+ collects only there), not inside the native feed
        try:
            parser.feed("0, ")
            seen.append("fed")
        except RuntimeError as error:
            seen.append(f"RuntimeError: {error}")

    old_threshold = gc.get_threshold()
    gc.callbacks.append(callback)
    gc.set_threshold(1)
    try:
        for _ in range(200):
            feeding = True
            parser.feed('[{"a": [1, 2]}, {}], ')
            feeding = False
    finally:
        feeding = False
        gc.set_threshold(*old_threshold)
        gc.callbacks.remove(callback)
    if not seen:
        pytest.skip("the garbage collector never ran inside a feed (CPython 3.12+ collects between bytecodes only)")
    outcomes = Counter(seen)
    assert all(item.startswith("RuntimeError") and "borrow" in item.lower() for item in outcomes), outcomes
    parser.feed("0]")
    value = parser.finish()
    assert len(value) == 201
    assert all(json_equal(item, [{"a": [1, 2]}, {}]) for item in value[:-1])


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)),
        min_size=200,
        max_size=1500,
    ),
    ensure_ascii=st.booleans(),
    data=st.data(),
)
def test_a_long_open_string_grows_by_appending_and_ends_exact(text: str, ensure_ascii: bool, data: Any) -> None:
    """Past a few hundred bytes the open string is extended (old ``str`` + new fragment), not decoded again:
    every read is still exactly the characters decoded so far, lone surrogates and astral characters included."""
    if not ensure_ascii:  # raw lone surrogates are not UTF-8: only their escapes are JSON
        text = "".join(char for char in text if not 0xD800 <= ord(char) <= 0xDFFF)
    document = json.dumps({"k": text}, ensure_ascii=ensure_ascii).encode()
    cuts = sorted(data.draw(st.sets(st.integers(1, len(document) - 1), max_size=80)))
    parser = midstream.Parser()
    shown = ""
    for start, end in zip([0, *cuts], [*cuts, len(document)], strict=True):
        parser.feed(document[start:end])
        value = parser.value
        if value is not None and "k" in value:
            assert text.startswith(value["k"]) and value["k"].startswith(shown)
            shown = value["k"]
    assert parser.finish() == {"k": text} == json.loads(document)
