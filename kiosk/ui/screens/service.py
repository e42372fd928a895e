"""A service: where to go, today's hours, documents to bring, and the ticket button."""

from __future__ import annotations

import datetime as dt

from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import Text

load_kv(__file__)


def hours_today(service, today: dt.date) -> list[str]:
    return [f"{s.opens:%H:%M} – {s.closes:%H:%M}" for s in service.slots_on(today)]


def next_opening(service, today: dt.date) -> tuple[dt.date, list[str]] | None:
    """The next day (after today, within a week) the service opens, and its hours."""
    for days in range(1, 8):
        day = today + dt.timedelta(days=days)
        if service.slots_on(day):
            return day, hours_today(service, day)
    return None


class ServiceScreen(KioskScreen):
    service_id = None

    def show(self, service_id: str, today: dt.date | None = None) -> bool:
        app = self.app
        service = app.store.service(service_id)
        if service is None:
            return False
        pole = next((p for p in app.store.poles() if p.id == service.pole), None)
        self.service_id = service_id
        self.ids.header.title = service.title(app.language)
        if pole is not None:
            self.ids.header.bg = pole.color
        self.ids.summary.text = app.localized(service.summary)
        self.ids.place.text = app.localized(service.place) or "—"
        today = today or dt.date.today()
        slots = hours_today(service, today)
        if slots:
            self.ids.hours.text = "   ".join(slots)
        else:
            text = app.tr("closed_today")
            upcoming = next_opening(service, today)
            if upcoming:
                day, hours = upcoming
                name = app.tr("weekdays").split(",")[day.weekday()]
                text += "\n" + app.tr("next_opening", day=name, hours="   ".join(hours))
            self.ids.hours.text = text
        docs = self.ids.documents
        docs.clear_widgets()
        for doc in service.documents:
            docs.add_widget(Text(text=f"•  {app.localized(doc)}"))
        self.ids.documents_title.opacity = 1 if service.documents else 0
        self.ids.ticket.disabled = not service.ticketing
        self.ids.ticket.opacity = 1 if service.ticketing else 0
        self.ids.appointment.text = "" if service.ticketing else app.tr("by_appointment")
        self.ids.scroll.scroll_y = 1
        return True
