"""How long tests wait, in one place: hang guards, never timing assumptions.

CI runs nine suites at once on two cores, so a test process can be starved for ~10 s at a
time. A wait for something expected to happen ends as soon as it happens; its guard only
matters when the test is failing anyway, so it is generous.
"""

from __future__ import annotations

import time
from collections.abc import Callable

GUARD = 120.0  # s: the longest wait for a condition expected to become true
LIVE_TIMEOUT = 60.0  # s: HTTP timeout towards a live loopback server (busy is slow, not gone)
NEVER = 3600.0  # s: an interval or delay a test must not reach: what it awaits comes first


def wait_until(condition: Callable[[], object], timeout: float = GUARD,
               step: float = 0.01) -> bool:
    """Poll `condition` until it holds (True) or `timeout` s pass (its last value's truth)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return bool(condition())
        time.sleep(step)
    return True
