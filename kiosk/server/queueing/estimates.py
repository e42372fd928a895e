"""The site's wait estimates, computed from the snapshot and shared per process; the
estimate of a ticket taken now (probes) and of tickets issued since (docs/queues.md)."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kiosk.domain.estimation import (
    UNREACHABLE,
    CallEstimate,
    QueueSnapshot,
    estimate_calls,
)
from kiosk.domain.priority import WaitingTicket
from kiosk.domain.tickets import (
    TicketStatus,
)
from kiosk.server.content.models import Site
from kiosk.server.queueing.models import (
    QueueVersion,
    Ticket,
)
from kiosk.server.queueing.snapshot import MODELS, snapshot, unplanned_services

ESTIMATES_TTL_SECONDS = 1.0
# A result past its TTL is still read while the next one is computed, up to this age.
ESTIMATES_STALE_SECONDS = 10.0
# Past its TTL, a result the site's queue has not changed since (its QueueVersion: a change
# in any process) is kept by one query instead of computed again, up to this age from its
# computation: a quiet queue costs a query a second, not a simulation, per site and worker;
# its estimates then lag the clock by at most that much (whole minutes are shown).
ESTIMATES_SAME_QUEUE_SECONDS = 10.0


NEEDS_FRESH = object()  # Estimates.for_new: only the queue as it is will do
# calls_for(told=True): show the ticket what it was told at issue (compared with `is`).
TOLD = CallEstimate(None, None, None, True)
UNKNOWN = CallEstimate(None, None, None, True)  # nothing known (no timetable, closed now)


def whole_minutes(estimate: CallEstimate | None) -> int | None:
    """The mean of an estimate in whole minutes, as pages show it (None: none)."""
    if estimate is None or estimate.mean is None:
        return None
    return max(0, math.ceil(estimate.mean))


class Estimates(dict):
    """Ticket pk -> whole minutes until its call (None: unknown or unreachable), as computed
    at one moment; `calls` holds the full estimates (mean, p20, p80, reachable). Plus what a
    ticket issued after that moment gets (`for_new`). `max_pk`: the newest ticket the
    computation saw waiting: a waiting ticket with a greater pk is newer."""

    CHAIN_MIN = 8

    def __init__(self, calls=None, new=None, max_pk: int = 0, snapshot=None, model=None,
                 related=None, unplanned=frozenset()):
        self.calls: dict[int, CallEstimate] = dict(calls or {})
        super().__init__((pk, whole_minutes(c)) for pk, c in self.calls.items())
        # (service pk, priority) -> a ticket taken at that moment (estimate_calls' probes).
        self.new: dict[tuple[int, bool], CallEstimate] = new or {}
        self.max_pk = max_pk
        # service pk -> the services sharing a counter session with it (itself included).
        self.related: dict[int, set[int]] = related or {}
        # Services served by a counter without a timetable, closed now: "not reachable
        # today" would be a guess there; they are unknown instead.
        self.unplanned = unplanned
        self._snapshot, self._model = snapshot, model
        self._chains: dict[int, list[CallEstimate]] = {}

    @property
    def snapshot(self) -> QueueSnapshot | None:
        return self._snapshot

    def call(self, pk: int) -> CallEstimate | None:
        return self.calls.get(pk)

    def add(self, pk: int, estimate: CallEstimate) -> None:
        """A ticket issued since the computation, with the estimate it was given."""
        self.calls[pk] = estimate
        self[pk] = whole_minutes(estimate)

    def for_new(self, service_id: int, priority: bool, normal_since: int,
                priority_since: int, compute: bool = True):
        """The estimate of a ticket of the service issued after the computation, with
        `normal_since` / `priority_since` tickets of its service issued after it too, and
        before this one (still waiting). The first one is a ticket taken then (a probe);
        the n-th normal one in a row, the n-th of a chain of normal tickets added to the
        queue the computation saw (computed once per service, when first needed; not
        with `compute` False). NEEDS_FRESH otherwise (priority tickets among them)."""
        if priority_since or (priority and normal_since):
            return NEEDS_FRESH
        if (service_id, priority) not in self.new:  # no counter session serves it today
            return UNKNOWN if service_id in self.unplanned else UNREACHABLE
        if not normal_since:
            return self.new[(service_id, priority)]
        chain = self._chains.get(service_id)
        if chain is None or len(chain) <= normal_since:
            if not compute or self._snapshot is None:
                return NEEDS_FRESH
            chain = self._chain(service_id, max(self.CHAIN_MIN, 2 * normal_since + 1))
        return chain[normal_since]

    def _chain(self, service_id: int, length: int) -> list[CallEstimate]:
        snap, key = self._snapshot, str(service_id)
        line = list(snap.waiting.get(key, ()))
        at = max([t.issued_at for t in line] + [snap.now]) + 1e-3
        top = max([t.seq for t in line] + [self.max_pk]) + 1
        chain = [WaitingTicket(f"chain:{j}", key, at + j * 1e-3, seq=top + j)
                 for j in range(length)]
        raw = estimate_calls(QueueSnapshot(
            now=snap.now, waiting={**snap.waiting, key: [*line, *chain]},
            counters=snap.counters, in_service=snap.in_service,
            no_show_rate=snap.no_show_rate, recent_calls=snap.recent_calls,
            appointments=snap.appointments), self._model)
        values = [raw.get(t.ticket_id, UNREACHABLE) for t in chain]
        self._chains[service_id] = values
        return values


class Shared(NamedTuple):
    """A site's shared estimates in this process."""

    stamp: float  # when it was last known current (time.monotonic)
    result: Estimates
    version: int  # the site's queue version, read before computing it
    computed: float  # when its computation started


