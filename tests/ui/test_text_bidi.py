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


_HARFBUZZ_MIRRORS = str.maketrans("()[]{}<>«»", ")(][}{><»«")


def drawn(markup: str) -> str:
    """What a right-to-left Kivy label draws from the markup, left to right: each run laid
    out right to left by HarfBuzz (its characters reversed, every bracket mirrored)."""
    import re

    plain = re.sub(r"\[/?font[^\]]*\]", "\x00", markup).replace("&bl;", "[").replace("&br;", "]")
    return "".join(run[::-1].translate(_HARFBUZZ_MIRRORS) for run in plain.split("\x00"))


def test_brackets_around_a_latin_acronym_are_drawn_the_right_way_round():
    # The kiosk drew ")PACS(" and ")CASVP(" (issue 13): bidi's Rust default does not mirror.
    assert "(PACS)" in drawn(display_markup("سأبرم ميثاقاً مدنياً (PACS)", CHAIN, rtl=True))
    assert "(CASVP)" in drawn(display_markup("المساعدة (CASVP) هنا", CHAIN, rtl=True))


def test_brackets_around_arabic_words_face_the_arabic_way():
    shown = drawn(display_markup("نص (عربي) هنا", CHAIN, rtl=True))
    # Right to left the opening bracket is the right one, a ")" mirrored: the pair reads
    # "(...)" from the left, as in any Arabic text (the letters here in visual order).
    assert shown == "انه (يبرع) صن"
    assert drawn(display_markup("«نص» و [X]", CHAIN, rtl=True)) == "[X] و «صن»"


def test_a_french_fallback_keeps_its_brackets():
    assert drawn(display_markup("Carte (Paris) [7 ans]", CHAIN, rtl=True)) == "Carte (Paris) [7 ans]"


def test_a_kept_wrap_is_one_of_the_same_width_and_measure():
    # Wrapped lines are kept by (text, chain, width, measure_key): a narrower label, or
    # another font size (another key), wraps again rather than showing the kept lines.
    text = "نص عربي طويل هنا"

    def measure(chunk: str, _font: str) -> float:
        return 10.0 * len(chunk)

    wide = display_markup(text, CHAIN, rtl=True, width=1000, measure=measure, measure_key=1)
    narrow = display_markup(text, CHAIN, rtl=True, width=70, measure=measure, measure_key=1)
    assert "\n" not in wide and narrow.count("\n") >= 1
    assert display_markup(text, CHAIN, rtl=True, width=70, measure=measure) == narrow

    def larger(chunk: str, _font: str) -> float:
        return 30.0 * len(chunk)

    bigger = display_markup(text, CHAIN, rtl=True, width=70, measure=larger, measure_key=2)
    assert bigger.count("\n") > narrow.count("\n")
    assert display_markup(text, CHAIN, rtl=True, width=1000, measure=measure, measure_key=1) == wide


def test_left_to_right_runs_follow_the_chain():
    # A text kept for one chain is not the answer for another chain (its fonts differ).
    latin = FontChain((("Latin", Coverage((0x20,), (0x7E,))), ("Arabic", Coverage.everything())))
    arabic_first = FontChain((("Arabic", Coverage((0x600,), (0x6FF,))), ("Latin", Coverage.everything())))
    assert display_markup("C042 نص", latin, rtl=False) == "C042 [font=Arabic]نص[/font]"
    assert display_markup("C042 نص", arabic_first, rtl=False) == "[font=Latin]C042 [/font]نص"
    assert display_markup("C042", latin, rtl=False) == "C042"
