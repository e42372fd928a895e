"""The pure replay: simulated days (``kiosk.domain.simulation``) fed to the domain estimator
directly, without the server. Quick (a few seconds for weeks of days), for tuning.

What the snapshot holds imitates the server's (``kiosk/server/queueing/snapshot.py``): the
waiting tickets, the counters open now with their planned end, paused ones with their
announced return, sessions still to come (a planned start passed less than 15 minutes ago
is "any minute now"), the tickets called and not yet closed with their elapsed time. The
model learns online from what the queue records (a ticket closed by "call next" includes the
agent's gap, as on the server). The bench of record is the server's
(``tests/bench/wait_server.py``); this one only approximates it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kiosk.domain import estimation, notify
from kiosk.domain.estimation import CallEstimate, CounterState, InService, QueueSnapshot
from kiosk.domain.priority import WaitingTicket
from kiosk.domain.service_times import ServiceTimeModel
from kiosk.domain.simulation import Event, Scenario, Visitor, World

LATE_TOLERANCE = 15.0
LEAD_MINUTES = 15.0


@dataclass
class Outcome:
    """One ticket of a simulated day, as the bench scores it (the server driver makes the
    same records). Times are minutes since midnight; estimates are minutes from issue."""

    scenario: str
    day: int
    ticket_id: str
    service: str
    priority: bool
    phone: bool
    issued_at: float
    called_at: float | None = None
    left: bool = False
    no_show: bool = False
    estimate: float | None = None  # printed on the ticket
    naive: float | None = None  # position x learned mean / open counters serving
    les: float | None = None  # wait of the last visitor of the service who was called
    sms_decided_at: float | None = None  # the "near" SMS row was created then
    near_at_issue: bool = False  # no "near" SMS owed: the kiosk says "stay in the hall"

    @property
    def wait(self) -> float | None:
        return None if self.called_at is None else self.called_at - self.issued_at


def _fields(cls: type[Any]) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def naive_minutes(position: int, mean: float, open_counters: int,
                  planned_counters: int) -> float | None:
    """The naive formula, with the counters planned today when none is open (not None)."""
    n = open_counters or planned_counters
    return None if n <= 0 else position * mean / n


class DomainReplay:
    """A ``Handler`` for ``World.run``: estimator fed from the world's state."""

    def __init__(self, scenario: Scenario, model: ServiceTimeModel, day: int = 0):
        self.scenario, self.model, self.day = scenario, model, day
        self.world: World | None = None
        self.outcomes: dict[str, Outcome] = {}
        self.called: dict[str, tuple[str, str, float]] = {}  # counter -> (ticket, service, at)
        self.free_since: dict[str, float] = {}
        self.last_wait: dict[str, float] = {}
        self._counter_fields = _fields(CounterState)

    @property
    def _world(self) -> World:
        assert self.world is not None, "play() sets the world"
        return self.world

    def play(self, seed: int) -> list[Outcome]:
        self.world = World(self.scenario, seed)
        self.world.run(self)
        for v in self.world.visitors:
            o = self.outcomes[v.ticket_id]
            o.called_at, o.no_show, o.left = v.called_at, v.no_show, v.left_at is not None
        return list(self.outcomes.values())

    # -- the server's knowledge ---------------------------------------------------------------

    def snapshot(self, now: float) -> QueueSnapshot:
        w = self._world
        waiting: dict[str, list[WaitingTicket]] = {}
        # At a call event the called visitor is still in the world's queue: it is in
        # service (below), not waiting as well (it counted twice, ahead of everyone).
        serving = {ticket for ticket, _service, _at in self.called.values()}
        for v in w.waiting:
            if v.ticket_id not in serving:
                waiting.setdefault(v.service, []).append(v.waiting_ticket())
        states = []
        for c in w.counters.values():
            served = frozenset(c.spec.services)
            cid = c.spec.counter_id
            extra: dict[str, float] = {}
            if "idle_since" in self._counter_fields and c.state == "open" and c.visitor is None:
                extra["idle_since"] = self.free_since.get(cid, now)
            for start, end in c.spec.sessions:
                last = (start, end) == c.spec.sessions[-1]
                closes = None if last else end
                if c.state == "open" and c.session_end == end:
                    states.append(CounterState(cid, served, None, closes, **extra))
                elif c.state == "paused" and c.session_end == end:
                    back = max(c.pause_until or now, now)
                    states.append(CounterState(cid, served, back, closes))
                elif c.closed_for_today or end <= now:
                    continue
                elif start > now:
                    states.append(CounterState(cid, served, start, closes))
                elif now - start < LATE_TOLERANCE and c.state == "closed":
                    states.append(CounterState(cid, served, now, closes))
        busy = [InService(ticket, service, cid, now - at)
                for cid, (ticket, service, at) in self.called.items()]
        return QueueSnapshot(now=now, waiting=waiting, counters=states, in_service=busy,
                             no_show_rate=self.model.no_show_rate,
                             recent_calls=tuple(w.recent_calls([s.code for s in self.scenario.services])))

    def estimates(self, now: float) -> dict[str, CallEstimate]:
        """ticket -> CallEstimate, as the server computes them."""
        return estimation.estimate_calls(self.snapshot(now), self.model)

    # -- events ---------------------------------------------------------------------------------

    def __call__(self, ev: Event) -> str | None:
        w, now = self._world, ev.at
        answer = None
        if ev.kind == "arrive":
            assert ev.visitor is not None, "an arrival has its visitor"
            self._arrive(ev.visitor, now)
        elif ev.kind == "call":
            assert ev.counter is not None, "a call has its counter"
            # "Call next" closing the previous visitor: no gap the queue can see.
            direct = ev.counter in self.called
            self._close_ticket(ev.counter, now, no_show=False)
            v = w.choose(ev.counter)
            assert v is not None, "the world calls only when someone is waiting"
            answer = v.ticket_id
            # Measured as the server measures it: from the later of "counter free" and the
            # called ticket's issue (an idle counter with nobody to call has no gap).
            free = max(self.free_since.get(ev.counter, now), v.issued_at)
            gap = 0.0 if direct else max(now - free, 0.0)
            self._observe("observe_gap", ev.counter, gap)
            self._observe("observe_leave", False, now - v.issued_at)
            self.called[ev.counter] = (v.ticket_id, v.service, now)
            self.last_wait[v.service] = now - v.issued_at
        elif ev.kind in ("finish", "no_show"):
            assert ev.counter is not None, "a counter finishes"
            self._close_ticket(ev.counter, now, no_show=ev.kind == "no_show")
            self.free_since[ev.counter] = now
        elif ev.kind in ("open", "back"):
            assert ev.counter is not None, "a counter opens"
            self.free_since[ev.counter] = now
        elif ev.kind == "leave":
            assert ev.visitor is not None, "a visitor leaves"
            self._observe("observe_leave", True, now - ev.visitor.issued_at)
        self._sms(now)
        return answer

    def _observe(self, name: str, *args: object) -> None:
        getattr(self.model, name)(*args)

    def _close_ticket(self, counter: str, now: float, no_show: bool) -> None:
        if counter not in self.called:
            return
        _, service, at = self.called.pop(counter)
        # As the server's fit: a no-show teaches what it cost the counter (call to "absent").
        self.model.observe_call(no_show, minutes=now - at if no_show else None)
        if not no_show:
            self.model.observe(service, max(now - at, 0.2), counter=counter, at=at)

    def _arrive(self, v: Visitor, now: float) -> None:
        o = Outcome(self.scenario.name, self.day, v.ticket_id, v.service, v.priority, v.phone, now)
        self.outcomes[v.ticket_id] = o
        est = self.estimates(now).get(v.ticket_id)
        o.estimate = _mean(est)
        ahead = [x for x in self._world.waiting if x.service == v.service and x is not v]
        position = sum(1 for x in ahead if x.priority or not v.priority)
        counters = self._world.counters.values()
        open_n = sum(1 for c in counters if c.state == "open" and v.service in c.spec.services)
        planned = sum(1 for c in counters if v.service in c.spec.services
                      and not c.closed_for_today)
        o.naive = naive_minutes(position, self.model.mean(v.service), open_n, planned)
        o.les = self.last_wait.get(v.service, o.naive)
        if est is not None:
            o.near_at_issue = est.reachable and notify.near_at_issue(est)

    def _sms(self, now: float) -> None:
        owed = [v for v in self._world.waiting if v.phone
                and self.outcomes[v.ticket_id].sms_decided_at is None
                and not self.outcomes[v.ticket_id].near_at_issue]
        if not owed:
            return
        estimates = self.estimates(now)
        for v in owed:
            est = estimates.get(v.ticket_id)
            if est is not None and est.reachable and notify.near_by_time(est):
                self.outcomes[v.ticket_id].sms_decided_at = now


def _mean(est: CallEstimate | None) -> float | None:
    return None if est is None else est.mean


def replay(scenario: Scenario, seeds: Iterable[int],
           model: ServiceTimeModel | None = None) -> list[Outcome]:
    """The days ``seeds`` in sequence with one learning model (a server's history)."""
    model = model if model is not None else ServiceTimeModel(scenario.configured_means())
    out: list[Outcome] = []
    for day, seed in enumerate(seeds):
        out += DomainReplay(scenario, model, day).play(seed)
    return out


def whole_minutes(value: float | None) -> int | None:
    """What a ticket prints: whole minutes, rounded up (as the server stores it)."""
    return None if value is None else max(0, math.ceil(value))