_estimates_cache: dict[int, Shared] = {}  # site pk -> its shared estimates


def newer_tickets(estimates: Estimates, site_id: int, day: dt.date) -> list[tuple[int, int, bool]]:
    """(pk, service pk, priority) of the site's waiting tickets newer than `estimates`
    (issued since; usually none or a few), oldest first. One query."""
    rows = Ticket.objects.filter(site_id=site_id, day=day, status=TicketStatus.WAITING,
                                 pk__gt=estimates.max_pk)
    return [(pk, service_id, bool(priority)) for pk, service_id, priority in
            rows.order_by("pk").values_list("pk", "service_id", "priority")]


def estimate_for_new(estimates: Estimates, newer: list[tuple[int, int, bool]],
                     service_id: int, priority: bool, compute: bool = True):
    """The estimate of a ticket of `service_id` issued after `estimates` were computed and
    after the `newer` tickets (newer_tickets): Estimates.for_new when the only ones among
    them that can be called before it are of its own service; NEEDS_FRESH when some are of
    another service sharing a counter with it (the caller computes the queue as it is)."""
    related = estimates.related.get(service_id, ())
    normal = prio = 0
    for _, other, other_priority in newer:
        if other == service_id:
            prio += other_priority
            normal += not other_priority
        elif other in related:
            return NEEDS_FRESH
    return estimates.for_new(service_id, priority, normal, prio, compute)


