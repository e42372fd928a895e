"""Widgets of the visitor journeys: the footer (listen, call an agent) on every screen, the
home entries (life situations, search, call an agent), checklist rows, the floor plan with
its pulsing spot, pictogram choices, panels.

Every touchable widget has a stable `tid` (read-aloud and tests) and is at least
theme.MIN_TARGET_PX tall. Pictograms are white drawings: they always sit on a colour.
"""

from __future__ import annotations

from pathlib import Path

from kivy.animation import Animation
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout

import kiosk.ui.widgets  # noqa: F401  (Text, BigButton, Header: used by the rules below)
from kiosk.ui.widgets import MirrorBox

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class IconButton(ButtonBehavior, MirrorBox):
    """A big button with a pictogram (on its colour) and a label; `alt` is the text alternative.
    `compact`: smaller words and margins, for six in a row."""

    tid = StringProperty("")
    compact = BooleanProperty(False)
    image = StringProperty("")
    label = StringProperty("")
    bg = ColorProperty("#1D3A8A")
    fg = ColorProperty("#FFFFFF")


class FlowFooter(BoxLayout):
    """Listen (read the screen aloud) and call an agent: at the bottom of every journey screen."""


class HomeEntries(GridLayout):
    """The home screen's other doors: life situations, the Carte Citoyenne, the neighbourhood's
    offers; search, call an agent, listen."""

    compact = BooleanProperty(False)


class CheckRow(ButtonBehavior, BoxLayout):
    """A document of a checklist: touch to tick it when you have it."""

    tid = StringProperty("")
    text = StringProperty("")
    checked = BooleanProperty(False)

    def on_release(self):
        self.checked = not self.checked


class Choice(ButtonBehavior, BoxLayout):
    """One answer among a few (priority category, yes/no): pictogram and words, big."""

    tid = StringProperty("")
    image = StringProperty("")
    label = StringProperty("")
    bg = ColorProperty("#1D3A8A")


class WideTile(ButtonBehavior, MirrorBox):
    """A tile with its pictogram beside its words (long names such as life situations)."""

    tid = StringProperty("")
    image = StringProperty("")
    label = StringProperty("")
    alt = StringProperty("")
    bg = ColorProperty("#5B2C83")


class Panel(BoxLayout):
    """A white rounded box grouping one idea (the wait, the privacy notice...)."""

    bg = ColorProperty("#FFFFFF")


class PlanView(FloatLayout):
    """A floor plan with the service's spot marked by a pulsing red dot.

    `spot_x`, `spot_y` are 0..1 from the plan's left and top edges, as an agent places them
    on the image in the back-office (top-left origin, like the image file).
    """

    source = StringProperty("")
    spot_x = NumericProperty(0.5)
    spot_y = NumericProperty(0.5)
    pulse = NumericProperty(0.0)
    alt = StringProperty("")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._anim = None

    def start_pulse(self) -> None:
        self.stop_pulse()
        self.pulse = 0.0
        self._anim = Animation(pulse=1.0, duration=0.9) + Animation(pulse=0.0, duration=0.9)
        self._anim.repeat = True
        self._anim.start(self)

    def stop_pulse(self) -> None:
        if self._anim is not None:
            self._anim.cancel(self)
            self._anim = None
