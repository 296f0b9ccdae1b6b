"""``PartialArgsWriter``: Vertex AI ``partialArgs`` pieces turned into growing JSON text."""

from __future__ import annotations

import doctest
import json
import math
import re
from types import SimpleNamespace
from typing import Any

import midstream
import pytest
from _support import STREAMS, assert_json_equal
from hypothesis import given
from hypothesis import strategies as st
from midstream.providers import _gemini_args
from midstream.providers._gemini_args import PartialArgsWriter, parse_json_path

FIXTURES = STREAMS / "vercel-ai"


def write(*groups: list[Any]) -> str:
    """The whole text a new writer gives for these groups of pieces, each fed at once, then finished."""
    writer = PartialArgsWriter()
    return "".join(writer.feed(group) for group in groups) + writer.finish()


def texts_of_calls(fixture: str) -> list[list[str]]:
    """Replay a recorded Gemini stream: for each function call, the texts ``feed`` and ``finish`` returned.

    A ``functionCall`` part with a ``name`` begins a call; ``partialArgs`` are fed to its writer; a part whose
    ``willContinue`` is absent or false ends it.
    """
    calls: list[list[str]] = []
    writer: PartialArgsWriter | None = None
    for line in (FIXTURES / fixture).read_text(encoding="utf-8").splitlines():
        for candidate in json.loads(line).get("candidates", []):
            for part in candidate.get("content", {}).get("parts", []):
                call = part.get("functionCall")
                if call is None:
                    continue
                if "name" in call:
                    assert writer is None, "a call began before the previous one ended"
                    writer = PartialArgsWriter()
                    calls.append([])
                assert writer is not None
                calls[-1].append(writer.feed(call.get("partialArgs", [])))
                if not call.get("willContinue"):
                    calls[-1].append(writer.finish())
                    writer = None
    assert writer is None, "the stream ended inside a call"
    return calls


def check_streams(texts: list[str], expected: dict[str, Any]) -> None:
    """The texts, fed one by one to a midstream parser, are a valid growing document that ends as ``expected``."""
    parser = midstream.Parser()
    for text in texts:
        parser.feed(text)  # raises JSONError if a prefix is not a JSON prefix
    assert_json_equal(parser.finish(), expected)
    whole = "".join(texts)
    assert_json_equal(json.loads(whole), expected)
    assert whole == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))


# --- the recorded Vertex streams ------------------------------------------------------------------------------


def test_weather_fixture_two_calls() -> None:
    calls = texts_of_calls("google-stream-tool-call-arguments.jsonl")
    assert len(calls) == 2
    check_streams(calls[0], {"location": "Boston"})
    check_streams(calls[1], {"location": "San Francisco"})
    # The string opens with its first piece and closes with the empty terminator (willContinue absent).
    assert [text for text in calls[0] if text] == ['{"location":"Boston', '"', "}"]


RECIPE = {
    "recipe": {
        "ingredients": [
            {"amount": "16 oz", "name": "Lasagna noodles"},
            {"amount": "1 lb", "name": "Ground beef"},
            {"amount": "15 oz", "name": "Ricotta cheese"},
            {"amount": "3 cups", "name": "Mozzarella cheese"},
            {"amount": "1/2 cup", "name": "Parmesan cheese"},
            {"amount": "24 oz", "name": "Tomato sauce"},
            {"amount": "1", "name": "Egg"},
            {"amount": "2 cloves", "name": "Garlic"},
            {"amount": "1 tsp", "name": "Salt"},
            {"amount": "1/2 tsp", "name": "Pepper"},
        ],
        "name": "Lasagna",
        "steps": [
            "Preheat oven to 375°F (190°C).",
            "Cook lasagna noodles according to package directions, drain and set aside.",
            "Brown ground beef with minced garlic in a skillet. Drain fat and stir in tomato sauce."
            " Simmer for 10 minutes.",
            "In a bowl, mix ricotta cheese, egg, salt, pepper, and Parmesan cheese.",
            "In a 9x13 baking dish, spread a thin layer of meat sauce.",
            "Layer noodles, ricotta mixture, mozzarella, and meat sauce. Repeat.",
            "Top with remaining mozzarella cheese.",
            "Cover with foil and bake for 25 minutes.",
            "Remove foil and bake for another 25 minutes until golden.",
            "Let stand for 15 minutes before serving.",
        ],
    }
}


