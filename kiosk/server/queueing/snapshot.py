"""What the estimator sees: the service-time model learned from the last weeks, and the
queue snapshot (waiting tickets, counter sessions, tickets in service) of a site now."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time

from django.utils import timezone

from kiosk.domain.estimation import (
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    minutes_since_midnight,
)
from kiosk.domain.priority import WaitingTicket
from kiosk.domain.tickets import (
    TicketStatus,
)
from kiosk.server.appointments.lane import checked_in_slots
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.models import Counter, CounterEvent, Ticket
from kiosk.server.queueing.ordering import local_minutes, recent_priority_calls, waiting_tickets
from kiosk.server.queueing.sessions import counter_states

HISTORY_DAYS = 28
MODEL_TTL_SECONDS = 60.0


class _ModelCache:
    """Service-time models per site, refitted from history at most once a minute."""

    def __init__(self):
        self._lock = threading.Lock()
        self._models: dict[int, tuple[float, ServiceTimeModel]] = {}

    def get(self, site: Site) -> ServiceTimeModel:
        with self._lock:
            hit = self._models.get(site.pk)
            if hit and time.monotonic() - hit[0] < MODEL_TTL_SECONDS:
                return hit[1]
        model = _FittedModel(fit_service_time_model(site))
        with self._lock:
            self._models[site.pk] = (time.monotonic(), model)  # type: ignore[assignment]  # duck-typed (__getattr__)
        return model  # type: ignore[return-value]  # duck-typed (__getattr__)

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


class _FittedModel:
    """A fitted ServiceTimeModel, never changed after the fit, with `occupancy` memoized.

    The forward simulation asks for it at every simulated call (x 16 draws). It depends on
    `at` only through the hour of the day (ServiceTimeModel._hour_effect: int(at // 60)),
    so the memo returns exactly what the model computes. Everything else is the model's.
    """

    def __init__(self, model: ServiceTimeModel):
        self._model = model
        self._occupancy: dict[tuple, float] = {}

    def __getattr__(self, name):
        return getattr(self._model, name)

    def occupancy(self, service: str, counter: str | None, at: float, no_show_rate: float) -> float:
        key = (service, counter, int(at // 60), no_show_rate)
        value = self._occupancy.get(key)
        if value is None:
            value = self._occupancy[key] = self._model.occupancy(service, counter, at,
                                                                 no_show_rate)
        return value


MODELS = _ModelCache()


def first_day_start(until: dt.date, days: int) -> dt.datetime:
    """The local midnight starting the history window."""
    start = dt.datetime.combine(until - dt.timedelta(days=days), dt.time())
    return timezone.make_aware(start)


def fit_service_time_model(site: Site, until: dt.date | None = None) -> ServiceTimeModel:
    """Learn from the last weeks' tickets what production shows (docs/queues.md):
    service times per service, counter and hour; no-shows and the counter time they cost;
    each counter's gap between becoming free and its next call; visitors who leave.
    Observations are fed in the order they happened, as the model's memory expects."""
    priors = {str(pk): float(m) for pk, m in
              Service.objects.filter(site=site).values_list("pk", "mean_service_minutes")}
    grace = site.no_show_grace_seconds / 60
    model = ServiceTimeModel(priors, grace_minutes=grace)
    until = until or timezone.localdate()
    rows = (
        Ticket.objects.filter(site=site, day__gte=until - dt.timedelta(days=HISTORY_DAYS),
                              day__lte=until)
        .exclude(status__in=[TicketStatus.WAITING, TicketStatus.PARKED])
        .order_by("day", "pk")
        .values_list("service_id", "counter_id", "status", "queued_at", "called_at",
                     "finished_at", "day")
    )
    events: list[tuple[dt.datetime, int, tuple]] = []
    # Per counter and day, the calls in order: the gap before a call is measured from the
    # moment the counter became free (its previous ticket finished) or, if later, from the
    # called ticket's issue (nobody it could serve was waiting before).
    calls: dict[tuple[int, dt.date], list[tuple]] = {}
    for service_id, counter_id, status, queued_at, called_at, finished_at, day in rows:
        if called_at is None:
            if status == TicketStatus.CANCELLED and finished_at is not None:
                waited = (finished_at - queued_at).total_seconds() / 60
                events.append((finished_at, 0, ("leave", True, waited)))
            continue
        waited = (called_at - queued_at).total_seconds() / 60
        events.append((called_at, 0, ("leave", False, waited)))
        counter = str(counter_id) if counter_id else None
        if status == TicketStatus.NO_SHOW:
            cost = ((finished_at - called_at).total_seconds() / 60
                    if finished_at is not None else None)
            events.append((finished_at or called_at, 1, ("call", True, cost)))
        elif status == TicketStatus.DONE:
            events.append((called_at, 1, ("call", False, None)))
            if finished_at is not None:
                minutes = (finished_at - called_at).total_seconds() / 60
                if 0.2 <= minutes <= 240:
                    events.append((finished_at, 2, ("service", str(service_id), minutes, counter,
                                                    local_minutes(called_at))))
        if counter_id and status in (TicketStatus.DONE, TicketStatus.NO_SHOW):
            calls.setdefault((counter_id, day), []).append((called_at, finished_at, queued_at))
    # When each counter's agent was there to call: its openings and returns (and the
    # announced end of its pauses): a gap counts only from then, never across a pause or
    # a closed counter (lunch).
    starts: dict[int, list[dt.datetime]] = {}
    for counter_id, kind, at, pause_end in (
            CounterEvent.objects.filter(counter__site=site,
                                        at__gte=first_day_start(until, HISTORY_DAYS))
            .exclude(kind=CounterEvent.Kind.CLOSE)
            .values_list("counter_id", "kind", "at", "until")):
        starts.setdefault(counter_id, []).append(pause_end if kind == CounterEvent.Kind.PAUSE
                                                 and pause_end is not None else at)
    for moments in starts.values():
        moments.sort()
    for (counter_id, day), line in calls.items():
        line.sort(key=lambda c: c[0])
        back = starts.get(counter_id, [])
        previous_end = None
        for called_at, finished_at, queued_at in line:
            i = bisect.bisect_right(back, called_at)
            came = back[i - 1] if i and timezone.localdate(back[i - 1]) == day else None
            moments = [m for m in (previous_end, came) if m is not None]
            if moments and not (previous_end is not None and previous_end > called_at):
                # From the later of: the previous visitor done, the agent's (re)opening,
                # the called ticket's issue (nobody it could serve waited before).
                free = max(*moments, queued_at)
                gap = (called_at - free).total_seconds() / 60
                if gap >= 0:
                    events.append((called_at, 3, ("gap", str(counter_id), gap)))
            previous_end = finished_at
    events.sort(key=lambda e: (e[0], e[1]))
    for _, _, event in events:
        if event[0] == "service":
            model.observe(event[1], event[2], counter=event[3], at=event[4])
        elif event[0] == "call":
            model.observe_call(no_show=event[1], minutes=event[2])
        elif event[0] == "gap":
            model.observe_gap(event[1], event[2])
        else:
            model.observe_leave(event[1], waited_minutes=event[2])
    return model


def snapshot(site: Site, now: dt.datetime | None = None) -> QueueSnapshot:
    now = now or timezone.now()
    day = timezone.localdate(now)
    waiting: dict[str, list[WaitingTicket]] = {}
    # Plain rows, not model instances: this runs at every queue change and poll.
    rows = waiting_tickets(site.pk, day).values_list("pk", "service_id", "queued_at", "priority")
    tz = timezone.get_current_timezone()  # what local_minutes (localtime) looks up for every row
    for pk, service_id, queued_at, priority in rows:
        waiting.setdefault(str(service_id), []).append(WaitingTicket(
            ticket_id=str(pk), service=str(service_id),
            issued_at=minutes_since_midnight(queued_at.astimezone(tz)), priority=bool(priority),
            seq=pk))  # ties broken by pk, as do_call_next does (queued_at, pk)
    in_service = [
        InService(ticket_id=str(pk), service=str(service_id), counter_id=str(counter_id),
                  elapsed_minutes=max((now - called_at).total_seconds() / 60, 0.0))
        for pk, service_id, counter_id, called_at in
        Ticket.objects.filter(site=site, day=day, status=TicketStatus.CALLED,
                              counter__isnull=False, called_at__isnull=False)
        .values_list("pk", "service_id", "counter_id", "called_at")
    ]
    # Every session still to come today, per counter: its timetable, the site's closures
    # and its agent's open / pause / closed-for-today (queueing/sessions.py).
    counters = counter_states(site, now, busy={s.counter_id for s in in_service})
    service_ids = [s for c in counters for s in c.services]
    recent = recent_priority_calls(site.pk, day, [int(s) for s in set(service_ids)])
    return QueueSnapshot(now=local_minutes(now), waiting=waiting, counters=counters,
                         in_service=in_service, recent_calls=recent,
                         appointments=checked_in_slots(site.pk, day, now))


def unplanned_services(site: Site, snap: QueueSnapshot) -> frozenset[int]:
    """Services served by a counter that has no timetable and is not in the snapshot (closed
    now): when it opens again is unknown, so "not reachable today" would be a guess."""
    in_snapshot = {int(c.counter_id) for c in snap.counters}
    unplanned = [pk for pk, hours in Counter.objects.filter(site=site).values_list("pk", "hours")
                 if not hours and pk not in in_snapshot]
    if not unplanned:
        return frozenset()
    return frozenset(Counter.services.through.objects.filter(counter_id__in=unplanned)
                     .values_list("service_id", flat=True))
