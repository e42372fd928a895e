"""App-wide look and language state, as Kivy properties on the App that every kv rule binds to.

    app.tr(<key>, **fields)   the kiosk's words in the current language (a property holding a
                              function: kv rules `text: app.tr("back")` re-run on a switch)
    app.sp(26)                a font size scaled to the screen and to large-text mode
    app.palette["text"]       a colour of the current mode (normal / high contrast), theme.py
    app.large_text, app.contrast, app.lower_reach    the visitor's accessibility modes
    app.reach_top             pixels to leave empty above the interactive content (lower reach)
    app.min_target            the smallest touch target, px (44 px and 9 mm at screen_dpi)
    app.font_chain            the fonts of the current language, run by run (kiosk.ui.text)

Switching the language re-runs every kv rule (through `tr`) and asks every screen to show
its content again in the new language (`relocalize`). Modes are reset by `reset_modes()`,
which the idle reset calls.
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from kiosk.ui import theme
from kiosk.ui.strings import t
from kiosk.ui.text import Coverage, FontChain, font_coverage


def _translator(language: str):
    def tr(key: str, **fields) -> str:
        return t(key, language, **fields)

    tr.language = language  # type: ignore[attr-defined]  # a function attribute: its language
    return tr


class KioskModes(EventDispatcher):
    tr = ObjectProperty(_translator("fr"))
    sp = ObjectProperty(lambda value: value)
    palette = ObjectProperty(theme.palette_rgba(theme.NORMAL))
    mode = StringProperty(theme.NORMAL)
    contrast = BooleanProperty(False)
    large_text = BooleanProperty(False)
    lower_reach = BooleanProperty(False)
    text_factor = NumericProperty(1.0)
    reach_top = NumericProperty(0)
    min_target = NumericProperty(theme.MIN_TARGET_CSS_PX)
    font_chain = ObjectProperty(None, allownone=True)
    font_direction = StringProperty("ltr")
    font_script = StringProperty("Latn")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._relocalize_trigger = Clock.create_trigger(lambda _dt: self.relocalize())

    def init_modes(self) -> None:
        """Once settings and scale are known, before the first screen is built."""
        settings = self.settings
        self.min_target = theme.min_target_px(getattr(settings, "screen_dpi", 96.0))
        self._large_scale = getattr(settings, "text_scale", theme.LARGE_TEXT_SCALE)
        self._update_sp()
        self.tr = _translator(self.language)

    # -- modes -------------------------------------------------------------------------

    def toggle_large_text(self) -> None:
        self.large_text = not self.large_text

    def toggle_contrast(self) -> None:
        self.contrast = not self.contrast

    def toggle_lower_reach(self) -> None:
        self.lower_reach = not self.lower_reach

    def reset_modes(self) -> None:
        """Back to what a new visitor finds: default language, no mode on."""
        self.large_text = self.contrast = self.lower_reach = False
        settings = getattr(self, "settings", None)
        if settings is not None and self.language != settings.language:
            self.set_language(settings.language)

    def on_large_text(self, _instance, value) -> None:
        self.text_factor = getattr(self, "_large_scale", theme.LARGE_TEXT_SCALE) if value else 1.0
        self._update_sp()

    def on_contrast(self, _instance, value) -> None:
        self.mode = theme.CONTRAST if value else theme.NORMAL
        self.palette = theme.palette_rgba(self.mode)

    def on_lower_reach(self, _instance, value) -> None:
        from kivy.core.window import Window

        self.reach_top = Window.height / 3 if value else 0

    def _update_sp(self) -> None:
        factor = getattr(self, "scale", 1.0) * self.text_factor

        def sp(value: float) -> float:
            return value * factor

        self.sp = sp

    # -- language ------------------------------------------------------------------------

    def on_language(self, _instance, value) -> None:
        self.tr = _translator(value)
        if getattr(self, "root", None) is not None:
            self._relocalize_trigger()

    def on_rtl(self, _instance, value) -> None:
        self.font_direction = "rtl" if value else "ltr"
        self.font_script = "Arab" if value else "Latn"

    def on_font(self, _instance, value) -> None:
        self.font_chain = self.chain_for(value)

    def chain_for(self, font: str) -> FontChain:
        """`font`, then the other registered fonts, each with the characters it has."""
        cache = self.__dict__.setdefault("_chains", {})
        if font not in cache:
            names = [font] + [theme.REGISTERED.get(s) for s in theme.FALLBACK_SCRIPTS]
            chain = []
            for name in dict.fromkeys(n for n in names if n and (n == font or n != "Roboto")):
                path = theme.font_file(name)
                chain.append((name, font_coverage(str(path)) if path else Coverage.everything()))
            cache[font] = FontChain(tuple(chain))
        return cache[font]

    def language_font(self, code: str) -> str:
        """The font that writes language `code` (for a language's name in its own script)."""
        script = theme.LANGUAGE_FONT.get(code, "latin")
        return theme.REGISTERED.get(script, "Roboto")

    def modes_active(self) -> bool:
        return bool(self.large_text or self.contrast or self.lower_reach)

    def relocalize(self) -> None:
        """Show every screen's content again in the current language."""
        screens = getattr(self, "screens", {})
        if "home" in screens and hasattr(self, "refresh_content"):
            self.refresh_content()
        for screen in screens.values():
            hook = getattr(screen, "relocalize", None)
            if hook is not None:
                hook()
            elif getattr(screen, "state", "") == "ready" and getattr(screen, "ticket", None):
                screen.ready(screen.ticket)  # the ticket screen: its texts again
