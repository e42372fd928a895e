"""estimate_calls: gaps, leaves, quantiles, reachability and a hash-seed independent order."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.domain.estimation import (
    CallEstimate,
    CounterState,
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    estimate_calls,
    estimate_waits,
)
from kiosk.domain.priority import WaitingTicket, choose_next

NOW = 600.0
ROOT = Path(__file__).resolve().parents[2]


def _model(**kw) -> ServiceTimeModel:
    return ServiceTimeModel({"C": 10.0, "Q": 5.0}, **kw)


def _snap(tickets, counters, **kw):
    waiting = {}
    for t in tickets:
        waiting.setdefault(t.service, []).append(t)
    return QueueSnapshot(now=NOW, waiting=waiting, counters=counters, **kw)


# -- ties: the server's order, whatever the hash seed --------------------------------------------

# Two services on one counter, tickets issued at the same minute: only seq (the ticket pk on
# the server) can order them. The names are chosen so that frozenset iteration order differs
# between the two hash seeds below (the old estimator gave opposite orders).
_TIE_SCRIPT = """
import json
from kiosk.domain.estimation import CounterState, QueueSnapshot, ServiceTimeModel, estimate_waits
from kiosk.domain.priority import WaitingTicket
services = ["svc-%d" % i for i in range(8)]
waiting = {s: [WaitingTicket(s + ":t", s, 590.0, seq=100 - i)] for i, s in enumerate(services)}
snap = QueueSnapshot(now=600.0, waiting=waiting,
                     counters=[CounterState("G1", frozenset(services))])