def test_nested_recipe_fixture() -> None:
    (call,) = texts_of_calls("google-vertex-stream-tool-call-arguments-nested.1.jsonl")
    check_streams(call, RECIPE)
    texts = [text for text in call if text]
    assert texts[:4] == ['{"recipe":{"ingredients":[{"amount":"16 oz', '"', ',"name":"Lasagna noodles', '"']
    assert texts[4] == '},{"amount":"1 lb'  # the next item: the previous object closes first
    assert '"}],"name":"Lasagna' in "".join(texts)  # leaving the array for a sibling key
    assert texts[-1] == "]}}"


def test_fixture_pieces_fed_at_once_give_the_same_text() -> None:
    pieces: list[dict[str, Any]] = []
    for line in (FIXTURES / "google-vertex-stream-tool-call-arguments-nested.1.jsonl").read_text().splitlines():
        for candidate in json.loads(line)["candidates"]:
            for part in candidate["content"]["parts"]:
                pieces += part.get("functionCall", {}).get("partialArgs", [])
    one_by_one = write(*([piece] for piece in pieces))
    assert write(pieces) == one_by_one
    assert json.loads(one_by_one) == RECIPE


def test_array_of_objects_with_numbers() -> None:
    """Shaped like vercel/ai's google-stream-tool-call-array-arguments-missing-terminal-function-call fixture."""
    pieces: list[dict[str, Any]] = []
    for index, (action, description, item, price) in enumerate(
        [("add", "Fresh red apple", "apple_001", 0.5), ("add", "Ripe yellow banana", "banana_001", 0.3)]
    ):
        for key, text in (("action", action), ("description", description), ("itemid", item)):
            path = f"$.operations[{index}].{key}"
            pieces += [{"jsonPath": path, "stringValue": text, "willContinue": True}]
            pieces += [{"jsonPath": path, "stringValue": ""}]
        pieces.append({"jsonPath": f"$.operations[{index}].price", "numberValue": price})
    writer = PartialArgsWriter()
    out = [writer.feed([piece]) for piece in pieces] + [writer.finish()]
    check_streams(
        out,
        {
            "operations": [
                {"action": "add", "description": "Fresh red apple", "itemid": "apple_001", "price": 0.5},
                {"action": "add", "description": "Ripe yellow banana", "itemid": "banana_001", "price": 0.3},
            ]
        },
    )


# --- values ---------------------------------------------------------------------------------------------------


def test_values_of_every_kind() -> None:
    text = write(
        [
            {"jsonPath": "$.s", "stringValue": "x"},
            {"jsonPath": "$.i", "numberValue": 50},
            {"jsonPath": "$.f", "numberValue": 0.25},
            {"jsonPath": "$.t", "boolValue": True},
            {"jsonPath": "$.b", "boolValue": False},
            {"jsonPath": "$.n", "nullValue": None},  # protobuf NullValue on the wire is JSON null
            {"jsonPath": "$.e", "stringValue": ""},
        ]
    )
    assert text == '{"s":"x","i":50,"f":0.25,"t":true,"b":false,"n":null,"e":""}'


def test_precedence_and_falsy_values() -> None:
    assert write([{"jsonPath": "$.a", "stringValue": "s", "numberValue": 1}]) == '{"a":"s"}'
    assert write([{"jsonPath": "$.a", "numberValue": 0, "boolValue": True}]) == '{"a":0}'
    assert write([{"jsonPath": "$.a", "boolValue": False, "nullValue": None}]) == '{"a":false}'
    assert write([{"jsonPath": "$.a", "numberValue": None, "nullValue": None}]) == '{"a":null}'


def test_integral_floats_are_written_as_integers() -> None:
    # The SDK types numberValue as float: 3 arrives as 3.0. JSON has one number type; write it as JS would.
    assert write([{"jsonPath": "$.a", "numberValue": 3.0}]) == '{"a":3}'
    assert write([{"jsonPath": "$.a", "numberValue": -0.0}]) == '{"a":0}'
    assert write([{"jsonPath": "$.a", "numberValue": 2.0**53}]) == '{"a":9007199254740992}'
    assert json.loads(write([{"jsonPath": "$.a", "numberValue": 1e300}])) == {"a": 1e300}
    assert write([{"jsonPath": "$.a", "numberValue": 12345678901234567890123}]) == '{"a":12345678901234567890123}'
    assert write([{"jsonPath": "$.a", "numberValue": 1.5e-7}]) == '{"a":1.5e-07}'


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "1", True, [1]])
def test_bad_numbers_raise(bad: Any) -> None:
    with pytest.raises(ValueError, match="numberValue"):
        write([{"jsonPath": "$.a", "numberValue": bad}])


