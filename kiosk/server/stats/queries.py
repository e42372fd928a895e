"""The managers' figures for one site over a range of days, computed in Python.

The database only filters and returns plain rows (`values_list`): grouping by local hour,
medians and percentiles are done here, so the numbers are the same on SQLite and PostgreSQL
and need no database-specific function.

Definitions (shown on the page, docs for the managers):

- a ticket belongs to its `day` (the day it was issued, local time);
- wait = called_at - created_at, in minutes, for every ticket that was called at least once
  (a recall moves called_at: the wait runs to the last call);
- service duration = finished_at - called_at, for the tickets served (status done);
- no-show rate = no_show / tickets called; cancellation rate = cancelled / tickets issued;
- estimate error = estimate_at_issue - actual wait (minutes), for the tickets that had an
  estimate and were called: MAE is the mean absolute error, bias the mean error (negative:
  visitors waited longer than announced);
- percentiles interpolate linearly between the closest ranks, like Excel's PERCENTILE.INC
  (so a manager gets the same p90 from the CSV export); the median is the 50th percentile.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from kiosk.domain.languages import LANGUAGES
from kiosk.domain.tickets import TicketStatus, format_ticket_number
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.models import Ticket

MAX_DAYS = 366
DEFAULT_DAYS = 7


# -- the period ------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period the page cannot show; the message is French, for the form."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def default_period(today: dt.date) -> Period:
    return Period(today - dt.timedelta(days=DEFAULT_DAYS - 1), today)


def _parse_day(raw: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise PeriodError(
            f"Date {what} invalide : « {raw[:20]} ». Format attendu : AAAA-MM-JJ (ex. 2025-03-31)."
        ) from None


def parse_period(raw_from: str | None, raw_to: str | None, today: dt.date) -> Period:
    """The period of ?from=YYYY-MM-DD&to=YYYY-MM-DD; a missing bound defaults around 7 days."""
    raw_from, raw_to = (raw_from or "").strip(), (raw_to or "").strip()
    end = _parse_day(raw_to, "de fin") if raw_to else None
    start = _parse_day(raw_from, "de début") if raw_from else None
    if end is None:
        end = today if start is None else max(start, min(today, start + dt.timedelta(days=6)))
    if start is None:
        start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise PeriodError("La date de début est après la date de fin.")
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(f"La période est limitée à {MAX_DAYS} jours : exportez-la en plusieurs fois.")
    return Period(start, end)


# -- small statistics ------------------------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th quantile (0..1), linear between closest ranks (Excel PERCENTILE.INC)."""
    data = sorted(values)
    if not data:
        return None
    if not 0 <= q <= 1:
        raise ValueError(f"q must be within 0..1, got {q}")
    position = (len(data) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 0.5)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def minutes_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 60


# -- rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRow:
    """What the statistics need of a ticket: no personal data (the phone is never read)."""

    day: dt.date
    number: int
    prefix: str
    service_id: int
    priority: str
    status: str
    created_at: dt.datetime
    called_at: dt.datetime | None
    finished_at: dt.datetime | None
    counter: str
    estimate: int | None
    language: str = "fr"  # the visitor's language (kiosk choice, or the agent's form)
    help_reading: bool = False  # the visitor used read-aloud at the kiosk

    @property
    def display(self) -> str:
        return format_ticket_number(self.prefix, self.number)

    @property
    def wait_minutes(self) -> float | None:
        return minutes_between(self.created_at, self.called_at)

    @property
    def service_minutes(self) -> float | None:
        if self.status != TicketStatus.DONE:
            return None
        return minutes_between(self.called_at, self.finished_at)

    @property
    def local_hour(self) -> int:
        return timezone.localtime(self.created_at).hour


_COLUMNS = ("day", "number", "prefix", "service_id", "priority", "status", "created_at",
            "called_at", "finished_at", "counter__name", "estimate_at_issue", "language",
            "help_reading")


