"""The ticket: asked from the server on a worker thread, then number, position, wait, QR,
the SMS promise (masked number) and what the printer did. An offline ticket shows its QR
too, and says truly when its phone page and its SMS will work: once it is uploaded."""

from __future__ import annotations

import datetime as dt

from kivy.properties import BooleanProperty, OptionProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (IconButton)
from kiosk.domain.clock import local_time
from kiosk.domain.wait import SOON, shown_from_wire, wait_words
from kiosk.ui.carnet_flow import shown_code
from kiosk.ui.qr import qr_texture
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


def _local_time(iso: str) -> str:
    """'2025-03-03T08:05:00+00:00' -> '09:05' in the kiosk's time zone ('' if unreadable)."""
    try:
        return local_time(dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))).strftime("%H:%M")
    except (AttributeError, ValueError):
        return ""


class TicketScreen(KioskScreen):
    state = OptionProperty("pending", options=["pending", "ready", "failed"])
    sms_to = StringProperty("")  # masked: "+33 6 •• •• •• 78"
    print_message = StringProperty("")
    print_problem = BooleanProperty(False)
    offline = BooleanProperty(False)  # issued from the kiosk's lease: no estimate yet
    soon = BooleanProperty(False)  # told to stay in the hall: the SMS comes at the call
    carnet_lines = BooleanProperty(False)  # documents/carnet shown: the number gives room
    has_qr = BooleanProperty(False)  # a phone link to show (offline too: the kiosk's token)
    ticket: dict | None = None
    documents: list[dict] = []  # the checklist sent with the ticket (kiosk/ui/carnet_flow.py)
    carnet = ""  # the carnet code typed for this ticket ("" for none)

    def pending(self, service_title: str) -> None:
        self.ticket = None
        self.state = "pending"
        self.offline = False
        self.soon = False
        self.has_qr = False
        self.sms_to = ""
        self.print_message = ""
        self.print_problem = False
        self.ids.service.text = service_title
        self.ids.number.text = ""
        self.ids.position.text = ""
        self.ids.wait.text = ""
        self.ids.documents_line.text = ""
        self.ids.carnet_line.text = ""
        self.carnet_lines = False
        self.ids.qr.texture = None
        self.ids.message.text = self.app.tr("ticket_pending")
        self._order_columns()

    def _order_columns(self) -> None:
        columns, main, qr_box = self.ids.columns, self.ids.main, self.ids.qr_box
        wanted = [qr_box, main] if self.app.rtl else [main, qr_box]
        if list(reversed(columns.children)) != wanted:
            columns.clear_widgets()
            for widget in wanted:
                columns.add_widget(widget)

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
        shown = shown_from_wire(ticket)
        # Told to stay in the hall: no "near" SMS will come, only "it's your turn".
        self.soon = shown.status == SOON
        key, fields = wait_words(shown)
        self.ids.wait.text = app.tr(key, **fields)
        self.offline = bool(ticket.get("offline"))
        link = ticket.get("phone_url") or ""
        self.ids.qr.texture = qr_texture(link) if link else None
        self.has_qr = bool(link)
        if self.offline:
            # Honest: the number is real, but the kiosk cannot see the queue without network;
            # the QR code (the kiosk's own token) shows the turn once the ticket is uploaded.
            self.ids.wait.text = app.tr("wait_unknown_offline")
            self.ids.message.text = app.tr("ticket_offline", time=_local_time(ticket["created_at"]))
        else:
            self.ids.message.text = app.tr("follow_on_phone")
        if not ticket.get("sms"):
            self.sms_to = ""  # the server did not keep a number: promise nothing
        self.ids.documents_line.text = documents_text(app, self.documents)
        self.ids.carnet_line.text = carnet_text(app, ticket, self.carnet)
        self.carnet_lines = bool(self.ids.documents_line.text or self.ids.carnet_line.text)

    def failed(self, reason: str) -> None:
        self.state = "failed"
        self.sms_to = ""
        self.ids.message.text = self.app.tr("ticket_failed")

    def print_state(self, status: str, detail: str) -> None:
        """What the printer did: "ok", "none" (no printer here), or a fault status."""
        if status == "none":
            self.print_message, self.print_problem = "", False
        elif status == "ok":
            self.print_message, self.print_problem = self.app.tr("print_ok"), False
        else:
            key = "print_no_paper" if "paper" in status else "print_failed"
            self.print_message, self.print_problem = self.app.tr(key), True

    def wipe(self) -> None:
        """The idle reset: the next visitor does not see this ticket (or its phone line)."""
        self.ticket = None
        self.offline = False
        self.has_qr = False
        self.sms_to = ""
        self.print_message = ""
        self.print_problem = False
        self.state = "failed"
        self.documents, self.carnet, self.carnet_lines = [], "", False
        for name in ("number", "position", "wait", "message", "service", "documents_line",
                     "carnet_line"):
            self.ids[name].text = ""
        self.ids.qr.texture = None

    def speech_text(self) -> str:
        app = self.app
        if self.state != "ready":
            return self.ids.message.text
        number = " ".join(self.ids.number.text)  # "C 0 4 2": read letter by letter
        parts = [self.ids.service.text, f"{app.tr('your_number')} : {number}",
                 self.ids.position.text, self.ids.wait.text, self.ids.documents_line.text,
                 self.ids.carnet_line.text, self.ids.sms_line.text, self.print_message]
        return ". ".join(p for p in parts if p)


def documents_text(app, documents: list[dict]) -> str:
    """'Documents prêts : 3 sur 4 — il manque : justificatif de domicile' ("" without a
    checklist)."""
    if not documents:
        return ""
    have = sum(1 for doc in documents if doc.get("have"))
    text = app.tr("ticket_documents", have=have, total=len(documents))
    missing = [app.localized(doc.get("text") or {}) for doc in documents if not doc.get("have")]
    if missing:  # the first two on screen (the paper lists them all, each with its box)
        comma = "، " if app.rtl else ", "  # the Arabic comma in Arabic
        names = comma.join(name.split(" (")[0] for name in missing[:2])
        text += " — " + app.tr("ticket_documents_missing",
                               names=names + (comma + "…" if len(missing) > 2 else ""))
    return text


def carnet_text(app, ticket: dict, typed: str) -> str:
    """The carnet line: the ticket joined the visitor's carnet (or will, once uploaded), or
    the code this ticket brings and how to make it a carnet."""
    if typed and ticket.get("carnet_linked"):
        return app.tr("ticket_carnet_joined", code=shown_code(typed))
    if typed and ticket.get("offline"):
        return app.tr("ticket_carnet_later", code=shown_code(typed))
    code = str(ticket.get("carnet_code") or "")
    return app.tr("ticket_carnet", code=shown_code(code)) if code else ""