def calls_for(site: Site, tickets: list, fresh: bool = False,
              told: bool = False) -> dict[int, CallEstimate | None]:
    """Full estimates of these waiting tickets, from the site's shared estimates; those issued
    since the shared result get theirs as at issue (estimate_for_new), else the queue as it
    is is computed (once for the process, and shared). `fresh`: the queue as it is now.

    `told` (what a page shows, never the SMS rule): a ticket issued since the shared result
    whose estimate would need the queue computed afresh (tickets of services sharing its
    counters issued in between) is TOLD instead when it holds the wait it was told at
    issue: that was computed, with the queue as it was then, by the process that issued
    it, a moment ago; the next shared result (a second at most) has it in full. So is a
    ticket missing from a shared result newer than it (see below). Without it, each ticket
    issued or called on a busy site made every process compute the site's queue again for
    the pages that showed it (a fifth of the load bench's simulations)."""
    if fresh:
        estimates = queue_estimates(site, fresh=True)
        return {t.pk: estimates.call(t.pk) for t in tickets}
    estimates = queue_estimates(site) if tickets else Estimates()
    out = {t.pk: estimates.call(t.pk) for t in tickets}
    missing = sorted((t for t in tickets if t.pk not in estimates), key=lambda t: t.pk)
    if not missing:
        return out
    today = timezone.localdate()
    # All issued today since the shared result (not, say, transferred in).
    if missing[0].pk > estimates.max_pk and all(t.day == today for t in missing):
        newer = newer_tickets(estimates, site.pk, today)
        for t in missing:
            estimate = estimate_for_new(estimates, [r for r in newer if r[0] < t.pk],
                                        t.service_id, bool(t.priority))
            if estimate is NEEDS_FRESH:
                if not (told and t.wait_status_at_issue):
                    break
                estimate = TOLD
            out[t.pk] = estimate
        else:
            return out
    elif told and all(t.wait_status_at_issue for t in missing):
        # Not in a shared result newer than them: called since the page read them (the
        # console's lines are shared per queue version), or back in the queue (transferred,
        # back from the parked ones). A page shows them as told at issue for the moment
        # until the next shared result (a second), not a computation of the queue for each.
        return {**out, **{t.pk: TOLD for t in missing}}
    estimates = queue_estimates(site, fresh=True)
    return {t.pk: estimates.call(t.pk) for t in tickets}


def estimates_for(site: Site, tickets: list) -> dict[int, int | None]:
    """Whole minutes until the call of these waiting tickets (None: unknown, unreachable), as
    a page shows them (calls_for, `told`)."""
    calls = calls_for(site, tickets, told=True)
    return {t.pk: t.estimate_at_issue if calls[t.pk] is TOLD else whole_minutes(calls[t.pk])
            for t in tickets}


def queue_changed(site_id: int, estimates: bool = True) -> None:
    """Every queue change, in its transaction: bump the site's QueueVersion (the polled pages
    answer 200 again, in every process) and drop this process's shared estimates."""
    if not QueueVersion.objects.filter(site_id=site_id).update(version=F("version") + 1):
        _, created = QueueVersion.objects.get_or_create(site_id=site_id,
                                                        defaults={"version": 1})
        if not created:  # created concurrently since the UPDATE: bump it now
            QueueVersion.objects.filter(site_id=site_id).update(version=F("version") + 1)
    if estimates:
        invalidate_estimates(site_id)


def queue_version(site_id: int) -> int:
    return QueueVersion.objects.filter(site_id=site_id).values_list(
        "version", flat=True).first() or 0


def queue_estimates(site: Site, now: dt.datetime | None = None,
                    fresh: bool = False) -> Estimates:
    """Whole minutes until each waiting ticket of the site is called (None: unknown).

    Pages poll this (consoles every second, phones every 5 s): within a process the answer
    is shared for ESTIMATES_TTL_SECONDS; queue changes compute it fresh (and refresh it).
    Past that age, one thread computes the next result while the others go on reading the
    previous one (up to ESTIMATES_STALE_SECONDS old): a page never waits for a computation
    unless no result is valid (none yet, or a queue change of this process dropped it).
    That thread first asks the site's queue version: a result of a queue no process changed
    since is kept, not computed again (up to ESTIMATES_SAME_QUEUE_SECONDS after its computation).
    """
    if now is not None:
        return _compute_estimates(site, now)
    asked = time.monotonic()
    hit = None if fresh else _estimates_cache.get(site.pk)
    if hit and asked - hit.stamp < ESTIMATES_TTL_SECONDS:
        return hit.result
    if fresh and transaction.get_connection().in_atomic_block:
        # Inside a queue change: its own uncommitted rows count, nobody else's result will do.
        started, version = time.monotonic(), queue_version(site.pk)
        return _store_estimates(site.pk, started, _compute_estimates(site, None), version)
    # One computation at a time per site and process: the threads that missed the shared
    # result (or want one computed after they asked: `fresh`) wait for it instead of all
    # computing the same thing at once, and take it when it started after they asked...
    lock = _estimates_locks.setdefault(site.pk, threading.Lock())
    if hit and asked - hit.stamp < ESTIMATES_STALE_SECONDS:
        if not lock.acquire(blocking=False):
            # ...but while the shared result is only old, the previous one meanwhile: a
            # convoy of pages behind the lock held every thread of a worker under load.
            return hit.result
    else:
        lock.acquire()
    try:
        hit = _estimates_cache.get(site.pk)
        if hit and (hit.stamp >= asked if fresh
                    else time.monotonic() - hit.stamp < ESTIMATES_TTL_SECONDS):
            return hit.result
        started, version = time.monotonic(), queue_version(site.pk)
        if (hit and not fresh and version == hit.version
                and started - hit.computed < ESTIMATES_SAME_QUEUE_SECONDS):
            # Nothing changed since it was computed: still current, as of now.
            _store_estimates(site.pk, started, hit.result, version, computed=hit.computed)
            return hit.result
        return _store_estimates(site.pk, started, _compute_estimates(site, None), version)
    finally:
        lock.release()


