"""Content push by long-poll: hold a kiosk's request until its site's cursor moves.

The long-poll view is async (kiosk/server/asgi.py, uvicorn workers): a waiting kiosk is a
coroutine parked on an `asyncio.Event`, not a thread, and holds no database connection.

One hub per event loop (per server process) watches the sites that have waiters: it reads
their `ContentVersion.seq` in one query every `POLL_SECONDS` and wakes the waiters of each
site whose cursor moved. A save in this process pokes the hub at once (`forget`, on commit);
on PostgreSQL the save also sends `NOTIFY carrefour_content` and every process's hub LISTENs,
so a save on another machine wakes the waiters within milliseconds. The periodic read stays
as the safety net (a lost LISTEN connection, SQLite, a write made by raw SQL): reading the
database is what makes any writer, anywhere, wake every waiter. Those reads are shared:
a kiosk coming back with the cursor the hub read less than SHARE_SECONDS ago parks without
a query of its own (after an edit a site's kiosks all come back at once).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import threading
import time
import weakref

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

from kiosk.server.content.models import ContentVersion

log = logging.getLogger(__name__)

# Each wait is held 80-100 % of its length: the kiosks an edit woke at once (or that all
# connected at once) would otherwise all time out at once, 25 s later, and again every 25 s:
# herds of 500 re-polls (the load bench with no edit in its phase 2, one run each: ticket
# creation p99 11.2 s without the spread, 4.7 s with it; /health 7.6 s, 2.8 s).
WAIT_SPREAD = 0.2
MAX_WAIT_SECONDS = 25.0  # under nginx's proxy_read_timeout (75 s) and gunicorn's --timeout 60
POLL_SECONDS = 0.5
SHARE_SECONDS = 0.4
CHANNEL = "carrefour_content"  # PostgreSQL NOTIFY channel; the payload is the site id

_lock = threading.Lock()
_seen: dict[int, tuple[float, int]] = {}  # site id -> (monotonic time read, seq)
_clock = time.monotonic  # tests replace it
_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> _Hub
waiters_changed = threading.Condition()  # notified when a wait starts or ends (tests, metrics)


def waiting(site_id: int | None = None) -> int:
    """How many long-polls this process holds (of one site, or of all)."""
    return sum(hub.waiting.get(site_id, 0) if site_id is not None else hub.waiters()
               for hub in list(_hubs.values()))


def _count_changed() -> None:
    with waiters_changed:
        waiters_changed.notify_all()


def read_cursor(site_id: int) -> int:
    """The site's cursor, straight from the database."""
    seq = ContentVersion.objects.filter(site_id=site_id).values_list("seq", flat=True).first() or 0
    with _lock:
        _seen[site_id] = (_clock(), seq)
    return seq


def recent_cursor(site_id: int, max_age: float = SHARE_SECONDS) -> int | None:
    """The site's cursor as read by this process at most `max_age` s ago (no query), or
    None. A save in this process drops it (`forget`)."""
    with _lock:
        hit = _seen.get(site_id)
    if hit is not None and 0 <= _clock() - hit[0] < max_age:
        return hit[1]
    return None


def read_cursors(site_ids: list[int]) -> dict[int, int]:
    """The cursors of several sites in one query (a site without a version row is at 0)."""
    found = dict(ContentVersion.objects.filter(site_id__in=site_ids).values_list("site_id", "seq"))
    cursors = {site_id: found.get(site_id, 0) for site_id in site_ids}
    now = _clock()
    with _lock:
        _seen.update((site_id, (now, seq)) for site_id, seq in cursors.items())
    return cursors


def _release_connection() -> None:
    """Give the connection back (to the pool, under ASGI) before a wait: a waiting kiosk must
    not hold one. Never inside a transaction (tests run views in one)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _fresh_cursor(site_id: int) -> int:
    try:
        return read_cursor(site_id)
    finally:
        _release_connection()


def _fresh_cursors(site_ids: list[int]) -> dict[int, int]:
    try:
        return read_cursors(site_ids)
    finally:
        _release_connection()


async def await_change(site_id: int, since: int | None, wait: float) -> tuple[int, bool]:
    """(cursor, changed): at once when the site's cursor differs from `since` (or the kiosk
    holds none), else when it changes or after `wait` s (capped at MAX_WAIT_SECONDS), less
    up to WAIT_SPREAD of it, at random."""
    # The first look: the hub's read of the last SHARE_SECONDS when it says "no change"
    # (after an edit, the site's kiosks all come back at once: no query, no thread for
    # them); a fresh read before any answer. A save in the meantime wakes them at the
    # hub's next read, half a second at most.
    recent = recent_cursor(site_id)
    if recent is not None and recent == since:
        cursor, fresh = recent, False
    else:
        cursor, fresh = await sync_to_async(_fresh_cursor)(site_id), True
    if since is None or cursor != since:
        return cursor, True
    timeout = max(0.0, min(wait, MAX_WAIT_SECONDS))
    if timeout <= 0:
        return cursor, False
    timeout *= random.uniform(1.0 - WAIT_SPREAD, 1.0)
    cursor = await _hub().wait(site_id, since, cursor, timeout, fresh=fresh)
    return cursor, cursor != since


_building: dict[tuple, asyncio.Task] = {}  # (event loop id, key) -> the build in flight


async def build_once(key: tuple, build):
    """`build()` (sync: on the long-poll's shared threads, its connection given back after)
    once per key at a time in this process: the kiosks of a site woken by one edit all await
    the first one's build instead of queueing hundreds of builds on the few threads. A waiter
    that goes away (its kiosk hung up) does not cancel the build for the others."""
    flight = (id(asyncio.get_running_loop()), key)
    task = _building.get(flight)
    if task is None:
        task = _building[flight] = asyncio.ensure_future(sync_to_async(_released(build))())
        task.add_done_callback(lambda done: (_building.pop(flight, None),
                                             done.cancelled() or done.exception()))
    return await asyncio.shield(task)


def _released(build):
    def run():
        try:
            return build()
        finally:
            _release_connection()
    return run


def forget(site_id: int) -> None:
    """A change of the site just committed: drop this process's shared read, wake this
    process's hubs now, and tell the other processes (PostgreSQL NOTIFY)."""
    with _lock:
        _seen.pop(site_id, None)
    for loop, hub in list(_hubs.items()):
        try:
            loop.call_soon_threadsafe(hub.poke)
        except RuntimeError:  # that loop is closed (a test client's one-request loop)
            pass
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(site_id)])
        except Exception:  # noqa: BLE001 - the periodic read still wakes the waiters
            log.exception("content push: NOTIFY failed (waiters wake at the next read)")