waits = estimate_waits(snap, ServiceTimeModel({s: 10.0 for s in services}), draws=1)
print(json.dumps(sorted(waits, key=waits.get)))
"""


def _order_under_hash_seed(seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _TIE_SCRIPT], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_order_does_not_depend_on_the_hash_seed():
    zero, three = _order_under_hash_seed("0"), _order_under_hash_seed("3")
    assert zero == three
    # ...and it is the server's: seq (pk) breaks the tie, so the last service goes first.
    assert zero == [f"svc-{i}:t" for i in reversed(range(8))]


@pytest.mark.parametrize("seed", range(10))
def test_call_order_is_choose_next_over_the_place_order(seed):
    rng = random.Random(seed)
    tickets = [WaitingTicket(f"t{i}", rng.choice("CQ"), float(rng.randrange(3)),
                             rng.random() < 0.3, seq=rng.randrange(1000)) for i in range(12)]
    snap = _snap(tickets, [CounterState("G1", frozenset("QC"))], recent_calls=(True,))
    waits = estimate_waits(snap, _model(), draws=1)
    estimated = sorted(waits, key=lambda k: waits[k])
    # What do_call_next does: candidates ordered by (queued_at, pk), choose_next on the list.
    line = sorted(tickets, key=lambda t: (t.issued_at, t.seq))
    history, expected = [True], []
    while line:
        chosen = choose_next(line, history)
        line.remove(chosen)
        history.append(chosen.priority)
        expected.append(chosen.ticket_id)
    assert estimated == expected


# -- gaps: the time a free counter takes to call ---------------------------------------------------


def _gappy_model(gap_values, **kw):
    model = _model(**kw)
    for g in gap_values:
        model.observe_gap("G1", g)
    return model


def test_without_gaps_learned_an_idle_counter_calls_at_once():
    snap = _snap([WaitingTicket("C1", "C", 590.0)],
                 [CounterState("G1", frozenset("C"), idle_since=595.0)])
    assert estimate_waits(snap, _model())["C1"] == 0.0


def test_idle_counter_calls_after_the_residual_of_its_gap():
    # Half the time the agent calls within a minute, else after about 10 minutes.
    model = _gappy_model([0.5] * 50 + [10.0] * 50, gap_prior_weight=0.0)
    ticket = WaitingTicket("C1", "C", 580.0)

    def wait(idle_since):
        snap = _snap([ticket], [CounterState("G1", frozenset("C"), idle_since=idle_since)])
        return estimate_waits(snap, model, draws=1)["C1"]

    assert wait(NOW) == pytest.approx(5.25)  # just free: the mean gap
    # Idle for 2 minutes with somebody waiting: the agent is away; about 8 minutes left.
    assert wait(NOW - 2) == pytest.approx(8.0)
    # Free since before the ticket came: idle counts from the ticket's issue.
    late = WaitingTicket("C1", "C", NOW - 2)
    snap = _snap([late], [CounterState("G1", frozenset("C"), idle_since=NOW - 30)])
    assert estimate_waits(snap, model, draws=1)["C1"] == pytest.approx(8.0)


def test_idle_longer_than_any_gap_seen_still_calls_soon():
    model = _gappy_model([1.0, 2.0, 3.0] * 20, gap_prior_weight=0.0)
    snap = _snap([WaitingTicket("C1", "C", 500.0)],
                 [CounterState("G1", frozenset("C"), idle_since=NOW - 60)])
    assert 0 < estimate_waits(snap, model, draws=1)["C1"] <= 5


def test_busy_and_opening_counters_add_the_mean_gap():
    model = _gappy_model([3.0] * 100, gap_prior_weight=0.0)
    tickets = [WaitingTicket("C1", "C", 590.0), WaitingTicket("C2", "C", 591.0)]
    opening = _snap(tickets, [CounterState("G1", frozenset("C"), opens_at=NOW + 20)])
    waits = estimate_waits(opening, model, draws=1)
    assert waits["C1"] == pytest.approx(23.0)
    assert waits["C2"] == pytest.approx(23.0 + 10.0 + 3.0)
    busy = _snap(tickets, [CounterState("G1", frozenset("C"))],
                 in_service=[InService("C0", "C", "G1", 4.0)])
    plain = estimate_waits(busy, _model(), draws=1)["C1"]
    assert estimate_waits(busy, model, draws=1)["C1"] == pytest.approx(plain + 3.0)


def test_gaps_are_learned_per_counter_and_shrunk_toward_the_site():
    model = _model(gap_prior_weight=0.0)
    for _ in range(200):
        model.observe_gap("slow", 6.0)
        model.observe_gap("quick", 0.0)
    model.observe_gap("new", 0.0)
    assert model.gaps("slow").mean > 4.0
    assert model.gaps("quick").mean < 2.0
    assert 2.0 < model.gaps("new").mean < 4.0  # one gap of its own: mostly the site's


# -- no-shows and leaves --------------------------------------------------------------------------


def test_tickets_ahead_that_will_leave_cost_less_counter_time():
    tickets = [WaitingTicket(f"C{i}", "C", 500.0 + i) for i in range(6)]
    snap = _snap(tickets, [CounterState("G1", frozenset("C"))])
    stay = estimate_waits(snap, _model(), draws=1)
    model = _model()
    for i in range(400):
        model.observe_leave(i % 5 == 0, waited_minutes=30.0)
    assert model.leave_rate == pytest.approx(0.2, abs=0.03)
    leave = estimate_waits(snap, model, draws=1)
    assert leave["C0"] == stay["C0"] == 0.0
    assert leave["C5"] < 0.9 * stay["C5"]
    # Each ticket ahead costs its duration times the chance it is still there.
    h = model.leave_hazard
    import math
    expected = sum(10.0 * math.exp(-h * leave[f"C{i}"]) for i in range(5))
    assert leave["C5"] == pytest.approx(expected)


def test_the_time_a_no_show_costs_is_learned():
    model = _model(grace_minutes=2.0)
    assert model.no_show_minutes == pytest.approx(2.0)
    for _ in range(300):
        model.observe_call(no_show=True, minutes=4.0)
    assert model.no_show_minutes == pytest.approx(4.0, abs=0.2)


# -- quantiles and reachability -------------------------------------------------------------------


def test_quantiles_bracket_the_mean_and_widen_down_the_queue():
    tickets = [WaitingTicket(f"C{i}", "C", 500.0 + i) for i in range(10)]
    snap = _snap(tickets, [CounterState("G1", frozenset("C")), CounterState("G2", frozenset("C"))],
                 in_service=[InService("C0", "C", "G1", 3.0)], no_show_rate=0.1)
    calls = estimate_calls(snap, _model())
    widths = []
    for tid in ("C3", "C6", "C9"):
        c = calls[tid]
        assert c.reachable and c.low < c.mean < c.high
        widths.append(c.high - c.low)
    assert widths[0] < widths[1] < widths[2]
    assert estimate_waits(snap, _model()) == {k: v.mean for k, v in calls.items()}


def test_more_counters_pool_the_uncertainty():
    tickets = [WaitingTicket(f"C{i:02d}", "C", 500.0 + i) for i in range(24)]

    def spread(n_counters, tid):
        counters = [CounterState(f"G{k}", frozenset("C")) for k in range(n_counters)]
        c = estimate_calls(_snap(tickets, counters), _model())[tid]
        return (c.high - c.low) / c.mean

    # The same mean (the 6th call on one counter, the 24th on four): relatively narrower.
    assert spread(4, "C23") < spread(1, "C05")


def test_unreachable_tickets_have_no_numbers():
    snap = _snap([WaitingTicket("C1", "C", 590.0), WaitingTicket("Q1", "Q", 591.0)],
                 [CounterState("G1", frozenset("Q"))])
    calls = estimate_calls(snap, _model())
    assert calls["C1"] == CallEstimate(None, None, None, False)
    assert calls["Q1"].reachable and calls["Q1"].mean == 0.0
    closing = _snap([WaitingTicket(f"C{i}", "C", 590.0 + i) for i in range(4)],
                    [CounterState("G1", frozenset("C"), closes_at=NOW + 15)])
    calls = estimate_calls(closing, _model(), draws=1)
    assert [calls[f"C{i}"].reachable for i in range(4)] == [True, True, False, False]
    assert all((c.mean is None) == (not c.reachable) for c in calls.values())
    no_session = _snap([WaitingTicket("C1", "C", 590.0)], [])
    assert estimate_calls(no_session, _model()) == {"C1": CallEstimate(None, None, None, False)}
