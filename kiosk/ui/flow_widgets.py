"""Widgets of the visitor journeys: the footer (listen, call an agent) on every screen, the
home entries (life situations, search, call an agent), checklist rows, the floor plan with
its pulsing spot, pictogram choices, panels.

Every touchable widget has a stable `tid` (read-aloud and tests) and is at least
theme.MIN_TARGET_PX tall. Pictograms are white drawings: they always sit on a colour.
"""

from __future__ import annotations

from pathlib import Path

from kivy import metrics
from kivy.animation import Animation
from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout

import kiosk.ui.widgets  # noqa: F401  (Text, BigButton, Header: used by the rules below)
from kiosk.ui.widgets import MirrorBox, ScriptLabel

# "Écouter" on every screen (kiosk/ui/reading.py: it turns into a stop button while the
# kiosk speaks); its module is imported when the first one is built.
Factory.register("ReadAloudButton", module="kiosk.ui.reading")

# Home's rules now; the journeys' rules (flow_widgets.kv) when the first other screen loads
# (screens/base.py load_kv): Kivy compiles every rule it loads, before the first frame.
Builder.load_file(str(Path(__file__).with_name("home_widgets.kv")))
_journey_rules_loaded = False


def load_journey_rules() -> None:
    """Load the rules of the journeys' widgets (footer, checklist rows, plan...), once."""
    global _journey_rules_loaded
    if not _journey_rules_loaded:
        _journey_rules_loaded = True
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


class FlowFooter(MirrorBox):
    """Listen (read the screen aloud) and call an agent: at the bottom of every journey screen
    (mirrored in Arabic, as the header)."""


class HomeEntries(GridLayout):
    """The home screen's other doors: life situations, the Carte Citoyenne, the neighbourhood's
    offers; search, call an agent, listen."""

    compact = BooleanProperty(False)


class CheckRow(ButtonBehavior, MirrorBox):
    """A document of a checklist: touch to tick it when you have it. `image`: the
    document's pictogram (kiosk/domain/documents.py), on a dark tile beside its name."""

    tid = StringProperty("")
    text = StringProperty("")
    image = StringProperty("")
    checked = BooleanProperty(False)

    def on_release(self):
        self.checked = not self.checked


class Choice(ButtonBehavior, MirrorBox):
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


class PlanMarker(ScriptLabel):
    """A landmark of a floor plan (the reception, the lift): a dark dot at (dot_x, dot_y)
    and its name, white on a dark tag beside it (readable on any plan)."""

    dot_x = NumericProperty(0)
    dot_y = NumericProperty(0)
    hid = StringProperty("")


def _label_cost(pos, size, image, spot, placed) -> float:
    """How bad a landmark's label is at `pos`: over the service's spot (worst), over another
    label, out of the plan's image."""
    (px, py), (w, h) = pos, size
    left, bottom, width, height = image
    sx, sy, radius = spot
    outside = (max(0, left - px) + max(0, px + w - (left + width))
               + max(0, bottom - py) + max(0, py + h - (bottom + height)))
    nx, ny = min(max(sx, px), px + w), min(max(sy, py), py + h)
    on_spot = 1000 if (nx - sx) ** 2 + (ny - sy) ** 2 < radius ** 2 else 0
    overlaps = sum(1 for (ox, oy, ow, oh) in placed
                   if px < ox + ow and ox < px + w and py < oy + oh and oy < py + h)
    return on_spot + 100 * overlaps + 10 * outside


class PlanView(FloatLayout):
    """A floor plan with the service's spot marked by a pulsing red dot, and its landmarks
    (`set_hotspots`) as small labelled markers.

    `spot_x`, `spot_y` are 0..1 from the plan's left and top edges, as an agent places them
    on the image in the back-office (top-left origin, like the image file).
    """

    source = StringProperty("")
    spot_x = NumericProperty(0.5)
    spot_y = NumericProperty(0.5)
    pulse = NumericProperty(0.0)
    alt = StringProperty("")
    # The plan image's drawn size: known only once the image is laid out, after the first
    # resize; markers are placed again then (else they pile up where the first guess put them).
    drawn = ListProperty([0, 0])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._anim = None
        self._hotspots: list[tuple[str, float, float, str]] = []
        self._markers: list[PlanMarker] = []  # reused from one service to the next
        self._place_trigger = Clock.create_trigger(self._place_markers, -1)
        self.bind(size=self._place_trigger, pos=self._place_trigger, drawn=self._place_trigger,
                  spot_x=self._place_trigger, spot_y=self._place_trigger)

    def set_hotspots(self, hotspots) -> None:
        """[(id, x, y, text)]: the plan's landmarks, x and y in 0..1 like the spot."""
        self._hotspots = list(hotspots)
        while len(self._markers) < len(self._hotspots):
            marker = PlanMarker()
            marker.bind(texture_size=self._place_trigger)
            self._markers.append(marker)
        for index, marker in enumerate(self._markers):
            shown = index < len(self._hotspots)
            if shown and marker.parent is None:
                self.add_widget(marker, index=1)  # above the plan, under the service's spot
            elif not shown and marker.parent is not None:
                self.remove_widget(marker)
            if shown:
                hid, _x, _y, text = self._hotspots[index]
                marker.hid, marker.text = hid, text
        self._place_trigger()

    @property
    def markers(self) -> list:
        return [m for m in self._markers if m.parent is not None]

    def _place_markers(self, *_args) -> None:
        img = self.ids.get("img")
        if img is None or not self._hotspots:
            return
        width, height = img.norm_image_size
        left = img.center_x - width / 2
        top = img.center_y + height / 2
        gap = metrics.sp(10)
        # Keep the labels off the service's spot (its pulse reaches about 40 sp).
        sx, sy = left + self.spot_x * width, top - self.spot_y * height
        spot_r = metrics.sp(34)
        rtl = bool(getattr(App.get_running_app(), "rtl", False))
        placed: list[tuple[float, float, float, float]] = []
        for marker, (_hid, x, y, _text) in zip(self._markers, self._hotspots, strict=False):
            marker.size = marker.texture_size
            dx, dy = left + x * width, top - y * height
            marker.dot_x, marker.dot_y = dx, dy
            w, h = marker.size
            candidates = [(dx + gap, dy - h / 2), (dx - gap - w, dy - h / 2),
                          (dx - w / 2, dy + gap), (dx - w / 2, dy - gap - h)]
            if rtl:  # read from the right: the name on the dot's left first
                candidates[0], candidates[1] = candidates[1], candidates[0]

            px, py = min(candidates, key=lambda pos, w=w, h=h: _label_cost(  # type: ignore[misc]  # defaults bind this label's size
                pos, (w, h), (left, top - height, width, height), (sx, sy, spot_r), placed))
            marker.pos = (px, py)
            placed.append((px, py, w, h))

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
