"""Kivy's core labels, measuring a text as they draw it (a fix to Kivy 2.3's SDL2 provider).

Kivy's SDL2 text provider shapes a text with the font's direction and script
(`font_direction="rtl"`, `font_script_name="Arab"`), but it gives them to the font only
when it *draws* (`_SurfaceContainer.render` calls `TTF_SetFontDirection` and
`TTF_SetFontScriptName`); `get_extents` measures with whatever the font was last drawn with.
One SDL_ttf font object is shared by every label of the same file, size and style. So the
first measurement of an Arabic text at a new size was taken with the font's defaults: the
home title, 380 px wide as drawn, measured 499 px, and right-aligned Arabic sat 120 px off
its place until the label was laid out again. Kivy's upstream code (2.3.1 and the SDL3
provider of its main branch) still measures this way.

ShapedLabel and ShapedMarkupLabel give the font its direction and script before they
measure, as drawing does: an empty text is drawn on a 1 x 1 surface (SDL_ttf sets the state,
then draws nothing), before every measurement. Each text is measured once per font and
shaping (`_EXTENTS`). Every label of the kiosk is a ScriptLabel, which uses
them (kiosk.ui.widgets).
"""

from __future__ import annotations

from kivy.core.text import Label as CoreLabel
from kivy.core.text.markup import MarkupLabel as CoreMarkupLabel

try:  # the SDL2 provider, which the kiosk runs; another provider has no such state
    from kivy.core.text._text_sdl2 import _SurfaceContainer
except ImportError:  # pragma: no cover - another text provider (pango, PIL)
    _SurfaceContainer = None

_SDL2 = _SurfaceContainer is not None and CoreLabel.__module__.endswith("text_sdl2")
_SURFACE = None


def give_font_its_shaping(core) -> None:
    """Set the direction and script of `core`'s font object to `core`'s options, as Kivy's
    drawing does: draw an empty text with them (nothing is drawn, the state stays)."""
    global _SURFACE
    if not _SDL2:
        return
    if _SURFACE is None:
        _SURFACE = _SurfaceContainer(1, 1)
    _SURFACE.render(core, "", 0, 0)


# (the font's id, direction, script, hinting, kerning, outline, text) -> its extents. A
# text measured once in a font is not measured again: Kivy's layout measures every word of
# a label each time it draws it (a mode switched, a language changed, a screen drawn
# again): in a profile of the layout matrix, measuring was ~15 % of the CPU samples, and
# 95 % of the measurements were of a text already measured in that font.
_EXTENTS: dict[tuple, tuple[int, int]] = {}
EXTENTS_KEPT = 50_000  # forgotten at once past that many (typed and free texts)


def _font_key(core) -> tuple:
    options = core.options
    return (core._get_font_id(), options.get("font_direction"), options.get("font_script_name"),
            options.get("font_hinting"), options.get("font_kerning"),
            options.get("outline_width"))


class _Shaped:
    """Measure with the font's direction and script set first (mixed into a core label),
    each text once per font."""

    def get_extents(self, text):
        if not _SDL2:
            return super().get_extents(text)
        return self._extents(_font_key(self), text)

    def get_cached_extents(self):
        if not _SDL2:
            return super().get_cached_extents()
        key = _font_key(self)
        return lambda text: self._extents(key, text)

    def _extents(self, font, text):
        found = _EXTENTS.get((font, text))
        if found is None:
            give_font_its_shaping(self)
            found = super().get_extents(text)
            if len(_EXTENTS) >= EXTENTS_KEPT:
                _EXTENTS.clear()
            _EXTENTS[(font, text)] = found
        return found


class ShapedLabel(_Shaped, CoreLabel):
    pass


class ShapedMarkupLabel(_Shaped, CoreMarkupLabel):
    pass
