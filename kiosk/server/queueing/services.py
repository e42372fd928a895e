"""Queue service functions: check_* validates and authorizes, do_* changes state."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from kiosk.domain.tickets import InvalidTransition, TicketStatus, check_transition
from kiosk.domain.wait import naive_wait_minutes
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.models import Counter, IdempotencyRecord, Ticket, TicketSequence


class QueueError(Exception):
    """A request the queue cannot honour; the message is safe to show."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def check_service_for_ticket(site: Site, service_slug: str) -> Service:
    service = Service.objects.filter(site=site, slug=service_slug).first()
    if service is None:
        raise QueueError(f"unknown service {service_slug!r}", status=404)
    if not service.ticketing:
        raise QueueError("this service works on appointment only: no ticket", status=409)
    return service


def do_issue_ticket(
    service: Service, language: str = "fr", kiosk=None, idempotency_key: uuid.UUID | None = None
) -> tuple[Ticket, bool]:
    """Issue the next ticket of the day for `service`; return (ticket, created).

    With an idempotency key, a replay (even a concurrent one) returns the first ticket.
    """
    if idempotency_key is not None and kiosk is not None:
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is not None:
            return record.ticket, False
    try:
        with transaction.atomic():
            day = timezone.localdate()
            sequence, _ = TicketSequence.objects.get_or_create(service=service, day=day)
            # The UPDATE takes the row lock: concurrent issuers queue here until we commit.
            TicketSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
            number = TicketSequence.objects.values_list("last_number", flat=True).get(pk=sequence.pk)
            ticket = Ticket.objects.create(
                site_id=service.site_id, service=service, day=day, number=number,
                prefix=service.prefix, language=language, kiosk=kiosk,
            )
            if idempotency_key is not None and kiosk is not None:
                IdempotencyRecord.objects.create(kiosk=kiosk, key=idempotency_key, ticket=ticket)
    except IntegrityError:
        # Lost a race with the same key: the other request's ticket is the answer.
        if idempotency_key is None or kiosk is None:
            raise
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is None:
            raise
        return record.ticket, False
    return ticket, True


def ticket_position(ticket: Ticket) -> int | None:
    """1 = next to be called; None once the ticket has left the queue."""
    if ticket.status != TicketStatus.WAITING:
        return None
    ahead = Ticket.objects.filter(
        service_id=ticket.service_id, day=ticket.day, status=TicketStatus.WAITING,
        number__lt=ticket.number,
    ).count()
    return ahead + 1


def estimated_wait(ticket: Ticket, position: int | None) -> int | None:
    if position is None:
        return None
    open_counters = Counter.objects.filter(services=ticket.service_id, is_open=True).count()
    return naive_wait_minutes(position - 1, ticket.service.mean_service_minutes, open_counters)


def check_counter_agent(user, counter: Counter) -> None:
    if not sites_where(user, Role.COUNTER).filter(pk=counter.site_id).exists():
        raise PermissionDenied("this agent has no counter role on this site")


def _transition(ticket: Ticket, status: TicketStatus) -> None:
    try:
        check_transition(ticket.status, status)
    except InvalidTransition as exc:
        raise QueueError(str(exc), status=409) from exc
    ticket.status = status


def do_call_next(counter: Counter) -> Ticket | None:
    """Finish the counter's current ticket and call the oldest waiting one it serves."""
    with transaction.atomic():
        do_finish_current(counter)
        candidates = Ticket.objects.filter(
            service__in=counter.services.all(), day=timezone.localdate(),
            status=TicketStatus.WAITING,
        ).order_by("created_at", "number")
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ticket = candidates.first()
        if ticket is None:
            return None
        _transition(ticket, TicketStatus.CALLED)
        ticket.counter = counter
        ticket.called_at = timezone.now()
        ticket.save(update_fields=["status", "counter", "called_at"])
        return ticket


def do_finish_current(counter: Counter, status: TicketStatus = TicketStatus.DONE) -> Ticket | None:
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update()
            .filter(counter=counter, status=TicketStatus.CALLED)
            .order_by("-called_at")
            .first()
        )
        if ticket is None:
            return None
        _transition(ticket, status)
        ticket.finished_at = timezone.now()
        ticket.save(update_fields=["status", "finished_at"])
        return ticket


def current_ticket(counter: Counter) -> Ticket | None:
    return (
        Ticket.objects.filter(counter=counter, status=TicketStatus.CALLED)
        .select_related("service")
        .order_by("-called_at")
        .first()
    )
