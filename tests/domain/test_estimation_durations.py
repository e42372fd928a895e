"""The time left of a ticket in service, read from the service's learned durations."""

from __future__ import annotations

import math

import pytest

from kiosk.domain.estimation import (
    CounterState,
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    estimate_calls,
    lognormal_remaining,
)
from kiosk.domain.priority import WaitingTicket
from kiosk.domain.service_times import GapDistribution

NOW = 600.0


def _mixture_model() -> ServiceTimeModel:
    """A service that is a mixture: half "missing document" exits of 1 min, half 20-min files."""
    model = ServiceTimeModel({"C": 10.0})
    for i in range(300):
        model.observe("C", 1.0 if i % 2 else 20.0)
    return model


def test_before_any_data_the_lognormal_prior_is_used():
    model = ServiceTimeModel({"C": 10.0})
    mu, sigma = model.log_params("C")
    # The prior stands as 40 stratified quantiles: its conditional mean, within a few %.
    assert model.remaining("C", 0.0) == pytest.approx(10.0, rel=0.05)
    assert model.remaining("C", 8.0) == pytest.approx(lognormal_remaining(mu, sigma, 8.0),
                                                      rel=0.1)


def test_time_left_follows_the_learned_mixture_not_a_lognormal():
    model = _mixture_model()
    # 5 minutes in, the visitor was not a quick exit: a 20-min file, 15 min left.
    assert model.remaining("C", 5.0) == pytest.approx(15.0, abs=1.0)
    # The lognormal fitted to the same durations says otherwise (what the model used before).
    mu, sigma = model.log_params("C")
    assert abs(lognormal_remaining(mu, sigma, 5.0) - 15.0) > 3.0
    # Half a minute in, a quick exit is still as likely as a long file.
    low, high = model.remaining_quantiles("C", 0.5, [0.25, 0.75])
    assert low < 1.0
    assert high == pytest.approx(19.5, abs=0.5)
    assert model.survival("C", 5.0) == pytest.approx(0.5, abs=0.03)


def test_an_overrun_beyond_every_duration_seen_gets_a_tail():
    model = _mixture_model()
    left = model.remaining("C", 60.0)
    assert 1.0 <= left < 30.0


def test_the_estimator_reads_the_time_left_from_the_durations():
    model = _mixture_model()
    snap = QueueSnapshot(now=NOW, waiting={"C": [WaitingTicket("C001", "C", NOW - 5, False)]},
                         counters=[CounterState("G1", frozenset("C"))],
                         in_service=[InService("C000", "C", "G1", 5.0)])
    call = estimate_calls(snap, model, draws=16)["C001"]
    assert call.mean == pytest.approx(15.0, abs=1.5)


def test_conditional_quantiles_of_a_discrete_distribution():
    dist = GapDistribution([(1.0, 0.5), (3.0, 0.25), (9.0, 0.25)])
    assert dist.survival(2.0) == pytest.approx(0.5)
    assert dist.after(2.0, [0.25, 0.75]) == pytest.approx([1.0, 7.0])
    tail = dist.after(20.0, [0.5])[0]  # past every value: the exponential tail
    assert tail > 0 and math.isfinite(tail)
