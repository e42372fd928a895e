"""Taking a ticket from the kiosk: one request, retried with the same key, never twice."""

from __future__ import annotations

import time
import uuid

from kiosk.sync.transport import Transport, TransportError


class TicketUnavailable(Exception):
    """No ticket could be obtained now; the visitor is told to ask at the reception desk."""


class TicketDesk:
    def __init__(self, transport: Transport, deadline: float = 12.0, pause: float = 1.0):
        self.transport = transport
        self.deadline = deadline
        self.pause = pause

    def take_ticket(
        self,
        service_id: str,
        language: str = "fr",
        priority: str = "",
        phone: str | None = None,
        sms_consent: bool = False,
    ) -> dict:
        """Ask the server for a ticket; retries reuse one Idempotency-Key, so one ticket at most.

        `priority` is a category of TicketIn ("" for none); `phone` (E.164) travels only with
        `sms_consent`, for the "your turn is near" SMS. Blocking: call it from a worker thread.
        """
        key = str(uuid.uuid4())
        payload: dict = {"service": service_id, "language": language}
        if priority:
            payload["priority"] = priority
        if phone and sms_consent:
            payload.update(phone=phone, sms_consent=True)
        give_up = time.monotonic() + self.deadline
        while True:
            try:
                return self.transport.create_ticket(payload, key)
            except TransportError as exc:
                if not exc.retryable or time.monotonic() + self.pause > give_up:
                    raise TicketUnavailable(str(exc)) from exc
                time.sleep(self.pause)
