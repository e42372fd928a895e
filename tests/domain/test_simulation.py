"""The world simulator: deterministic, realistic where it claims to be, faithful to the rules
the server enforces (priority order, the no-show grace, counters that serve their services)."""

from __future__ import annotations

import statistics

import pytest

from kiosk.domain.sim_replay import replay
from kiosk.domain.sim_scenarios import SCENARIOS, hours_json, scenario
from kiosk.domain.simulation import GRACE_MINUTES, ServiceSpec, World


class Recorder:
    """A handler that takes the world's own choice for each call and keeps every event."""

    def __init__(self, world: World):
        self.world, self.events = world, []

    def __call__(self, ev):
        self.events.append(ev)
        if ev.kind == "call":
            return self.world.choose(ev.counter).ticket_id
        return None


def play(name: str, seed: int):
    world = World(scenario(name), seed)
    rec = Recorder(world)
    world.run(rec)
    return world, rec.events


@pytest.fixture(scope="module")
def days():
    return {name: [play(name, seed) for seed in range(6)] for name in SCENARIOS}


def _key(events):
    return [(round(e.at, 9), e.kind, e.counter, e.visitor and e.visitor.ticket_id)
            for e in events]


def test_same_seed_same_day():
    assert _key(play("lunch", 3)[1]) == _key(play("lunch", 3)[1])


def test_other_seed_other_day():
    assert _key(play("lunch", 3)[1]) != _key(play("lunch", 4)[1])


def test_events_are_strictly_ordered_in_time(days):
    # The server orders tickets and draws by time: two events never share an instant.
    for runs in days.values():
        for _, events in runs:
            assert all(a.at < b.at for a, b in zip(events, events[1:], strict=False))


def test_service_times_are_a_heavy_tailed_mixture_with_the_configured_mean_off():
    import random

    spec = ServiceSpec("L", "Logement", 20.0, 24.0, 1.0, shape=2.0, quick=0.1, tail=0.08)
    rng = random.Random(1)
    draws = [spec.draw(rng) for _ in range(40000)]
    assert statistics.fmean(draws) == pytest.approx(24.0, rel=0.05)
    assert 0.08 < sum(d <= 2.0 for d in draws) / len(draws) < 0.16  # quick exits
    assert max(draws) > 5 * 24.0  # the tail
    assert any(abs(s.true_mean / s.configured_mean - 1) > 0.05
               for name in SCENARIOS for s in scenario(name).services)


def test_arrivals_peak_at_opening_and_after_lunch(days):
    def count(start: str, end: str) -> int:
        a, b = (int(x[:2]) * 60 + int(x[3:]) for x in (start, end))
        return sum(a <= e.at < b for _, events in days["lunch"] for e in events
                   if e.kind == "arrive")

    assert count("08:30", "09:30") > 1.3 * count("10:30", "11:30")
    assert count("13:30", "14:30") > 2 * count("12:00", "13:00")
    assert count("13:30", "14:30") > 1.5 * count("15:30", "16:30")


def test_every_visitor_is_called_once_by_a_serving_counter_or_left(days):
    for name, runs in days.items():
        serves = {c.counter_id: c.services for c in scenario(name).counters}
        for world, events in runs:
            assert world.mismatches == 0
            calls = [e for e in events if e.kind == "call"]
            assert len(calls) == sum(v.called_at is not None for v in world.visitors)
            for v in world.visitors:
                assert (v.called_at is None) == (v.left_at is not None), (name, v.ticket_id)
                if v.called_at is not None:
                    assert v.called_at >= v.issued_at and v.service in serves[v.counter]


def test_counters_act_only_when_open_and_absent_only_after_the_grace(days):
    for runs in days.values():
        for _, events in runs:
            state: dict[str, str] = {}
            called_at: dict[str, float] = {}
            for e in events:
                if e.kind in ("open", "back"):
                    state[e.counter] = "open"
                elif e.kind == "pause":
                    assert state[e.counter] == "open" and e.until > e.at
                    state[e.counter] = "paused"
                elif e.kind == "close":
                    state[e.counter] = "closed"
                elif e.kind == "call":
                    assert state[e.counter] == "open"
                    called_at[e.counter] = e.at
                elif e.kind == "no_show":
                    assert e.at - called_at[e.counter] >= GRACE_MINUTES


def test_scenarios_do_what_their_names_say(days):
    def kinds(name):
        return {e.kind for _, events in days[name] for e in events}

    assert len(scenario("single").counters) == 1
    assert any(len(c.services) > 1 for c in scenario("shared").counters)
    assert all(len(c.sessions) == 2 for c in scenario("lunch").counters)
    assert any(e.kind == "close" and e.for_today and e.at < 16 * 60
               for _, events in days["early"] for e in events)
    late_opens = [e.at - scenario("late").counters[0].sessions[0][0]
                  for _, events in days["late"] for e in events
                  if e.kind == "open" and e.at < 11 * 60]
    assert max(late_opens) > 10
    assert {"pause", "back", "leave", "no_show", "finish"} <= kinds("early") | kinds("shared")


def test_calls_follow_the_priority_rule(days):
    """No third priority call in a row from a counter's services while a normal one waits."""
    for name, runs in days.items():
        serves = {c.counter_id: c.services for c in scenario(name).counters}
        for world, _ in runs:
            calls = sorted((v for v in world.visitors if v.called_at is not None),
                           key=lambda v: v.called_at)
            for i, v in enumerate(calls):
                mine = [c for c in calls[:i] if c.service in serves[v.counter]][-2:]
                if not (v.priority and len(mine) == 2 and all(c.priority for c in mine)):
                    continue
                passed = [t for t in world.visitors if not t.priority
                          and t.issued_at < v.called_at and t.service in serves[v.counter]
                          and (t.called_at or 1e9) > v.called_at and t.left_at is None]
                assert passed == [], (name, v.ticket_id)


def test_hours_are_the_wire_format():
    c = scenario("lunch").counters[0]
    assert hours_json(c) == [{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "12:00"},
                             {"days": [0, 1, 2, 3, 4], "open": "13:30", "close": "17:00"}]


def test_the_pure_replay_scores_every_called_ticket():
    outcomes = replay(scenario("single"), range(3))
    called = [o for o in outcomes if o.wait is not None]
    assert called and all(o.naive is not None and o.les is not None for o in called)
    assert any(o.estimate is not None and o.estimate > 0 for o in called)
    assert any(o.sms_decided_at is not None for o in outcomes)
    assert all(o.sms_decided_at <= o.called_at for o in called if o.sms_decided_at)
