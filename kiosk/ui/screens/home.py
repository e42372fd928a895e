"""Home: the service poles as large pictogram tiles, and the connection state."""

from __future__ import annotations

from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import Tile

load_kv(__file__)


class HomeScreen(KioskScreen):
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
        grid.cols = 2 if len(poles) != 3 else 3
        self.ids.empty.opacity = 0 if poles else 1
