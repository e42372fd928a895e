"""The ticket: asked from the server on a worker thread, then number, position, wait and QR."""

from __future__ import annotations

from kivy.properties import OptionProperty

from kiosk.ui.qr import qr_texture
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class TicketScreen(KioskScreen):
    state = OptionProperty("pending", options=["pending", "ready", "failed"])
    ticket: dict | None = None

    def pending(self, service_title: str) -> None:
        self.ticket = None
        self.state = "pending"
        self.ids.service.text = service_title
        self.ids.number.text = ""
        self.ids.position.text = ""
        self.ids.wait.text = ""
        self.ids.qr.texture = None
        self.ids.message.text = self.app.tr("ticket_pending")

    def ready(self, ticket: dict) -> None:
        app = self.app
        self.ticket = ticket
        self.state = "ready"
        self.ids.number.text = ticket["number"]
        ahead = ticket.get("ahead")
        if ahead is None:
            self.ids.position.text = ""
        elif ahead == 0:
            self.ids.position.text = app.tr("position_next")
        else:
            self.ids.position.text = app.tr("position_n", ahead=ahead)
        minutes = ticket.get("estimated_wait_minutes")
        if minutes is None:
            self.ids.wait.text = app.tr("wait_unknown")
        elif minutes <= 1:
            self.ids.wait.text = app.tr("wait_now")
        else:
            self.ids.wait.text = app.tr("wait_estimate", minutes=minutes)
        self.ids.qr.texture = qr_texture(ticket["phone_url"])
        self.ids.message.text = app.tr("follow_on_phone")

    def failed(self, reason: str) -> None:
        self.state = "failed"
        self.ids.message.text = self.app.tr("ticket_failed")
