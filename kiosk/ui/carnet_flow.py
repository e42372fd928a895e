# A mixin of the Kivy App, like kiosk.ui.flows (pyproject's override for it): the App's
# members it uses (screens, root, bridge, transport...) are untyped Kivy properties.
# mypy: disable-error-code="attr-defined"
"""The carnet du citoyen on the kiosk (mixed into the app through FlowsMixin).

    service ─▶ "J'ai un carnet" ─▶ keypad (10 digits, Luhn-checked here) ─▶ known? ─▶ service
                                                  └─ unknown: say so; retype or go on without

The ticks of the service's checklist and the typed carnet code travel with the ticket
request (kiosk/sync/desk.py; TicketIn.documents and .carnet, docs/protocol.md). The code is
checked with the server when it answers (GET /carnets/{code}); offline, or when the server
is older than the carnet, it travels unchecked: the server decides, and an unknown code
never costs the ticket. The code belongs to the service it was typed for, and the idle
reset forgets it (the next visitor never inherits a carnet).
"""

from __future__ import annotations

import logging

from kiosk.domain import carnet_code
from kiosk.domain.documents import DOCUMENTS, FREE_TEXT_PICTOGRAM

log = logging.getLogger("carrefour.kiosk.carnet")


def shown_code(code: str) -> str:
    """'123 456 7890' with no-break spaces: never cut across two lines, and kept in order in
    a right-to-left line (a no-break space between digits joins them into one number for
    the bidi algorithm; a plain space would let Arabic reverse the three groups)."""
    return carnet_code.display(code).replace(" ", "\u00a0") if code else ""


class CarnetFlowMixin:
    """Expects what FlowsMixin has: store, transport, bridge, screens, flow_screen, _go,
    go_back, language, localized, pictogram."""

    carnet_draft: tuple[str, str] | None = None  # (service id, code) until the ticket
    carnet_checks = 0  # look-ups sent to the server (tests: a typo sends none)
    _carnet_attempt = 0

    def open_carnet(self) -> None:
        service_id = getattr(self.screens.get("service"), "service_id", None)
        if not service_id:
            return
        self.flow_screen("carnet").show(service_id)
        self._go("carnet")

    def carnet_submit(self, typed: str) -> str | None:
        """Check the typed code: its length and check digit here (the error key at once),
        then with the server on a worker; the screen hears back through its methods."""
        code = carnet_code.normalize(typed)
        if len(code) < carnet_code.LENGTH:
            return "carnet_error_short"
        if not carnet_code.is_valid(code):
            return "carnet_error_typo"
        screen = self.flow_screen("carnet")
        transport = self.transport
        if transport is None:  # no server here: the code goes with the ticket, unchecked
            self.carnet_accept(code, checked=False)
            return None
        screen.checking()
        self.carnet_checks += 1
        attempt = self._carnet_attempt = self._carnet_attempt + 1

        def done(_answer):
            if attempt == self._carnet_attempt:
                self.carnet_accept(code, checked=True)

        def error(exc):
            if attempt != self._carnet_attempt:
                return
            if getattr(exc, "status", None) == 404:
                screen.unknown()
            else:  # offline, busy, refused: the server decides when the ticket arrives
                log.info("carnet not checked (%s): sent with the ticket", exc)
                self.carnet_accept(code, checked=False)

        self.bridge.submit(lambda: transport.check_carnet(code), done, error)
        return None

    def carnet_accept(self, code: str, checked: bool) -> None:
        screen = self.screens.get("carnet")
        service_id = getattr(screen, "service_id", None)
        if not service_id or self.root.current != "carnet":
            return  # the visitor left (or the idle reset came) while it was checked
        self.carnet_draft = (service_id, code)
        screen.wipe()
        self.screens["service"].show_carnet(code, checked)
        self.go_back()

    def carnet_skip(self) -> None:
        """Go on without a carnet (a code the server does not know, or changed one's mind)."""
        self._carnet_attempt += 1
        self.carnet_draft = None
        screen = self.screens.get("carnet")
        if screen is not None:
            screen.wipe()
        self.screens["service"].show_carnet("", False)
        self.go_back()

    def carnet_for(self, service_id: str) -> str:
        draft = self.carnet_draft
        return draft[1] if draft and draft[0] == service_id else ""

    def forget_carnet(self) -> None:
        """The idle reset, or the ticket has it: nothing of this carnet stays on the kiosk."""
        self._carnet_attempt += 1
        self.carnet_draft = None

    def ticket_documents(self, service_id: str) -> list[dict]:
        """The checklist as the visitor ticked it on the service's screen (TicketIn.documents);
        [] when the ticket is taken from elsewhere."""
        screen = self.screens.get("service")
        if screen is None or screen.service_id != service_id:
            return []
        return screen.checklist_ticks()

    def printed_documents(self, documents: list[dict]) -> tuple:
        """The checklist for the paper: each name in the visitor's language (and French),
        its pictogram's PNG (synced or bundled), ticked or not."""
        from kiosk.devices.printer import PrintedDocument

        lines = []
        for entry in documents:
            texts = entry.get("text") or {}
            known = DOCUMENTS.get(entry.get("doc") or "")
            slug = known.pictogram if known else FREE_TEXT_PICTOGRAM
            lines.append(PrintedDocument(
                name=self.localized(texts), have=bool(entry.get("have")),
                pictogram=self.pictogram(slug), name_fr=texts.get("fr", "")))
        return tuple(lines)
