"""A pole: its services as a list of large rows."""

from __future__ import annotations

import kiosk.ui.flow_widgets  # noqa: F401  (FlowFooter)
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import Row

load_kv(__file__)


class PoleScreen(KioskScreen):
    pole_id = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Rows built for a pole, kept while the language and the content stay the same:
        # a visitor going back and forth reuses them (faster, and no new widgets each time,
        # whose kv bindings would pile up on the app's properties).
        self._built: dict[str, list] = {}
        self._built_for = None

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
        stamp = (app.language, app.content_generation)
        if stamp != self._built_for:
            self._built, self._built_for = {}, stamp
        if pole_id in self._built:
            for row in self._built[pole_id]:
                rows.add_widget(row)
            self.ids.scroll.scroll_y = 1
            return True
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
        self._built[pole_id] = list(rows.children[::-1])
        self.ids.scroll.scroll_y = 1
        return True

    def speech_text(self) -> str:
        rows = [w for w in self.ids.rows.children[::-1]]
        return ". ".join([self.ids.header.title] + [f"{r.label}: {r.detail}" for r in rows])
