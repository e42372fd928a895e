"""estimate_waits' probes ("a ticket taken now"): a probe gets exactly the estimate the same
ticket gets as a real one at the back of its line, and changes no other estimate."""

from __future__ import annotations

import random

import pytest

from kiosk.domain.estimation import (
    CounterState,
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    estimate_waits,
)
from kiosk.domain.priority import WaitingTicket

NOW = 600.0
SERVICES = ("A", "B", "C")


def _random_snapshot(rng: random.Random) -> QueueSnapshot:
    waiting = {}
    for i in range(rng.randint(0, 40)):
        s = rng.choice(SERVICES)
        waiting.setdefault(s, []).append(
            WaitingTicket(str(i), s, NOW - rng.uniform(0, 90), rng.random() < 0.15))
    counters = [CounterState(f"g{k}", frozenset(rng.sample(SERVICES, rng.randint(1, 3))))
                for k in range(rng.randint(1, 5))]
    busy = [InService(f"busy{k}", rng.choice(sorted(c.services)), c.counter_id,
                      rng.uniform(0, 20)) for k, c in enumerate(counters) if rng.random() < 0.6]
    return QueueSnapshot(now=NOW, waiting=waiting, counters=counters, in_service=busy,
                         no_show_rate=0.1, recent_calls=[rng.random() < 0.3 for _ in range(3)])


@pytest.mark.parametrize("seed", range(30))
def test_a_probe_is_a_real_ticket_taken_now(seed):
    rng = random.Random(seed)
    snap = _random_snapshot(rng)
    model = ServiceTimeModel({"A": 8.0, "B": 15.0, "C": 4.0}, grace_minutes=3.0)
    at = max([t.issued_at for ts in snap.waiting.values() for t in ts] + [NOW]) + 1e-3
    probes = [WaitingTicket(f"new:{s}:{p}", s, at, p) for s in SERVICES for p in (False, True)]
    with_probes = estimate_waits(snap, model, probes=probes)
    alone = estimate_waits(snap, model)
    for ticket_id, value in alone.items():  # no other estimate moves
        assert with_probes[ticket_id] == value
    for probe in probes:  # each probe: the same ticket, really in the queue
        real = estimate_waits(QueueSnapshot(
            now=snap.now, waiting={**snap.waiting, probe.service: [
                *snap.waiting.get(probe.service, ()), probe]},
            counters=snap.counters, in_service=snap.in_service,
            no_show_rate=snap.no_show_rate, recent_calls=snap.recent_calls), model)
        assert with_probes[probe.ticket_id] == pytest.approx(real[probe.ticket_id]) or (
            with_probes[probe.ticket_id] is None and real[probe.ticket_id] is None)
