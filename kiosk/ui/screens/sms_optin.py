"""The optional SMS: first who is responsible, the one purpose and how long the number is
kept (before anything is typed), then a numeric keypad, a clear error when the number
cannot receive SMS, and an explicit consent. The number is sent with the ticket request."""

from __future__ import annotations

from kivy.properties import StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (CheckRow, Panel, FlowFooter)
import kiosk.ui.keypad  # noqa: F401  (NumericKeypad)
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class SmsOfferScreen(KioskScreen):
    def show(self) -> None:
        self.reading_above_header(self.ids.offer_words, self.ids.column, home=self.ids.offer_body)

    def speech_text(self) -> str:
        app = self.app
        keys = ("sms_title", "sms_why", "sms_who", "sms_purpose", "sms_retention", "sms_yes", "sms_no")
        return ". ".join(app.tr(k) for k in keys)


class SmsPhoneScreen(KioskScreen):
    error = StringProperty("")

    def show(self) -> None:
        self.wipe()
        self.keypad_on_reading_side()

    def on_kv_post(self, base_widget):
        self.ids.keypad.bind(text=lambda *_: setattr(self, "error", ""))
        self.ids.consent.bind(checked=lambda *_: setattr(self, "error", ""))

    def submit(self) -> None:
        error = self.app.sms_submit(self.ids.keypad.text, self.ids.consent.checked)
        self.error = self.app.tr(error) if error else ""

    def wipe(self) -> None:
        """Nothing of the number stays on screen (idle reset, ticket issued, new visitor)."""
        self.ids.keypad.clear()
        self.ids.consent.checked = False
        self.error = ""

    def speech_text(self) -> str:
        app = self.app
        parts = [app.tr("sms_type"), self.error, app.tr("sms_consent"), app.tr("sms_who"),
                 app.tr("sms_purpose"), app.tr("sms_retention")]
        return ". ".join(p for p in parts if p)