def test_bad_value_types_raise() -> None:
    with pytest.raises(ValueError, match="stringValue"):
        write([{"jsonPath": "$.a", "stringValue": 1}])
    with pytest.raises(ValueError, match="boolValue"):
        write([{"jsonPath": "$.a", "boolValue": "true"}])
    with pytest.raises(ValueError, match="jsonPath"):
        write([{"stringValue": "x"}])


def test_piece_without_a_value_is_ignored() -> None:
    assert write([{"jsonPath": "$.a"}, {"jsonPath": "$.b", "numberValue": 1}]) == '{"b":1}'
    assert write([{"json_path": "$.a", "null_value": None}]) == "{}"  # an SDK dump's absent field


def test_strings_are_escaped() -> None:
    value = 'quote " backslash \\ newline \n tab \t nul \x00 line-sep \u2028 emoji \U0001f600 é'
    text = write(
        [{"jsonPath": "$.a", "stringValue": value[:10], "willContinue": True}],
        [{"jsonPath": "$.a", "stringValue": value[10:]}],
    )
    assert json.loads(text) == {"a": value}
    assert "\U0001f600" in text  # not \u-escaped: only what JSON requires is


def test_surrogate_pair_split_across_pieces() -> None:
    writer = PartialArgsWriter()
    texts = [
        writer.feed([{"jsonPath": "$.a", "stringValue": "x\ud83d", "willContinue": True}]),
        writer.feed([{"jsonPath": "$.a", "stringValue": "\ude00y"}]),
        writer.finish(),
    ]
    assert texts[0] == '{"a":"x\\ud83d'  # escaped, so the text stays encodable as UTF-8
    parser = midstream.Parser()
    for text in texts:
        parser.feed(text.encode("utf-8"))
    assert parser.finish() == {"a": "x\U0001f600y"}


# --- spellings and sources ------------------------------------------------------------------------------------


def test_snake_case_spellings() -> None:
    text = write(
        [
            {"json_path": "$.s", "string_value": "ab", "will_continue": True},
            {"json_path": "$.s", "string_value": "c", "will_continue": False},
            {"json_path": "$.n", "number_value": 1.5},
            {"json_path": "$.b", "bool_value": False},
            {"json_path": "$.z", "null_value": "NULL_VALUE"},
        ]
    )
    assert text == '{"s":"abc","n":1.5,"b":false,"z":null}'


def test_sdk_like_objects() -> None:
    def arg(**fields: Any) -> SimpleNamespace:
        base = dict.fromkeys(("json_path", "string_value", "number_value", "bool_value", "null_value", "will_continue"))
        return SimpleNamespace(**{**base, **fields})

    text = write(
        [
            arg(json_path="$.a[0]", string_value="x", will_continue=True),
            arg(json_path="$.a[0]", string_value=""),
            arg(json_path="$.a[1]", null_value="NULL_VALUE"),
            arg(json_path="$.a[2]"),  # no value
            arg(json_path="$.b", bool_value=True),
        ]
    )
    assert text == '{"a":["x",null],"b":true}'


# --- structure ------------------------------------------------------------------------------------------------


def test_sibling_keys_array_items_and_nesting() -> None:
    pieces = [
        {"jsonPath": "$.a.b[0][0].c", "numberValue": 1},
        {"jsonPath": "$.a.b[0][0].d", "numberValue": 2},
        {"jsonPath": "$.a.b[0][1]", "numberValue": 3},
        {"jsonPath": "$.a.b[1][0]", "numberValue": 4},
        {"jsonPath": "$.a.e", "numberValue": 5},
        {"jsonPath": "$.f[0].g.h", "stringValue": "i"},
        {"jsonPath": "$.j", "numberValue": 6},
    ]
    text = write(pieces)
    assert text == '{"a":{"b":[[{"c":1,"d":2},3],[4]],"e":5},"f":[{"g":{"h":"i"}}],"j":6}'
    writer = PartialArgsWriter()
    assert "".join(writer.feed([piece]) for piece in pieces) + writer.finish() == text


