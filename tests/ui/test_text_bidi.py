"""Right-to-left lines (kiosk/ui/text.py, no Kivy needed): a number next to a French address
stays with its own part when the parts are separated by marks, and the marks are not drawn."""

from __future__ import annotations

from kiosk.ui.text import Coverage, FontChain, display_markup

CHAIN = FontChain((("Arabic", Coverage.everything()),))
LINE = "كل الخميس · Préau de l'école, 11 rue Armand-Carrel · 3 دقيقة"


def test_without_marks_the_number_joins_the_french_address():
    shown = display_markup(LINE, CHAIN, rtl=True)
    # What the visitor saw before: "3" cut from its minutes, between the street and the day.
    assert "· 3 ·" in shown and "3 دقيقة" not in shown


def test_marks_keep_the_number_with_its_minutes_and_are_not_drawn():
    shown = display_markup(LINE.replace(" · ", "\u200f · \u200f"), CHAIN, rtl=True)
    assert "\u200f" not in shown and "\u200e" not in shown
    assert "· 3 ·" not in shown
    # HarfBuzz gets each right-to-left run reversed back to logical order: "3 دقيقة" whole.
    assert "3 دقيقة" in shown
