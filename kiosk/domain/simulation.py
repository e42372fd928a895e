"""A seeded world simulator of a mairie's day, to measure wait estimates and SMS timing.

Pure and deterministic: one (scenario, seed) always gives the same day. The world does not
estimate anything; it produces the *events* a real site sees, in time order, and a
``Handler`` applies them (the pure replay in ``kiosk.domain.sim_replay``, or the server
driver of ``tests/bench/wait_server.py`` through the real queueing actions):

- ``arrive``: a visitor takes a ticket (service, priority, phone number or not);
- ``open`` / ``pause`` (with the announced return) / ``back`` / ``close`` (``for_today``:
  no more session today, e.g. an agent leaving early): the counters' agents;
- ``call``: a free agent presses "call next" (it also finishes an unclosed ticket); the
  handler answers which ticket the queue gave (the server decides; the world follows);
- ``finish``: "done"; ``no_show``: "absent", after the site's grace time;
- ``leave``: a visitor says "I'm leaving" on the phone page.

What the estimator is *not* told, on purpose (``ServiceSpec.draw``): service times are a
mixture, not the estimator's lognormal: a quick exit ("missing document", 0.7-2 min), a
gamma body, a Pareto tail. Agents are not always at their desk (a gap of 0.2-8 min between
a free counter and its next call), some press "call next" only after their paperwork (the
server then records the gap as service time), they open late, pause, close early. Some
visitors leave: through the phone page, or silently (then they are no-shows when called).
Arrivals peak at opening and after lunch (``Scenario.arrivals``).

Randomness: the visitors (all of the day's tickets) come from one stream drawn up front, and
each counter has its own stream; the day depends on the handler only through which ticket
each call gets, which the server's priority rule decides the same way as ``choose``.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.domain.priority import WaitingTicket, choose_next

EPS = 1e-3  # minutes: two world events never share an instant (the server orders by time)
GRACE_MINUTES = 3.0  # Site.no_show_grace_seconds: "absent" is refused before it
PRIORITY_RATE = 0.05
PHONE_RATE = 0.65
ABSENT_RATE = 0.07  # called, not there (besides the visitors who left silently)
IMPATIENT_RATE = 0.10  # visitors who leave if not called within their patience
DIRECT_CALL_RATE = 0.35  # agents who press "call next" after their paperwork, not "done"
RECENT = 4  # draws the priority rule's history keeps (as the server's recent_priority_calls)


def hhmm(minute: float) -> str:
    return f"{int(minute // 60):02d}:{int(minute % 60):02d}"


def hour_effect(minute: float) -> float:
    """True time-of-day factor on service durations (unknown to the estimator)."""
    if minute < 11 * 60:
        return 0.92
    return 1.08 if minute >= 16 * 60 else 1.0


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    configured_mean: float  # mean_service_minutes in the back office: a guess
    true_mean: float  # the simulated reality (before agent speed and hour)
    share: float  # share of arrivals
    shape: float = 3.0  # gamma shape of the body
    quick: float = 0.10  # "missing document": sent away in 0.7-2 min
    tail: float = 0.05  # a difficult file: Pareto tail

    def draw(self, rng: random.Random) -> float:
        """Minutes of work for one visitor (mean ``true_mean``)."""
        u = rng.random()
        if u < self.quick:
            return rng.uniform(0.7, 2.0)
        if u < self.quick + self.tail:
            return min(self.true_mean * (1.3 + rng.paretovariate(2.2)), 150.0)
        tail_mean = self.true_mean * (1.3 + 2.2 / 1.2)
        body = (self.true_mean - self.quick * 1.35 - self.tail * tail_mean) / (
            1 - self.quick - self.tail)
        return rng.gammavariate(self.shape, max(body, 1.0) / self.shape)


@dataclass(frozen=True)
class CounterSpec:
    counter_id: str
    services: tuple[str, ...]
    speed: float  # > 1: a slower agent
    sessions: tuple[tuple[float, float], ...]  # planned (start, end); the last one stays
    # open after its end until its queue is empty (the visitors who took a ticket are seen)


@dataclass(frozen=True)
class Scenario:
    name: str
    services: tuple[ServiceSpec, ...]
    counters: tuple[CounterSpec, ...]
    arrivals: tuple[tuple[float, float], ...]  # (from minute, tickets per hour), stepwise
    issue_end: float  # no ticket from then on
    late: tuple[float, float] = (-1.0, 4.0)  # drift of a session's start, minutes
    very_late: float = 0.0  # probability that an agent starts 10-35 min late
    end_drift: tuple[float, float] = (-4.0, 3.0)  # drift of a (non-last) session's end
    pause_rate: float = 0.3  # per counter and day: a 10-20 min pause, announced
    early_close: float = 0.0  # per day: one counter closes for today 1-2.5 h early

    def configured_means(self) -> dict[str, float]:
        return {s.code: s.configured_mean for s in self.services}

    def service(self, code: str) -> ServiceSpec:
        return next(s for s in self.services if s.code == code)

    def rate(self, minute: float) -> float:
        per_hour = 0.0
        for start, value in self.arrivals:
            if minute >= start:
                per_hour = value
        return 0.0 if minute >= self.issue_end else per_hour


@dataclass
class Visitor:
    ticket_id: str
    service: str
    issued_at: float
    priority: bool
    phone: bool
    absent: bool  # will not answer the call
    patience: float | None  # minutes before leaving, None: waits as long as it takes
    cancels: bool  # leaves through the phone page (else silently)
    work: float  # minutes of work before the agent's speed and the hour
    seq: int
    called_at: float | None = None
    counter: str | None = None
    left_at: float | None = None  # cancelled through the phone page
    no_show: bool = False
    served_minutes: float | None = None

    def waiting_ticket(self) -> WaitingTicket:
        return WaitingTicket(self.ticket_id, self.service, self.issued_at, self.priority,
                             seq=self.seq)


@dataclass(frozen=True)
class Event:
    at: float
    kind: str  # arrive open pause back close call finish no_show leave
    counter: str | None = None
    visitor: Visitor | None = None
    until: float | None = None  # pause: the announced return
    for_today: bool = False  # close: no later session today


Handler = Callable[[Event], "str | None"]  # for a call: the ticket id the queue gave


@dataclass
class CounterState:
    spec: CounterSpec
    rng: random.Random
    state: str = "closed"  # closed open paused
    visitor: Visitor | None = None  # called, not yet finished on the queue
    started_at: float = 0.0
    busy_until: float | None = None  # the work (or the grace) ends then
    idle_since: float | None = None
    token: int = 0  # bumps invalidate the scheduled calls
    call_pending: bool = False
    after: list[tuple[str, float | None, bool]] = field(default_factory=list)  # deferred
    closed_for_today: bool = False
    last_session: bool = False
    session_end: float | None = None  # planned end of the current session
    pause_until: float | None = None  # the announced return of a paused agent


class World:
    """One simulated day of a scenario; ``run(handler)`` plays it."""

    def __init__(self, scenario: Scenario, seed: int):
        self.scenario, self.seed = scenario, seed
        self.now = 0.0
        self.visitors: list[Visitor] = _visitors(scenario, random.Random(f"{scenario.name}-{seed}"))
        self.waiting: list[Visitor] = []
        self.counters = {c.counter_id: CounterState(c, random.Random(
            f"{scenario.name}-{seed}-{c.counter_id}")) for c in scenario.counters}
        self.draws: list[tuple[str, bool]] = []  # (service, priority) of each call, in order
        self.mismatches = 0  # calls where the handler's queue chose another ticket
        self._heap: list[tuple[float, int, str, object]] = []
        self._seq = 0
        self._last = -math.inf
        self._plan()

    # -- what a server knows, for the pure replay -------------------------------------------

    def recent_calls(self, services: Sequence[str]) -> list[bool]:
        wanted = set(services)
        return [p for s, p in self.draws if s in wanted][-RECENT:]

    def choose(self, counter_id: str) -> Visitor | None:
        """The ticket the priority rule gives this counter now (as the server's call next)."""
        served = self.counters[counter_id].spec.services
        line = [v.waiting_ticket() for v in self.waiting if v.service in served]
        chosen = choose_next(line, self.recent_calls(served))
        return None if chosen is None else self._visitor(chosen.ticket_id)

    # -- the engine ---------------------------------------------------------------------------

    def run(self, handler: Handler) -> list[Visitor]:
        while self._heap:
            at, _, kind, payload = heapq.heappop(self._heap)
            self.now = max(at, self._last + EPS)
            getattr(self, f"_on_{kind}")(handler, payload)
        return self.visitors

    def _push(self, at: float, kind: str, payload: object = None) -> None:
        heapq.heappush(self._heap, (at, self._seq, kind, payload))
        self._seq += 1

    def _emit(self, handler: Handler, kind: str, **fields: Any) -> str | None:
        self.now = max(self.now, self._last + EPS)  # e.g. "done" then "close": one after
        self._last = self.now
        return handler(Event(self.now, kind, **fields))

    def _plan(self) -> None:
        sc = self.scenario
        for v in self.visitors:
            self._push(v.issued_at, "arrive", v)
            if v.patience is not None:
                self._push(v.issued_at + v.patience, "patience", v)
        day_rng = random.Random(f"{sc.name}-{self.seed}-day")
        early = day_rng.random() < sc.early_close
        leaver = day_rng.choice(sc.counters).counter_id if early else None
        for cid, c in self.counters.items():
            rng, sessions = c.rng, c.spec.sessions
            for i, (start, end) in enumerate(sessions):
                last = i == len(sessions) - 1
                drift = (rng.uniform(10, 35) if rng.random() < sc.very_late
                         else rng.uniform(*sc.late))
                self._push(max(start + drift, 0.0), "session", (cid, end, last))
                if not last:
                    self._push(end + rng.uniform(*sc.end_drift), "session_end", (cid, False))
                else:
                    self._push(end, "session_end", (cid, True))
            if rng.random() < sc.pause_rate:
                first, final = sessions[0][0], sessions[-1][1]
                at = rng.uniform(first + 60, max(first + 61, final - 90))
                length = rng.choice((10.0, 15.0, 15.0, 20.0))
                self._push(at, "pause", (cid, length))
            if cid == leaver:
                at = sessions[-1][1] - day_rng.uniform(60, 150)
                self._push(at, "leave_early", cid)

    def _visitor(self, ticket_id: str) -> Visitor:
        return next(v for v in self.waiting if v.ticket_id == ticket_id)

    def _serves(self, c: CounterState, v: Visitor) -> bool:
        return v.service in c.spec.services

    def _has_work(self, c: CounterState) -> bool:
        return any(self._serves(c, v) for v in self.waiting)

    def _free(self, c: CounterState) -> bool:
        return c.state == "open" and c.busy_until is None and not c.call_pending

    def _schedule_call(self, c: CounterState, delay: float) -> None:
        c.call_pending = True
        self._push(self.now + delay, "call", (c.spec.counter_id, c.token))

    def _gap(self, c: CounterState) -> float:
        u = c.rng.random()
        if u < 0.70:
            return c.rng.uniform(0.2, 1.0)
        return c.rng.uniform(1.0, 3.0) if u < 0.95 else c.rng.uniform(3.0, 8.0)

    def _on_arrive(self, handler: Handler, v: Visitor) -> None:
        self.waiting.append(v)
        self._emit(handler, "arrive", visitor=v)
        for c in self.counters.values():
            if self._free(c) and self._serves(c, v):
                self._schedule_call(c, c.rng.uniform(0.1, 0.6))  # the agent sees it

    def _on_patience(self, handler: Handler, v: Visitor) -> None:
        if v not in self.waiting:
            return
        if v.cancels:
            self.waiting.remove(v)
            v.left_at = self.now
            self._emit(handler, "leave", visitor=v)
        else:
            v.absent = True  # gone without a word: a no-show when called

    def _on_session(self, handler: Handler, payload: tuple[str, float, bool]) -> None:
        cid, end, last = payload
        c = self.counters[cid]
        if c.closed_for_today:
            return
        if c.state != "closed":  # still finishing the last session's visitor: it stays
            c.after = [a for a in c.after if a[0] == "pause"]
            c.last_session, c.session_end = last, end
            return
        c.state, c.last_session, c.session_end = "open", last, end
        c.idle_since = self.now
        self._emit(handler, "open", counter=cid)
        if self._has_work(c):
            self._schedule_call(c, c.rng.uniform(0.2, 1.0))

    def _on_session_end(self, handler: Handler, payload: tuple[str, bool]) -> None:
        cid, last = payload
        c = self.counters[cid]
        if c.state == "closed":
            return
        if last:
            c.after.append(("close_when_empty", None, True))
        else:
            c.after.append(("close", None, False))
        self._settle(handler, c)

    def _on_pause(self, handler: Handler, payload: tuple[str, float]) -> None:
        cid, length = payload
        c = self.counters[cid]
        if c.state == "open":
            c.after.append(("pause", length, False))
            self._settle(handler, c)

    def _on_leave_early(self, handler: Handler, cid: str) -> None:
        c = self.counters[cid]
        c.closed_for_today = True  # no later session either
        if c.state != "closed":
            c.after.append(("close", None, True))
            self._settle(handler, c)

    def _on_back(self, handler: Handler, payload: tuple[str, int]) -> None:
        cid, token = payload
        c = self.counters[cid]
        if c.state != "paused" or token != c.token:
            return
        c.state, c.idle_since, c.pause_until = "open", self.now, None
        self._emit(handler, "back", counter=cid)
        self._next(handler, c)

    def _settle(self, handler: Handler, c: CounterState) -> None:
        """A free counter does what was deferred until its visitor was done."""
        if c.busy_until is not None or c.state != "open":
            return
        while c.after:
            what, length, for_today = c.after[0]
            if what == "close_when_empty" and self._has_work(c):
                return  # it stays: the visitors who took a ticket are seen
            c.after.pop(0)
            self._finish_open_ticket(handler, c)
            c.token += 1
            c.call_pending = False
            cid = c.spec.counter_id
            if what == "pause":
                assert length is not None, "a pause has its length"
                until = self.now + length
                c.state, c.pause_until = "paused", until
                self._emit(handler, "pause", counter=cid, until=until)
                self._push(until + c.rng.uniform(-1.0, 4.0), "back", (cid, c.token))
            else:
                c.state, c.idle_since = "closed", None
                c.after.clear()
                self._emit(handler, "close", counter=cid,
                           for_today=for_today or c.closed_for_today)
            return

    def _finish_open_ticket(self, handler: Handler, c: CounterState) -> None:
        if c.visitor is not None:
            c.visitor = None
            self._emit(handler, "finish", counter=c.spec.counter_id)

    def _on_call(self, handler: Handler, payload: tuple[str, int]) -> None:
        cid, token = payload
        c = self.counters[cid]
        if token != c.token or not c.call_pending:
            return
        c.call_pending = False
        if c.state != "open" or c.busy_until is not None:
            return
        expected = self.choose(cid)
        if expected is None:
            # Nobody left for this counter: "done" if a visitor was not closed yet.
            self._finish_open_ticket(handler, c)
            self._settle(handler, c)
            return
        c.visitor = None  # "call next" finishes the previous visitor on the queue
        answer = self._emit(handler, "call", counter=cid)
        if answer is None:
            self.mismatches += 1
            self._settle(handler, c)
            return
        v = self._visitor(answer)
        if v is not expected:
            self.mismatches += 1
        self.waiting.remove(v)
        self.draws.append((v.service, v.priority))
        v.called_at, v.counter = self.now, cid
        c.visitor, c.started_at, c.idle_since = v, self.now, None
        if v.absent:
            v.no_show = True
            c.busy_until = self.now + GRACE_MINUTES + c.rng.uniform(0.1, 1.5)
            self._push(c.busy_until, "absent", (cid, v))
        else:
            v.served_minutes = max(0.3, v.work * c.spec.speed * hour_effect(self.now))
            c.busy_until = self.now + v.served_minutes
            self._push(c.busy_until, "served", (cid, v))

    def _on_absent(self, handler: Handler, payload: tuple[str, Visitor]) -> None:
        cid, v = payload
        c = self.counters[cid]
        c.visitor, c.busy_until, c.idle_since = None, None, self.now
        self._emit(handler, "no_show", counter=cid)
        self._next(handler, c)

    def _on_served(self, handler: Handler, payload: tuple[str, Visitor]) -> None:
        cid, v = payload
        c = self.counters[cid]
        c.busy_until, c.idle_since = None, self.now
        if c.after or c.rng.random() >= DIRECT_CALL_RATE:
            self._finish_open_ticket(handler, c)  # "done"; else "call next" will close it
        self._next(handler, c)

    def _next(self, handler: Handler, c: CounterState) -> None:
        self._settle(handler, c)
        if c.state == "open" and self._has_work(c) and not c.call_pending:
            self._schedule_call(c, self._gap(c))
        elif c.state == "open" and not c.call_pending:
            self._finish_open_ticket(handler, c)


def _visitors(sc: Scenario, rng: random.Random) -> list[Visitor]:
    """The day's tickets: a non-homogeneous Poisson process (thinning), drawn up front."""
    peak = max(rate for _, rate in sc.arrivals) / 60.0
    day_factor = rng.uniform(0.9, 1.1)
    codes = [s.code for s in sc.services]
    shares = [s.share for s in sc.services]
    numbers = dict.fromkeys(codes, 0)
    out: list[Visitor] = []
    t = sc.arrivals[0][0]
    while True:
        t += rng.expovariate(peak * day_factor)
        if t >= sc.issue_end:
            return out
        if rng.random() * peak >= sc.rate(t) / 60.0:
            continue
        code = rng.choices(codes, shares)[0]
        numbers[code] += 1
        impatient = rng.random() < IMPATIENT_RATE
        out.append(Visitor(
            ticket_id=f"{code}{numbers[code]:03d}", service=code, issued_at=t,
            priority=rng.random() < PRIORITY_RATE, phone=rng.random() < PHONE_RATE,
            absent=rng.random() < ABSENT_RATE,
            patience=rng.uniform(20.0, 90.0) if impatient else None,
            cancels=rng.random() < 0.5, work=sc.service(code).draw(rng), seq=len(out) + 1))
