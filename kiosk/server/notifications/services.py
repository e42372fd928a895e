"""The SMS outbox: enqueue (inside the queue's transaction), claim, send, record reports.

A row moves pending -> sending -> sent -> delivered|failed. A send whose outcome is unknown
(timeout after the request left) becomes `unknown` and is never sent again blindly; a
retryable failure (gateway down) goes back to pending with a backoff. A worker that died
mid-send leaves a `sending` row: it is marked `unknown` too, never resent.
"""

from __future__ import annotations

import datetime as dt
import logging
import random

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from kiosk.domain.phones import PhoneError, check_sms_region, mask_phone
from kiosk.domain.sms_text import CALLED, TURN_NEAR, render_sms
from kiosk.domain.tickets import TicketStatus
from kiosk.server.notifications.gateways import (
    DLR_QUERY,
    DeliveryReport,
    KannelGateway,
    LogGateway,
    SmsGateway,
)
from kiosk.server.notifications.models import SmsMessage
from kiosk.server.queueing.models import Ticket

log = logging.getLogger("carrefour.sms")
KINDS = {"near": TURN_NEAR, "called": CALLED}
STUCK_AFTER = dt.timedelta(minutes=5)
OPEN_STATUSES = [s for s in TicketStatus if s.is_open]


def has_sms(ticket, kind: str) -> bool:
    return SmsMessage.objects.filter(ticket=ticket, kind=kind).exists()


def enqueue_sms(ticket, kind: str, minutes: int | None = None, counter: str = "") -> SmsMessage | None:
    """Insert the (ticket, kind) row once; a second call is a no-op (unique constraint)."""
    if not ticket.phone:
        return None
    site = ticket.site
    sms = render_sms(KINDS[kind], ticket.language, site=site.sms_name or site.name,
                     ticket=ticket.display, counter=counter,
                     **({"minutes": minutes} if minutes is not None else {}))
    try:
        with transaction.atomic():
            return SmsMessage.objects.create(ticket=ticket, kind=kind, text=sms.text,
                                             coding=sms.coding, segments=sms.segments,
                                             estimate_minutes=minutes)
    except IntegrityError:
        return None


def cancel_unsent(ticket) -> int:
    return SmsMessage.objects.filter(ticket=ticket, status=SmsMessage.Status.PENDING).update(
        status=SmsMessage.Status.CANCELLED, detail="ticket closed")


def gateway_from_settings() -> SmsGateway:
    backend = settings.SMS_BACKEND
    if backend == "log":
        return LogGateway()
    if backend == "kannel":
        template = settings.SMS_DLR_BASE_URL.rstrip("/") + "/sms/dlr/?" + DLR_QUERY
        return KannelGateway(settings.KANNEL_SENDSMS_URL, settings.KANNEL_USERNAME,
                             settings.KANNEL_PASSWORD, template, smsc=settings.KANNEL_SMSC or None,
                             sender=settings.SMS_SENDER or None)
    raise ValueError(f"unknown SMS_BACKEND {backend!r} (log or kannel)")


def release_stuck(now: dt.datetime | None = None) -> int:
    """A row left `sending` by a dead worker: outcome unknown, so never resent."""
    now = now or timezone.now()
    return SmsMessage.objects.filter(status=SmsMessage.Status.SENDING,
                                     claimed_at__lt=now - STUCK_AFTER).update(
        status=SmsMessage.Status.UNKNOWN, detail="worker stopped while sending")


def claim_due(limit: int = 20) -> list[SmsMessage]:
    """Claim pending rows with a conditional update (pending -> sending): one worker each."""
    now = timezone.now()
    claimed = []
    with transaction.atomic():
        due = SmsMessage.objects.filter(status=SmsMessage.Status.PENDING,
                                        next_attempt_at__lte=now).order_by("next_attempt_at")
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        for pk in list(due.values_list("pk", flat=True)[:limit]):
            won = SmsMessage.objects.filter(pk=pk, status=SmsMessage.Status.PENDING).update(
                status=SmsMessage.Status.SENDING, claimed_at=now)
            if won:
                claimed.append(pk)
    return list(SmsMessage.objects.filter(pk__in=claimed).select_related("ticket"))


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=random.uniform(0.5, 1.0) * min(300, 5 * 2 ** min(attempts, 10)))


