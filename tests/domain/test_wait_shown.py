"""What a visitor is told of the wait (kiosk.domain.wait): the same rule for the kiosk's
screens, the printed ticket, the phone page and the API."""

from __future__ import annotations

import pytest

from kiosk.domain.wait import (
    ESTIMATED,
    NOT_TODAY,
    SOON,
    UNKNOWN,
    ShownWait,
    shown_from_wire,
    shown_wait,
    wait_words,
)


def test_a_narrow_estimate_is_one_number():
    shown = shown_wait(12.2, 9.0, 16.0, True)
    assert shown == ShownWait(ESTIMATED, 13, 9, 16)
    assert not shown.wide
    assert wait_words(shown) == ("wait_estimate", {"minutes": 13})


def test_a_wide_estimate_is_a_range_that_holds_its_number():
    shown = shown_wait(27.0, 19.5, 36.1, True)
    assert shown.wide
    assert wait_words(shown) == ("wait_range", {"low": 20, "high": 37})
    # Rounding never leaves the number outside its own range.
    odd = shown_wait(30.2, 31.0, 45.0, True)
    assert odd.low <= odd.minutes <= odd.high


def test_unreachable_is_not_today_whatever_the_numbers():
    assert shown_wait(None, None, None, False) == ShownWait(NOT_TODAY)
    assert wait_words(ShownWait(NOT_TODAY)) == ("wait_not_today", {})


def test_soon_says_stay_in_the_hall():
    shown = shown_wait(6.0, 2.0, 11.0, True, soon=True)
    assert shown.status == SOON and shown.minutes == 6
    assert not shown.wide  # a range is for an estimate, not for "stay"
    assert wait_words(shown) == ("wait_soon", {})


def test_no_estimate_is_unknown_and_a_minute_is_now():
    assert wait_words(shown_wait(None, None, None, True)) == ("wait_unknown", {})
    assert wait_words(shown_wait(0.4, 0.0, 1.0, True)) == ("wait_now", {})


@pytest.mark.parametrize("wire, expected", [
    ({"estimated_wait_minutes": 14}, ShownWait(ESTIMATED, 14)),  # an older server
    ({"estimated_wait_minutes": None}, ShownWait(UNKNOWN)),
    ({"estimated_wait_minutes": None, "wait_status": "not_today"}, ShownWait(NOT_TODAY)),
    ({"estimated_wait_minutes": 30, "wait_status": "estimated", "wait_low_minutes": 20,
      "wait_high_minutes": 41}, ShownWait(ESTIMATED, 30, 20, 41)),
    ({"estimated_wait_minutes": 4, "wait_status": "bogus"}, ShownWait(ESTIMATED, 4)),
])
def test_the_api_answer_is_read_back(wire, expected):
    assert shown_from_wire(wire) == expected
