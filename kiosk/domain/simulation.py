"""A seeded simulator of a day in a Paris mairie's lobby, to measure wait estimates.

Pure and deterministic: everything random comes from ``random.Random(seed)``, so one seed
always gives the same day. What it models (``default_site`` and ``simulate_day``):

- Opening: doors open at 8:30, tickets are issued until 16:45, counters close at 17:00.
  Thursday is the late opening: tickets until 19:15, two counters stay until 19:30.
- Arrivals: a non-homogeneous Poisson process (by thinning) with a morning peak
  (9:00-11:00), a lunch dip, an afternoon bump (14:00-15:30) and, on Thursday, an evening
  bump. Monday is busier (×1.15), Friday quieter (×0.9), and each day gets a random
  ×0.9-1.1 factor. 5 % of tickets are priority tickets.
- Four services with lognormal service times. Each service's *true* mean differs from its
  *configured* ``mean_service_minutes`` by a site-specific factor (0.8-1.3): the back
  office's number is a guess, as in real life. Durations also depend on the agent (a
  speed factor per counter, 0.85-1.2) and on the time of day (quicker in the morning
  rush, slower late in the day).
- Six counters, each serving a subset of the services, open and close on a schedule with
  staggered lunch breaks (2-6 counters open at a time). Actual opening times drift from the
  schedule (a few minutes late, sometimes early), closing times by ±5 minutes, and a
  reinforcement counter's session is sometimes not staffed at all (8 %). A counter whose
  session ends at closing time stays open until its queue is empty.
- 10 % of visitors are no-shows: called, not there, the counter waits a 1-3 minute grace
  time and calls the next ticket.
- Calls follow the fair priority rule (``kiosk.domain.priority``), with one site-wide call
  history.

After every event that changes the queue (arrival, call, end of service, counter opening
or closing) the simulator evaluates, for every waiting ticket:

(a) the naive estimate, ``naive_wait_minutes(position, configured mean, open counters)``:
    ``position`` counts the tickets of the same service ahead in display order (priority
    tickets first, then by arrival), the mean is the service's *configured*
    ``mean_service_minutes`` (what the production server uses today), and the counters
    are those open now serving the service;
(b) the new estimate, ``estimate_waits`` on a ``QueueSnapshot`` built from what a server
    would know: the waiting tickets, the counters open now, the planned sessions still to
    come (a session whose planned start passed less than 15 minutes ago is "any minute
    now"; later than that it is considered unstaffed), the tickets in service with their
    elapsed time, the learned no-show rate and the recent calls;

and the SMS trigger: the first time ``near_turn(new estimate, position)`` is true the SMS
is sent and reaches the phone 5-30 s later. The estimate at issue is what the kiosk prints.

The ``ServiceTimeModel`` given to ``simulate_day`` learns online from every completed
service and every call, and keeps what it learned: replaying days in sequence with one
model is how a server accumulates history.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from kiosk.domain.estimation import (
    CounterState,
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    estimate_waits,
)
from kiosk.domain.notify import near_turn
from kiosk.domain.priority import WaitingTicket, choose_next
from kiosk.domain.wait import naive_wait_minutes

DOORS_OPEN = 8 * 60 + 30
ISSUE_END = 16 * 60 + 45
CLOSING = 17 * 60
THURSDAY = 3
THURSDAY_ISSUE_END = 19 * 60 + 15
THURSDAY_CLOSING = 19 * 60 + 30
NO_SHOW_RATE = 0.10
PRIORITY_RATE = 0.05
ABSENCE_RATE = 0.08
LATE_TOLERANCE = 15.0  # minutes after a planned start before a session counts as unstaffed
WEEKDAY_FACTOR = (1.15, 1.0, 1.0, 1.0, 0.9)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")

# Tickets per hour by half-hour slot, from 8:30 (index 0) to 19:00 (index 21).
ARRIVALS_PER_HOUR = (
    20, 30, 32, 30, 27, 22, 18,  # 8:30 9:00 9:30 10:00 10:30 11:00 11:30
    12, 9, 9, 13,                # 12:00 12:30 13:00 13:30
    20, 22, 20, 15, 11, 7,       # 14:00 14:30 15:00 15:30 16:00 16:30
    14, 16, 13, 9, 6,            # Thursday only: 17:00 17:30 18:00 18:30 19:00
)


def arrival_rate(minute: float, weekday: int) -> float:
    """Expected tickets per hour at ``minute`` (since midnight), before the day factor."""
    end = THURSDAY_ISSUE_END if weekday == THURSDAY else ISSUE_END
    if minute < DOORS_OPEN or minute >= end:
        return 0.0
    slot = int((minute - DOORS_OPEN) // 30)
    return float(ARRIVALS_PER_HOUR[min(slot, len(ARRIVALS_PER_HOUR) - 1)])


def hour_effect(minute: float) -> float:
    """True time-of-day factor on service durations (unknown to the estimator)."""
    hour = int(minute // 60)
    if hour < 11:
        return 0.9
    if hour >= 17:
        return 1.15
    if hour >= 16:
        return 1.1
    return 1.0


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    configured_mean: float  # mean_service_minutes as configured in the back office
    true_mean: float  # the simulated reality (before counter and hour factors)
    sigma: float  # lognormal spread of the durations
    share: float  # share of arrivals


@dataclass(frozen=True)
class PlannedSession:
    start: float
    end: float
    open_ended: bool = False  # stays open until its queue is empty
    reinforcement: bool = False  # may be unstaffed


@dataclass(frozen=True)
class CounterSpec:
    counter_id: str
    services: frozenset[str]
    speed: float  # > 1 = slower agent
    sessions: tuple[PlannedSession, ...]
    thursday_sessions: tuple[PlannedSession, ...]


@dataclass(frozen=True)
class Site:
    services: tuple[ServiceSpec, ...]
    counters: tuple[CounterSpec, ...]

    def service(self, code: str) -> ServiceSpec:
        return next(s for s in self.services if s.code == code)

    def sessions(self, counter: CounterSpec, weekday: int) -> tuple[PlannedSession, ...]:
        return counter.thursday_sessions if weekday == THURSDAY else counter.sessions

    def configured_means(self) -> dict[str, float]:
        return {s.code: s.configured_mean for s in self.services}


def _h(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _sessions(*spans: str, open_ended_last: bool = True, reinforcement: bool = False):
    out = []
    for i, span in enumerate(spans):
        start, end = span.split("-")
        last = i == len(spans) - 1
        out.append(PlannedSession(_h(start), _h(end), open_ended_last and last, reinforcement))
    return tuple(out)


def default_site(seed: int = 0) -> Site:
    """The simulated mairie; ``seed`` draws its true service times and agent speeds."""
    rng = random.Random(f"site-{seed}")
    base = (
        ("C", "Citoyenneté & état civil", 12.0, 0.5, 0.38),
        ("F", "Famille & social", 18.0, 0.55, 0.22),
        ("L", "Logement", 22.0, 0.5, 0.12),
        ("Q", "Vie du quartier", 6.0, 0.6, 0.28),
    )
    services = tuple(
        ServiceSpec(code, name, mean, round(mean * rng.uniform(0.8, 1.3), 2), sigma, share)
        for code, name, mean, sigma, share in base
    )
    fs = frozenset
    plan = (
        # counter, services, normal day sessions, Thursday sessions
        ("G1", fs("CQ"), ("8:30-12:00", "13:00-17:00"), ("8:30-12:00", "13:00-19:30")),
        ("G2", fs("CF"), ("8:30-12:00", "13:00-17:00"), ("8:30-12:00", "13:00-17:00")),
        ("G3", fs("FL"), ("8:30-12:30", "13:30-17:00"), ("8:30-12:30", "13:30-19:30")),
        ("G4", fs("CLQ"), ("9:00-13:30", "14:30-17:00"), ("9:00-13:30", "14:30-17:00")),
        ("G5", fs("C"), ("9:00-12:00", "14:00-16:00"), ("9:00-12:00", "14:00-16:00")),
        ("G6", fs("FQ"), ("10:00-13:00", "14:00-17:00"), ("10:00-13:00", "14:00-17:00")),
    )
    counters = []
    for cid, served, normal, thursday in plan:
        reinforcement = cid in ("G5", "G6")
        normal_sessions = _sessions(*normal, open_ended_last=normal[-1].endswith("17:00"),
                                    reinforcement=reinforcement)
        thursday_sessions = _sessions(*thursday, open_ended_last=thursday[-1].endswith("19:30"),
                                      reinforcement=reinforcement)
        counters.append(CounterSpec(cid, served, round(rng.uniform(0.85, 1.2), 3),
                                    normal_sessions, thursday_sessions))
    return Site(services, tuple(counters))


@dataclass
class TicketRecord:
    ticket_id: str
    service: str
    priority: bool
    no_show: bool
    issued_at: float
    naive_at_issue: int | None = None
    estimate_at_issue: float | None = None
    learned_naive_at_issue: float | None = None  # naive formula with the learned mean
    called_at: float | None = None
    counter: str | None = None
    sms_at: float | None = None  # when the "turn is near" SMS reaches the phone
    sms_at_issue: bool = False  # near already at issue: the kiosk says so, no SMS
    history: list[tuple[float, int | None, float | None]] = field(default_factory=list)

    @property
    def actual_wait(self) -> float | None:
        return None if self.called_at is None else self.called_at - self.issued_at


@dataclass
class DayResult:
    seed: int
    weekday: int
    tickets: list[TicketRecord]
    last_event: float


@dataclass
class _Session:
    counter: CounterSpec
    planned: PlannedSession
    start: float | None  # actual start; None = unstaffed
    end: float | None  # actual hard close; None = open-ended
    state: str = "planned"  # planned, open, closing, closed


@dataclass
class _Counter:
    spec: CounterSpec
    session: _Session | None = None
    ticket: TicketRecord | None = None
    started_at: float = 0.0


def _arrivals(rng: random.Random, weekday: int, factor: float) -> list[float]:
    peak = max(ARRIVALS_PER_HOUR) * factor / 60.0  # per minute
    end = THURSDAY_ISSUE_END if weekday == THURSDAY else ISSUE_END
    times, t = [], float(DOORS_OPEN)
    while True:
        t += rng.expovariate(peak)
        if t >= end:
            return times
        if rng.random() * peak < arrival_rate(t, weekday) * factor / 60.0:
            times.append(t)


def simulate_day(
    site: Site,
    seed: int,
    model: ServiceTimeModel | None = None,
    weekday: int | None = None,
    keep_history: bool = False,
) -> DayResult:
    """Simulate one day. ``model`` learns as the day goes (a fresh one from the configured
    means when None). ``keep_history`` keeps every estimate of every ticket, not just the
    one at issue."""
    rng = random.Random(seed)
    # SMS delays draw from their own stream: the day itself never depends on the estimator.
    sms_rng = random.Random(f"sms-{seed}")
    weekday = rng.randrange(5) if weekday is None else weekday
    model = model if model is not None else ServiceTimeModel(site.configured_means())
    factor = WEEKDAY_FACTOR[weekday] * rng.uniform(0.9, 1.1)
    codes = [s.code for s in site.services]
    shares = [s.share for s in site.services]
    specs = {s.code: s for s in site.services}
    issue_end = THURSDAY_ISSUE_END if weekday == THURSDAY else ISSUE_END

    events: list[tuple[float, int, str, object]] = []
    seq = 0

    def push(t: float, kind: str, payload: object) -> None:
        nonlocal seq
        heapq.heappush(events, (t, seq, kind, payload))
        seq += 1

    # Tickets (drawn up front so the day does not depend on the estimator).
    tickets: list[TicketRecord] = []
    numbers = dict.fromkeys(codes, 0)
    for t in _arrivals(rng, weekday, factor):
        code = rng.choices(codes, shares)[0]
        numbers[code] += 1
        ticket = TicketRecord(
            ticket_id=f"{code}{numbers[code]:03d}", service=code,
            priority=rng.random() < PRIORITY_RATE, no_show=rng.random() < NO_SHOW_RATE,
            issued_at=t,
        )
        tickets.append(ticket)
        push(t, "arrive", ticket)

    # Counter sessions, with their drift from the plan.
    counters = {c.counter_id: _Counter(c) for c in site.counters}
    sessions: list[_Session] = []
    for spec in site.counters:
        for planned in site.sessions(spec, weekday):
            absent = planned.reinforcement and rng.random() < ABSENCE_RATE
            drift = rng.uniform(0, 6) if planned.start <= DOORS_OPEN else rng.uniform(-3, 8)
            start = None if absent else planned.start + drift
            end = None if planned.open_ended else planned.end + rng.uniform(-5, 5)
            session = _Session(spec, planned, start, end)
            sessions.append(session)
            if start is not None:
                push(start, "open", session)
                if end is not None:
                    push(end, "close", session)
                else:
                    push(planned.end, "check", session)
    push(float(issue_end), "check", None)

    waiting: dict[str, list[TicketRecord]] = {c: [] for c in codes}
    recent_calls: list[bool] = []
    waiting_tickets: dict[str, WaitingTicket] = {}

    def serves(counter: _Counter, code: str) -> bool:
        return code in counter.spec.services

    def open_counters(code: str) -> int:
        return sum(
            1 for c in counters.values()
            if c.session is not None and c.session.state == "open" and serves(c, code)
        )

    def display_order(code: str) -> list[TicketRecord]:
        line = waiting[code]
        return [t for t in line if t.priority] + [t for t in line if not t.priority]

    def snapshot(now: float) -> QueueSnapshot:
        states = []
        for s in sessions:
            closes = None if s.planned.open_ended else s.planned.end
            if s.state == "open":
                states.append(CounterState(s.counter.counter_id, s.counter.services, None, closes))
            elif s.state == "planned":
                if s.planned.start > now:
                    opens = s.planned.start
                elif now - s.planned.start < LATE_TOLERANCE:
                    opens = now
                else:
                    continue
                if closes is not None and opens >= closes:
                    continue
                states.append(CounterState(s.counter.counter_id, s.counter.services, opens, closes))
        busy = tuple(
            InService(c.ticket.ticket_id, c.ticket.service, c.spec.counter_id, now - c.started_at)
            for c in counters.values() if c.ticket is not None
        )
        return QueueSnapshot(
            now=now,
            waiting={code: [waiting_tickets[t.ticket_id] for t in line]
                     for code, line in waiting.items() if line},
            counters=tuple(states),
            in_service=busy,
            no_show_rate=model.no_show_rate,
            recent_calls=tuple(recent_calls[-4:]),
        )

    def evaluate(now: float, arrived: TicketRecord | None) -> None:
        if not any(waiting.values()):
            return
        estimates = estimate_waits(snapshot(now), model)
        for code, line in waiting.items():
            if not line:
                continue
            spec = specs[code]
            n_open = open_counters(code)
            learned_mean = model.mean(code)
            for position, t in enumerate(display_order(code)):
                naive = naive_wait_minutes(position, spec.configured_mean, n_open)
                new = estimates.get(t.ticket_id)
                if t is arrived:
                    t.naive_at_issue = naive
                    t.estimate_at_issue = new
                    t.learned_naive_at_issue = (
                        None if n_open == 0 else position * learned_mean / n_open
                    )
                if keep_history:
                    t.history.append((now, naive, new))
                if t.sms_at is None and near_turn(new, position):
                    t.sms_at = now + sms_rng.uniform(5, 30) / 60
                    t.sms_at_issue = t is arrived

    def dispatch(now: float) -> None:
        for c in sorted(counters.values(), key=lambda c: c.spec.counter_id):
            if c.ticket is not None or c.session is None or c.session.state != "open":
                continue
            heads = []
            for code in sorted(c.spec.services):
                line = waiting[code]
                first_prio = next((t for t in line if t.priority), None)
                first_norm = next((t for t in line if not t.priority), None)
                heads += [waiting_tickets[t.ticket_id] for t in (first_prio, first_norm) if t]
            chosen = choose_next(heads, recent_calls)
            if chosen is None:
                continue
            ticket = next(t for t in waiting[chosen.service] if t.ticket_id == chosen.ticket_id)
            waiting[chosen.service].remove(ticket)
            del waiting_tickets[ticket.ticket_id]
            recent_calls.append(ticket.priority)
            ticket.called_at, ticket.counter = now, c.spec.counter_id
            c.ticket, c.started_at = ticket, now
            if ticket.no_show:
                duration = rng.uniform(1.0, 3.0)
            else:
                spec = specs[ticket.service]
                mu = math.log(spec.true_mean) - spec.sigma**2 / 2
                duration = (rng.lognormvariate(mu, spec.sigma) * c.spec.speed
                            * hour_effect(now))
                duration = max(duration, 0.5)
            push(now + duration, "free", c)

    def maybe_close_open_ended(now: float) -> None:
        if now < issue_end:
            return
        for c in counters.values():
            s = c.session
            if (s is not None and s.state == "open" and s.planned.open_ended
                    and now >= s.planned.end and c.ticket is None
                    and not any(waiting[code] for code in c.spec.services)):
                s.state = "closed"
                c.session = None

    last = float(DOORS_OPEN)
    while events:
        now, _, kind, payload = heapq.heappop(events)
        last = now
        arrived = None
        if kind == "arrive":
            arrived = payload
            waiting[arrived.service].append(arrived)
            waiting_tickets[arrived.ticket_id] = WaitingTicket(
                arrived.ticket_id, arrived.service, arrived.issued_at, arrived.priority)
        elif kind == "open":
            session = payload
            counter = counters[session.counter.counter_id]
            session.state = "open"
            counter.session = session
        elif kind == "close":
            session = payload
            counter = counters[session.counter.counter_id]
            session.state = "closed" if counter.ticket is None else "closing"
            if counter.ticket is None and counter.session is session:
                counter.session = None
        elif kind == "free":
            counter = payload
            ticket = counter.ticket
            if not ticket.no_show:
                model.observe(ticket.service, now - counter.started_at,
                              counter=counter.spec.counter_id, at=counter.started_at)
            model.observe_call(ticket.no_show)
            counter.ticket = None
            if counter.session is not None and counter.session.state == "closing":
                counter.session.state = "closed"
                counter.session = None
        maybe_close_open_ended(now)
        if kind != "check":
            evaluate(now, arrived)
        dispatch(now)
    return DayResult(seed=seed, weekday=weekday, tickets=tickets, last_event=last)


def replay(site: Site, seeds: Sequence[int], model: ServiceTimeModel | None = None,
           **kwargs) -> list[DayResult]:
    """Simulate the days ``seeds`` in sequence (weekday = index mod 5), one learning model."""
    model = model if model is not None else ServiceTimeModel(site.configured_means())
    return [simulate_day(site, seed, model, weekday=i % 5, **kwargs)
            for i, seed in enumerate(seeds)]
