"""Issuing tickets: online at a kiosk or by an agent, leased number blocks, and the upload
of tickets a kiosk issued offline (docs/queues.md)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from kiosk.domain.phones import PhoneError, check_sms_region, normalize_phone
from kiosk.domain.tickets import (
    MAX_NUMBER,
    TicketStatus,
    format_ticket_number,
)
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.estimates import (
    NEEDS_FRESH,
    estimate_for_new,
    is_shared,
    newer_tickets,
    queue_changed,
    queue_estimates,
)
from kiosk.server.queueing.lifecycle import QueueError
from kiosk.server.queueing.models import (
    IdempotencyRecord,
    NumberLease,
    Priority,
    Ticket,
    TicketSequence,
    is_public_token,
)
from kiosk.server.queueing.notices import notify_new_ticket, refresh_notifications, wait_at_issue

# -- issuing -------------------------------------------------------------------------------


def check_service_for_ticket(site: Site, service_slug: str) -> Service:
    # A draft service (or one of a draft pole) is not on the kiosks: no ticket for it either.
    service = Service.objects.filter(site=site, slug=service_slug, published=True,
                                     pole__published=True).first()
    if service is None:
        raise QueueError(f"unknown service {service_slug!r}", status=404)
    service.site = site  # the caller's instance: no second query for it
    if not service.ticketing:
        raise QueueError("this service works on appointment only: no ticket", status=409)
    return service


def check_service_for_offline_ticket(site: Site, service_slug: str) -> Service:
    """Like check_service_for_ticket, but a service turned appointment-only since the lease
    still takes the tickets already issued from it: nothing a kiosk issued is refused."""
    service = Service.objects.filter(site=site, slug=service_slug).first()
    if service is None:
        raise QueueError(f"unknown service {service_slug!r}", status=404)
    return service


def check_phone(raw: str | None, consent: bool) -> str:
    """The E.164 number to keep on the ticket ('' for none): a mobile of a country this
    server sends SMS to (SMS_COUNTRIES); consent is required."""
    if not raw:
        return ""
    try:
        phone = check_sms_region(normalize_phone(raw), settings.SMS_COUNTRIES)
    except PhoneError as exc:
        raise QueueError(f"phone number refused: {exc}", status=422) from exc
    if not consent:
        raise QueueError("the visitor's consent is required to keep a phone number", status=422)
    return phone


def check_priority(value: str | None) -> str:
    value = value or ""
    if value not in Priority.values:
        raise QueueError(f"unknown priority category {value!r}", status=422)
    return value


def do_issue_ticket(
    service: Service,
    language: str = "fr",
    kiosk=None,
    idempotency_key: uuid.UUID | None = None,
    *,
    priority: str = "",
    phone: str = "",
    consent: bool = False,
    issued_by=None,
    fingerprint: str = "",
    help_reading: bool = False,
) -> tuple[Ticket, bool]:
    """Issue the next ticket of the day for `service`; return (ticket, created).

    With an idempotency key, a replay (even a concurrent one) returns the first ticket; the
    key with another request's `fingerprint` is a QueueError 422 (api/idempotency.py).
    `phone` must already be checked (check_phone); it is kept only while the ticket is open.
    """
    if idempotency_key is not None and kiosk is not None:
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is not None:
            return _replayed_ticket(record, fingerprint), False
    # The site's shared estimates (at most ESTIMATES_TTL_SECONDS old; computed, if need be,
    # outside the write transaction, which holds SQLite's lock): they hold the wait of a
    # ticket taken now in each service, the estimate shown at issue (docs/queues.md).
    estimates = queue_estimates(service.site)
    newer = newer_tickets(estimates, service.site_id, timezone.localdate())
    if newer and estimate_for_new(estimates, newer, service.pk, bool(priority)) is NEEDS_FRESH:
        # Tickets issued since that the shared result cannot account for: the queue as it
        # is (computed once for the concurrent requests of the process, and shared).
        estimates = queue_estimates(service.site, fresh=True)
    try:
        with transaction.atomic():
            day = timezone.localdate()
            sequence, _ = TicketSequence.objects.get_or_create(service=service, day=day)
            # The UPDATE takes the row lock: concurrent issuers queue here until we commit.
            TicketSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
            number = TicketSequence.objects.values_list("last_number", flat=True).get(pk=sequence.pk)
            if number > MAX_NUMBER:
                # Rolls the bump back: the visitor is sent to the reception desk, not a 500.
                raise QueueError(
                    f"no more tickets today for this service ({MAX_NUMBER} issued)", status=409
                )
            now = timezone.now()
            # Under the sequence's lock: every earlier ticket of the service is committed.
            estimate = estimate_for_new(estimates, newer_tickets(estimates, service.site_id, day),
                                        service.pk, bool(priority),
                                        compute=False)  # no simulation under the lock
            raced = estimate is NEEDS_FRESH  # others were issued since the check above
            if raced:
                estimate = None
            ticket = Ticket(
                site=service.site, service=service, day=day, number=number,
                prefix=service.prefix, language=language, kiosk=kiosk, priority=priority,
                issued_service=service,
                queued_at=now, phone=phone, sms_consent_at=now if phone else None,
                issued_by=issued_by, help_reading=help_reading,
            )
            if not raced:
                _tell_wait(ticket, estimate)
            ticket.save(force_insert=True)
            if idempotency_key is not None and kiosk is not None:
                IdempotencyRecord.objects.create(kiosk=kiosk, key=idempotency_key, ticket=ticket,
                                                 fingerprint=fingerprint)
            # A ticket at the back of its line changes no other ticket's estimate (a priority
            # one moves the normal ones back: drop the shared estimates), nor makes another
            # ticket's turn near: only its own "near" SMS can be due.
            queue_changed(service.site_id, estimates=bool(priority) or raced)
            if raced:
                refresh_notifications(service.site)  # as for any change: fresh, in here
            elif phone:
                notify_new_ticket(ticket, estimate)
    except IntegrityError:
        # Lost a race with the same key: the other request's ticket is the answer.
        if idempotency_key is None or kiosk is None:
            raise
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is None:
            raise
        return _replayed_ticket(record, fingerprint), False
    if raced:  # the estimate with the queue as it is, outside the write transaction
        _tell_wait(ticket, queue_estimates(service.site, fresh=True).call(ticket.pk))
        ticket.save(update_fields=WAIT_AT_ISSUE_FIELDS)
    elif not priority and is_shared(service.site_id, estimates):
        # The shared result stays valid (see above): it now holds this ticket too, with
        # the estimate it was given, until the next computation.
        estimates.add(ticket.pk, estimate)
    return ticket, True


def _replayed_ticket(record: IdempotencyRecord, fingerprint: str) -> Ticket:
    """The ticket a key already made; 422 if the key came with another request (or made
    no ticket: a lease, an assistance call...)."""
    if (record.fingerprint and fingerprint and record.fingerprint != fingerprint) \
            or record.ticket_id is None:
        raise QueueError(KEY_REUSED, status=422)
    return record.ticket


KEY_REUSED = ("this Idempotency-Key was already used for another request (another endpoint "
              "or another body): send a new key for a new request")

WAIT_AT_ISSUE_FIELDS = ["estimate_at_issue", "wait_low_at_issue", "wait_high_at_issue",
                        "wait_status_at_issue"]


def _tell_wait(ticket: Ticket, estimate) -> None:
    """Keep on the ticket what it is told at issue (printed, shown, counted in the stats)."""
    shown = wait_at_issue(estimate, ticket.site)
    ticket.estimate_at_issue = shown.minutes
    ticket.wait_low_at_issue = shown.low
    ticket.wait_high_at_issue = shown.high
    ticket.wait_status_at_issue = shown.status


# -- offline tickets: leased number blocks ----------------------------------------------

MAX_LEASE_SIZE = 50
PUBLIC_TOKEN_MAX = Ticket._meta.get_field("public_token").max_length


def do_lease_numbers(service: Service, kiosk, size: int = 10,
                     idempotency_key: uuid.UUID | None = None,
                     fingerprint: str = "") -> tuple[NumberLease, bool]:
    """Reserve the next `size` numbers of today's sequence of `service` for `kiosk`; return
    (lease, created). One UPDATE bumps the sequence by `size` (the row lock serialises it
    with do_issue_ticket), so online tickets skip the leased numbers. A replay of the same
    key returns the first lease (422 with another request's `fingerprint`)."""
    if not 1 <= size <= MAX_LEASE_SIZE:
        raise QueueError(f"a lease holds 1 to {MAX_LEASE_SIZE} numbers", status=422)
    if idempotency_key is not None:
        lease = NumberLease.objects.filter(kiosk=kiosk, idempotency_key=idempotency_key).first()
        if lease is not None:
            return _replayed_lease(lease, fingerprint), False
    try:
        with transaction.atomic():
            day = timezone.localdate()
            sequence, _ = TicketSequence.objects.get_or_create(service=service, day=day)
            TicketSequence.objects.filter(pk=sequence.pk).update(
                last_number=F("last_number") + size)
            last = TicketSequence.objects.values_list("last_number", flat=True).get(pk=sequence.pk)
            if last > MAX_NUMBER:
                raise QueueError(f"no more numbers today for this service ({MAX_NUMBER})",
                                 status=409)
            lease = NumberLease.objects.create(
                kiosk=kiosk, service=service, day=day, first=last - size + 1, last=last,
                prefix=service.prefix, idempotency_key=idempotency_key, fingerprint=fingerprint,
            )
    except IntegrityError:
        if idempotency_key is None:
            raise
        lease = NumberLease.objects.filter(kiosk=kiosk, idempotency_key=idempotency_key).first()
        if lease is None:
            raise
        return _replayed_lease(lease, fingerprint), False
    return lease, True


def _replayed_lease(lease: NumberLease, fingerprint: str) -> NumberLease:
    if lease.fingerprint and fingerprint and lease.fingerprint != fingerprint:
        raise QueueError(KEY_REUSED, status=422)
    return lease


def do_issue_offline_ticket(
    service: Service,
    kiosk,
    idempotency_key: uuid.UUID,
    *,
    lease_day: dt.date,
    number: int,
    issued_at: dt.datetime,
    language: str = "fr",
    priority: str = "",
    public_token: str | None = None,
    phone: str = "",
    fingerprint: str = "",
    help_reading: bool = False,
) -> tuple[Ticket, bool]:
    """Store a ticket the kiosk issued offline from one of its leases; return (ticket, created).

    The number must lie in a lease of this kiosk for this service and day (else 409). The
    ticket keeps that number and takes its place by the kiosk's issue time, clamped to
    [lease.created_at, now]. A replay of the key returns the same ticket; the same number
    (or the same `public_token`, which the kiosk minted for its QR code) under another key
    is a 409. A ticket of a past day is still stored, as cancelled (and without its phone:
    a closed ticket keeps no number): nothing the kiosk issued is lost. `phone` (checked,
    consented at the kiosk) is kept on the ticket, and the "near" rule runs for it in the
    upload's transaction, as for any queue change. The key with another request's
    `fingerprint` is a 422.
    """
    record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
    if record is not None:
        return _replayed_ticket(record, fingerprint), False
    if public_token is not None:
        if not is_public_token(public_token) or len(public_token) > PUBLIC_TOKEN_MAX:
            raise QueueError("malformed public token", status=422)
        if Ticket.objects.filter(public_token=public_token).exists():
            raise QueueError("this public token is already used by another ticket", status=409)
    lease = (NumberLease.objects.filter(kiosk=kiosk, service=service, day=lease_day,
                                        first__lte=number, last__gte=number)
             .order_by("created_at").first())
    if lease is None:
        raise QueueError(
            f"number {number} of {lease_day} is not in a lease of this kiosk for {service.slug!r}",
            status=409,
        )
    now = timezone.now()
    if issued_at.tzinfo is None:
        issued_at = timezone.make_aware(issued_at)
    issued = min(max(issued_at, lease.created_at), now)
    past_day = lease_day < timezone.localdate()
    phone = "" if past_day else phone
    extra = {"public_token": public_token} if public_token is not None else {}
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                site_id=service.site_id, service=service, issued_service=service, day=lease_day,
                number=number, prefix=lease.prefix, language=language, kiosk=kiosk,
                priority=priority, queued_at=issued, offline=True,
                status=TicketStatus.CANCELLED if past_day else TicketStatus.WAITING,
                finished_at=now if past_day else None,
                # Consent was given at the kiosk, when it issued the ticket.
                phone=phone, sms_consent_at=issued if phone else None,
                help_reading=help_reading, **extra,
            )
            # created_at is auto_now_add: the issue time is the kiosk's, set after insert.
            Ticket.objects.filter(pk=ticket.pk).update(created_at=issued)
            ticket.created_at = issued
            IdempotencyRecord.objects.create(kiosk=kiosk, key=idempotency_key, ticket=ticket,
                                             fingerprint=fingerprint)
            if not past_day:
                queue_changed(service.site_id)
                refresh_notifications(service.site)
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is not None:
            return _replayed_ticket(record, fingerprint), False
        if (public_token is not None
                and Ticket.objects.filter(public_token=public_token).exists()
                and not Ticket.objects.filter(issued_service=service, day=lease_day,
                                              number=number).exists()):
            raise QueueError("this public token is already used by another ticket",
                             status=409) from None
        raise QueueError(
            f"ticket {format_ticket_number(lease.prefix, number)} of {lease_day} was already "
            "uploaded", status=409) from None
    return ticket, True
