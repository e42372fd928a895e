"""The counter sessions the estimator sees (docs/queues.md, counter timetables): for every
counter of a site, its sessions still to come today from its timetable, its exceptions,
the site's closures and what its agent did (open, pause, closed for today)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from kiosk.domain.content import Closure as ClosureItem
from kiosk.domain.content import ContentError
from kiosk.domain.estimation import CounterState
from kiosk.domain.timetable import applicable_closures, counter_sessions, planned_sessions
from kiosk.server.content.models import Closure, Service, Site
from kiosk.server.queueing.models import Counter, Ticket
from kiosk.server.queueing.ordering import local_minutes

_FIELDS = ("pk", "is_open", "hours", "exceptions", "paused_until", "closed_on", "opened_at")


def closures_on(site: Site, day: dt.date) -> list[ClosureItem]:
    """The site's published closures covering `day` (a malformed one is skipped: the
    back-office validates them, the queue must not stop on one)."""
    rows = Closure.objects.filter(site=site, published=True, starts__lte=day).filter(
        Q(ends__gte=day) | Q(ends__isnull=True, starts=day))
    items = []
    for closure in rows:
        try:
            items.append(ClosureItem.from_wire(closure.to_wire()))
        except ContentError:
            continue
    return items


def counter_states(site: Site, now: dt.datetime, busy: set[str]) -> list[CounterState]:
    """One CounterState per session still to come today, for every counter of the site;
    `busy`: the ids of the counters serving a visitor now."""
    day = timezone.localdate(now)
    now_min = local_minutes(now)
    counters = list(Counter.objects.filter(site=site).values_list(*_FIELDS))
    # The (counter, service) pairs alone: loading the services would decode all their texts.
    served: dict[int, list[int]] = {}
    for counter_id, service_id in Counter.services.through.objects.filter(
            counter__site=site).values_list("counter_id", "service_id"):
        served.setdefault(counter_id, []).append(service_id)
    closures = closures_on(site, day)
    slugs = (dict(Service.objects.filter(site=site).values_list("pk", "slug"))
             if any(c.services for c in closures) else {})
    states: list[CounterState] = []
    idle: list[int] = []
    for pk, is_open, hours, exceptions, paused_until, closed_on, opened in counters:
        services = frozenset(str(s) for s in served.get(pk, []))
        mine = applicable_closures(closures, [slugs.get(s, "") for s in served.get(pk, [])])
        try:
            sessions = counter_sessions(
                hours, exceptions, mine, day, now_min, is_open=is_open,
                paused_until_min=_minutes_today(paused_until, day),
                closed_today=closed_on == day, busy=str(pk) in busy)
            sessions = _overrun(sessions, planned_sessions(hours, exceptions, mine, day),
                                now_min, _minutes_today(opened, day))
        except ContentError:  # saved around the form's checks: serve as without a timetable
            sessions = counter_sessions([], [], mine, day, now_min, is_open=is_open,
                                        paused_until_min=_minutes_today(paused_until, day),
                                        closed_today=closed_on == day, busy=str(pk) in busy)
        if sessions and sessions[-1][1] is not None:
            # The day's last session: the agent serves those still in the hall a while.
            opens_at, closes_at = sessions[-1]
            sessions = [*sessions[:-1],
                        (opens_at, closes_at + settings.COUNTER_OVERTIME_MINUTES)]
        for opens_at, closes_at in sessions:
            states.append(CounterState(counter_id=str(pk), services=services,
                                       opens_at=opens_at, closes_at=closes_at))
        if sessions and sessions[0][0] is None and str(pk) not in busy:
            idle.append(pk)
    if idle:
        since = _idle_since(site, day, now, {row[0]: row for row in counters}, idle)
        states = [s if s.opens_at is not None or int(s.counter_id) not in since
                  else dataclasses.replace(s, idle_since=since[int(s.counter_id)])
                  for s in states]
    return states


def _overrun(sessions: list, plan: list | None, now_min: float, opened_min: float | None
             ) -> list:
    """A counter still open after its planned session ended, opened before that end, with
    a later session planned today: its agent is finishing the visitor in front of them
    (or has not pressed "close" yet) and calls nobody new until the next session — not
    "working through the break" until the end of the afternoon (counter_sessions' rule,
    kept for an agent who opened during the break). On the bench the break rule told
    tickets issued at 12:02 "6 min" when they were called after lunch, 90 min later."""
    if not sessions or sessions[0][0] is not None or not plan:
        return sessions
    if any(start <= now_min < end for start, end in plan):
        return sessions
    ended = [end for _start, end in plan if end <= now_min]
    later = [(start, end) for start, end in plan if start > now_min]
    if not ended or not later or (opened_min is not None and opened_min >= max(ended)):
        return sessions
    return [(None, now_min), *later]


def _minutes_today(moment: dt.datetime | None, day: dt.date) -> float | None:
    """A moment of `day` in minutes since midnight; None when unset. A moment of another
    day: a pause left from an earlier day is over (0), one ending on a later day lasts all
    day (the console only sets pauses ending today)."""
    if moment is None:
        return None
    local = timezone.localtime(moment)
    if local.date() < day:
        return 0.0
    if local.date() > day:
        return 24 * 60.0
    return local_minutes(moment)


def _idle_since(site: Site, day: dt.date, now: dt.datetime, rows: dict, idle: list[int]
                ) -> dict[int, float]:
    """When each idle open counter became free today: its last finished ticket, its opening
    or its return from a pause, whichever is latest (minutes since midnight)."""
    finished = dict(Ticket.objects.filter(site=site, day=day, counter_id__in=idle,
                                          finished_at__isnull=False)
                    .values("counter_id").annotate(last=Max("finished_at"))
                    .values_list("counter_id", "last"))
    since: dict[int, float] = {}
    for pk in idle:
        _, _, _, _, paused_until, _, opened_at = rows[pk]
        moments = [m for m in (finished.get(pk), opened_at, paused_until)
                   if m is not None and timezone.localdate(m) == day and m <= now]
        if moments:
            since[pk] = local_minutes(max(moments))
    return since
