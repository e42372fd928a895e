"""The service-time model and the forward-simulation wait estimator."""

from __future__ import annotations

import math
import random
import statistics
from datetime import datetime

import pytest

from kiosk.domain.estimation import (
    MIN_REMAINING_MINUTES,
    CounterState,
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    estimate_waits,
    lognormal_remaining,
    minutes_since_midnight,
)
from kiosk.domain.priority import WaitingTicket

NOW = 600.0  # 10:00


def _model(**kw) -> ServiceTimeModel:
    return ServiceTimeModel({"C": 10.0, "Q": 5.0}, **kw)


def _w(tid, at, service="C", priority=False):
    return WaitingTicket(tid, service, at, priority)


def _snap(waiting, counters, **kw):
    by_service = {}
    for t in waiting:
        by_service.setdefault(t.service, []).append(t)
    return QueueSnapshot(now=NOW, waiting=by_service, counters=counters, **kw)


def test_minutes_since_midnight():
    assert minutes_since_midnight(datetime(2025, 3, 6, 9, 30, 30)) == pytest.approx(570.5)


# -- the model -----------------------------------------------------------------------------


def test_prior_is_the_configured_mean():
    assert _model().mean("C") == pytest.approx(10.0)
    assert _model().mean("Q", counter="G1", at=NOW) == pytest.approx(5.0)


def test_prior_dominates_the_first_observations_then_data_wins():
    model = _model()
    rng = random.Random(3)
    model.observe("C", 30.0, counter="G1", at=NOW)
    assert model.mean("C") < 15  # one observation of 30 does not overturn a prior of 10
    for i in range(300):
        d = rng.lognormvariate(math.log(20) - 0.045, 0.3)
        model.observe("C", d, counter=f"G{i % 3}", at=540 + 60 * (i % 6))
    assert model.mean("C") == pytest.approx(20, rel=0.12)
    assert model.mean("C", counter="G1", at=NOW) == pytest.approx(20, rel=0.12)


def test_robust_to_one_outlier():
    model = _model()
    for _ in range(60):
        model.observe("C", 10.0)
    before = model.mean("C")
    model.observe("C", 300.0)
    assert model.mean("C") < before * 1.25


def test_learns_a_time_of_day_effect_shrunk_toward_one():
    model = _model(hour_prior_weight=30)
    rng = random.Random(5)
    model.observe("C", 15.0, at=16 * 60 + 5)
    assert model.multiplier(at=16 * 60) == pytest.approx(1.0, abs=0.05)  # one data point
    for day in range(40):
        for hour, factor in ((9, 1.0), (10, 1.0), (16, 1.5)):
            for _ in range(3):
                d = 10 * factor * rng.lognormvariate(-0.02, 0.2)
                model.observe("C", d, counter=f"G{day % 3}", at=hour * 60 + 10)
    ratio = model.mean("C", at=16 * 60 + 30) / model.mean("C", at=10 * 60)
    assert ratio == pytest.approx(1.5, rel=0.15)


def test_learns_a_slow_counter():
    model = _model()
    rng = random.Random(8)
    for _ in range(200):
        model.observe("C", 10 * rng.lognormvariate(0, 0.2), counter="fast")
        model.observe("C", 16 * rng.lognormvariate(0, 0.2), counter="slow")
    assert model.mean("C", counter="slow") / model.mean("C", counter="fast") == pytest.approx(
        1.6, rel=0.15)


def test_no_show_rate_learned():
    model = _model()
    assert model.no_show_rate == pytest.approx(0.1)
    for i in range(300):
        model.observe_call(no_show=i % 4 == 0)
    assert model.no_show_rate == pytest.approx(0.25, abs=0.04)


def test_rejects_non_positive_durations():
    with pytest.raises(ValueError):
        _model().observe("C", 0)


def test_conditional_remaining_matches_monte_carlo():
    mu, sigma, elapsed = math.log(10), 0.6, 12.0
    rng = random.Random(11)
    sample = [t - elapsed for t in (rng.lognormvariate(mu, sigma) for _ in range(200_000))
              if t > elapsed]
    assert lognormal_remaining(mu, sigma, elapsed) == pytest.approx(
        statistics.fmean(sample), rel=0.02)
    assert lognormal_remaining(mu, sigma, 0) == pytest.approx(math.exp(mu + sigma**2 / 2))


def test_remaining_exceeds_mean_minus_elapsed_and_has_a_floor():
    model = _model()
    mean = model.mean("C")
    assert model.remaining("C", 8.0) > mean - 8.0
    assert model.remaining("C", 500.0) >= MIN_REMAINING_MINUTES


# -- the forward simulation ----------------------------------------------------------------


