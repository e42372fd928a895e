"""The "turn is near" SMS rule, evaluated after queue changes and every minute."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kiosk.domain.notify import near_turn
from kiosk.domain.tickets import (
    TicketStatus,
)
from kiosk.server.content.models import Site
from kiosk.server.queueing.estimates import queue_estimates
from kiosk.server.queueing.models import (
    Ticket,
)
from kiosk.server.queueing.ordering import (
    call_order,
    recent_priority_calls,
    ticket_position,
    waiting_tickets,
)


def notify_new_ticket(ticket: Ticket, minutes: int) -> None:
    """The "near" rule (refresh_notifications) for a ticket just issued, in its transaction."""
    from kiosk.server.notifications.services import enqueue_sms

    position = ticket_position(ticket)
    if position and near_turn(minutes, position - 1, ticket.site.sms_threshold_minutes,
                              ticket.site.sms_max_position):
        enqueue_sms(ticket, "near", minutes=minutes)


def do_check_near_turns() -> int:
    """The "turn is near" rule again for every site with a waiting ticket owed its SMS; the
    SMS worker runs it every minute. Estimates shrink with time alone (a visitor at a counter
    for 20 minutes is nearly done) while no queue change happens to re-check the rule; and
    a new ticket only checks itself. Returns the number of sites checked."""
    day = timezone.localdate()
    site_ids = set(
        Ticket.objects.filter(day=day, status=TicketStatus.WAITING)
        .exclude(phone="").exclude(sms__kind="near").values_list("site_id", flat=True))
    for site in Site.objects.filter(pk__in=site_ids):
        with transaction.atomic():
            refresh_notifications(site)
    return len(site_ids)


def refresh_notifications(site: Site) -> dict[int, int | None]:
    """Insert the "turn is near" SMS rows that became true; return the estimates used
    ({} when no waiting ticket is owed an SMS).

    Called inside the transaction of every queue change (DESIGN.md: the state change that
    makes the rule true inserts the row). The unique (ticket, kind) makes it once per ticket.
    A ticket already near its turn when issued gets its SMS at once: it confirms the number
    and tells the visitor not to go far.
    """
    from kiosk.server.notifications.services import enqueue_sms, has_sms

    day = timezone.localdate()
    # Most changes concern no ticket with a phone still owed its SMS: then nothing to do
    # here, and the estimate is not computed inside the write transaction.
    with_phone = list(waiting_tickets(site.pk, day).exclude(phone="").exclude(sms__kind="near"))
    if not with_phone:
        return {}
    estimates = queue_estimates(site, fresh=True)
    by_service: dict[int, list[Ticket]] = {}
    for ticket in waiting_tickets(site.pk, day):
        by_service.setdefault(ticket.service_id, []).append(ticket)
    ahead: dict[int, int] = {}
    for service_id, tickets in by_service.items():
        recent = recent_priority_calls(site.pk, day, [service_id])
        for index, ticket in enumerate(call_order(tickets, recent)):
            ahead[ticket.pk] = index
    for ticket in with_phone:
        minutes = estimates.get(ticket.pk)
        if minutes is None or has_sms(ticket, "near"):
            # No estimate (no counter open): nobody is being called, an SMS would mislead.
            continue
        if near_turn(minutes, ahead.get(ticket.pk, 0), site.sms_threshold_minutes,
                     site.sms_max_position):
            enqueue_sms(ticket, "near", minutes=minutes)
    return estimates
