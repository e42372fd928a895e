"""Home: the service poles as large pictogram tiles, the language switch, the modes.

The language buttons name each language in its own script (Français, العربية, 中文...);
the mode buttons switch large text, high contrast and the lower-reach layout.
"""

from __future__ import annotations

from kivy.properties import NumericProperty

import kiosk.ui.flow_widgets  # noqa: F401  (HomeEntries)
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import Tile

load_kv(__file__)


class HomeScreen(KioskScreen):
    count = NumericProperty(0)  # poles shown

    def refresh(self) -> None:
        app = self.app
        grid = self.ids.poles
        grid.clear_widgets()
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
            grid.add_widget(tile)
        self.count = len(poles)
        self.ids.empty.opacity = 0 if poles else 1
