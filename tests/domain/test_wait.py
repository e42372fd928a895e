"""The naive wait estimate: position × mean service time ÷ open counters, rounded up."""

from __future__ import annotations

import pytest

from kiosk.domain.wait import naive_wait_minutes


@pytest.mark.parametrize(
    "position,mean,counters,expected",
    [
        (0, 10.0, 1, 0),  # next in line: no wait
        (1, 10.0, 1, 10),
        (3, 10.0, 1, 30),
        (3, 10.0, 2, 15),
        (3, 10.0, 4, 8),  # 7.5 rounds up
        (1, 0.5, 1, 1),  # 0.5 rounds up to a whole minute
        (5, 7.0, 3, 12),  # 11.67 -> 12
        (10, 6.0, 3, 20),  # exact division stays exact
    ],
)
def test_naive_estimate(position, mean, counters, expected):
    assert naive_wait_minutes(position, mean, counters) == expected


def test_result_is_an_int():
    assert isinstance(naive_wait_minutes(3, 7.5, 2), int)


@pytest.mark.parametrize("counters", [0, -1])
def test_no_open_counter_means_unknown(counters):
    assert naive_wait_minutes(4, 10.0, counters) is None


def test_negative_position_is_refused():
    with pytest.raises(ValueError, match="negative"):
        naive_wait_minutes(-1, 10.0, 1)


def test_more_counters_never_lengthen_the_wait():
    waits = [naive_wait_minutes(12, 9.0, n) for n in range(1, 8)]
    assert waits == sorted(waits, reverse=True)
    assert waits[0] > waits[-1]


def test_the_wait_grows_with_the_position():
    waits = [naive_wait_minutes(p, 9.0, 2) for p in range(0, 20)]
    assert waits == sorted(waits)
    assert waits[0] == 0 < waits[-1]
