"""Queue status per service, for the kiosk's service screen ("current wait").

The figure a visitor needs before taking a ticket is the wait *their* ticket would get.
So for each service we add one hypothetical ticket (not priority, issued now, behind
everyone already waiting) to the site's real queue snapshot and run the same estimator as
for real tickets (kiosk.domain.estimation.estimate_waits: open counters, the ones busy with
a visitor, the fair priority rule, service times learned from history, no-shows). This is
what "the estimate of the last waiting ticket + one service time" approximates, without
its errors when several counters share the service or a counter is about to be free.
It is None when no open counter serves the service, or when it works on appointment only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
import time

from django.utils import timezone

from kiosk.domain.estimation import estimate_waits
from kiosk.domain.priority import WaitingTicket
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.snapshot import MODELS, snapshot

STATUS_TTL_SECONDS = 5.0  # every kiosk of a site polls it; share the answer a few seconds
_GHOST = "__new_ticket__"
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
    result = _compute(site, at)
    if now is None:
        with _lock:
            _cache[site.pk] = (time.monotonic(), at, result)
    return at, result


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _compute(site: Site, now: dt.datetime) -> dict[str, dict]:
    model = MODELS.get(site)
    snap = dataclasses.replace(snapshot(site, now), no_show_rate=model.no_show_rate)
    out = {}
    for pk, slug, ticketing in Service.objects.filter(site=site).order_by(
            "pole__order", "order", "slug").values_list("pk", "slug", "ticketing"):
        key = str(pk)
        line = list(snap.waiting.get(key, ()))
        counters = sum(1 for c in snap.counters if key in c.services)
        minutes = None
        if ticketing and counters:
            last = max((t.issued_at for t in line), default=snap.now)
            ghost = WaitingTicket(ticket_id=_GHOST, service=key,
                                  issued_at=max(last, snap.now) + 1e-3)
            waits = estimate_waits(
                dataclasses.replace(snap, waiting={**snap.waiting, key: [*line, ghost]}), model)
            value = waits.get(_GHOST)
            minutes = None if value is None else max(0, math.ceil(value))
        out[slug] = {"waiting": len(line), "estimated_wait_minutes": minutes,
                     "open_counters": counters}
    return out