def test_one_idle_counter_serves_in_order():
    waits = estimate_waits(
        _snap([_w("C001", 1), _w("C002", 2), _w("C003", 3)], [CounterState("G1", frozenset("C"))]),
        _model(), draws=1)
    assert waits == pytest.approx({"C001": 0.0, "C002": 10.0, "C003": 20.0})


def test_two_counters_halve_the_wait():
    counters = [CounterState("G1", frozenset("C")), CounterState("G2", frozenset("C"))]
    waits = estimate_waits(_snap([_w(f"C00{i}", i) for i in range(1, 6)], counters), _model(),
                           draws=1)
    assert waits["C005"] == pytest.approx(20.0)


def test_no_counter_for_the_service_gives_none():
    waits = estimate_waits(
        _snap([_w("C001", 1), _w("Q001", 2, "Q")], [CounterState("G1", frozenset("Q"))]),
        _model())
    assert waits["C001"] is None
    assert waits["Q001"] == 0.0


def test_busy_counter_uses_the_conditional_remaining_time():
    model = _model()
    snap = _snap([_w("C001", 1)], [CounterState("G1", frozenset("C"))],
                 in_service=[InService("C000", "C", "G1", 7.0)])
    waits = estimate_waits(snap, model, draws=1)
    assert waits["C001"] == pytest.approx(model.remaining("C", 7.0, "G1", NOW - 7))
    assert waits["C001"] > 10.0 - 7.0


def test_first_of_several_busy_counters_is_sooner_than_the_soonest_expected():
    counters = [CounterState(f"G{i}", frozenset("C")) for i in range(3)]
    busy = [InService(f"C90{i}", "C", f"G{i}", 2.0) for i in range(3)]
    snap = _snap([_w("C001", 1)], counters, in_service=busy)
    single = estimate_waits(snap, _model(), draws=1)["C001"]
    drawn = estimate_waits(snap, _model(), draws=16)["C001"]
    assert drawn < 0.8 * single


def test_priority_ticket_is_estimated_first():
    waiting = [_w("C001", 1), _w("C002", 2), _w("C003", 3, priority=True)]
    waits = estimate_waits(_snap(waiting, [CounterState("G1", frozenset("C"))]), _model(),
                           draws=1)
    assert waits["C003"] == 0.0
    assert waits["C001"] == pytest.approx(10.0)


def test_expected_no_shows_shorten_the_work_ahead():
    waiting = [_w("C001", 1), _w("C002", 2), _w("C003", 3)]
    counters = [CounterState("G1", frozenset("C"))]
    model = _model(grace_minutes=2.0)
    none = estimate_waits(_snap(waiting, counters, no_show_rate=0.0), model, draws=1)
    half = estimate_waits(_snap(waiting, counters, no_show_rate=0.5), model, draws=1)
    assert half["C003"] == pytest.approx(2 * (0.5 * 10 + 0.5 * 2))
    assert half["C003"] < none["C003"]


def test_a_closing_counter_hands_over_to_one_opening_later():
    counters = [
        CounterState("G1", frozenset("C"), closes_at=NOW + 15),
        CounterState("G2", frozenset("C"), opens_at=NOW + 30),
    ]
    waiting = [_w("C001", 1), _w("C002", 2), _w("C003", 3)]
    waits = estimate_waits(_snap(waiting, counters), _model(), draws=1)
    assert waits == pytest.approx({"C001": 0.0, "C002": 10.0, "C003": 30.0})


def test_counter_serving_two_services_takes_the_oldest_ticket():
    counters = [CounterState("G1", frozenset("CQ"))]
    waiting = [_w("C001", 1), _w("Q001", 2, "Q"), _w("C002", 3)]
    waits = estimate_waits(_snap(waiting, counters), _model(), draws=1)
    assert waits == pytest.approx({"C001": 0.0, "Q001": 10.0, "C002": 15.0})


def test_only_opening_later_counts_from_the_opening():
    waits = estimate_waits(
        _snap([_w("C001", 1)], [CounterState("G1", frozenset("C"), opens_at=NOW + 20)]),
        _model())
    assert waits["C001"] == pytest.approx(20.0)


def test_deterministic():
    counters = [CounterState("G1", frozenset("CQ")), CounterState("G2", frozenset("C"))]
    busy = [InService("C000", "C", "G1", 3.0), InService("Q000", "Q", "G2", 1.0)]
    waiting = [_w(f"C{i:03d}", i, priority=i % 5 == 0) for i in range(1, 20)]
    snap = _snap(waiting, counters, in_service=busy, no_show_rate=0.1)
    assert estimate_waits(snap, _model()) == estimate_waits(snap, _model())


def test_empty_queue():
    assert estimate_waits(_snap([], [CounterState("G1", frozenset("C"))]), _model()) == {}
