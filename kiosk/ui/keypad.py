"""On-screen input for a kiosk without a physical keyboard: a numeric keypad for phone
numbers, a letter keyboard suited to the language, and pictogram chips for Chinese.

No TextInput: nothing here takes the focus or summons a system keyboard. Each widget holds
its `text` as a property that the screen reads; `clear()` wipes it (the idle reset calls it).
Every key has a stable `tid` ("pad-7", "key-e", "key-space") for read-aloud and tests.
"""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.ui.widgets import ScriptLabel, discard_children  # noqa: E402  (shaped text, font per script)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

ERASE = "\b"  # the erase key's value; its label is a word (Noto Sans has no ⌫ glyph)
SPACE = " "

# One layout per script. Latin: AZERTY (what Paris keyboards are), with the letters French,
# Wolof and Bambara need on their own row; English gets QWERTY. Arabic: the usual
# Arabic PC layout (letters only).
LAYOUTS: dict[str, list[str]] = {
    "azerty": ["azertyuiop", "qsdfghjklm", "wxcvbn'-", "éèêàçùɛɔɲŋ"],
    "qwerty": ["qwertyuiop", "asdfghjkl", "zxcvbnm'-"],
    "arabic": ["ضصثقفغعهخحج", "شسيبلاتنمكط", "ئءؤرىةوزظدذ"],
    # An appointment's initials (A-Z, as the booking kept them), in every language.
    "initials-azerty": ["AZERTYUIOP", "QSDFGHJKLM", "WXCVBN"],
    "initials-qwerty": ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"],
}
LANGUAGE_LAYOUT = {"fr": "azerty", "wo": "azerty", "bm": "azerty", "en": "qwerty", "ar": "arabic"}


def layout_for(language: str) -> str | None:
    """The keyboard layout for a language; None means chips instead of typing (Chinese)."""
    return LANGUAGE_LAYOUT.get(language)


class Key(ButtonBehavior, ScriptLabel):
    tid = StringProperty("")
    value = StringProperty("")
    bg = ColorProperty("#FFFFFF")
    fg = ColorProperty("#1B1B1B")
    # Its words' size relative to a digit's (keypad.kv): a font_size set here would be
    # lost when large text is switched, as the rule sets it again.
    scale = NumericProperty(1.0)


class NumericKeypad(GridLayout):
    """Digits, "+" for foreign numbers, and erase. `text` is what was typed (max 20 chars)."""

    text = StringProperty("")
    max_length = NumericProperty(20)
    erase_label = StringProperty("Effacer")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for value in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "0", ERASE):
            tid = {"+": "pad-plus", ERASE: "pad-erase"}.get(value, f"pad-{value}")
            key = Key(tid=tid, value=value, text=value)
            if value == ERASE:
                key.bg = "#E4E1DA"
                key.scale = 0.7
                self.bind(erase_label=key.setter("text"))
                key.text = self.erase_label
            key.bind(on_release=self._press)
            self.add_widget(key)

    def _press(self, key: Key) -> None:
        if key.value == ERASE:
            self.text = self.text[:-1]
        elif len(self.text) < self.max_length and not (key.value == "+" and self.text):
            self.text += key.value

    def clear(self) -> None:
        self.text = ""

    @staticmethod
    def grouped(text: str) -> str:
        """"0612345678" shown as "06 12 34 56 78", as people read phone numbers in France."""
        if text.startswith("+"):
            return text
        return " ".join(text[i : i + 2] for i in range(0, len(text), 2))


class LetterKeyboard(BoxLayout):
    """Letter keys for one layout, then space / erase / clear. `text` is what was typed."""

    text = StringProperty("")
    layout = StringProperty("azerty")
    rtl = BooleanProperty(False)
    space_label = StringProperty("space")
    erase_label = StringProperty("Delete")
    max_length = NumericProperty(40)
    key_width = NumericProperty(96)
    widest = NumericProperty(10)  # keys in the layout's longest row (a screen's key width)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._rows: list[tuple[BoxLayout, int]] = []  # each letter row and its key count
        self._space: Key | None = None
        self._erase: Key | None = None
        # Built again on the next frame, never inside the dispatch that asked for it (a
        # language change): keys dropped in the middle of a dispatch of the app's
        # properties had their rules run dead (ReferenceError). Only a new layout or
        # direction builds the keys again; new words (a language of the same layout) or a
        # new key size (large text) restyle the keys there are.
        later = Clock.create_trigger(lambda _dt: self.rebuild())
        self.bind(layout=later, rtl=later)
        self.bind(space_label=self._relabel, erase_label=self._relabel)
        # The screen's own spacing comes after this constructor (kv): a restyle too.
        restyle = Clock.create_trigger(lambda _dt: self.restyle())
        self.bind(key_width=restyle, spacing=restyle)
        self.rebuild()

    def rebuild(self) -> None:
        discard_children(self)
        self._rows = []
        rows = LAYOUTS.get(self.layout, LAYOUTS["azerty"])
        self.widest = max(len(letters) for letters in rows)
        for letters in rows:
            row = BoxLayout(spacing=self.spacing, size_hint_x=None)
            row.pos_hint = {"center_x": 0.5}
            for letter in (reversed(letters) if self.rtl else letters):
                row.add_widget(self._key(letter, f"key-{letter}", letter))
            self._rows.append((row, len(letters)))
            self.add_widget(row)
        bottom = BoxLayout(spacing=self.spacing)
        self._space = self._key(self.space_label, "key-space", SPACE, hint=3)
        bottom.add_widget(self._space)
        self._erase = self._key("‹ " + self.erase_label, "key-erase", ERASE, hint=1.4)
        self._erase.bg = "#E4E1DA"
        bottom.add_widget(self._erase)
        self.add_widget(bottom)
        self.restyle()

    def restyle(self) -> None:
        """Letter rows as wide as their keys at `key_width` (the keys' font size follows
        the app's text size by their own rule, keypad.kv)."""
        for row in self.children:  # the letter rows and the bottom one
            row.spacing = self.spacing
        for row, count in self._rows:
            row.width = count * (self.key_width + self.spacing)
        # The screens' height rules (bound to the children, as the class rule's) are run
        # again as when the keys were built anew: the screen's rule, applied last, wins
        # over the class rule's default, which large text had just applied.
        self.property("children").dispatch(self)

    def _relabel(self, *_args) -> None:
        if self._space is not None and self._erase is not None:
            self._space.text = self.space_label
            self._erase.text = "‹ " + self.erase_label

    def _key(self, label: str, tid: str, value: str, hint: float = 1) -> Key:
        key = Key(tid=tid, value=value, text=label, size_hint_x=hint)
        key.bind(on_release=self._press)
        return key

    def _press(self, key: Key) -> None:
        if key.value == ERASE:
            self.text = self.text[:-1]
        elif key.value == SPACE:
            if self.text and not self.text.endswith(SPACE):
                self.text += SPACE
        elif len(self.text) < self.max_length:
            self.text += key.value

    def clear(self) -> None:
        self.text = ""


class Chip(ButtonBehavior, BoxLayout):
    """A topic to touch instead of typing: pictogram and its name."""

    tid = StringProperty("")
    image = StringProperty("")
    label = StringProperty("")
    selected = BooleanProperty(False)
