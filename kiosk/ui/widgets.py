"""Shared widgets: large buttons and tiles with a stable `tid` (for read-aloud and tests)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ColorProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class Text(Label):
    """A label that wraps to its width and grows to its text's height."""


class Title(Text):
    pass


class BigButton(ButtonBehavior, Label):
    tid = StringProperty("")
    bg = ColorProperty("#1D3A8A")
    fg = ColorProperty("#FFFFFF")


class Tile(ButtonBehavior, BoxLayout):
    """A coloured tile: pictogram above, name below. `alt` is the pictogram's text alternative."""

    tid = StringProperty("")
    bg = ColorProperty("#1D3A8A")
    image = StringProperty("")
    label = StringProperty("")
    alt = StringProperty("")


class Row(ButtonBehavior, BoxLayout):
    """A full-width list entry: pictogram, name, summary."""

    tid = StringProperty("")
    bg = ColorProperty("#1D3A8A")
    image = StringProperty("")
    label = StringProperty("")
    detail = StringProperty("")


class Header(BoxLayout):
    title = StringProperty("")
    bg = ColorProperty("#1D3A8A")
