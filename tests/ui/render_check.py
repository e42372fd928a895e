"""What the layout check (tests/ui/layout_check.py) cannot read off the widget tree alone:

- **missing glyph**: a character of a label's text that the label's font file does not have
  (SDL_ttf draws an empty box: a "tofu" a visitor cannot read);
- **low contrast**: a label's text colour against what is really drawn behind it in the frame
  (the most frequent colour of the label's box, read from the rendered pixels) under 4.5:1
  (WCAG 2.2 AA, 1.4.3), whatever the theme says: white digits on a white keypad are found
  here, not in the palette.

Both run on every case of the layout matrix (tests/ui/matrix_driver.py).
"""

from __future__ import annotations

import logging
import re
from functools import cache

from kiosk.ui import theme
from tests.ui.layout_check import _scroll_clip, _shown, name_of, window_box

MIN_CONTRAST = 4.5
# Characters SDL_ttf lays out without a glyph: line breaks and the like.
NOT_DRAWN = set("\n\r\t")
# Kivy markup: the kiosk draws a text as runs `[font=NAME]...[/font]`, each with the first
# font that has its characters (kiosk/ui/text.py); other tags only style.
MARKUP = re.compile(r"\[(/?)(b|i|u|s|color|size|font|font_family|sub|sup|ref|anchor)(?:=([^\]]*))?\]")
ENTITIES = (("&bl;", "["), ("&br;", "]"), ("&amp;", "&"))
MIN_BOX_PIXELS = 40  # a box smaller than this has no background to speak of


logging.getLogger("fontTools").setLevel(logging.WARNING)  # the kiosk's root logger is DEBUG


@cache
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True, fontNumber=0)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def font_file(name: str, bold: bool = False) -> str | None:
    """The file behind a font name (a registered name or a path)."""
    from kivy.core.text import LabelBase
    from kivy.resources import resource_find

    registered = LabelBase._fonts.get(name)
    if registered:
        return (registered[1] if bold else None) or registered[0]
    return resource_find(name) or resource_find(name + ".ttf")


def runs(widget) -> list[tuple[str, str]]:
    """(font name, text) as the label draws them: its markup's font runs, else one run (a
    ScriptLabel draws `display_text()`, the runs kiosk/ui/text.py builds, not `text`)."""
    text = widget.display_text() if hasattr(widget, "display_text") else widget.text
    if not getattr(widget, "markup", False):
        return [(widget.font_name, text)]
    out, fonts, at = [], [widget.font_name], 0
    for tag in MARKUP.finditer(text):
        out.append((fonts[-1], text[at:tag.start()]))
        at = tag.end()
        if tag.group(2) == "font":
            if tag.group(1):
                fonts = fonts[:-1] or [widget.font_name]
            else:
                fonts.append(tag.group(3) or widget.font_name)
    out.append((fonts[-1], text[at:]))
    result = []
    for font, chunk in out:
        for entity, char in ENTITIES:
            chunk = chunk.replace(entity, char)
        if chunk:
            result.append((font, chunk))
    return result


def _labels(screen):
    from kivy.uix.label import Label

    for widget in screen.walk():
        if isinstance(widget, Label) and widget.text.strip() and _shown(widget):
            yield widget


def missing_glyphs(screen) -> list[str]:
    found = []
    for widget in _labels(screen):
        for font, text in runs(widget):
            path = font_file(font, getattr(widget, "bold", False))
            if path is None:
                found.append(f"missing glyph: {name_of(widget)} font {font!r} not found")
                continue
            cmap = _cmap(path)
            missing = sorted({c for c in text if c not in NOT_DRAWN and ord(c) not in cmap})
            if missing:
                shown = " ".join(f"U+{ord(c):04X}" for c in missing[:6])
                found.append(f"missing glyph: {name_of(widget)} {shown} not in "
                             f"{path.rsplit('/', 1)[-1]}")
    return found


def _background(image, box) -> tuple[int, int, int] | None:
    """The most frequent colour of the box in the frame (PIL image, y from the top)."""
    height = image.height
    x0, y0, x1, y1 = (max(0, int(box[0])), max(0, int(height - box[3])),
                      min(image.width, int(box[2])), min(height, int(height - box[1])))
    if (x1 - x0) * (y1 - y0) < MIN_BOX_PIXELS:
        return None
    colours = image.crop((x0, y0, x1, y1)).getcolors(maxcolors=1 << 16)
    if not colours:
        return None
    return max(colours)[1]


def _hex(rgb) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(max(0, min(255, round(c))) for c in rgb))


def low_contrast(screen, image) -> list[str]:
    """`image`: the frame as drawn (PIL RGB, the window's size)."""
    found = []
    for widget in _labels(screen):
        box = window_box(widget)
        clip = _scroll_clip(widget)
        if clip is not None:
            box = (max(box[0], clip[0]), max(box[1], clip[1]),
                   min(box[2], clip[2]), min(box[3], clip[3]))
        if box[2] <= box[0] or box[3] <= box[1]:
            continue  # scrolled out of sight
        behind = _background(image, box)
        if behind is None:
            continue
        if _disabled(widget):
            continue  # an inactive control: no contrast requirement (WCAG 2.2, 1.4.3)
        r, g, b, a = widget.color
        alpha = a * _opacity(widget)
        text = [c * 255 * alpha + bg * (1 - alpha) for c, bg in zip((r, g, b), behind, strict=True)]
        ratio = theme.contrast_ratio(_hex(text), _hex(behind))
        if ratio < MIN_CONTRAST:
            found.append(f"low contrast: {name_of(widget)} {_hex(text)} on {_hex(behind)} "
                         f"{ratio:.1f}:1")
    return found


def _disabled(widget) -> bool:
    node = widget
    while node is not None and node is not node.parent:
        if getattr(node, "disabled", False):
            return True
        node = node.parent
    return False


def _opacity(widget) -> float:
    value, node = 1.0, widget
    while node is not None and node is not node.parent:
        value *= getattr(node, "opacity", 1.0)
        node = node.parent
    return value
