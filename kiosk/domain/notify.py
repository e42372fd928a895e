"""When "your turn is near" becomes true (the SMS trigger).

The server evaluates the rule after every queue change and every minute and, the first time
it is true for a ticket with a phone number, inserts the SMS row in the same transaction
(DESIGN.md, SMS).

``near_by_time`` (the rule): the call may come within the lead (15 minutes) with
probability at least ``NEAR_QUANTILE``, read from the forward simulation's runs
(``call_cdf``): the SMS should reach the phone 8-25 minutes before the call, almost never
later than 5 minutes before it. ``near_at_issue``: the rule is already true
when the ticket is issued; the kiosk then says "stay in the hall, you will be called in a
few minutes" and no "near" SMS is sent (only "it's your turn" at the call).

``near_turn`` is the previous rule (estimate or position), kept for old callers.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from kiosk.domain.estimation import DEFAULT_HIGH_Q, DEFAULT_LOW_Q, CallEstimate

DEFAULT_LEAD_MINUTES = 15.0
DEFAULT_THRESHOLD_MINUTES = 15.0
DEFAULT_MAX_POSITION = 3
# The chance of a call within the lead that sends the SMS, chosen on simulated days and
# checked on others (docs/queues.md).
NEAR_QUANTILE = 0.15
# "Stay in the hall" at issue: the call likely (p65) comes within the lead; tuned on the
# simulator: told "stay" then waited > 20 min ~3 %, "near" SMS late (< 5 min) <= 2 %.
AT_ISSUE_QUANTILE = 0.65

_NORMAL = NormalDist()


def _lognormal_cdf(mean: float, variance: float, x: float) -> float:
    """P(X <= x) for the lognormal X with this mean and variance."""
    if mean <= 1e-9 or x >= math.inf:
        return 1.0
    if x <= 0:
        return 0.0
    s2 = math.log1p(variance / (mean * mean))
    if s2 <= 0:
        return 1.0 if mean <= x else 0.0
    return _NORMAL.cdf((math.log(x / mean) + s2 / 2) / math.sqrt(s2))


def call_cdf(estimate: CallEstimate, minutes: float) -> float | None:
    """P(the call comes within ``minutes``). From the forward simulation's runs when the
    estimate has them: the mixture of one lognormal per run (mean and variance of that
    run); else from the lognormal through low and high. None when unreachable."""
    if not estimate.reachable or estimate.low is None or estimate.high is None:
        return None
    if estimate.runs:
        return math.fsum(_lognormal_cdf(m, v, minutes)
                         for m, v in estimate.runs) / len(estimate.runs)
    if estimate.low <= 0 or estimate.high <= 0:
        return 1.0
    if minutes <= 0:
        return 0.0
    z_low, z_high = _NORMAL.inv_cdf(DEFAULT_LOW_Q), _NORMAL.inv_cdf(DEFAULT_HIGH_Q)
    a, b = math.log(estimate.low), math.log(estimate.high)
    if b <= a:
        return 1.0 if estimate.low <= minutes else 0.0
    return _NORMAL.cdf(z_low + (math.log(minutes) - a) * (z_high - z_low) / (b - a))


def call_quantile(estimate: CallEstimate, q: float) -> float | None:
    """The ``q`` quantile of the call time: of the runs' mixture when the estimate has
    them (``call_cdf``), else of the lognormal through the estimate's low and high
    (computed with the default quantiles of ``estimate_calls``)."""
    if not estimate.reachable or estimate.low is None or estimate.high is None:
        return None
    if estimate.runs:
        return _mixture_quantile(estimate, q)
    if q == DEFAULT_LOW_Q:
        return estimate.low
    if q == DEFAULT_HIGH_Q:
        return estimate.high
    if estimate.low <= 0 or estimate.high <= 0:
        return 0.0
    z_low, z_high = _NORMAL.inv_cdf(DEFAULT_LOW_Q), _NORMAL.inv_cdf(DEFAULT_HIGH_Q)
    a, b = math.log(estimate.low), math.log(estimate.high)
    slope = (b - a) / (z_high - z_low)
    return math.exp(a + slope * (_NORMAL.inv_cdf(q) - z_low))


def _mixture_quantile(estimate: CallEstimate, q: float) -> float:
    """Bisection on ``call_cdf`` (increasing in the minutes), to 0.01 min."""
    lo, hi = 0.0, max(m + 10 * math.sqrt(v) for m, v in estimate.runs) + 1.0
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        if (call_cdf(estimate, mid) or 0.0) >= q:
            hi = mid
        else:
            lo = mid
    return hi


def near_by_time(estimate: CallEstimate, lead_minutes: float = DEFAULT_LEAD_MINUTES,
                 quantile: float = NEAR_QUANTILE) -> bool:
    """True when the call may come within ``lead_minutes``: with probability at least
    ``quantile`` (its ``quantile`` quantile is within the lead). An unreachable ticket is
    never near."""
    chance = call_cdf(estimate, lead_minutes)
    return chance is not None and chance >= quantile


def near_at_issue(estimate: CallEstimate, lead_minutes: float = DEFAULT_LEAD_MINUTES,
                  quantile: float = AT_ISSUE_QUANTILE) -> bool:
    """True when, at issue, the visitor is in fact next: the call will very likely come
    within the lead (its ``quantile``, p65 by default, is): the kiosk tells the visitor to
    stay, no "near" SMS is sent (only "it's your turn" at the call). A ticket whose turn
    only *may* come within the lead (the near rule true, not this) gets its "near" SMS at
    once, with its estimate: it may go out, not far."""
    return near_by_time(estimate, lead_minutes, quantile)


def near_turn(
    estimate_minutes: float | None,
    position: int,
    threshold_minutes: float = DEFAULT_THRESHOLD_MINUTES,
    max_position: int = DEFAULT_MAX_POSITION,
) -> bool:
    """The previous rule: true when the estimated wait is at most ``threshold_minutes`` or
    the ticket has at most ``max_position`` tickets ahead of it (``position`` counts
    tickets ahead, 0 = next). A None estimate falls back to the position rule."""
    if position < 0:
        raise ValueError("position cannot be negative")
    if position <= max_position:
        return True
    return estimate_minutes is not None and estimate_minutes <= threshold_minutes
