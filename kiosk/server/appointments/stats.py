"""Appointments in the statistics: how many were booked, checked in, called within
PUNCTUAL_MINUTES of their slot (punctuality), and no-shows (booked, never checked in)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from kiosk.domain.appointments import PUNCTUAL_MINUTES, punctual
from kiosk.domain.estimation import minutes_since_midnight
from kiosk.server.appointments.lane import minutes_of
from kiosk.server.appointments.models import Appointment


@dataclass
class AppointmentStats:
    booked: int = 0  # not cancelled
    checked_in: int = 0
    on_time: int = 0  # checked in by the slot's start, in the lane
    called_on_time: int = 0  # of those, called within PUNCTUAL_MINUTES of the slot
    late: int = 0  # checked in after the grace: the normal queue
    no_show: int = 0  # the day is over (or the slot long past) and never checked in

    @property
    def punctuality(self) -> float | None:
        return self.called_on_time / self.on_time if self.on_time else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_show / self.booked if self.booked else None


def appointment_stats(site, start: dt.date, end: dt.date) -> AppointmentStats:
    stats = AppointmentStats()
    today = timezone.localdate()
    rows = (Appointment.objects.filter(site=site, day__gte=start, day__lte=end)
            .exclude(status=Appointment.Status.CANCELLED)
            .values_list("day", "start", "in_lane", "checked_in_at", "ticket__drawn_at",
                         "ticket_id"))
    for day, begins, in_lane, checked_in_at, drawn_at, ticket_id in rows:
        stats.booked += 1
        if ticket_id is None:
            stats.no_show += day < today
            continue
        stats.checked_in += 1
        if not in_lane:
            stats.late += 1
            continue
        slot = minutes_of(begins)
        if minutes_since_midnight(timezone.localtime(checked_in_at)) <= slot:
            stats.on_time += 1
            called = (minutes_since_midnight(timezone.localtime(drawn_at))
                      if drawn_at is not None else None)
            stats.called_on_time += punctual(slot, called)
    return stats


def figures(stats: AppointmentStats) -> list[tuple[str, str, str]]:
    """(label, value, hint) rows for the statistics page."""
    def pct(value):
        return "—" if value is None else f"{value:.0%}".replace("%", " %")

    return [
        ("Rendez-vous", str(stats.booked), "réservés, hors annulés"),
        ("Présentés", str(stats.checked_in), f"dont {stats.late} après la tolérance"),
        ("Ponctualité", pct(stats.punctuality),
         f"arrivés à l'heure, appelés dans les {PUNCTUAL_MINUTES:.0f} min du créneau"),
        ("Absents", f"{stats.no_show} ({pct(stats.no_show_rate)})",
         "jamais présentés (jours terminés)"),
    ]


def appointment_figures(site, start: dt.date, end: dt.date) -> list[tuple[str, str, str]]:
    """The statistics page's rows; [] when no appointment was booked in the period."""
    stats = appointment_stats(site, start, end)
    return figures(stats) if stats.booked else []