def test_bracket_quoted_keys() -> None:
    pieces = [
        {"jsonPath": "$['a b']", "numberValue": 1},
        {"jsonPath": '$["it\'s"]["x\\"y"]', "numberValue": 2},
        {"jsonPath": "$['it\\'s \\u00e9\\ud83d\\ude00 \\n'][ 0 ]", "numberValue": 3},
        {"jsonPath": "$['a.b'].c['[d]']", "numberValue": 4},
        {"jsonPath": "$['']", "numberValue": 5},
        {"jsonPath": "$.ключ-1", "numberValue": 6},
    ]
    assert json.loads(write(pieces)) == {
        "a b": 1,
        "it's": {'x"y': 2},
        "it's é\U0001f600 \n": [3],
        "a.b": {"c": {"[d]": 4}},
        "": 5,
        "ключ-1": 6,
    }


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("$", ()),
        ("$.a", ("a",)),
        ("$.a[10].b", ("a", 10, "b")),
        ("$[0][1]", (0, 1)),
        ("$['a']['b']", ("a", "b")),
        ('$[ "a" ]', ("a",)),
        ("$['\\\\\\/\\b\\f\\r\\t']", ("\\/\b\f\r\t",)),
    ],
)
def test_parse_json_path(path: str, segments: tuple[str | int, ...]) -> None:
    assert parse_json_path(path) == segments


@pytest.mark.parametrize(
    "path", ["a.b", "", "$..a", "$.*", "$[*]", "$[-1]", "$[01]", "$[1:2]", "$['a'", "$['a\\x']", "$a", "$.a[", "$."]
)
def test_unsupported_paths_raise(path: str) -> None:
    with pytest.raises(ValueError, match="jsonPath"):
        parse_json_path(path)


def test_root_array() -> None:
    assert write([{"jsonPath": "$[0]", "numberValue": 1}, {"jsonPath": "$[1].a", "numberValue": 2}]) == '[1,{"a":2}]'


def test_nothing_fed_gives_an_empty_object() -> None:
    assert write() == "{}"
    assert write([]) == "{}"


def test_skipped_index_pads_with_null() -> None:
    # Vertex has no way to send an empty container; an item it left out keeps the indices it gave.
    assert write([{"jsonPath": "$.a[2]", "numberValue": 1}]) == '{"a":[null,null,1]}'
    assert write([{"jsonPath": "$.a[0]", "numberValue": 0}, {"jsonPath": "$.a[2].b", "numberValue": 1}]) == (
        '{"a":[0,null,{"b":1}]}'
    )


def test_string_left_open_is_closed_by_the_next_path_or_finish() -> None:
    writer = PartialArgsWriter()
    assert writer.feed([{"jsonPath": "$.a", "stringValue": "x", "willContinue": True}]) == '{"a":"x'
    assert writer.feed([{"jsonPath": "$.b", "numberValue": 1}]) == '","b":1'
    assert writer.feed([{"jsonPath": "$.c", "stringValue": "y", "willContinue": True}]) == ',"c":"y'
    assert writer.finish() == '"}'
    assert writer.finish() == ""


def test_empty_terminator_after_a_finished_string_is_ignored() -> None:
    pieces = [{"jsonPath": "$.a", "stringValue": "x"}, {"jsonPath": "$.a", "stringValue": ""}]
    assert write(pieces) == '{"a":"x"}'


def test_multiple_continuations_in_one_group() -> None:
    pieces = [
        {"jsonPath": "$.a", "stringValue": "He", "willContinue": True},
        {"jsonPath": "$.a", "stringValue": "ll", "willContinue": True},
        {"jsonPath": "$.a", "stringValue": "o"},
        {"jsonPath": "$.b", "stringValue": "", "willContinue": True},
        {"jsonPath": "$.b", "stringValue": ""},
    ]
    assert write(pieces) == '{"a":"Hello","b":""}'


