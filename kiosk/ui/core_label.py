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
then draws nothing). Once per batch of measurements (`get_cached_extents`, which Kivy's
layout takes once per line or run and calls per word: nothing else draws in between) and
before every single `get_extents`. Every label of the kiosk is a ScriptLabel, which uses
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


class _Shaped:
    """Measure with the font's direction and script set first (mixed into a core label)."""

    def get_extents(self, text):
        give_font_its_shaping(self)
        return super().get_extents(text)

    def get_cached_extents(self):
        give_font_its_shaping(self)
        return super().get_extents


class ShapedLabel(_Shaped, CoreLabel):
    pass


class ShapedMarkupLabel(_Shaped, CoreMarkupLabel):
    pass