def _hub() -> _Hub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = _Hub(loop)
    return hub


class _Hub:
    """The waiters of one event loop, and the one task that watches their sites."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.waiting: dict[int, int] = {}  # site id -> how many waiters
        self.cursors: dict[int, int] = {}  # site id -> last cursor read
        self.events: dict[int, asyncio.Event] = {}  # site id -> set when its cursor moves
        self.poked = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.listener: asyncio.Task | None = None

    def waiters(self) -> int:
        return sum(list(self.waiting.values()))  # list(): one C call, safe from other threads

    def poke(self) -> None:
        self.poked.set()

    def _update(self, site_id: int, seq: int) -> None:
        if self.cursors.get(site_id) != seq:
            self.cursors[site_id] = seq
            event = self.events.pop(site_id, None)
            if event is not None:
                event.set()

    async def wait(self, site_id: int, since: int, read: int, timeout: float,
                   fresh: bool = True) -> int:
        # The caller's fresh read is newer than any read of ours still in flight; a shared
        # one may be older than ours: the newer then (cursors only grow).
        self.cursors[site_id] = read if fresh else max(self.cursors.get(site_id, read), read)
        self.waiting[site_id] = self.waiting.get(site_id, 0) + 1
        _count_changed()
        self._start()
        deadline = self.loop.time() + timeout
        try:
            while self.cursors.get(site_id, since) == since:
                remaining = deadline - self.loop.time()
                if remaining <= 0:
                    break
                event = self.events.setdefault(site_id, asyncio.Event())
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    break
            return self.cursors.get(site_id, since)
        finally:
            self.waiting[site_id] -= 1
            if not self.waiting[site_id]:
                del self.waiting[site_id]
            _count_changed()

    def _start(self) -> None:
        # An empty context: the tasks outlive the request that starts them (and its
        # ThreadSensitiveContext); their reads go to the process's shared sync thread.
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._watch(), context=contextvars.Context())
        if (connection.vendor == "postgresql"
                and (self.listener is None or self.listener.done())):
            self.listener = self.loop.create_task(self._listen(), context=contextvars.Context())

    async def _watch(self) -> None:
        """Read the watched sites' cursors every POLL_SECONDS (or at once when poked)."""
        while self.waiting:
            self.poked.clear()
            try:
                for site_id, seq in (await sync_to_async(_fresh_cursors)(list(self.waiting))).items():
                    self._update(site_id, seq)
            except Exception:  # noqa: BLE001 - the database is away: waiters time out
                log.exception("content push: reading the cursors failed")
            try:
                await asyncio.wait_for(self.poked.wait(), POLL_SECONDS)
            except TimeoutError:
                pass

    async def _listen(self) -> None:
        """PostgreSQL: LISTEN on CHANNEL while there are waiters; each NOTIFY pokes the hub."""
        import psycopg

        settings_dict = connection.settings_dict
        params = {k: v for k, v in {
            "dbname": settings_dict["NAME"], "user": settings_dict["USER"],
            "password": settings_dict["PASSWORD"], "host": settings_dict["HOST"],
            "port": settings_dict["PORT"]}.items() if v}
        for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
            if key in settings_dict.get("OPTIONS", {}):
                params[key] = settings_dict["OPTIONS"][key]
        while self.waiting:
            try:
                conn = await psycopg.AsyncConnection.connect(autocommit=True, **params)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.poke()  # a save between our last read and the LISTEN is not lost
                    while self.waiting:
                        async for _ in conn.notifies(timeout=MAX_WAIT_SECONDS):
                            self.poke()
            except Exception:  # noqa: BLE001 - the periodic read carries on meanwhile
                log.warning("content push: LISTEN connection lost; retrying", exc_info=True)
                await asyncio.sleep(5 * POLL_SECONDS)
