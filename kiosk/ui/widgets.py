"""Shared widgets: large buttons and tiles with a stable `tid` (for read-aloud and tests).

Every text goes through ScriptLabel, which draws each run of text with a font that has it
and lays Arabic out right to left, line by line (kiosk.ui.text). Colours come from
`app.palette` and sizes from `app.sp`, so the modes (large text, high contrast) apply to
every screen. MirrorBox lays its children out right to left when `app.rtl`.
"""

from __future__ import annotations

import re
from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.utils import get_hex_from_color

from kiosk.ui.core_label import ShapedLabel, ShapedMarkupLabel
from kiosk.ui.text import display_markup, escape_markup, measure_runs

_MEASURERS: dict[tuple, ShapedLabel] = {}


def discard_children(parent) -> None:
    """Remove `parent`'s children for good (a list built again): their kv rules' bindings
    to the app (language, modes, sizes...) are undone first. Kivy undoes them when a widget
    is collected, but a collection in the middle of a dispatch (a language change, large
    text switched on) can run a dead widget's rule: ReferenceError, the kiosk down. Never
    for children that are put back (a column order reversed for Arabic)."""
    for child in list(parent.children):
        for widget in child.walk(restrict=True):
            Builder.unbind_widget(widget.uid)
    parent.clear_widgets()


class ScriptLabel(Label):
    """A label whose text is drawn run by run in a font that has it, right to left in Arabic.

    Set `text` as for any Label (plain text: markup characters are escaped); what is drawn
    is the markup kiosk.ui.text.display_markup builds for the app's current language, or for
    `lang` when set (a text always in one language, like a language's own name).
    """

    lang = StringProperty("")
    # The text colour when not the palette's text colour (kv: `ink:`, see widgets.kv).
    ink = ColorProperty(None, allownone=True)

    def _measure(self, chunk: str, font: str) -> float:
        key = (font, float(self.font_size), self.bold, self.font_direction, self.font_script_name)
        core = _MEASURERS.get(key)
        if core is None:
            core = ShapedLabel(font_name=font, font_size=self.font_size, bold=self.bold,
                               font_direction=self.font_direction,
                               font_script_name=self.font_script_name)
            _MEASURERS[key] = core
        return core.get_extents(chunk)[0]

    def word_width(self, text: str, *_bound) -> float:
        """The widest word of `text` as drawn: a button at least that wide (plus its padding)
        never cuts a word ("Ndoorte|el" in large text). kv passes the properties the width
        depends on (`font_size`, `bold`...) after the text, so that it is measured again."""
        # Words as wrap() cuts them: at spaces only (a no-break space holds "choix\u00a0:").
        words = [word for word in re.split(r"[ \t\n]+", text) if word]
        if not words:
            return 0.0
        app = App.get_running_app()
        if app is None or not hasattr(app, "chain_for"):
            return max(self._measure(word, self.font_name) for word in words)
        chain = app.chain_for(self.font_name)
        return max(measure_runs(word, chain, self._measure) for word in words)

    def display_text(self) -> str:
        app = App.get_running_app()
        if app is None or not hasattr(app, "chain_for") or not self.text:
            return escape_markup(self.text)
        chain = app.chain_for(self.font_name)
        width = None
        if self.text_size[0] is not None:
            width = self.text_size[0] - self.padding[0] - self.padding[2] - 4
        rtl = self.font_direction == "rtl"
        # What _measure depends on besides its arguments: wrapped lines are kept by it.
        measure_key = (float(self.font_size), self.bold, self.font_direction, self.font_script_name)
        return display_markup(self.text, chain, rtl=rtl, width=width, measure=self._measure,
                              measure_key=measure_key)

    def on_color(self, *_args):
        # The colour is baked into the markup drawn: a new colour (a mode switched) is a
        # new texture.
        self._trigger_texture_update()

    # Drawn again once its screen is shown (a text, a size, a colour changed while hidden).
    _stale = False

    def _on_a_hidden_screen(self) -> bool:
        """The label is on a screen of the kiosk's screen manager that is not shown now."""
        widget = self.parent
        while widget is not None and widget is not widget.parent:
            if isinstance(widget, Screen):
                return widget.manager is not None and widget.manager.current_screen is not widget
            widget = widget.parent
        return False

    def texture_update(self, *largs):
        # A mode or a language switched redraws every label of every screen built: those of
        # the screens not shown are drawn when theirs is (draw_stale_labels), not now (83 %
        # of the labels drawn in the layout matrix's run were on a hidden screen).
        if self._on_a_hidden_screen():
            self._stale = True
            return None
        self._stale = False
        # Kivy's Label.texture_update (markup branch), drawing display_text() instead of text.
        if not self.markup:
            return super().texture_update(*largs)
        self.texture = None
        shown = self.display_text()
        if not shown.strip():
            self.texture_size = (0, 0)
            self.is_shortened = False
            self.refs, self._label._refs = {}, {}
            self.anchors, self._label._anchors = {}, {}
            return
        colour = self.disabled_color if self.disabled else self.color
        if shown == escape_markup(self.text):
            # One font, left to right (most texts): Kivy's plain label lays it out in
            # compiled code, where the markup label measures word by word in Python.
            label = self._plain_label()
            label.text = self.text
            label.options["color"] = colour
            self.refs, self.anchors = {}, {}
        else:
            label = self._label
            label.text = f"[color={get_hex_from_color(colour)}]{shown}[/color]"
        label.refresh()
        texture = label.texture
        if texture is not None:
            texture.bind()
        if label is self._label:
            self.refs = label.refs
            self.anchors = label.anchors
        if texture is not None:
            self.texture = texture
            self.texture_size = list(texture.size)
        self.is_shortened = label.is_shortened

    def _create_label(self):
        # Kivy's Label._create_label, with core labels that measure as they draw
        # (kiosk.ui.core_label): right-to-left text in its place from its first layout.
        cls = ShapedMarkupLabel if self.markup else ShapedLabel
        if self._label is not None and self._label.__class__ is cls:
            return
        options = {name: getattr(self, name) for name in self._font_properties}
        options["usersize"] = self.text_size
        if self.disabled:
            options["color"] = self.disabled_color
            options["outline_color"] = self.disabled_outline_color
        self._label = cls(**options)

    def _plain_label(self) -> ShapedLabel:
        """A plain core label sharing the markup label's options (font, size, wrapping...)."""
        plain = self.__dict__.get("_plain")
        if plain is None:
            plain = self.__dict__["_plain"] = ShapedLabel()
        plain.options = dict(self._label.options)
        plain.usersize = self._label.usersize  # text_size: Kivy keeps it out of the options
        return plain