_estimates_locks: dict[int, threading.Lock] = {}
_estimates_dropped: dict[int, float] = {}


def _store_estimates(site_id: int, started: float, result: Estimates, version: int,
                     computed: float | None = None) -> Estimates:
    """Share a result, stamped with the time its computation started (or, `computed` earlier,
    the time it was found current), unless a queue change dropped the estimates since (it
    may not have seen that change)."""
    if started >= _estimates_dropped.get(site_id, -math.inf):
        _estimates_cache[site_id] = Shared(started, result, version,
                                           started if computed is None else computed)
    return result


def is_shared(site_id: int, estimates: Estimates) -> bool:
    """Whether `estimates` is still this process's shared result for the site."""
    hit = _estimates_cache.get(site_id)
    return hit is not None and hit.result is estimates


def invalidate_estimates(site_id: int) -> None:
    """Every queue change drops the site's shared estimates: the next reader recomputes."""
    _estimates_dropped[site_id] = time.monotonic()
    _estimates_cache.pop(site_id, None)


def _compute_estimates(site: Site, now: dt.datetime | None) -> Estimates:
    model = MODELS.get(site)
    snap = snapshot(site, now)
    snap = QueueSnapshot(now=snap.now, waiting=snap.waiting, counters=snap.counters,
                         in_service=snap.in_service, recent_calls=snap.recent_calls,
                         no_show_rate=model.no_show_rate, appointments=snap.appointments)
    # Counter sessions per service, and a probe per service and class: "a ticket taken now".
    served = sorted({service for counter in snap.counters for service in counter.services})
    related: dict[int, set[int]] = {}
    for counter in snap.counters:
        for service in counter.services:
            related.setdefault(int(service), set()).update(int(s) for s in counter.services)
    top = max((t.seq for line in snap.waiting.values() for t in line), default=0) + 1
    probes = []
    for service in served:
        last = max((t.issued_at for t in snap.waiting.get(service, ())), default=snap.now)
        at = max(last, snap.now) + 1e-3
        probes += [WaitingTicket(f"new:{service}:{p:d}", service, at, priority=p, seq=top)
                   for p in (False, True)]
    raw = estimate_calls(snap, model, probes=probes)
    calls = {int(k): v for k, v in raw.items() if not k.startswith("new:")}
    unplanned = unplanned_services(site, snap)
    if unplanned:
        service_of = {t.ticket_id: int(s) for s, line in snap.waiting.items() for t in line}
        for pk, estimate in calls.items():
            if not estimate.reachable and service_of.get(str(pk)) in unplanned:
                calls[pk] = UNKNOWN
    return Estimates(
        calls,
        new={(int(t.service), t.priority): raw.get(t.ticket_id, UNREACHABLE) for t in probes},
        max_pk=max(calls, default=0), snapshot=snap, model=model, related=related,
        unplanned=unplanned,
    )


def estimated_wait(ticket: Ticket) -> int | None:
    if ticket.status != TicketStatus.WAITING:
        return None
    return estimates_for(ticket.site, [ticket])[ticket.pk]


def reset_caches() -> None:
    """Forget every learned model and shared estimate of this process (tests, benches)."""
    MODELS.clear()
    _estimates_cache.clear()
    _estimates_dropped.clear()
