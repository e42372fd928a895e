"""'J'ai un rendez-vous': the check-in code typed on the digit keypad (the SMS screen's),
sent to the server (POST /api/v1/appointments/checkin), then the ticket screen: a number
in the appointment lane, called at the slot's time (or, later than the grace, in the
normal queue). Online only: without the server the kiosk cannot know the appointment, so
it says to go to the reception desk."""

from __future__ import annotations

import logging

from kivy.properties import BooleanProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (Panel, FlowFooter, IconButton)
import kiosk.ui.keypad  # noqa: F401  (NumericKeypad)
from kiosk.domain.appointments import CODE_DIGITS
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)
log = logging.getLogger("carrefour.kiosk.appointment")


def ticket_of(answer: dict) -> dict:
    """The check-in's answer as the ticket screen reads a ticket: the wait is the minutes
    to the slot (a lane ticket is called then)."""
    return {"number": answer["number"], "id": answer.get("id"), "ahead": None,
            "estimated_wait_minutes": answer.get("minutes_to_slot"),
            "wait_status": "estimated" if answer.get("lane") else "unknown",
            "phone_url": answer.get("phone_url") or "", "sms": False,
            "service": answer.get("service"), "offline": False}


class AppointmentScreen(KioskScreen):
    error = StringProperty("")
    checking_now = BooleanProperty(False)
    _attempt = 0

    def open(self) -> None:
        """From the home screen's entry."""
        self.wipe()
        self.ids.header.title = self.app.tr("appt_title")
        self.keypad_on_reading_side()
        self.app._go("appointment")

    def on_kv_post(self, base_widget):
        keypad = self.ids.keypad
        keypad.max_length = CODE_DIGITS
        for key in keypad.children:  # a check-in code has digits only: no "+" key
            if key.tid == "pad-plus":
                key.opacity, key.disabled = 0, True
        keypad.bind(text=lambda *_: setattr(self, "error", ""))

    def submit(self) -> None:
        if self.checking_now:
            return
        code = self.ids.keypad.text
        if len(code) < CODE_DIGITS:
            self.error = self.app.tr("appt_error_short")
            return
        app = self.app
        transport = app.transport
        if transport is None:
            self.error = app.tr("appt_failed")
            return
        self.checking_now, self.error = True, ""
        self._attempt += 1
        attempt, language = self._attempt, app.language

        def done(answer):
            if attempt == self._attempt and app.root.current == "appointment":
                self.checking_now = False
                self.show_ticket(answer)

        def failed(exc):
            if attempt != self._attempt:
                return
            self.checking_now = False
            status = getattr(exc, "status", None)
            log.info("check-in refused (%s)", status)
            self.error = app.tr("appt_unknown" if status == 404 else "appt_failed")

        app.bridge.submit(lambda: transport.checkin_appointment(
            {"code": code, "language": language}), done, failed)

    def show_ticket(self, answer: dict) -> None:
        app = self.app
        service = app.store.service(answer.get("service") or "")
        screen = app.screens["ticket"]
        screen.pending(service.title(app.language) if service is not None else "")
        screen.documents, screen.carnet = [], ""
        ticket = ticket_of(answer)
        screen.ready(ticket)
        key = "appt_ticket_slot" if answer.get("lane") else "appt_ticket_late"
        screen.ids.position.text = app.tr(key, time=answer.get("slot", ""))
        self.wipe()
        self.app.history = [h for h in app.history if h[0] != "appointment"]
        app._go("ticket")
        if service is not None:
            app.print_ticket(ticket, service, [])

    def wipe(self) -> None:
        """Nothing of the code stays on screen (idle reset, checked in, new visitor)."""
        self._attempt += 1
        self.ids.keypad.clear()
        self.error = ""
        self.checking_now = False

    def speech_text(self) -> str:
        app = self.app
        typed = " ".join(self.ids.keypad.text)  # digit by digit
        parts = [app.tr("appt_title"), app.tr("appt_type"), typed, self.error,
                 app.tr("appt_checking") if self.checking_now else ""]
        return ". ".join(p for p in parts if p)
