"""Appointments in the statistics: how many were booked, checked in (on time, late within
the grace, late after it), called within PUNCTUAL_MINUTES of their slot (punctuality), the
wait after check-in, and no-shows (never checked in: marked at start + grace by noshows.py,
or the day is over). The page's figures and the per-day-and-service CSV (export.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from kiosk.domain.appointments import PUNCTUAL_MINUTES, punctual
from kiosk.domain.estimation import minutes_since_midnight
from kiosk.server.appointments.lane import minutes_of
from kiosk.server.appointments.models import Appointment

Status = Appointment.Status


@dataclass
class AppointmentStats:
    booked: int = 0  # not cancelled
    checked_in: int = 0
    on_time: int = 0  # checked in by the slot's start, in the lane
    called_on_time: int = 0  # of those, called within PUNCTUAL_MINUTES of the slot
    late_within_grace: int = 0  # checked in after the start, within the grace: the lane
    late: int = 0  # checked in after the grace: the normal queue
    no_show: int = 0  # never checked in: marked so, or the day is over
    waits: list[float] = field(default_factory=list)  # check-in to call, minutes

    @property
    def punctuality(self) -> float | None:
        return self.called_on_time / self.on_time if self.on_time else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_show / self.booked if self.booked else None

    @property
    def mean_wait(self) -> float | None:
        return sum(self.waits) / len(self.waits) if self.waits else None

    def add(self, row: tuple, today: dt.date) -> None:
        """Count one appointment (a row of ROW_FIELDS)."""
        day, begins, status, in_lane, checked_in_at, drawn_at, ticket_id = row[:7]
        self.booked += 1
        if ticket_id is None:
            self.no_show += status == Status.NO_SHOW or day < today
            return
        self.checked_in += 1
        if drawn_at is not None and checked_in_at is not None:
            self.waits.append(max(0.0, (drawn_at - checked_in_at).total_seconds() / 60))
        if not in_lane:
            self.late += 1
            return
        slot = minutes_of(begins)
        if minutes_since_midnight(timezone.localtime(checked_in_at)) > slot:
            self.late_within_grace += 1
            return
        self.on_time += 1
        called = (minutes_since_midnight(timezone.localtime(drawn_at))
                  if drawn_at is not None else None)
        self.called_on_time += punctual(slot, called)


ROW_FIELDS = ("day", "start", "status", "in_lane", "checked_in_at", "ticket__drawn_at",
              "ticket_id", "service_id")


def _rows(site, start: dt.date, end: dt.date):
    return (Appointment.objects.filter(site=site, day__gte=start, day__lte=end)
            .exclude(status=Status.CANCELLED).order_by("day", "start", "pk")
            .values_list(*ROW_FIELDS))


def appointment_stats(site, start: dt.date, end: dt.date) -> AppointmentStats:
    stats = AppointmentStats()
    today = timezone.localdate()
    for row in _rows(site, start, end):
        stats.add(row, today)
    return stats


def stats_by_day_and_service(site, start: dt.date,
                             end: dt.date) -> Iterator[tuple[dt.date, int, AppointmentStats]]:
    """(day, service id, its stats) for each day and service with an appointment, in order."""
    today = timezone.localdate()
    cells: dict[tuple[dt.date, int], AppointmentStats] = {}
    for row in _rows(site, start, end):
        cells.setdefault((row[0], row[7]), AppointmentStats()).add(row, today)
    for (day, service_id), stats in sorted(cells.items()):
        yield day, service_id, stats


def figures(stats: AppointmentStats) -> list[tuple[str, str, str]]:
    """(label, value, hint) rows for the statistics page."""
    def pct(value):
        return "—" if value is None else f"{value:.0%}".replace("%", " %")

    wait = "—" if stats.mean_wait is None else f"{stats.mean_wait:.1f} min".replace(".", ",")
    return [
        ("Rendez-vous", str(stats.booked), "réservés, hors annulés"),
        ("Présentés", str(stats.checked_in), f"dont {stats.late} après la tolérance"),
        ("Ponctualité", pct(stats.punctuality),
         f"arrivés à l'heure, appelés dans les {PUNCTUAL_MINUTES:.0f} min du créneau"),
        ("Absents", f"{stats.no_show} ({pct(stats.no_show_rate)})",
         "jamais présentés (tolérance passée ou jour terminé)"),
        ("Attente après l'arrivée", wait, "moyenne, de l'enregistrement à l'appel"),
    ]


def appointment_figures(site, start: dt.date, end: dt.date) -> list[tuple[str, str, str]]:
    """The statistics page's rows; [] when no appointment was booked in the period."""
    stats = appointment_stats(site, start, end)
    return figures(stats) if stats.booked else []
