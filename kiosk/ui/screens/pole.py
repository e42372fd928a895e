"""A pole: its services as a list of large rows."""

from __future__ import annotations

import kiosk.ui.flow_widgets  # noqa: F401  (FlowFooter)
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import Row

load_kv(__file__)


class PoleScreen(KioskScreen):
    pole_id = None

    def show(self, pole_id: str) -> bool:
        app = self.app
        pole = next((p for p in app.store.poles() if p.id == pole_id), None)
        if pole is None:
            return False
        self.pole_id = pole_id
        self.ids.header.title = pole.title(app.language)
        self.ids.header.bg = pole.color
        rows = self.ids.rows
        rows.clear_widgets()
        for service in app.store.services(pole_id):
            row = Row(
                tid=f"service-{service.id}",
                bg=pole.color,
                image=app.pictogram(service.pictogram),
                label=service.title(app.language),
                detail=app.localized(service.summary),
            )
            row.bind(on_release=lambda _w, sid=service.id: app.open_service(sid))
            rows.add_widget(row)
        self.ids.scroll.scroll_y = 1
        return True

    def speech_text(self) -> str:
        rows = [w for w in self.ids.rows.children[::-1]]
        return ". ".join([self.ids.header.title] + [f"{r.label}: {r.detail}" for r in rows])
