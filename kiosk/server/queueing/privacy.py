"""Personal data: the nightly backstop that closes stale tickets, erases numbers and
shreds the keys of past days."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kiosk.domain.tickets import (
    TicketStatus,
)
from kiosk.server.queueing.models import (
    QueueVersion,
    Ticket,
)
from kiosk.server.queueing.phone_vault import shred_before


def do_purge_personal_data(today: dt.date | None = None) -> dict[str, int]:
    """End-of-day backstop: close yesterday's open tickets, erase every closed ticket's number."""
    from kiosk.server.notifications.models import SmsMessage

    today = today or timezone.localdate()
    with transaction.atomic():
        stale = Ticket.objects.filter(day__lt=today, status__in=[
            TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.PARKED])
        SmsMessage.objects.filter(ticket__in=stale, status=SmsMessage.Status.PENDING).update(
            status=SmsMessage.Status.CANCELLED, detail="ticket expired")
        expired = stale.update(status=TicketStatus.CANCELLED, phone="",
                               finished_at=timezone.now())
        closed = Ticket.objects.exclude(phone="").exclude(status__in=[
            TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.PARKED])
        SmsMessage.objects.filter(ticket__in=closed, status=SmsMessage.Status.PENDING).update(
            status=SmsMessage.Status.CANCELLED, detail="number erased")
        erased = closed.update(phone="")
        if expired or erased:
            # What the pages of these tickets show changed (every site: a rare, nightly job).
            QueueVersion.objects.update(version=F("version") + 1)
    # After the commit: the numbers of past days (in dead rows, the WAL, the backups) become
    # unreadable everywhere with their key (phone_vault.py, crypto-shredding).
    shredded = shred_before(today)
    return {"expired": expired, "erased": erased, "keys_shredded": len(shredded)}
