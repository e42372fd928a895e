"""Wait estimation. The naive estimate is the baseline better estimators are measured against."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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


# -- what a visitor is told -------------------------------------------------------------------

ESTIMATED = "estimated"  # a number (or a range when it is wide)
SOON = "soon"  # the turn is already within the SMS lead: stay in the hall
NOT_TODAY = "not_today"  # no counter session today can reach the ticket before closing
UNKNOWN = "unknown"  # no estimate at all (offline, nothing known)
WAIT_STATUSES = (ESTIMATED, SOON, NOT_TODAY, UNKNOWN)

WIDE_RANGE_MINUTES = 10  # a p20-p80 range at least this wide is shown as "20 à 35 min"


@dataclass(frozen=True)
class ShownWait:
    """A wait as shown on the kiosk, the phone page and the printed ticket: whole minutes."""

    status: str
    minutes: int | None = None
    low: int | None = None
    high: int | None = None

    @property
    def wide(self) -> bool:
        """Show the range rather than one number."""
        return (self.status == ESTIMATED and self.low is not None and self.high is not None
                and self.high - self.low >= WIDE_RANGE_MINUTES)


def _whole(value: float | None) -> int | None:
    return None if value is None else max(0, math.ceil(value))


def shown_wait(mean: float | None, low: float | None, high: float | None, reachable: bool,
               *, soon: bool = False) -> ShownWait:
    """The wait to show for an estimate (minutes from now): `soon` when the turn is already
    within the SMS lead (notify.near_at_issue), NOT_TODAY when unreachable before closing."""
    if not reachable:
        return ShownWait(NOT_TODAY)
    if mean is None:
        return ShownWait(UNKNOWN)
    if soon:
        return ShownWait(SOON, _whole(mean), _whole(low), _whole(high))
    lo, hi = _whole(low), _whole(high)
    whole = _whole(mean)
    # A range always holds the number it stands for.
    if lo is not None and hi is not None and whole is not None:
        lo, hi = min(lo, whole), max(hi, whole)
    return ShownWait(ESTIMATED, whole, lo, hi)


def shown_from_wire(data: Mapping[str, Any]) -> ShownWait:
    """The ShownWait of an API answer (a ticket or a service's queue status); an older
    server sends no `wait_status`: a number is then an estimate, none is unknown."""
    minutes = data.get("estimated_wait_minutes")
    status = data.get("wait_status")
    if status not in WAIT_STATUSES:
        status = ESTIMATED if minutes is not None else UNKNOWN
    return ShownWait(status, minutes, data.get("wait_low_minutes"), data.get("wait_high_minutes"))


def wait_words(shown: ShownWait) -> tuple[str, dict[str, int | None]]:
    """The kiosk catalog key and fields that say this wait on a ticket (screen and paper)."""
    if shown.status == SOON:
        return "wait_soon", {}
    if shown.status == NOT_TODAY:
        return "wait_not_today", {}
    if shown.minutes is None:
        return "wait_unknown", {}
    if shown.wide:
        return "wait_range", {"low": shown.low, "high": shown.high}
    if shown.minutes <= 1:
        return "wait_now", {}
    return "wait_estimate", {"minutes": shown.minutes}
