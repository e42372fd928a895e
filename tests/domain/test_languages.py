"""Languages: direction, fonts, and the per-field fallback a visitor relies on."""

from __future__ import annotations

import pytest

from kiosk.domain.languages import DEFAULT_LANGUAGE, LANGUAGES, get_language, localized


def test_the_six_kiosk_languages_in_order_french_first():
    assert [lang.code for lang in LANGUAGES] == ["fr", "en", "ar", "zh", "wo", "bm"]
    assert DEFAULT_LANGUAGE == "fr"


def test_language_codes_are_unique():
    codes = [lang.code for lang in LANGUAGES]
    assert len(codes) == len(set(codes))


def test_only_arabic_is_right_to_left():
    assert {lang.code for lang in LANGUAGES if lang.rtl} == {"ar"}


def test_scripts_get_their_own_fonts():
    # Kivy has no font fallback: Arabic and Chinese need fonts that cover their script.
    assert get_language("ar").font == "NotoSansArabic"
    assert get_language("zh").font == "NotoSansCJK"
    assert get_language("fr").font == get_language("wo").font == get_language("bm").font


def test_native_names_are_written_in_their_own_language():
    assert get_language("ar").native_name == "العربية"
    assert get_language("zh").native_name == "中文"
    assert get_language("fr").native_name == "Français"


@pytest.mark.parametrize("code", ["xx", "", "FR", "en-GB"])
def test_unknown_code_falls_back_to_french(code):
    assert get_language(code).code == "fr"


def test_known_code_is_returned_as_is():
    assert get_language("wo").code == "wo"
    assert get_language("ar").rtl is True


def test_localized_prefers_the_requested_language():
    assert localized({"fr": "Bonjour", "en": "Hello"}, "en") == "Hello"


def test_localized_falls_back_to_french_when_missing_or_empty():
    assert localized({"fr": "Bonjour", "en": "Hello"}, "ar") == "Bonjour"
    assert localized({"fr": "Bonjour", "en": ""}, "en") == "Bonjour"


def test_localized_falls_back_to_any_text_when_french_is_missing():
    assert localized({"en": "", "zh": "你好"}, "ar") == "你好"


def test_localized_never_fails_on_empty_inputs():
    assert localized(None, "fr") == ""
    assert localized({}, "en") == ""
    assert localized({"fr": "", "en": ""}, "en") == ""


def test_localized_passes_a_plain_string_through():
    assert localized("Mairie du 19e", "ar") == "Mairie du 19e"
