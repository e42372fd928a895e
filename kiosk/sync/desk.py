"""Taking a ticket from the kiosk: one request, retried with the same key, never twice.

When the server cannot be reached and the kiosk holds leased numbers for the service (the
sync engine keeps them topped up), the ticket is issued offline: the visitor gets a leased
number at once and the ticket waits in the outbox, with its own Idempotency-Key, until the
link returns (docs/protocol.md, offline tickets). The kiosk mints the ticket's public token
itself, so its QR code (screen and paper) is right at once: the phone page says "on its
way" until the upload. A consented phone number waits in the outbox with the ticket, and
only until the server has it (the store erases it then); the SMS rule runs on the server.

The documents the visitor ticked and the carnet code typed ("J'ai un carnet") travel with
the ticket, online and offline alike; an offline ticket also gets its own carnet code here
(kiosk/domain/carnet_code.py), as the server mints one for online tickets.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable

from kiosk.domain import carnet_code
from kiosk.domain.clock import site_today
from kiosk.domain.tickets import format_ticket_number
from kiosk.ports import Json, KioskStore, KioskTransport, TransportError

log = logging.getLogger(__name__)

# Where the phone page of a ticket lives, learnt from the server's own links (store meta).
LINK_BASE_META = "phone_link_base"


class TicketUnavailable(Exception):
    """No ticket could be obtained now; the visitor is told to ask at the reception desk."""


def local_day() -> str:
    """The site's day (YYYY-MM-DD, kiosk/domain/clock.py): leases are valid on their day only."""
    return site_today().isoformat()


