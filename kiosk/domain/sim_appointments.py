"""A simulated day mixing appointments and walk-ins (``kiosk.domain.simulation``'s world,
plus bookings): visitors with an appointment check in at the kiosk (most a few minutes
early, some late, some never), counters call under the appointment rule
(``kiosk.domain.appointments.decide``) and keep themselves free for a slot when needed.

Extra events for the handler: ``checkin`` (``visitor.booking`` says which appointment);
a ``call`` may answer None when the counter is held for a slot (the server decides the
same; the world then calls again at the slot).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from kiosk.domain.appointments import DEFAULT_GRACE_MINUTES, LANE, Slot, checkin_lane, decide
from kiosk.domain.simulation import CounterSpec, Handler, Scenario, ServiceSpec, Visitor, World


@dataclass(frozen=True)
class Booking:
    appointment_id: str
    service: str
    start: float
    duration: float
    arrival: float | None  # None: never comes
    work: float  # minutes at the counter


@dataclass
class AppointmentVisitor(Visitor):
    booking: Booking | None = None
    lane: bool = False


def mixed_scenario(seed: int = 0) -> Scenario:
    """Titres d'identité (T) on appointment at G1-G2, état civil (C) walk-ins at G1-G3."""
    rng = random.Random(f"appointments-{seed}")
    services = (
        ServiceSpec("C", "Citoyenneté & état civil", 10.0, round(10 * rng.uniform(0.9, 1.2), 2),
                    1.0, shape=3.0, quick=0.12, tail=0.05),
        ServiceSpec("T", "Titres d'identité", 20.0, 18.0, 0.0, shape=6.0, quick=0.0, tail=0.0),
    )
    counters = (
        CounterSpec("G1", ("C", "T"), round(rng.uniform(0.9, 1.1), 3), ((510.0, 1020.0),)),
        CounterSpec("G2", ("C", "T"), round(rng.uniform(0.9, 1.1), 3), ((510.0, 1020.0),)),
        CounterSpec("G3", ("C",), round(rng.uniform(0.9, 1.1), 3), ((510.0, 1020.0),)),
    )
    arrivals = ((510.0, 9.0), (600.0, 7.0), (720.0, 5.0), (810.0, 8.0), (930.0, 5.0))
    return Scenario("appointments", services, counters, arrivals, 990.0, pause_rate=0.0)


def bookings(seed: int, service: str = "T", first: float = 540.0, last: float = 960.0,
             step: float = 20.0, per_slot: int = 2, fill: float = 0.6) -> list[Booking]:
    """Slots every ``step`` minutes, ``per_slot`` at a time, booked with probability
    ``fill``: 75 % come 2-15 min early, 10 % 0-5 min late, 5 % after the grace, 10 % never."""
    rng = random.Random(f"bookings-{seed}")
    out: list[Booking] = []
    start = first
    while start <= last:
        for _ in range(per_slot):
            if rng.random() >= fill:
                continue
            u = rng.random()
            if u < 0.75:
                arrival: float | None = start - rng.uniform(2.0, 15.0)
            elif u < 0.85:
                arrival = start + rng.uniform(0.0, 5.0)
            elif u < 0.90:
                arrival = start + rng.uniform(DEFAULT_GRACE_MINUTES + 1, 25.0)
            else:
                arrival = None
            out.append(Booking(f"A{len(out) + 1:03d}", service, start, step, arrival,
                               work=rng.uniform(0.6, 0.95) * step))
        start += step
    return out


class AppointmentWorld(World):
    """The world of ``kiosk.domain.simulation`` with appointments checked in and called at
    their slot. ``grace``: minutes after the slot's start a check-in still enters the lane."""

    def __init__(self, scenario: Scenario, seed: int, booked: list[Booking],
                 grace: float = DEFAULT_GRACE_MINUTES):
        self.booked, self.grace = booked, grace
        self.checked_in: dict[str, AppointmentVisitor] = {}  # appointment id -> visitor
        self._held: dict[str, float] = {}
        super().__init__(scenario, seed)
        for b in booked:
            if b.arrival is not None:
                self._push(b.arrival, "checkin", b)
            self._push(b.start, "slot", b)

    # -- the rule, as the server applies it -------------------------------------------------

    def _idle(self, counter_id: str) -> bool:
        c = self.counters[counter_id]
        there = c.state == "open" or (c.state == "paused" and c.pause_until is not None
                                      and self.now >= c.pause_until)
        return there and c.visitor is None

    def choose(self, counter_id: str) -> Visitor | None:
        served = set(self.counters[counter_id].spec.services)
        walk_ins = [v.waiting_ticket() for v in self.waiting
                    if v.service in served and not getattr(v, "lane", False)]
        slots = []
        for b in self.booked:
            v = self.checked_in.get(b.appointment_id)
            if v is None and b.start > self.now:
                slots.append(Slot(b.appointment_id, b.service, b.start, b.duration))
            elif v is not None and v.lane and v in self.waiting:
                slots.append(Slot(b.appointment_id, b.service, b.start, b.duration, v.ticket_id))
        other_idle: dict[str, int] = {}
        for cid, c in self.counters.items():
            if cid != counter_id and self._idle(cid):
                for s in c.spec.services:
                    other_idle[s] = other_idle.get(s, 0) + 1
        horizon = {s.code: s.configured_mean for s in self.scenario.services}
        decision = decide(walk_ins, self.recent_calls(sorted(served)), slots, served,
                          self.now, horizon, other_idle)
        if decision.held_until is not None:
            self._held[counter_id] = decision.held_until
        return None if decision.ticket is None else self._visitor(decision.ticket.ticket_id)

    # -- events -------------------------------------------------------------------------------

    def _on_checkin(self, handler: Handler, b: Booking) -> None:
        lane = checkin_lane(self.now, b.start, self.grace) == LANE
        v = AppointmentVisitor(
            ticket_id=f"R-{b.appointment_id}", service=b.service, issued_at=self.now,
            priority=False, phone=False, absent=False, patience=None, cancels=False,
            work=b.work, seq=100000 + len(self.checked_in), booking=b, lane=lane)
        self.checked_in[b.appointment_id] = v
        self.visitors.append(v)
        self.waiting.append(v)
        self._emit(handler, "checkin", visitor=v)
        self._wake(v.service)

    def _on_slot(self, handler: Handler, b: Booking) -> None:
        self._wake(b.service)

    def _wake(self, service: str) -> None:
        for c in self.counters.values():
            if self._free(c) and service in c.spec.services:
                self._schedule_call(c, c.rng.uniform(0.1, 0.6))  # the agent sees it

    def _on_call(self, handler: Handler, payload: tuple[str, int]) -> None:
        cid, token = payload
        c = self.counters[cid]
        if token == c.token and c.call_pending and c.state == "open" and c.busy_until is None:
            self._held.pop(cid, None)
            if self.choose(cid) is None and cid in self._held:
                # Held for a slot: the agent presses "call next", the server calls nobody.
                c.call_pending = False
                c.visitor = None  # "call next" finishes the previous visitor
                if self._emit(handler, "call", counter=cid) is not None:
                    self.mismatches += 1
                at = self._held.pop(cid)
                self._schedule_call(c, at - self.now + c.rng.uniform(0.05, 0.5))
                return
        super()._on_call(handler, payload)
