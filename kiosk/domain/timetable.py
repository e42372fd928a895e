"""Counter timetables: which sessions a counter still has today (docs/queues.md, counter
timetables).

A counter's weekly timetable and its dated exceptions use the wire format of a service's
opening hours (``OpeningSlot``, ``HoursException`` of kiosk.domain.content):
``hours = [{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "12:00"}, ...]`` and
``exceptions = [{"from": "2026-12-24", "to": "2026-12-24", "hours": [{"open": "08:30",
"close": "12:00"}], "reason": {"fr": "Veille de Noël"}}]`` (no hours: closed that day).

The timetable never opens a counter by itself: the agent opens it from the console (the
agent follows reality: a counter open now is serving, whatever its plan says). The plan
tells the estimator when a counter that is not open now is expected, and when an open one
stops calling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from kiosk.domain.content import Closure, ContentError, HoursException, OpeningSlot, Wire

LATE_TOLERANCE_MINUTES = 15.0
Session = tuple[float | None, float | None]  # (opens_at, closes_at), minutes since midnight


def parse_hours(hours: object) -> tuple[OpeningSlot, ...]:
    """A weekly timetable from its wire form; ContentError when malformed."""
    if hours in (None, ""):
        return ()
    if not isinstance(hours, list) or len(hours) > 100:
        raise ContentError("hours must be a list of at most 100 sessions")
    try:
        return tuple(OpeningSlot.from_wire(h) for h in hours)
    except (TypeError, AttributeError) as exc:
        raise ContentError(f"malformed hours: {exc}") from exc


def parse_exceptions(exceptions: object) -> tuple[HoursException, ...]:
    """Dated exceptions from their wire form; ContentError when malformed."""
    if exceptions in (None, ""):
        return ()
    if not isinstance(exceptions, list) or len(exceptions) > 100:
        raise ContentError("exceptions must be a list of at most 100 periods")
    try:
        return tuple(HoursException.from_wire(e) for e in exceptions)
    except (TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, ContentError):
            raise
        raise ContentError(f"malformed exception: {exc}") from exc


def applicable_closures(closures: Iterable[Closure | Wire], services: Iterable[str]) -> list[HoursException]:
    """The site-wide closures that close a counter serving `services` (service ids): those
    of the whole site, and those naming every service it serves (a closure of some of
    them leaves the counter serving the others). Wire dicts are parsed."""
    served = set(services)
    kept: list[HoursException] = []
    for closure in closures:
        if isinstance(closure, dict):
            closure = Closure.from_wire(closure)
        named = getattr(closure, "services", ())
        if not named or (served and served <= set(named)):
            kept.append(closure)
    return kept


def _minutes(moment: dt.time) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


def planned_sessions(hours: object, exceptions: object, closures: Iterable[HoursException],
                     day: dt.date) -> list[tuple[float, float]] | None:
    """The sessions planned on `day`, earliest first; None when the counter has no timetable
    that day (no weekly hours, no exception or closure covering it).

    Precedence, as for a service's hours: a closure covering the day, else the counter's
    own exception, else the week."""
    slots = parse_hours(hours)
    own = parse_exceptions(exceptions)
    override = next((c for c in closures if c.covers(day)), None)
    if override is None:
        override = next((e for e in own if e.covers(day)), None)
    if override is not None:
        chosen = override.hours
    elif slots:
        chosen = tuple(s for s in slots if day.weekday() in s.weekdays)
    else:
        return None
    spans = sorted((_minutes(s.opens), _minutes(s.closes)) for s in chosen)
    merged: list[tuple[float, float]] = []
    for start, end in spans:  # overlapping or touching sessions are one session
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def counter_sessions(hours: object, exceptions: object, closures: Iterable[HoursException],
                     day: dt.date, now_min: float, *,
                     is_open: bool, paused_until_min: float | None, closed_today: bool,
                     busy: bool = False,
                     late_tolerance: float = LATE_TOLERANCE_MINUTES) -> list[Session]:
    """The sessions still to come today, the current one first: (opens_at, closes_at) in
    minutes since midnight; opens_at None: open now; closes_at None: no planned end.

    - closed for today (the agent closed early): none;
    - open now (`is_open`, or `busy` serving a visitor, and not paused): a session from now
      to the end of the planned session containing now; outside every planned session the
      agent is serving anyway: until the end of the next planned session (the break is
      worked through), or with no planned end after the last one;
    - paused until T (later than now): a session from T, ended the same way;
    - not open: each planned session still to come; one that started less than
      `late_tolerance` minutes ago opens "any minute now" (opens_at = now), one that started
      longer ago is unstaffed today;
    - every later planned session today follows the current one.

    `closures`: the site-wide closures that apply to this counter (applicable_closures).
    Without a timetable that day, a counter open now has one session with no planned end,
    and a closed one none: the behaviour before timetables.
    """
    if closed_today:
        return []
    plan = planned_sessions(hours, exceptions, closures, day)
    # A pause is taken at an open counter, and ends by itself at its time.
    paused = is_open and paused_until_min is not None and paused_until_min > now_min
    open_now = (is_open or busy) and not paused
    if plan is None:
        if open_now:
            return [(None, None)]
        return [(paused_until_min, None)] if paused else []
    if open_now or paused:
        start = None if open_now else paused_until_min
        at = now_min if start is None else start
        end = _end_from(plan, at)
        later = [] if end is None else [(s, e) for s, e in plan if s >= end]
        return [(start, end), *later]
    sessions: list[Session] = []
    for start, end in plan:
        if end <= now_min:
            continue
        if start > now_min:
            sessions.append((start, end))
        elif now_min - start <= late_tolerance:
            sessions.append((now_min, end))  # late: expected any minute now
    return sessions


def _end_from(plan: Sequence[tuple[float, float]], at: float) -> float | None:
    """The planned end of a session that starts at `at`: the end of the planned session
    containing it, else of the next one; None after the last one."""
    for _start, end in plan:
        if at < end:
            return end
    return None


def check_timetable(hours: object, exceptions: object) -> None:
    """Raise ContentError when a counter's timetable or exceptions are malformed."""
    parse_hours(hours)
    parse_exceptions(exceptions)
