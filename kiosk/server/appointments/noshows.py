"""No-shows: an appointment nobody checked in for by its start + APPOINTMENT_GRACE_MINUTES
is marked "no_show" (docs/queues.md, the appointment lane).

Run every few minutes in the day (`mark_no_shows`, carrefour-no-shows.timer) and by the
nightly purge as a backstop. The slot stops holding a counter at its start already
(lane.day_slots); the mark makes it final for the back-office list and the statistics. A
visitor who turns up later is still checked in, into the normal queue (services.do_checkin).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from kiosk.server.appointments.models import Appointment
from kiosk.server.appointments.services import grace_minutes

Status = Appointment.Status


def overdue(now: dt.datetime):
    """Booked, never checked in, and start + grace is past at `now` (site time)."""
    cutoff = timezone.localtime(now) - dt.timedelta(minutes=grace_minutes())
    # start + grace < now  <=>  start < now - grace; `start` is kept to the minute.
    return Appointment.objects.filter(status=Status.BOOKED, ticket__isnull=True).filter(
        Q(day__lt=cutoff.date()) | Q(day=cutoff.date(), start__lt=cutoff.time()))


def mark_no_shows(now: dt.datetime | None = None) -> int:
    """Mark the overdue appointments no-show; how many. Idempotent: only booked ones change,
    and the status is re-checked in the UPDATE (a check-in racing with it wins)."""
    now = now or timezone.now()
    # No queue_changed(): nothing the queue, the console or the board computes reads a
    # booked slot past its start (lane.day_slots), so their pages have nothing to redraw.
    return overdue(now).update(status=Status.NO_SHOW)
