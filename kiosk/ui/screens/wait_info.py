"""While you wait: what happens today in the neighbourhood (the AMAP, a swap...), places
nearby with their walking time (the Buttes-Chaumont, a café, the library...), and the
reminder that an SMS (or the QR) tells when to come back."""

from __future__ import annotations

import datetime as dt

from kiosk.domain.clock import site_today
from kiosk.domain.content import offers_on
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.screens.offers import offer_row
from kiosk.ui.widgets import Row, Text

load_kv(__file__)

PLACE_COLOR = "#2E5E3A"


def place_detail(app, place) -> str:
    parts = [app.tr("walking_minutes", minutes=place.walking_minutes)]
    summary = app.localized(place.summary)
    if summary:
        parts.append(summary)
    address = app.localized(place.address)
    if address:
        parts.append(address)
    return "  ·  ".join(parts)


def intro_key(ticket: dict | None, sms: bool) -> str:
    """What the visitor can count on: an offline ticket not uploaded yet has no working
    phone page nor SMS before the link returns, so "stay near" rather than "go out"."""
    ticket = ticket or {}
    if ticket.get("offline") and not ticket.get("uploaded"):
        return "waitinfo_offline_sms" if sms else "waitinfo_offline_qr"
    return "waitinfo_sms" if sms else "waitinfo_qr"


class WaitInfoScreen(KioskScreen):
    def show(self, ticket: dict | None, sms: bool, today: dt.date | None = None) -> None:
        app = self.app
        today = today or site_today()
        number = (ticket or {}).get("number", "")
        self.ids.number.text = f"{app.tr('your_number')} : {number}" if number else ""
        self.ids.intro.text = app.tr(intro_key(ticket, sms))
        grid = self.ids.places
        grid.clear_widgets()
        events = offers_on(app.store.offers(), today)
        if events:
            grid.add_widget(Text(text=app.tr("waitinfo_events"), bold=True,
                                 color=app.palette["primary"]))
            for offer in events:
                grid.add_widget(offer_row(app, offer, today))
        places = app.store.places()  # in the agents' order (usually the nearest first)
        if places and events:
            grid.add_widget(Text(text=app.tr("waitinfo_places"), bold=True,
                                 color=app.palette["primary"]))
        for place in places:
            name = app.localized(place.name)
            grid.add_widget(Row(tid=f"place-{place.id}", bg=PLACE_COLOR,
                                image=app.pictogram(place.pictogram or "quartier"),
                                label=name, detail=place_detail(app, place)))
        if not places and not events:
            grid.add_widget(Text(text=app.tr("waitinfo_empty"), halign="center"))
        self.ids.scroll.scroll_y = 1

    def wipe(self) -> None:
        self.ids.number.text = ""

    def speech_text(self) -> str:
        rows = [w for w in self.ids.places.children[::-1] if hasattr(w, "label")]
        return ". ".join([self.ids.number.text, self.ids.intro.text]
                         + [f"{r.label}, {r.detail}" for r in rows])
