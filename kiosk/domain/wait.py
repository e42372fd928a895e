"""Wait estimation. The naive estimate is the baseline better estimators are measured against."""

from __future__ import annotations

import math


def naive_wait_minutes(position: int, mean_service_minutes: float, open_counters: int) -> int | None:
    """position × mean service time ÷ open counters, rounded up to whole minutes.

    `position` counts the tickets ahead (0 = next). None when no counter is open:
    the honest answer is "unknown", not infinity.
    """
    if position < 0:
        raise ValueError("position cannot be negative")
    if open_counters <= 0:
        return None
    return math.ceil(position * mean_service_minutes / open_counters)