@pytest.mark.parametrize(
    ("pieces", "message"),
    [
        ([("$.a", 1), ("$.b", 2), ("$.a", 3)], "goes back to key 'a'"),
        ([("$.a.b", 1), ("$.c", 2), ("$.a.d", 3)], "goes back to key 'a'"),
        ([("$.a[0]", 1), ("$.a[1]", 2), ("$.a[0]", 3)], "goes back to array item 0"),
        ([("$.a[0].b", 1), ("$.a[1].b", 2), ("$.a[0].c", 3)], "goes back to array item 0"),
        ([("$.a", 1), ("$.a", 2)], "goes back to key 'a'"),
        ([("$.a", 1), ("$.a.b", 2)], "goes back to key 'a'"),
        ([("$.a.b", 1), ("$.a", 2)], "goes back to key 'a'"),
        ([("$.a[0]", 1), ("$.a.b", 2)], "names a member 'b' of an array"),
        ([("$.a.b", 1), ("$.a[0]", 2)], r"indexes an object with \[0\]"),
        ([("$[0]", 1), ("$.a", 2)], "names a member"),
        ([("$", 1)], "is the root"),
    ],
)
def test_out_of_order_paths_raise(pieces: list[tuple[str, int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write([{"jsonPath": path, "numberValue": number} for path, number in pieces])


def test_non_string_at_the_open_string_path_raises() -> None:
    with pytest.raises(ValueError, match="goes back to key 'a'"):
        write([{"jsonPath": "$.a", "stringValue": "x", "willContinue": True}, {"jsonPath": "$.a", "numberValue": 1}])


def test_feed_after_finish_raises() -> None:
    writer = PartialArgsWriter()
    writer.finish()
    with pytest.raises(ValueError, match="after finish"):
        writer.feed([])


def test_docstring_examples() -> None:
    result = doctest.testmod(_gemini_args, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


# --- property: any object, flattened into pieces in document order, comes back --------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY_CHARS = st.one_of(
    st.sampled_from("abcxyz_019 .[]'\"\\$*-\n\u00e9\u2028"), st.characters(codec="utf-8", exclude_categories=["Cs"])
)
_TEXT = st.text(
    st.one_of(st.sampled_from('ab "\\\n\t/\x00\u2028\U0001f600'), st.characters(exclude_categories=["Cs"])),
    max_size=30,
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_KEYS = st.text(_KEY_CHARS, max_size=8)


def _values(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # Containers below the root are never empty: Vertex has no piece for an empty container.
    return st.one_of(
        st.lists(children, min_size=1, max_size=4), st.dictionaries(_KEYS, children, min_size=1, max_size=4)
    )


_VALUES = st.recursive(_SCALARS, _values, max_leaves=25)
_ROOTS = st.dictionaries(_KEYS, _VALUES, max_size=5)


def _key_path(key: str, quote: str) -> str:
    if _IDENTIFIER.fullmatch(key) and quote == "":
        return "." + key
    quote = quote or "'"
    escaped = key.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n")
    return f"[{quote}{escaped}{quote}]"


def _pieces(value: Any, path: str, draw: Any) -> list[dict[str, Any]]:
    """``value`` as partialArgs in document order, the way Vertex would stream it (spellings drawn at random)."""
    snake = draw(st.booleans())
    names = ("json_path", "string_value", "number_value", "bool_value", "null_value", "will_continue")
    if not snake:
        names = ("jsonPath", "stringValue", "numberValue", "boolValue", "nullValue", "willContinue")
    key_path, key_string, key_number, key_bool, key_null, key_continue = names
    if isinstance(value, dict):
        pieces: list[dict[str, Any]] = []
        for key, item in value.items():
            quote = draw(st.sampled_from(["", "", "'", '"']))
            pieces += _pieces(item, path + _key_path(key, quote), draw)
        return pieces
    if isinstance(value, list):
        return [piece for index, item in enumerate(value) for piece in _pieces(item, f"{path}[{index}]", draw)]
    if isinstance(value, str):
        cuts = sorted(draw(st.lists(st.integers(0, len(value)), max_size=4)))
        parts = [value[start:end] for start, end in zip([0, *cuts], [*cuts, len(value)], strict=True)]
        style = draw(st.sampled_from(["last-ends", "empty-terminator"]))
        pieces = [{key_path: path, key_string: part, key_continue: True} for part in parts]
        if style == "empty-terminator":
            pieces.append({key_path: path, key_string: ""})
        else:
            del pieces[-1][key_continue]
        return pieces
    if value is None:
        return [{key_path: path, key_null: "NULL_VALUE" if snake else None}]
    if isinstance(value, bool):
        return [{key_path: path, key_bool: value}]
    return [{key_path: path, key_number: value}]


def _as_written(value: Any) -> Any:
    """``value`` with integral floats as ints, as the writer writes them."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, list):
        return [_as_written(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_written(item) for key, item in value.items()}
    return value


@given(_ROOTS, st.data())
def test_flattened_objects_come_back(value: dict[str, Any], data: st.DataObject) -> None:
    pieces = _pieces(value, "$", data.draw)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(pieces)), max_size=len(pieces) + 1)))
    groups = [pieces[start:end] for start, end in zip([0, *cuts], [*cuts, len(pieces)], strict=True)]
    writer = PartialArgsWriter()
    texts = [writer.feed(group) for group in groups] + [writer.finish()]
    expected = _as_written(value)
    check_streams(texts, expected)
    assert "".join(texts) == write(pieces)  # the grouping does not change the text