def send_one(message: SmsMessage, gateway: SmsGateway) -> str:
    """Send one claimed row; returns its new status."""
    # Read the number now, not from the batch: the ticket may have closed since the claim.
    phone = (Ticket.objects.filter(pk=message.ticket_id, status__in=OPEN_STATUSES)
             .values_list("phone", flat=True).first() or "")
    if not phone:
        status, detail = SmsMessage.Status.CANCELLED, "number erased before sending"
        SmsMessage.objects.filter(pk=message.pk).update(status=status, detail=detail)
        return status  # type: ignore[return-value]  # a TextChoices member: Django's types are not installed
    try:  # again here: a number kept before SMS_COUNTRIES changed never goes out either
        check_sms_region(phone, settings.SMS_COUNTRIES)
    except PhoneError:
        status, detail = SmsMessage.Status.CANCELLED, "country not in SMS_COUNTRIES"
        SmsMessage.objects.filter(pk=message.pk).update(status=status, detail=detail)
        log.info("sms %s %s to %s: not sent (country)", message.kind, message.ticket.display,
                 mask_phone(phone))
        return status  # type: ignore[return-value]  # a TextChoices member: Django's types are not installed
    result = gateway.send(phone, message.text, message.coding, message.ref)
    fields = {"attempts": message.attempts + 1, "detail": result.detail[:200]}
    if result.accepted:
        fields.update(status=SmsMessage.Status.SENT, sent_at=timezone.now())
    elif result.unknown:
        fields.update(status=SmsMessage.Status.UNKNOWN)
    elif result.retryable:
        fields.update(status=SmsMessage.Status.PENDING,
                      next_attempt_at=timezone.now() + backoff(message.attempts))
    else:
        fields.update(status=SmsMessage.Status.FAILED)
    # Conditional: a delivery report that raced ahead of us is never overwritten.
    SmsMessage.objects.filter(pk=message.pk, status=SmsMessage.Status.SENDING).update(**fields)
    log.info("sms %s %s to %s: %s", message.kind, message.ticket.display, mask_phone(phone),
             fields["status"])
    return fields["status"]


def run_once(gateway: SmsGateway, limit: int = 20) -> dict[str, int]:
    release_stuck()
    counts: dict[str, int] = {}
    for message in claim_due(limit):
        status = send_one(message, gateway)
        counts[status] = counts.get(status, 0) + 1
    return counts


DLR_STATUS = {
    "delivered": SmsMessage.Status.DELIVERED,
    "failed": SmsMessage.Status.FAILED,
    "rejected": SmsMessage.Status.FAILED,
}


def _row_of(ref: str) -> int | None:
    return SmsMessage.objects.filter(ref=ref).values_list("pk", flat=True).first()


def record_delivery_report(report: DeliveryReport) -> SmsMessage | None:
    """Apply a Kannel report; intermediate ones (buffered, submitted) only note the detail.

    Kannel sends the SMSC's ack and the delivery at the same moment, on two connections: two
    server threads apply them side by side. Each write is therefore conditional in the
    database, never decided from a status read before it: a delivered SMS stays delivered
    (a clean run under load lost a delivery so: the ack, read while the row was still
    "sending", wrote "sent" over it)."""
    pk = _row_of(report.ref)
    if pk is None:
        return None
    rows = SmsMessage.objects.filter(pk=pk)
    detail = f"dlr {report.status} {report.answer}"[:200]
    new = DLR_STATUS.get(report.status)
    if new is not None:
        fields = {"status": new, "detail": detail}
        if new == SmsMessage.Status.DELIVERED:
            fields["delivered_at"] = timezone.now()
        rows.exclude(status=SmsMessage.Status.DELIVERED).update(**fields)
    else:
        # The SMSC has it: a send still "sending" or "unknown" went through after all.
        rows.exclude(status__in=(SmsMessage.Status.DELIVERED, SmsMessage.Status.FAILED)).update(
            detail=detail, status=Case(
                When(status__in=(SmsMessage.Status.SENDING, SmsMessage.Status.UNKNOWN),
                     then=Value(SmsMessage.Status.SENT)),
                default=F("status")))
    return SmsMessage.objects.get(pk=pk)
