"""Colours, sizes and fonts of the kiosk, in one place.

Kivy has no font fallback, so the font is chosen per language: Noto Sans covers French,
English, Wolof and Bambara (ɛ ɔ ɲ ŋ), Noto Naskh Arabic covers Arabic, Noto Sans CJK
covers Chinese. Debian ships them (fonts-noto-core, fonts-noto-cjk); when one is missing
the kiosk falls back to Kivy's Roboto and says so in its log rather than crashing.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

# Text and surfaces. Every text/background pair used here has a contrast ratio >= 4.5:1.
BACKGROUND = "#F6F4EF"
SURFACE = "#FFFFFF"
TEXT = "#1B1B1B"
TEXT_MUTED = "#4A4A4A"
PRIMARY = "#1D3A8A"  # buttons: white text on it, contrast 10.6:1
ON_PRIMARY = "#FFFFFF"
WARNING_BG = "#FFF1C2"
WARNING_TEXT = "#5C3D00"

# Touch targets: at least 44 px and 9 mm; the kiosk uses much larger ones.
MIN_TARGET_PX = 88

_NOTO = Path("/usr/share/fonts/truetype/noto")
_NOTO_CJK = Path("/usr/share/fonts/opentype/noto")
FONT_FILES = {
    "latin": (_NOTO / "NotoSans-Regular.ttf", _NOTO / "NotoSans-Bold.ttf"),
    "arabic": (_NOTO / "NotoNaskhArabic-Regular.ttf", _NOTO / "NotoNaskhArabic-Bold.ttf"),
    "cjk": (_NOTO_CJK / "NotoSansCJK-Regular.ttc", _NOTO_CJK / "NotoSansCJK-Bold.ttc"),
}
LANGUAGE_FONT = {"fr": "latin", "en": "latin", "wo": "latin", "bm": "latin", "ar": "arabic", "zh": "cjk"}


def hex_to_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


def register_fonts() -> dict[str, str]:
    """Register one Kivy font name per script; returns language -> font name."""
    from kivy.core.text import LabelBase

    names = {}
    for script, (regular, bold) in FONT_FILES.items():
        name = f"Carrefour-{script}"
        if regular.exists():
            LabelBase.register(name, str(regular), fn_bold=str(bold) if bold.exists() else None)
            names[script] = name
        else:
            log.warning("font %s missing (install fonts-noto-core/fonts-noto-cjk); using Roboto", regular)
            names[script] = "Roboto"
    return {lang: names[script] for lang, script in LANGUAGE_FONT.items()}
