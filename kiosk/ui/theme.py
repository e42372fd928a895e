"""Colours, sizes and fonts of the kiosk, in one place.

Colours come in one palette per display mode ("normal", and "contrast": black, white and
yellow for low vision); the app exposes the current one as `app.palette` and every kv rule
reads its colours from there, so switching mode repaints every screen.
tests/ui/test_accessibility.py checks every text/background pair of every palette
(TEXT_PAIRS) against WCAG's 4.5:1, and white text on every pole colour of the demo content.

Kivy has no font fallback, so the font is chosen per language: Noto Sans covers French,
English, Wolof and Bambara (ɛ ɔ ɲ ŋ), Noto Naskh Arabic covers Arabic, Noto Sans CJK
covers Chinese. Runs a language's font lacks (Latin letters in Arabic: "C042", "PACS") are
drawn with another font, run by run (kiosk.ui.text). Debian ships them (fonts-noto-core,
fonts-noto-cjk); when one is missing the kiosk falls back to Kivy's Roboto and says so.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

NORMAL = "normal"
CONTRAST = "contrast"
MODES = (NORMAL, CONTRAST)

# `None` for header_bg/tile_bg: the pole's own colour (white text on it, >= 4.5:1 checked).
PALETTES: dict[str, dict[str, str | None]] = {
    NORMAL: {
        "background": "#F6F4EF",
        "surface": "#FFFFFF",
        "text": "#1B1B1B",
        "text_muted": "#4A4A4A",
        "section": "#1D3A8A",
        "primary": "#1D3A8A",  # buttons: white text on it, contrast 10.6:1
        "on_primary": "#FFFFFF",
        "secondary": "#FFFFFF",  # light buttons (back, home, language), text in primary
        "on_secondary": "#1D3A8A",
        "selected": "#1D3A8A",  # the chosen language / an active mode
        "on_selected": "#FFFFFF",
        "warning_bg": "#FFF1C2",
        "warning_text": "#5C3D00",
        "urgent_bg": "#B3261E",  # an urgent announcement: white on red, 6.5:1
        "error_text": "#B00020",  # a refused code, a wrong number: red words (and frame)
        "on_urgent": "#FFFFFF",
        "header_bg": None,
        "header_text": "#FFFFFF",
        "tile_bg": None,
        "tile_text": "#FFFFFF",
        "outline": "#8A8A8A",  # borders: decoration only, not text
    },
    CONTRAST: {
        "background": "#000000",
        "surface": "#000000",
        "text": "#FFFFFF",
        "text_muted": "#FFFFFF",
        "section": "#FFFF00",
        "primary": "#FFFF00",
        "on_primary": "#000000",
        "secondary": "#000000",
        "on_secondary": "#FFFF00",
        "selected": "#FFFF00",
        "on_selected": "#000000",
        "warning_bg": "#FFFF00",
        "warning_text": "#000000",
        "urgent_bg": "#FFFFFF",
        "on_urgent": "#000000",
        "error_text": "#FFFF00",
        "header_bg": "#000000",
        "header_text": "#FFFFFF",
        "tile_bg": "#000000",
        "tile_text": "#FFFF00",
        "outline": "#FFFF00",
    },
}

# (text, background) pairs drawn by the kiosk; None backgrounds are the poles' colours.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("text", "background"),
    ("text", "surface"),
    ("text_muted", "background"),
    ("text_muted", "surface"),
    ("error_text", "background"),
    ("error_text", "surface"),
    ("section", "background"),
    ("on_primary", "primary"),
    ("on_secondary", "secondary"),
    ("on_selected", "selected"),
    ("warning_text", "warning_bg"),
    ("on_urgent", "urgent_bg"),
    ("header_text", "header_bg"),
    ("tile_text", "tile_bg"),
)

# Kept for code that reads the normal palette directly.
BACKGROUND = PALETTES[NORMAL]["background"]
SURFACE = PALETTES[NORMAL]["surface"]
TEXT = PALETTES[NORMAL]["text"]
TEXT_MUTED = PALETTES[NORMAL]["text_muted"]
PRIMARY = PALETTES[NORMAL]["primary"]
ON_PRIMARY = PALETTES[NORMAL]["on_primary"]
WARNING_BG = PALETTES[NORMAL]["warning_bg"]
WARNING_TEXT = PALETTES[NORMAL]["warning_text"]

# Touch targets: at least 44 px and 9 mm (min_target_px); the kiosk uses much larger ones.
MIN_TARGET_PX = 88
MIN_TARGET_CSS_PX = 44
MIN_TARGET_MM = 9.0
LARGE_TEXT_SCALE = 1.3

_NOTO = Path("/usr/share/fonts/truetype/noto")
_NOTO_CJK = Path("/usr/share/fonts/opentype/noto")
FONT_FILES = {
    "latin": (_NOTO / "NotoSans-Regular.ttf", _NOTO / "NotoSans-Bold.ttf"),
    "arabic": (_NOTO / "NotoNaskhArabic-Regular.ttf", _NOTO / "NotoNaskhArabic-Bold.ttf"),
    "cjk": (_NOTO_CJK / "NotoSansCJK-Regular.ttc", _NOTO_CJK / "NotoSansCJK-Bold.ttc"),
}
LANGUAGE_FONT = {"fr": "latin", "en": "latin", "wo": "latin", "bm": "latin", "ar": "arabic", "zh": "cjk"}
# Fonts tried, in order, for the characters a language's own font lacks.
FALLBACK_SCRIPTS = ("latin", "cjk", "arabic")


def font_name(script: str) -> str:
    return f"Carrefour-{script}"


def hex_to_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


def palette_rgba(mode: str) -> dict[str, tuple[float, float, float, float] | None]:
    """The palette of `mode` as Kivy colours (None kept: "use the pole's colour")."""
    colours = PALETTES.get(mode, PALETTES[NORMAL])
    return {key: hex_to_rgba(value) if value else None for key, value in colours.items()}


def relative_luminance(hex_color: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = hex_to_rgba(hex_color)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio, 1.0 to 21.0."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def min_target_px(dpi: float) -> float:
    """The smallest touch target side, in pixels: 44 px and 9 mm at the screen's density."""
    return max(MIN_TARGET_CSS_PX, MIN_TARGET_MM * dpi / 25.4)


# script -> registered Kivy font name, filled by register_fonts().
REGISTERED: dict[str, str] = {}


def register_fonts() -> dict[str, str]:
    """Register one Kivy font name per script; returns language -> font name.

    A missing font file is logged and replaced by Kivy's Roboto rather than crashing.
    """
    from kivy.core.text import LabelBase

    for script, (regular, bold) in FONT_FILES.items():
        name = font_name(script)
        if regular.exists():
            LabelBase.register(name, str(regular), fn_bold=str(bold) if bold.exists() else None)
            REGISTERED[script] = name
        else:
            log.warning("font %s missing (install fonts-noto-core/fonts-noto-cjk); using Roboto", regular)
            REGISTERED[script] = "Roboto"
    return {lang: REGISTERED[script] for lang, script in LANGUAGE_FONT.items()}


def font_file(name: str) -> Path | None:
    """The regular font file behind a registered font name."""
    for script, (regular, _bold) in FONT_FILES.items():
        if REGISTERED.get(script) == name and regular.exists():
            return regular
    return None
