"""Home: the service poles as large pictogram tiles, the language switch, the modes, and
the agents' announcement of the moment (a blue banner, red when urgent).

The language buttons name each language in its own script (Français, العربية, 中文...);
the mode buttons switch large text, high contrast and the lower-reach layout.
"""

from __future__ import annotations

import datetime as dt

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (HomeEntries)
from kiosk.domain.clock import site_now
from kiosk.domain.content import active_announcements
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import Tile, discard_children

load_kv(__file__, journeys=False)  # only home_widgets.kv before the first frame


class HomeScreen(KioskScreen):
    count = NumericProperty(0)  # poles shown
    announcement = StringProperty("")
    urgent = BooleanProperty(False)
    # The tallest pole name, drawn: the poles' rows keep room for it (home.kv).
    tallest_name = NumericProperty(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Announcements have time windows: look again every half minute.
        Clock.schedule_interval(lambda _dt: self.show_announcement(), 30)

    def show_announcement(self, now: dt.datetime | None = None) -> None:
        """The banner: the urgent announcement first, else the first one of the moment."""
        app = self.app
        active = active_announcements(app.store.announcements(), now or site_now().replace(tzinfo=None))
        first = active[0] if active else None
        self.announcement = app.localized(first.text) if first else ""
        self.urgent = bool(first and first.level == "urgent")

    def _fit_names(self, *_args) -> None:
        self.tallest_name = max((t.ids.caption.texture_size[1] for t in self.ids.poles.children),
                                default=0)

    def refresh(self) -> None:
        self.show_announcement()
        app = self.app
        grid = self.ids.poles
        discard_children(grid)
        poles = app.store.poles()
        for pole in poles:
            tile = Tile(
                tid=f"pole-{pole.id}",
                bg=pole.color,
                image=app.pictogram(pole.pictogram),
                label=pole.title(app.language),
                alt=pole.title(app.language),
            )
            tile.bind(on_release=lambda _w, pid=pole.id: app.open_pole(pid))
            tile.ids.caption.bind(texture_size=self._fit_names)
            grid.add_widget(tile)
        self._fit_names()
        self.count = len(poles)
        self.ids.empty.opacity = 0 if poles else 1
