"""The shared text cleaner (kiosk/domain/text_input.py): controls refused, bidi controls and
stray zero-width characters removed, every script kept, NFC; the JSON depth guard."""

from __future__ import annotations

import json

import pytest

from kiosk.domain.text_input import (
    MAX_JSON_DEPTH,
    TextInputError,
    clean_json_strings,
    clean_text,
    json_text_too_deep,
    refused_at,
    scrub_text,
    value_depth,
)


@pytest.mark.parametrize("text", [
    "fauteuil roulant", "كرسي متحرك", "轮椅", "Ɛ bɛ ɲɔgɔn ŋa", "🙂 aide", "👩‍👧 famille",
    "می‌خواهم",  # Persian: ZWNJ between two letters is spelling
    "ligne \u200f(RLM) \u200e(LRM)",
])
def test_legitimate_text_is_kept(text):
    assert clean_text(text) == text


@pytest.mark.parametrize("bad", ["a\x00b", "\x1b[31m", "a\x7fb", "a\x85b", "a\ud800b", "a\nb"])
def test_control_characters_are_refused_in_one_line(bad):
    with pytest.raises(TextInputError, match="control character"):
        clean_text(bad)


def test_the_error_names_the_character_and_its_position():
    with pytest.raises(TextInputError, match="NUL at position 3"):
        clean_text("abc\x00")


def test_multiline_keeps_newlines_and_tabs_but_not_other_controls():
    assert clean_text("a\r\nb\rc\td", multiline=True) == "a\nb\nc\td"
    with pytest.raises(TextInputError):
        clean_text("a\x00\nb", multiline=True)
    assert clean_text("a\tb") == "a b"


def test_bidi_controls_and_invisible_characters_are_removed():
    assert clean_text("\u202egnirts desrever") == "gnirts desrever"
    assert clean_text("a\u2066b\u2069c\u202ad\u202c") == "abcd"
    assert clean_text("a\u200bb\ufeffc\u2060d") == "abcd"
    # Joiners only between two visible characters: at the edges or by a space they hide text.
    assert clean_text("\u200dab\u200c \u200cc") == "ab c"


def test_text_is_nfc():
    assert clean_text("e\u0301") == "\u00e9"


def test_scrub_turns_controls_into_spaces():
    assert scrub_text("ConnectionError\x00:\nboom\u202e") == "ConnectionError : boom"
    assert refused_at("ok\x01", multiline=False) == 2


def test_the_json_depth_guard_reads_text_linearly():
    deep = "[" * 5000 + "]" * 5000
    assert json_text_too_deep(deep)
    assert not json_text_too_deep(json.dumps({"a": [[1, 2], {"b": "[[[[[[[[[[[[[[[[[[[[[[["}]}))
    assert json_text_too_deep("[" * (MAX_JSON_DEPTH + 1))
    assert not json_text_too_deep("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert value_depth([[[]]]) == 3 and value_depth("x") == 0
    assert value_depth({"a": [{"b": 1}]}) == 3


def test_clean_json_strings_cleans_keys_and_values():
    assert clean_json_strings({"fr\u202e": ["a\u200b", 3]}) == {"fr": ["a", 3]}
    with pytest.raises(TextInputError):
        clean_json_strings([{"fr": "x\x00"}])