class TicketDesk:
    def __init__(self, transport: KioskTransport, deadline: float = 12.0, pause: float = 1.0,
                 store: KioskStore | None = None, on_queued: Callable[[], None] | None = None,
                 today: Callable[[], str] = local_day,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        """`store`: issue offline tickets from its leases when the server is unreachable
        (None: never offline). `on_queued()` is called when one waits in the outbox (wake
        the sync engine). `clock` and `sleep` time the retries (tests give their own)."""
        self.transport = transport
        self.deadline = deadline
        self.pause = pause
        self.store = store
        self.on_queued = on_queued or (lambda: None)
        self.today = today
        self.clock = clock
        self.sleep = sleep
        self._link_base: str | None = None  # read from the store on first use

    def take_ticket(
        self,
        service_id: str,
        language: str = "fr",
        priority: str = "",
        phone: str | None = None,
        sms_consent: bool = False,
        documents: list[Json] | None = None,
        carnet: str = "",
        help_reading: bool = False,
    ) -> Json:
        """Ask the server for a ticket; retries reuse one Idempotency-Key, so one ticket at most.

        `priority` is a category of TicketIn ("" for none); `phone` (E.164) travels only with
        `sms_consent`, for the "your turn is near" SMS. `documents`: the checklist as shown
        ([{"doc", "text", "have"}], TicketIn.documents); `carnet`: a typed carnet code (sent
        only when its check digit holds); `help_reading`: the visitor used read-aloud (the
        agent's console shows it; sent only when true, so an older server never sees it).
        Blocking: call it from a worker thread.
        """
        key = str(uuid.uuid4())
        payload: Json = {"service": service_id, "language": language}
        if priority:
            payload["priority"] = priority
        if phone and sms_consent:
            payload.update(phone=phone, sms_consent=True)
        payload.update(carnet_fields(documents, carnet))
        if help_reading:
            payload["help_reading"] = True
        give_up = self.clock() + self.deadline
        while True:
            try:
                ticket = self.transport.create_ticket(payload, key)
                self.remember_link_base(ticket)
                return ticket
            except TransportError as exc:
                if not exc.retryable:
                    raise TicketUnavailable(str(exc)) from exc
                try:
                    offline = self.issue_offline(service_id, language, priority,
                                                 phone=phone, sms_consent=sms_consent,
                                                 documents=documents, carnet=carnet,
                                                 help_reading=help_reading)
                except sqlite3.Error as store_exc:  # the kiosk's disk is full or failing
                    raise TicketUnavailable(f"kiosk storage unavailable: {store_exc}") from exc
                if offline is not None:
                    return offline
                if self.clock() + self.pause > give_up:
                    raise TicketUnavailable(str(exc)) from exc
                self.sleep(self.pause)

    def issue_offline(self, service_id: str, language: str = "fr", priority: str = "",
                      phone: str | None = None, sms_consent: bool = False,
                      documents: list[Json] | None = None, carnet: str = "",
                      help_reading: bool = False) -> Json | None:
        """A ticket from this kiosk's lease, queued in the outbox for upload; None when no
        leased number is left for the service today. Its public token and its carnet code
        are minted here (as the server would), so its phone link and the code printed on it
        work once it is uploaded. `phone` (E.164) waits with it only with `sms_consent`,
        until the server acknowledges it; `documents` and `carnet` as in take_ticket."""
        if self.store is None:
            return None
        day = self.today()
        number = self.store.take_offline_number(service_id, day)
        if number is None:
            return None
        prefix = next(lease.prefix for lease in self.store.leases(service_id, day)
                      if lease.first <= number <= lease.last)
        issued_at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        token = secrets.token_urlsafe(16)
        code = carnet_code.mint()
        payload: Json = {"service": service_id, "language": language,
                         "offline": {"lease_day": day, "number": number, "issued_at": issued_at,
                                     "public_token": token, "carnet_code": code}}
        if priority:
            payload["priority"] = priority
        sms = bool(phone and sms_consent)
        if sms:
            payload.update(phone=phone, sms_consent=True)
        extra = carnet_fields(documents, carnet)
        payload.update(extra)
        if help_reading:
            payload["help_reading"] = True
        item = self.store.enqueue("ticket", payload, str(uuid.uuid4()))
        self.on_queued()
        ticket = offline_ticket(item.id, service_id, format_ticket_number(prefix, number),
                                issued_at, priority, phone_url=self.phone_link(token), sms=sms)
        # Unchecked offline: whether the typed carnet joins is known once uploaded.
        ticket.update(carnet_code=code, documents=extra.get("documents", []),
                      carnet=extra.get("carnet", ""), carnet_linked=False)
        return ticket

    def remember_link_base(self, ticket: Json) -> None:
        """Keep where the server's phone links point (PUBLIC_BASE_URL), for offline tickets."""
        token, url = str(ticket.get("id") or ""), str(ticket.get("phone_url") or "")
        if self.store is None or not token or not url.endswith(token):
            return
        base = url[: -len(token)]
        if base == self._link_base:
            return
        try:
            self.store.set_meta(LINK_BASE_META, base)
            self._link_base = base
        except sqlite3.Error as exc:  # never costs the visitor an online ticket
            log.warning("could not keep the phone link base: %s", exc)

    def phone_link(self, token: str) -> str:
        """The phone page of `token`: like the server's links when one was seen, else on
        the server's address (as the service pages' QR codes)."""
        base = self._link_base
        if base is None and self.store is not None:
            base = self._link_base = self.store.get_meta(LINK_BASE_META)
        if not base:
            base = f"{self.transport.base_url.rstrip('/')}/t/"
        return f"{base}{token}"

    def ticket_state(self, ticket: Json) -> Json:
        """The latest state known of a ticket this desk gave: an offline ticket becomes the
        server's answer once uploaded; otherwise (and for online tickets) unchanged."""
        if not ticket.get("offline") or ticket.get("outbox_id") is None or self.store is None:
            return ticket
        try:
            item = self.store.outbox_item(ticket["outbox_id"])
        except KeyError:
            return ticket  # pruned: keep what the visitor saw
        return {**item.result, "uploaded": True} if item.result else ticket


MAX_DOCUMENTS = 20  # TicketIn.documents: at most 20 items
MAX_DOCUMENT_TEXT = 200  # each localized name


def carnet_fields(documents: list[Json] | None, carnet: str = "") -> Json:
    """The ticket request's `documents` and `carnet` (only those present): the checklist as
    the wire takes it (at most 20 lines, names cut to 200 characters, `have` a bool) and a
    carnet code only when its check digit holds (a typo never reaches the server)."""
    fields: Json = {}
    lines = []
    for entry in (documents or [])[:MAX_DOCUMENTS]:
        texts = entry.get("text") if isinstance(entry, dict) else None
        if not isinstance(texts, dict):
            continue
        lines.append({"doc": str(entry.get("doc") or ""),
                      "text": {str(k): str(v)[:MAX_DOCUMENT_TEXT] for k, v in texts.items() if v},
                      "have": bool(entry.get("have"))})
    if lines:
        fields["documents"] = lines
    if carnet and carnet_code.is_valid(carnet):
        fields["carnet"] = carnet_code.normalize(carnet)
    return fields


def offline_ticket(outbox_id: int, service_id: str, number: str, issued_at: str,
                   priority: str = "", phone_url: str = "", sms: bool = False) -> Json:
    """The shape of TicketOut for a ticket not yet known to the server: no id yet, no
    position nor estimate (the kiosk cannot know the queue while offline); its phone link
    (the page says "on its way" until the upload); `sms`: a number waits with it, and the
    SMS rule will run once the server has it. `uploaded` False: nothing is on the server."""
    return {
        "id": None, "number": number, "service": service_id, "status": "waiting",
        "position": None, "ahead": None, "estimated_wait_minutes": None, "counter": None,
        "priority": priority, "sms": sms, "phone_url": phone_url, "created_at": issued_at,
        "called_at": None, "offline": True, "outbox_id": outbox_id, "uploaded": False,
    }
