"""Widgets of the « guide du routard »: a life situation's tips (a pictogram and the words),
and the neighbourhood plan of « Pendant l'attente » (the places as numbered spots, « you are
here » pulsing at the mairie) with the numbered rows of its list."""

from __future__ import annotations

from pathlib import Path

from kivy import metrics
from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.widget import Widget

from kiosk.ui.flow_widgets import PlanView, load_journey_rules
from kiosk.ui.widgets import MirrorBox, ScriptLabel

PLACE_COLOR = "#2E5E3A"  # the places' green, on the plan's spots and the list's rows
HERE = "mairie"  # the plan's landmark where the kiosk stands: « you are here »
BADGE_SP = 44  # a place's badge on the plan, at most (sp of the normal mode)
BADGE_SHARE = .075  # ... and at most this share of the plan's drawn width

load_journey_rules()  # PlanView's and PlanMarker's rules first: ours build on them
Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class TipRow(MirrorBox):
    """One tip (« bon plan, astuce ») of a life situation: its pictogram, then its words."""

    tid = StringProperty("")
    text = StringProperty("")
    image = StringProperty("")


class PlaceBadge(ScriptLabel):
    """A place's number, in a round badge centred on its spot of the plan."""

    diameter = NumericProperty(float(BADGE_SP))  # set by the plan (NeighbourhoodPlan.badge_size)


class PlaceRow(ButtonBehavior, MirrorBox):
    """A nearby place in the list beside the plan: its number (as on the plan), pictogram,
    name and walking time."""

    tid = StringProperty("")
    number = StringProperty("")
    bg = ColorProperty(PLACE_COLOR)
    image = StringProperty("")
    label = StringProperty("")
    detail = StringProperty("")


class NeighbourhoodPlan(PlanView):
    """The neighbourhood plan: `set_places([(number, x, y)])` puts numbered badges on it (x, y
    in 0..1 from the top-left corner, as agents place them); the plan's landmarks are labelled
    as on a floor plan, and the pulsing spot marks the mairie (« you are here »)."""

    spot_shown = BooleanProperty(False)  # the mairie is on this plan: « you are here »

    def __init__(self, **kwargs):
        self._places: list[tuple[str, float, float]] = []
        self._badges: list[PlaceBadge] = []
        self._img_bound = False
        super().__init__(**kwargs)
        self._badge_trigger = Clock.create_trigger(self._place_badges, -1)
        self.bind(size=self._badge_trigger, pos=self._badge_trigger, drawn=self._badge_trigger)

    def set_here(self, spot: tuple[float, float] | None) -> None:
        """The pulsing « you are here » spot, or none (a plan without the mairie's landmark)."""
        self.spot_shown = spot is not None
        if spot is not None:
            self.spot_x, self.spot_y = spot
        # PlanView's rule draws its spot whenever there is an image; hide it when there is
        # no mairie on this plan rather than pretend one.
        for child in self.children:
            if type(child) is Widget:
                child.opacity = 1 if (spot is not None and self.source) else 0

    def set_places(self, places) -> None:
        self._places = [(str(n), float(x), float(y)) for n, x, y in places]
        while len(self._badges) < len(self._places):
            self._badges.append(PlaceBadge())
        for index, badge in enumerate(self._badges):
            shown = index < len(self._places)
            if shown and badge.parent is None:
                self.add_widget(badge)  # last added: drawn above the plan and its labels
            elif not shown and badge.parent is not None:
                self.remove_widget(badge)
            if shown:
                badge.text = self._places[index][0]
        self._badge_trigger()

    @property
    def badges(self) -> list[PlaceBadge]:
        return [b for b in self._badges if b.parent is not None]

    def _badge_boxes(self) -> list[tuple[float, float, float, float]]:
        """Where the badges go: (x, y, width, height) centred on each place's spot."""
        img = self.ids.get("img")
        if img is None:
            return []
        width, height = img.norm_image_size
        left = img.center_x - width / 2
        top = img.center_y + height / 2
        size = self.badge_size(width)
        return [(left + x * width - size / 2, top - y * height - size / 2, size, size)
                for _n, x, y in self._places]

    @staticmethod
    def badge_size(plan_width: float) -> float:
        """A badge's diameter: a pin on the map, sized with the plan drawn (a smaller plan,
        in lower reach or large text, put its nearby places' badges over each other), never
        more than 44 sp of the normal mode (large text does not grow the map's pins)."""
        app = App.get_running_app()
        return min(app.sp(BADGE_SP) / app.text_factor, BADGE_SHARE * plan_width)

    def _place_badges(self, *_args) -> None:
        img = self.ids.get("img")
        if img is not None and not self._img_bound:
            # The image fits its texture a frame after the plan's own size changes: the
            # badges follow the image, or they stay where its previous size put them.
            self._img_bound = True
            img.bind(norm_image_size=self._badge_trigger, center=self._badge_trigger)
        for badge, (x, y, w, h) in zip(self._badges, self._badge_boxes(), strict=False):
            badge.diameter = w
            # On whole pixels: a fraction of a pixel draws the disc and its number blurred
            # differently from one layout to the next (e.g. after an Arabic visitor).
            badge.center = (round(x + w / 2), round(y + h / 2))
        self._place_trigger()  # the landmarks' labels keep off the badges

    def _place_markers(self, *args) -> None:
        """As on a floor plan, then two corrections: the « vous êtes ici » label keeps clear
        of the pulsing spot it names (PlanView's gap suits a small landmark dot), and a
        label lying on a numbered badge moves to the side (or corner) covering the fewest
        badges."""
        super()._place_markers(*args)
        app = App.get_running_app()
        boxes = self._badge_boxes()
        for marker in self.markers:
            w, h = marker.size
            dx, dy = marker.dot_x, marker.dot_y
            gap = app.sp(28) if marker.hid == HERE else metrics.sp(10)
            sides = [(dx + gap, dy - h / 2), (dx - gap - w, dy - h / 2),
                     (dx - w / 2, dy + gap), (dx - w / 2, dy - gap - h)]
            if app.rtl:  # read from the right: the name on the dot's left first
                sides[0], sides[1] = sides[1], sides[0]
            # Then the corners: on a small plan (lower reach) every side of the mairie
            # had a badge, and « vous êtes ici » lay under one.
            corner = gap * .7
            sides += [(x, y) for y in (dy - corner - h, dy + corner)
                      for x in (dx - corner - w, dx + corner)]
            here = tuple(marker.pos)
            candidates = sides if marker.hid == HERE else [here, *sides]

            def covered(pos, w=w, h=h) -> int:
                px, py = pos
                return sum(1 for (bx, by, bw, bh) in boxes
                           if px < bx + bw and bx < px + w and py < by + bh and by < py + h)

            marker.pos = min(candidates, key=covered)  # the first of the least covered
