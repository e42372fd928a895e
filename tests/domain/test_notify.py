"""The "your turn is near" rule."""

from __future__ import annotations

import pytest

from kiosk.domain.notify import near_turn


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
