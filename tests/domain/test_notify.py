"""The "your turn is near" rules: the time rule on a call estimate, and the old one."""

from __future__ import annotations

import pytest

from kiosk.domain.estimation import CallEstimate
from kiosk.domain.notify import call_quantile, near_at_issue, near_by_time, near_turn


def test_near_by_estimate():
    assert near_turn(15, 10)
    assert near_turn(3.5, 50)
    assert not near_turn(15.1, 10)


def test_near_by_position():
    assert near_turn(60, 3)
    assert near_turn(60, 0)
    assert not near_turn(60, 4)


def test_unknown_estimate_falls_back_to_position():
    assert near_turn(None, 2)
    assert not near_turn(None, 4)


def test_thresholds_are_parameters():
    assert near_turn(25, 8, threshold_minutes=30)
    assert not near_turn(10, 2, threshold_minutes=5, max_position=1)
    assert near_turn(10, 1, threshold_minutes=5, max_position=1)


def test_negative_position_is_a_bug():
    with pytest.raises(ValueError):
        near_turn(5, -1)


# -- the time rule on a call estimate -----------------------------------------------------------


def test_near_by_time_looks_at_the_early_quantile_not_the_mean():
    estimate = CallEstimate(mean=22.0, low=14.0, high=30.0, reachable=True)
    assert near_by_time(estimate, 15, quantile=0.2)
    assert not near_by_time(estimate, 13, quantile=0.2)
    assert not near_by_time(estimate, 15, quantile=0.5)  # the median is about 20.5


def test_quantiles_between_and_beyond_low_and_high():
    estimate = CallEstimate(mean=22.0, low=14.0, high=30.0, reachable=True)
    assert call_quantile(estimate, 0.2) == 14.0
    assert call_quantile(estimate, 0.8) == 30.0
    assert call_quantile(estimate, 0.5) == pytest.approx((14.0 * 30.0) ** 0.5)
    assert call_quantile(estimate, 0.05) < 14.0
    assert call_quantile(CallEstimate(0.0, 0.0, 0.0, True), 0.1) == 0.0


def test_an_unreachable_ticket_is_never_near():
    unreachable = CallEstimate(None, None, None, False)
    assert call_quantile(unreachable, 0.2) is None
    assert not near_by_time(unreachable)
    assert not near_at_issue(unreachable)


def test_near_at_issue_is_the_rule_already_true():
    soon = CallEstimate(mean=6.0, low=3.0, high=9.0, reachable=True)
    later = CallEstimate(mean=40.0, low=32.0, high=50.0, reachable=True)
    assert near_at_issue(soon) and near_by_time(soon)
    assert not near_at_issue(later) and not near_by_time(later)
