"""Content push by long-poll: hold a kiosk's request until its site's cursor moves.

A waiting request only reads the site's `ContentVersion.seq` (one indexed row) every
`POLL_SECONDS`, in autocommit (no transaction is held while sleeping), and within one process
the waiters of a site share each read for `SHARE_SECONDS`: fifty kiosks of one site waiting in
one gunicorn worker cost two small SELECTs a second, not a hundred. Reading the database
(rather than a signal or a process-local condition) is what makes a save in any worker, in
the back-office or in `manage shell`, wake the waiters of every worker, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import threading
import time

from django.db import close_old_connections, connection

from kiosk.server.content.models import ContentVersion

MAX_WAIT_SECONDS = 25.0  # under nginx's proxy_read_timeout (75 s) and gunicorn's --timeout 60
POLL_SECONDS = 0.5
SHARE_SECONDS = 0.4

_lock = threading.Lock()
_seen: dict[int, tuple[float, int]] = {}  # site id -> (monotonic time read, seq)
_clock = time.monotonic  # tests replace these two
_sleep = time.sleep


def read_cursor(site_id: int) -> int:
    """The site's cursor, straight from the database."""
    seq = ContentVersion.objects.filter(site_id=site_id).values_list("seq", flat=True).first() or 0
    with _lock:
        _seen[site_id] = (_clock(), seq)
    return seq


def shared_cursor(site_id: int, max_age: float = SHARE_SECONDS) -> int:
    """The site's cursor as read by this process at most `max_age` s ago."""
    with _lock:
        hit = _seen.get(site_id)
    if hit is not None and 0 <= _clock() - hit[0] < max_age:
        return hit[1]
    return read_cursor(site_id)


def wait_for_change(
    site_id: int,
    since: int | None,
    wait: float,
    poll: float = POLL_SECONDS,
) -> tuple[int, bool]:
    """(cursor, changed): at once when the site's cursor differs from `since` (or the kiosk
    holds none), else when it changes or after `wait` s (capped at MAX_WAIT_SECONDS)."""
    cursor = read_cursor(site_id)  # the first look is always fresh
    if since is None or cursor != since:
        return cursor, True
    deadline = _clock() + max(0.0, min(wait, MAX_WAIT_SECONDS))
    while True:
        remaining = deadline - _clock()
        if remaining <= 0:
            return cursor, False
        # Between two looks, give back a connection that is broken or past CONN_MAX_AGE
        # (never inside a transaction: tests run views in one).
        if not connection.in_atomic_block:
            close_old_connections()
        _sleep(min(poll, remaining))
        cursor = shared_cursor(site_id)
        if cursor != since:
            return cursor, True


def forget(site_id: int) -> None:
    """Drop this process's shared read of the site's cursor (a change just committed): its
    waiters read the database at their next look."""
    with _lock:
        _seen.pop(site_id, None)