def draw_stale_labels(screen) -> None:
    """Draw, before the screen's next frame, the labels of `screen` that changed while it was
    hidden (ScriptLabel.texture_update): bound to the screen manager's `current_screen`."""
    if screen is None:
        return
    for widget in screen.walk(restrict=True):
        if isinstance(widget, ScriptLabel) and widget._stale:
            widget._trigger_texture()


class MirrorBox(BoxLayout):
    """A horizontal BoxLayout that lays its children out right to left when `mirrored`."""

    mirrored = BooleanProperty(False)

    def on_mirrored(self, *_):
        self._trigger_layout()

    def do_layout(self, *largs):
        super().do_layout(*largs)
        if self.mirrored and self.orientation == "horizontal":
            for child in self.children:
                child.x = self.x + self.right - child.right


class Text(ScriptLabel):
    """A label that wraps to its width and grows to its text's height; to the reading side
    (right in Arabic) unless `centred`."""

    centred = BooleanProperty(False)


class Title(Text):
    pass


class Caption(ScriptLabel):
    """A single-area label (tile names, header titles): sized by its parent."""


class BigButton(ButtonBehavior, ScriptLabel):
    tid = StringProperty("")
    bg = ColorProperty("#1D3A8A")
    fg = ColorProperty("#FFFFFF")


class ChoiceButton(BigButton):
    """A mode or language button: `active` shows it is the current choice."""

    active = BooleanProperty(False)


class Tile(ButtonBehavior, MirrorBox):
    """A coloured tile: pictogram above, name below. `alt` is the pictogram's text alternative."""

    tid = StringProperty("")
    bg = ColorProperty("#1D3A8A")
    image = StringProperty("")
    label = StringProperty("")
    alt = StringProperty("")


class Row(ButtonBehavior, MirrorBox):
    """A full-width list entry: pictogram, name, summary (pictogram on the right in Arabic)."""

    tid = StringProperty("")
    bg = ColorProperty("#1D3A8A")
    image = StringProperty("")
    label = StringProperty("")
    detail = StringProperty("")


class Notice(ButtonBehavior, ScriptLabel):
    """A short message over the whole screen (no recording in this language...): it closes
    by itself after a few seconds, or at a touch."""

    def on_release(self):
        if self.parent is not None:
            self.parent.remove_widget(self)


class Header(MirrorBox):
    """Back, title, home; mirrored in Arabic; pushed down in the lower-reach layout."""

    title = StringProperty("")
    bg = ColorProperty("#1D3A8A")
    # Lower reach: how far down the header may go, when the screen's own content needs the
    # rest (a keyboard, filters): None, the whole app.reach_top. Set `room`, never `reach`.
    room = NumericProperty(None, allownone=True)
    reach = NumericProperty(0)
    base = NumericProperty(0)  # its height without the lower-reach space


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
