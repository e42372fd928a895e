"""When "your turn is near" becomes true (the SMS trigger).

The server evaluates this after every queue change and, the first time it is true for a
ticket with a phone number, inserts the SMS row in the same transaction (DESIGN.md, SMS).
"""

from __future__ import annotations

DEFAULT_THRESHOLD_MINUTES = 15.0
DEFAULT_MAX_POSITION = 3


def near_turn(
    estimate_minutes: float | None,
    position: int,
    threshold_minutes: float = DEFAULT_THRESHOLD_MINUTES,
    max_position: int = DEFAULT_MAX_POSITION,
) -> bool:
    """True when the estimated wait is at most ``threshold_minutes`` or the ticket has at
    most ``max_position`` tickets ahead of it (``position`` counts tickets ahead, 0 = next).

    A None estimate (no open counter serves the service) falls back to the position rule.
    """
    if position < 0:
        raise ValueError("position cannot be negative")
    if position <= max_position:
        return True
    return estimate_minutes is not None and estimate_minutes <= threshold_minutes