def ticket_rows(site: Site, period: Period) -> Iterator[TicketRow]:
    """The site's tickets of the period, by day and issue time (streamed from the database)."""
    rows = (
        Ticket.objects.filter(site=site, day__gte=period.start, day__lte=period.end)
        .order_by("day", "created_at", "pk")
        .values_list(*_COLUMNS)
    )
    for (day, number, prefix, service_id, priority, status, created_at, called_at, finished_at,
         counter, estimate, language, help_reading) in rows.iterator(chunk_size=2000):
        yield TicketRow(day, number, prefix, service_id, priority or "", status, created_at,
                        called_at, finished_at, counter or "", estimate, language or "fr",
                        bool(help_reading))


def service_names(site: Site) -> dict[int, str]:
    """French names of the site's services, in the kiosk's order."""
    return {s.pk: s.text("name") for s in Service.objects.filter(site=site).select_related("pole")}


# -- summaries -------------------------------------------------------------------------


@dataclass
class Summary:
    """The figures of a set of tickets (a service, a day, or the whole site)."""

    label: str
    issued: int = 0
    called: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    open: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    durations: list[float] = field(default_factory=list, repr=False)
    estimate_errors: list[float] = field(default_factory=list, repr=False)

    def add(self, row: TicketRow) -> None:
        self.issued += 1
        wait = row.wait_minutes
        if wait is not None:
            self.called += 1
            self.waits.append(wait)
            if row.estimate is not None:
                self.estimate_errors.append(row.estimate - wait)
        duration = row.service_minutes
        if duration is not None:
            self.durations.append(duration)
        if row.status == TicketStatus.DONE:
            self.served += 1
        elif row.status == TicketStatus.NO_SHOW:
            self.no_show += 1
        elif row.status == TicketStatus.CANCELLED:
            self.cancelled += 1
        else:
            self.open += 1

    @property
    def median_wait(self) -> float | None:
        return median(self.waits)

    @property
    def p90_wait(self) -> float | None:
        return percentile(self.waits, 0.9)

    @property
    def median_service(self) -> float | None:
        return median(self.durations)

    @property
    def no_show_rate(self) -> float | None:
        return ratio(self.no_show, self.called)

    @property
    def cancel_rate(self) -> float | None:
        return ratio(self.cancelled, self.issued)

    @property
    def estimate_mae(self) -> float | None:
        return mean([abs(e) for e in self.estimate_errors])

    @property
    def estimate_bias(self) -> float | None:
        return mean(self.estimate_errors)


@dataclass
class SiteStats:
    period: Period
    total: Summary
    services: list[Summary]  # services with tickets in the period, in the kiosk's order
    per_day: list[tuple[dt.date, Summary]]  # every day of the period, empty days included
    per_hour: dict[int, int]  # local hour of issue -> tickets, summed over the period
    # language code -> tickets, most used first (every language of the kiosks, 0 included)
    per_language: dict[str, int] = field(default_factory=dict)
    # language code -> tickets whose visitor used read-aloud (same keys as per_language)
    help_reading_per_language: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.total.issued == 0


def summarize(rows: Iterable[TicketRow], label: str = "Tous services") -> Summary:
    summary = Summary(label)
    for row in rows:
        summary.add(row)
    return summary


def site_stats(site: Site, period: Period) -> SiteStats:
    names = service_names(site)
    total = Summary("Tous services")
    by_service: dict[int, Summary] = {}
    by_day = {day: Summary(day.isoformat()) for day in period.days}
    per_hour: Counter[int] = Counter()
    per_language: Counter[str] = Counter({lang.code: 0 for lang in LANGUAGES})
    help_reading: Counter[str] = Counter()
    for row in ticket_rows(site, period):
        total.add(row)
        name = names.get(row.service_id, f"Service {row.service_id}")
        by_service.setdefault(row.service_id, Summary(name)).add(row)
        by_day[row.day].add(row)
        per_hour[row.local_hour] += 1
        per_language[row.language] += 1
        help_reading[row.language] += row.help_reading
    rank = {pk: i for i, pk in enumerate(names)}
    services = [by_service[pk] for pk in sorted(by_service, key=lambda pk: rank.get(pk, len(rank)))]
    return SiteStats(period, total, services, sorted(by_day.items()), dict(sorted(per_hour.items())),
                     dict(per_language.most_common()),
                     {code: help_reading[code] for code, _ in per_language.most_common()})
