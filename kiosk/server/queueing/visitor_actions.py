"""The visitor's own actions from the phone page: "I'm leaving", "I need more time"."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from kiosk.domain.tickets import (
    TicketStatus,
)
from kiosk.server.queueing.estimates import queue_changed
from kiosk.server.queueing.lifecycle import QueueError, cancel_unsent_sms, save_ticket, transition
from kiosk.server.queueing.models import (
    Ticket,
)
from kiosk.server.queueing.notices import refresh_notifications
from kiosk.server.queueing.ordering import waiting_tickets

# -- the visitor's own actions (phone page) -----------------------------------------------


def do_cancel_by_visitor(ticket: Ticket) -> Ticket:
    """"I'm leaving": the ticket leaves the queue and the number is erased."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        transition(ticket, TicketStatus.CANCELLED)
        save_ticket(ticket)
        cancel_unsent_sms(ticket)
        refresh_notifications(ticket.site)
        return ticket


def do_postpone(ticket: Ticket) -> Ticket:
    """"I need more time": once per ticket, move back `site.postpone_places` places."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("site").get(pk=ticket.pk)
        if ticket.status != TicketStatus.WAITING:
            raise QueueError("only a waiting ticket can ask for more time", status=409)
        if ticket.postponed:
            raise QueueError("more time was already given once", status=409)
        same_class = waiting_tickets(ticket.site_id, ticket.day, [ticket.service_id])
        # Places are counted among tickets of the same class (priority or not): the others
        # are ordered by the priority rule, not by their place.
        same_class = (same_class.exclude(priority="") if ticket.priority
                      else same_class.filter(priority=""))
        behind = list(
            same_class.filter(queued_at__gt=ticket.queued_at)
            .values_list("queued_at", flat=True)[: ticket.site.postpone_places + 1]
        )
        places = ticket.site.postpone_places
        if len(behind) > places:
            # Between the n-th and the (n+1)-th ticket behind it.
            ticket.queued_at = behind[places - 1] + (behind[places] - behind[places - 1]) / 2
        elif behind:
            ticket.queued_at = behind[-1] + dt.timedelta(microseconds=1000)
        ticket.postponed = True
        ticket.save(update_fields=["queued_at", "postponed"])
        queue_changed(ticket.site_id)
        refresh_notifications(ticket.site)
        return ticket
