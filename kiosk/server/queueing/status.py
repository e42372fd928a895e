"""Queue status per service, for the kiosk's service screen ("current wait").

The figure a visitor needs before taking a ticket is the wait *their* ticket would get: the
site's shared estimates hold it, per service, as a probe (a ticket taken now, behind everyone
waiting), computed by the same estimator and snapshot as real tickets (counter sessions of
the day, busy counters, the fair priority rule, learned service times, gaps and no-shows).
It comes with its p20-p80 range and what the visitor is told (kiosk.domain.wait): a number,
"stay in the hall", "we may not reach you today", or unknown (no timetable and no counter
open; or appointment only).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.utils import timezone

from kiosk.domain.wait import UNKNOWN, ShownWait
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.estimates import (
    NEEDS_FRESH,
    estimate_for_new,
    newer_tickets,
    queue_estimates,
)
from kiosk.server.queueing.notices import wait_at_issue

STATUS_TTL_SECONDS = 5.0  # every kiosk of a site polls it; share the answer a few seconds
_cache: dict[int, tuple[float, dt.datetime, dict[str, dict]]] = {}
_lock = threading.Lock()


def queue_status(site: Site, now: dt.datetime | None = None) -> tuple[dt.datetime, dict[str, dict]]:
    """(at, {service slug: {waiting, estimated_wait_minutes, open_counters}}) for the site."""
    if now is None:
        with _lock:
            hit = _cache.get(site.pk)
        if hit and time.monotonic() - hit[0] < STATUS_TTL_SECONDS:
            return hit[1], hit[2]
    at = now or timezone.now()
    result = _compute(site, now)
    if now is None:
        with _lock:
            _cache[site.pk] = (time.monotonic(), at, result)
    return at, result


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _compute(site: Site, now: dt.datetime | None) -> dict[str, dict]:
    # Without `now`: the estimates the process's pages share (queue_estimates: at most
    # ESTIMATES_TTL_SECONDS old, none from before a queue change of this process but a new
    # ticket), not a computation of its own; the tickets issued since are added as a
    # ticket's estimate at issue adds them (estimate_for_new), else the queue as it is.
    estimates = queue_estimates(site, now)
    newer = [] if now is not None else newer_tickets(estimates, site.pk, timezone.localdate())
    services = list(Service.objects.filter(site=site).order_by(
        "pole__order", "order", "slug").values_list("pk", "slug", "ticketing"))
    if newer and any(estimate_for_new(estimates, newer, pk, False) is NEEDS_FRESH
                     for pk, _, ticketing in services if ticketing):
        estimates, newer = queue_estimates(site, fresh=True), []
    snap = estimates.snapshot
    assert snap is not None, "queue_estimates keeps the snapshot it computed from"
    out = {}
    for pk, slug, ticketing in services:
        key = str(pk)
        counters = sum(1 for c in snap.counters
                       if key in c.services and (c.opens_at is None or c.opens_at <= snap.now))
        shown = ShownWait(UNKNOWN)
        if ticketing:
            shown = wait_at_issue(estimate_for_new(estimates, newer, pk, False), site)
        out[slug] = {"waiting": len(snap.waiting.get(key, ()))
                     + sum(1 for _, service, _ in newer if service == pk),
                     "estimated_wait_minutes": shown.minutes,
                     "wait_low_minutes": shown.low if shown.wide else None,
                     "wait_high_minutes": shown.high if shown.wide else None,
                     "wait_status": shown.status,
                     "open_counters": counters}
    return out
