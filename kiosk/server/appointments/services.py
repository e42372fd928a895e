"""Appointments: booking (import, push), check-in at the kiosk, and what the queue sees of
them (the lane's slots for do_call_next and the estimator). docs/queues.md, the lane."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kiosk.domain.appointments import (
    LANE,
    LANE_PREFIX,
    checkin_lane,
    mint_code,
)
from kiosk.domain.estimation import minutes_since_midnight
from kiosk.domain.tickets import MAX_NUMBER, TicketStatus
from kiosk.server.appointments.lane import minutes_of
from kiosk.server.appointments.models import Appointment
from kiosk.server.appointments.slots import clear_cache as clear_slots_cache
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.estimates import queue_changed
from kiosk.server.queueing.lifecycle import QueueError
from kiosk.server.queueing.models import Ticket, TicketSequence

Status = Appointment.Status


@dataclass(frozen=True)
class Booking:
    """One appointment as a booking system or a file gives it (validated)."""

    service: Service
    starts_at: dt.datetime  # aware
    duration_minutes: int = 20
    initials: str = ""
    code: str = ""
    external_id: str = ""
    cancelled: bool = False


def grace_minutes() -> float:
    return float(getattr(settings, "APPOINTMENT_GRACE_MINUTES", 10))


def _free_code(site: Site, day: dt.date) -> str:
    taken = set(Appointment.objects.filter(site=site, day=day).values_list("code", flat=True))
    return mint_code(taken)


def save_booking(site: Site, booking: Booking, source: str) -> tuple[Appointment, bool]:
    """Create or update (same site and external id) an appointment; (appointment, created).

    Replaying the same booking changes nothing: the code minted the first time is kept."""
    local = timezone.localtime(booking.starts_at)
    fields = {"service": booking.service, "day": local.date(),
              "start": local.time().replace(second=0, microsecond=0),
              "duration_minutes": booking.duration_minutes, "initials": booking.initials}
    existing = (Appointment.objects.filter(site=site, external_id=booking.external_id).first()
                if booking.external_id else None)
    if existing is not None:
        for name, value in fields.items():
            setattr(existing, name, value)
        if booking.cancelled and existing.status == Status.BOOKED:
            existing.status = Status.CANCELLED
        elif not booking.cancelled and existing.status == Status.CANCELLED:
            existing.status = Status.BOOKED
        if booking.code and booking.code != existing.code:
            existing.code = booking.code
        existing.save()
        return existing, False
    code = booking.code or _free_code(site, fields["day"])
    appointment = Appointment.objects.create(
        site=site, code=code, external_id=booking.external_id, source=source,
        status=Status.CANCELLED if booking.cancelled else Status.BOOKED, **fields)
    return appointment, True


def find_for_checkin(site: Site, *, code: str = "", initials: str = "",
                     at: dt.time | None = None) -> Appointment:
    """Today's appointment by its code, or by initials and start time (409 if several)."""
    today = timezone.localdate()
    rows = Appointment.objects.filter(site=site, day=today).exclude(status=Status.CANCELLED)
    if code:
        rows = rows.filter(code=code.strip())
    elif initials and at is not None:
        rows = rows.filter(initials=initials.strip().upper(), start=at.replace(second=0))
    else:
        raise QueueError("give the code, or the initials and the time", status=422)
    found = list(rows.select_related("service", "site")[:2])
    if not found:
        raise QueueError("no appointment today with this code", status=404)
    if len(found) > 1:
        raise QueueError("several appointments match: give the code", status=409)
    return found[0]


def do_checkin(appointment: Appointment, kiosk=None, language: str = "fr") -> tuple[Ticket, bool]:
    """The visitor is here: a ticket in the appointment lane, or (later than the grace) in
    the service's normal queue. Returns (ticket, created); a second check-in returns the
    first ticket."""
    from kiosk.server.queueing.issuing import do_issue_ticket

    if appointment.ticket_id is not None:
        return appointment.ticket, False
    # A no-show (marked at start + grace, noshows.py) who turns up later still gets a
    # ticket: in the normal queue, as any visitor later than the grace.
    if appointment.status not in (Status.BOOKED, Status.NO_SHOW):
        raise QueueError(f"this appointment is {appointment.status}", status=409)
    now = timezone.now()
    lane = checkin_lane(minutes_since_midnight(timezone.localtime(now)),
                        minutes_of(appointment.start), grace_minutes())
    if timezone.localdate(now) != appointment.day:
        raise QueueError("this appointment is not today", status=409)
    if lane != LANE:
        ticket, _ = do_issue_ticket(appointment.service, language=language, kiosk=kiosk)
    else:
        ticket = _lane_ticket(appointment, kiosk, language, now)
    with transaction.atomic():
        updated = Appointment.objects.filter(pk=appointment.pk, ticket__isnull=True).update(
            ticket=ticket, in_lane=lane == LANE, status=Status.CHECKED_IN, checked_in_at=now)
        if not updated:  # a concurrent check-in won: its ticket is the answer
            appointment.refresh_from_db()
            Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CANCELLED,
                                                       finished_at=now)
            return appointment.ticket, False
    appointment.ticket, appointment.in_lane = ticket, lane == LANE
    appointment.status, appointment.checked_in_at = Status.CHECKED_IN, now
    clear_slots_cache()  # its time no longer open to touch (unless another shares it)
    return ticket, True


def _lane_ticket(appointment: Appointment, kiosk, language: str, now: dt.datetime) -> Ticket:
    """A ticket numbered in its service's sequence, lettered LANE_PREFIX ("R012"). Told at
    issue: the minutes to its slot (it is called then)."""
    service = appointment.service
    with transaction.atomic():
        day = timezone.localdate(now)
        sequence, _ = TicketSequence.objects.get_or_create(service=service, day=day)
        TicketSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
        number = TicketSequence.objects.values_list("last_number", flat=True).get(pk=sequence.pk)
        if number > MAX_NUMBER:
            raise QueueError("no more tickets today for this service", status=409)
        wait = max(0, math.ceil((appointment.starts_at() - now).total_seconds() / 60))
        ticket = Ticket.objects.create(
            site_id=appointment.site_id, service=service, issued_service=service, day=day,
            number=number, prefix=LANE_PREFIX, language=language, kiosk=kiosk, queued_at=now,
            estimate_at_issue=wait, wait_low_at_issue=wait, wait_high_at_issue=wait,
            wait_status_at_issue="estimated")
        queue_changed(appointment.site_id)
    return ticket


def effective_status(appointment: Appointment) -> str:
    """Booked/checked-in as stored; then what its ticket became (called, done, no-show)."""
    ticket = appointment.ticket
    if ticket is None:
        if appointment.status == Status.BOOKED and appointment.day < timezone.localdate():
            return str(Status.NO_SHOW)
        return appointment.status
    return str({TicketStatus.CALLED: Status.CALLED, TicketStatus.DONE: Status.DONE,
                TicketStatus.NO_SHOW: Status.NO_SHOW,
                TicketStatus.CANCELLED: Status.CANCELLED}.get(ticket.status, Status.CHECKED_IN))

