"""A ticket's lifecycle steps shared by every queue action: the error a request may
get, a checked status change, the save that erases the phone number of a closed ticket."""

from __future__ import annotations

from django.utils import timezone

from kiosk.domain.tickets import (
    InvalidTransition,
    TicketStatus,
    check_transition,
)
from kiosk.server.queueing.estimates import queue_changed
from kiosk.server.queueing.models import (
    Ticket,
)


class QueueError(Exception):
    """A request the queue cannot honour; the message is safe to show."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def transition(ticket: Ticket, status: TicketStatus) -> None:
    try:
        check_transition(ticket.status, status)
    except InvalidTransition as exc:
        raise QueueError(str(exc), status=409) from exc
    ticket.status = status
    if not status.is_open:
        # Privacy: the number lives only as long as the open ticket.
        ticket.phone = ""  # type: ignore[assignment]  # a model field: the instance holds a str
        ticket.finished_at = timezone.now()


def save_ticket(ticket: Ticket, *fields: str) -> None:
    ticket.save(update_fields=["status", "phone", "finished_at", *fields])
    queue_changed(ticket.site_id)


def cancel_unsent_sms(ticket: Ticket) -> None:
    from kiosk.server.notifications.services import cancel_unsent

    cancel_unsent(ticket)


def do_close_ticket(ticket_id: int) -> Ticket | None:
    """Close an open ticket from the back-office, through the lifecycle like any queue
    action: cancelled (no-show if it was called), its number erased, its unsent SMS
    cancelled. None if it was already closed."""
    from django.db import transaction

    from kiosk.server.queueing.notices import refresh_notifications

    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("site").get(pk=ticket_id)
        if not TicketStatus(ticket.status).is_open:
            return None
        status = TicketStatus.NO_SHOW if ticket.status == TicketStatus.CALLED else TicketStatus.CANCELLED
        transition(ticket, status)
        save_ticket(ticket)
        cancel_unsent_sms(ticket)
        refresh_notifications(ticket.site)
        return ticket
