"""Kiosk heartbeats: what each kiosk last said about itself, for the fleet page.

A heartbeat carries the kiosk's software version, the content cursor it holds, how many
requests wait in its outbox, its printer's state and its last error. Nothing personal: the
kiosk never sends a phone number, a ticket or a visitor's words here, and the server logs
none of it. Lengths are validated by the API schema (HeartbeatIn): nothing is cut here.
The texts are scrubbed here too (kiosk/domain/text_input.py: control characters become
spaces, bidi controls and stray zero-width characters go), whoever the caller: they are
shown on the fleet page and PostgreSQL cannot store a NUL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from kiosk.domain.text_input import scrub_text
from kiosk.server.devices.models import Kiosk

# The wire's "unknown" printer is stored as "" (PrinterState.UNKNOWN).
PRINTER_STATES = {"ok": "ok", "absent": "absent", "paper_out": "paper_out", "error": "error",
                  "unknown": ""}


@dataclass(frozen=True)
class Heartbeat:
    version: str
    cursor: str | None = None
    outbox_depth: int = 0
    printer_state: str = "unknown"
    printer_detail: str = ""
    last_error: str | None = None
    long_poll_errors: int = 0
    last_long_poll_error: str | None = None


def record_heartbeat(kiosk: Kiosk, data: Heartbeat, now: dt.datetime | None = None) -> dt.datetime:
    """Store the heartbeat on the kiosk in one UPDATE; returns the time it was received.

    A heartbeat without an error keeps the previous error and its time on the fleet page
    (agents see "last error, 20 min ago"); a new error replaces it.
    """
    now = now or timezone.now()
    fields = {
        "last_heartbeat_at": now,
        "last_seen_at": now,
        "version": scrub_text(data.version),
        "content_cursor": scrub_text(data.cursor or ""),
        "outbox_depth": data.outbox_depth,
        "printer_state": PRINTER_STATES[data.printer_state],
        "printer_detail": scrub_text(data.printer_detail),  # also for an OK printer: "paper low"
        # Counted since the kiosk started: a restart sets it back to 0 (and the last error).
        "long_poll_errors": data.long_poll_errors,
        "last_long_poll_error": scrub_text(data.last_long_poll_error or ""),
    }
    last_error = scrub_text(data.last_error or "")
    if last_error:
        fields["last_error"] = last_error
        fields["last_error_at"] = now
    Kiosk.objects.filter(pk=kiosk.pk).update(**fields)
    for name, value in fields.items():
        setattr(kiosk, name, value)
    return now
