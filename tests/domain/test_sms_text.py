"""SMS texts: GSM-7 detection, segment counts, templates (pure)."""

from __future__ import annotations

import pytest

from kiosk.domain.languages import LANGUAGES
from kiosk.domain.sms_text import (
    CALLED,
    TEMPLATES,
    TURN_NEAR,
    SmsText,
    SmsTextError,
    choose_encoding,
    gsm7_septets,
    is_gsm7,
    non_gsm7_chars,
    render_sms,
)

FIELDS = {"site": "Mairie du 19e", "ticket": "C042", "minutes": 12, "counter": 3}


def test_gsm7_basic_and_extension():
    assert gsm7_septets("Hello @£$¥ èéùìò ÇØøÅåÆæßÉ Ä Ö Ñ Ü § ¿ ¡ äöñüà ΔΦΓΛΩΠΨΣΘΞ") is not None
    assert gsm7_septets("abc") == 3
    assert gsm7_septets("€") == 2
    assert gsm7_septets("[]{}~|^\\€\f") == 20
    assert gsm7_septets("\n\r") == 2


@pytest.mark.parametrize("char", ["ç", "ê", "â", "î", "ô", "û", "œ", "À", "’", "≈", "\u00a0",
                                  "«", "…", "–", "ب", "中", "ɛ", "😀", "`"])
def test_not_gsm7(char):
    assert not is_gsm7(f"abc{char}")
    assert non_gsm7_chars(f"a{char}b{char}") == [char]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("gsm7", 0)),
        ("a" * 160, ("gsm7", 1)),
        ("a" * 161, ("gsm7", 2)),
        ("a" * 306, ("gsm7", 2)),
        ("a" * 307, ("gsm7", 3)),
        ("€" * 80, ("gsm7", 1)),  # 160 septets
        ("€" * 81, ("gsm7", 2)),
        ("a" * 152 + "€" + "a" * 10, ("gsm7", 2)),
        # 152 septets then an escape pair: it may not straddle two segments.
        ("a" * 152 + "€" + "a" * 152, ("gsm7", 3)),
        ("ç" * 70, ("ucs2", 1)),
        ("ç" * 71, ("ucs2", 2)),
        ("ç" * 134, ("ucs2", 2)),
        ("ç" * 135, ("ucs2", 3)),
        ("a" * 159 + "’", ("ucs2", 3)),  # one curly apostrophe turns 1 segment into 3
        ("😀" * 35, ("ucs2", 1)),  # surrogate pairs: 2 code units each
        ("😀" * 36, ("ucs2", 2)),
        ("a" * 66 + "😀" + "a" * 10, ("ucs2", 2)),
    ],
)
def test_choose_encoding(text, expected):
    assert choose_encoding(text) == expected


def test_french_texts_fit_one_gsm7_segment():
    near = render_sms(TURN_NEAR, "fr", **FIELDS)
    assert near == SmsText(
        "Mairie du 19e : votre ticket C042 passe dans 12 min environ. "
        "Revenez en salle d'attente.", "gsm7", 1)
    called = render_sms(CALLED, "fr", **FIELDS)
    assert called.text == "Mairie du 19e : ticket C042, présentez-vous au guichet 3."
    assert (called.coding, called.segments) == ("gsm7", 1)


def test_french_stays_one_segment_with_long_fields():
    sms = render_sms(TURN_NEAR, "fr", site="Mairie du 19e arrondissement", ticket="Z999",
                     minutes=120, place="au hall d'accueil, rez-de-chaussée, porte B")
    assert (sms.coding, sms.segments) == ("gsm7", 1)


def test_typographic_punctuation_in_fields_does_not_force_ucs2():
    sms = render_sms(TURN_NEAR, "fr", **FIELDS,
                     place="au hall d’accueil\u00a0– «\u202fporte B\u202f»…")
    assert sms.coding == "gsm7"
    assert "hall d'accueil - \" porte B \"..." in sms.text


def test_letters_are_never_altered():
    sms = render_sms(CALLED, "fr", **{**FIELDS, "site": "Mairie de Montreuil-sur-Façade"})
    assert "Façade" in sms.text
    assert sms.coding == "ucs2"


def test_all_templates_are_gsm7_where_intended_and_short():
    for kind in (TURN_NEAR, CALLED):
        for lang in TEMPLATES[kind]:
            sms = render_sms(kind, lang, **FIELDS)
            assert sms.segments == 1, (kind, lang, sms)
            assert "{" not in sms.text and "C042" in sms.text
            if lang in ("fr", "en", "wo"):
                assert sms.coding == "gsm7", (kind, lang, non_gsm7_chars(sms.text))
    assert render_sms(TURN_NEAR, "ar", **FIELDS).coding == "ucs2"
    assert render_sms(TURN_NEAR, "zh", **FIELDS).coding == "ucs2"


def test_every_kiosk_language_has_both_templates():
    for kind in (TURN_NEAR, CALLED):
        assert {lang.code for lang in LANGUAGES} <= set(TEMPLATES[kind])


def test_unknown_language_falls_back_to_french():
    assert render_sms(CALLED, "de", **FIELDS) == render_sms(CALLED, "fr", **FIELDS)


def test_minutes_are_rounded_and_at_least_one():
    assert "dans 1 min" in render_sms(TURN_NEAR, "fr", **{**FIELDS, "minutes": 0}).text
    assert "dans 8 min" in render_sms(TURN_NEAR, "fr", **{**FIELDS, "minutes": 7.6}).text


def test_content_dict_fields_are_localized():
    place = {"fr": "au guichet d'accueil", "en": "to the front desk"}
    assert render_sms(TURN_NEAR, "en", **FIELDS, place=place).text.endswith(
        "Please come back to the front desk.")
    assert render_sms(TURN_NEAR, "wo", **FIELDS, place=place).text.endswith(
        "Dellusil au guichet d'accueil.")  # French fallback


def test_errors():
    with pytest.raises(SmsTextError):
        render_sms("reminder", "fr", **FIELDS)
    with pytest.raises(SmsTextError, match="counter"):
        render_sms(CALLED, "fr", site="Mairie du 19e", ticket="C042")
