"""What the estimator sees: the service-time model learned from the last weeks, and the
queue snapshot (waiting tickets, counter sessions, tickets in service) of a site now."""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.utils import timezone

from kiosk.domain.estimation import (
    CounterState,
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    minutes_since_midnight,
)
from kiosk.domain.priority import WaitingTicket
from kiosk.domain.tickets import (
    TicketStatus,
)
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.models import (
    Counter,
    Ticket,
)
from kiosk.server.queueing.ordering import local_minutes, recent_priority_calls, waiting_tickets

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
            self._models[site.pk] = (time.monotonic(), model)
        return model

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


def fit_service_time_model(site: Site, until: dt.date | None = None) -> ServiceTimeModel:
    """Learn service times per service, counter and hour from the last weeks' tickets."""
    priors = {str(pk): float(m) for pk, m in
              Service.objects.filter(site=site).values_list("pk", "mean_service_minutes")}
    grace = site.no_show_grace_seconds / 60
    model = ServiceTimeModel(priors, grace_minutes=grace)
    until = until or timezone.localdate()
    rows = (
        Ticket.objects.filter(site=site, day__gte=until - dt.timedelta(days=HISTORY_DAYS),
                              day__lte=until, called_at__isnull=False,
                              status__in=[TicketStatus.DONE, TicketStatus.NO_SHOW])
        .order_by("called_at")
        .values_list("service_id", "counter_id", "status", "called_at", "finished_at")
    )
    for service_id, counter_id, status, called_at, finished_at in rows:
        model.observe_call(no_show=status == TicketStatus.NO_SHOW)
        if status == TicketStatus.DONE and finished_at is not None:
            minutes = (finished_at - called_at).total_seconds() / 60
            if 0.2 <= minutes <= 240:
                model.observe(str(service_id), minutes,
                              counter=str(counter_id) if counter_id else None,
                              at=local_minutes(called_at))
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
            issued_at=minutes_since_midnight(queued_at.astimezone(tz)), priority=bool(priority)))
    counters = [
        CounterState(counter_id=str(c.pk), services=frozenset(str(s) for s in c.service_ids))
        for c in _open_counters(site)
    ]
    in_service = [
        InService(ticket_id=str(pk), service=str(service_id), counter_id=str(counter_id),
                  elapsed_minutes=max((now - called_at).total_seconds() / 60, 0.0))
        for pk, service_id, counter_id, called_at in
        Ticket.objects.filter(site=site, day=day, status=TicketStatus.CALLED,
                              counter__isnull=False, called_at__isnull=False)
        .values_list("pk", "service_id", "counter_id", "called_at")
    ]
    service_ids = [s for c in counters for s in c.services]
    recent = recent_priority_calls(site.pk, day, [int(s) for s in set(service_ids)])
    return QueueSnapshot(now=local_minutes(now), waiting=waiting, counters=counters,
                         in_service=in_service, recent_calls=recent)


def _open_counters(site: Site) -> list[Counter]:
    counters = list(Counter.objects.filter(site=site, is_open=True))
    # The (counter, service) pairs alone: prefetching the services would load (and decode)
    # every service's texts for every counter.
    served: dict[int, list[int]] = {}
    for counter_id, service_id in Counter.services.through.objects.filter(
            counter_id__in=[c.pk for c in counters]).values_list("counter_id", "service_id"):
        served.setdefault(counter_id, []).append(service_id)
    for counter in counters:
        counter.service_ids = served.get(counter.pk, [])
    return counters
