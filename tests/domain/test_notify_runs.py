"""The "near" rule read from the forward simulation's runs (issue 11): the call time's
distribution is the mixture of the runs, not one lognormal through p20 / p80."""

from __future__ import annotations

import math
import statistics
from statistics import NormalDist

import pytest

from kiosk.domain.estimation import (
    CallEstimate,
    CounterState,
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    estimate_calls,
)
from kiosk.domain.notify import NEAR_QUANTILE, call_cdf, call_quantile, near_by_time
from kiosk.domain.priority import WaitingTicket

NOW = 600.0


def _lognormal_through(runs: tuple[tuple[float, float], ...]) -> CallEstimate:
    """The estimate as a single lognormal would summarize the runs: their mean and total
    variance (between and within), p20 and p80 of the lognormal with those moments."""
    mean = statistics.fmean(m for m, _ in runs)
    var = statistics.fmean(v + m * m for m, v in runs) - mean * mean
    s2 = math.log1p(var / (mean * mean))
    mu, s = math.log(mean) - s2 / 2, math.sqrt(s2)
    z = NormalDist().inv_cdf(0.8)
    return CallEstimate(mean, math.exp(mu - s * z), math.exp(mu + s * z), True, runs)


def _bimodal() -> CallEstimate:
    """Next in line behind a file that may end now or last long: a fifth of the runs call
    it in about 2 minutes, the rest in about 40."""
    return _lognormal_through(((2.0, 0.25),) * 4 + ((40.0, 9.0),) * 16)


def test_cdf_of_the_runs_is_their_mixture():
    estimate = _bimodal()
    assert call_cdf(estimate, 15) == pytest.approx(0.2, abs=0.01)
    assert call_cdf(estimate, 1) == pytest.approx(0.0, abs=0.01)
    assert call_cdf(estimate, 60) == pytest.approx(1.0, abs=0.01)


def test_a_likely_quick_call_sends_the_sms_the_lognormal_would_not():
    estimate = _bimodal()
    # The lognormal through p20 / p80 puts little chance under 15 min...
    lognormal = CallEstimate(estimate.mean, estimate.low, estimate.high, True)
    assert call_cdf(lognormal, 15) < NEAR_QUANTILE
    assert not near_by_time(lognormal)
    # ...the runs say a fifth of the futures call it within 2 minutes: near.
    assert near_by_time(estimate)


def test_a_spread_estimate_whose_runs_all_come_late_is_not_near():
    estimate = CallEstimate(34.0, 12.0, 45.0, True, ((28.0, 16.0),) * 8 + ((40.0, 36.0),) * 8)
    assert near_by_time(CallEstimate(34.0, 12.0, 45.0, True))  # p20 = 12: the lognormal
    assert not near_by_time(estimate)


def test_quantile_inverts_the_cdf():
    estimate = _bimodal()
    for q in (0.1, 0.2, 0.5, 0.9):
        value = call_quantile(estimate, q)
        assert value is not None
        assert call_cdf(estimate, value) == pytest.approx(q, abs=0.01)


def test_without_runs_cdf_and_quantile_agree_with_the_lognormal():
    estimate = CallEstimate(22.0, 14.0, 30.0, True)
    assert call_cdf(estimate, 14.0) == pytest.approx(0.2)
    assert call_cdf(estimate, 30.0) == pytest.approx(0.8)
    assert call_cdf(estimate, math.sqrt(14.0 * 30.0)) == pytest.approx(0.5)
    assert call_cdf(CallEstimate(0.0, 0.0, 0.0, True), 5) == 1.0
    assert call_cdf(CallEstimate(None, None, None, False), 5) is None


def test_estimate_calls_keeps_the_runs():
    """A busy counter's service may end at once or run long: the runs differ, their
    average is the mean, and the runs do not take part in equality."""
    model = ServiceTimeModel({"C": 10.0})
    waiting = {"C": [WaitingTicket("C1", "C", NOW - 5), WaitingTicket("C2", "C", NOW - 4)]}
    snap = QueueSnapshot(now=NOW, waiting=waiting,
                         counters=[CounterState("G1", frozenset({"C"}))],
                         in_service=[InService("C0", "C", "G1", 3.0)])
    calls = estimate_calls(snap, model)
    for estimate in calls.values():
        assert len(estimate.runs) == 16
        assert statistics.fmean(m for m, _ in estimate.runs) == pytest.approx(estimate.mean)
        assert max(m for m, _ in estimate.runs) > 2 * min(m for m, _ in estimate.runs)
        assert all(v > 0 for _, v in estimate.runs)
    c1 = calls["C1"]
    assert c1 == CallEstimate(c1.mean, c1.low, c1.high, True)
