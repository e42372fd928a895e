"""'J'ai un carnet': the carnet code typed on a digit keypad (the SMS screen's), its check
digit verified at once (a typo is said before anything is sent), then with the server
(kiosk/ui/carnet_flow.py). An unknown or expired code is said plainly, with a way on
without it: a carnet never stands between a visitor and a ticket."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (Panel, FlowFooter, IconButton)
import kiosk.ui.keypad  # noqa: F401  (NumericKeypad)
from kiosk.domain import carnet_code
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)

PLACEHOLDER = "___ ___ ____"


class CarnetScreen(KioskScreen):
    error = StringProperty("")
    checking_now = BooleanProperty(False)
    unknown_code = BooleanProperty(False)  # the server does not know it: offer to go on
    service_id: str | None = None

    def show(self, service_id: str) -> None:
        self.wipe()
        self.service_id = service_id
        service = self.app.store.service(service_id)
        self.ids.header.title = self.app.tr("carnet_title")
        if service is not None:
            self.ids.service.text = service.title(self.app.language)
        self.keypad_on_reading_side()

    def on_kv_post(self, base_widget):
        keypad = self.ids.keypad
        keypad.max_length = carnet_code.LENGTH
        for key in keypad.children:  # a carnet code has digits only: no "+" key
            if key.tid == "pad-plus":
                key.opacity, key.disabled = 0, True
        keypad.bind(text=lambda *_: self._typed())

    def _typed(self) -> None:
        self.error = ""
        self.unknown_code = False

    @staticmethod
    def grouped(text: str) -> str:
        """'1234567' shown as '123 456 7', as the ticket prints it (no-break spaces: the
        groups stay in order in Arabic too, kiosk/ui/carnet_flow.py shown_code)."""
        return "\u00a0".join(part for part in (text[:3], text[3:6], text[6:]) if part)

    def submit(self) -> None:
        if self.checking_now:
            return
        error = self.app.carnet_submit(self.ids.keypad.text)
        self.error = self.app.tr(error) if error else ""

    def checking(self) -> None:
        self.checking_now = True
        self.error = ""

    def unknown(self) -> None:
        self.checking_now = False
        self.unknown_code = True
        self.error = self.app.tr("carnet_unknown")

    def wipe(self) -> None:
        """Nothing of the code stays on screen (idle reset, accepted, new visitor)."""
        self.ids.keypad.clear()
        self.error = ""
        self.checking_now = False
        self.unknown_code = False
        self.service_id = None

    def speech_text(self) -> str:
        app = self.app
        typed = " ".join(self.ids.keypad.text)  # digit by digit
        parts = [app.tr("carnet_title"), app.tr("carnet_type"), typed, self.error,
                 app.tr("carnet_checking") if self.checking_now else "", app.tr("carnet_why")]
        if self.unknown_code:
            parts.append(app.tr("carnet_skip"))
        return ". ".join(p for p in parts if p)
