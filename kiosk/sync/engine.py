"""The sync engine: push the outbox, then pull the content delta, then (about once a minute)
send a heartbeat that says how the kiosk is (version, cursor, outbox, printer, last error,
long-poll failures); about once an hour, forget the outbox rows the server has had long
enough (LocalStore.prune_outbox), so that a kiosk's file does not grow with every ticket.

Runs on a background thread of the kiosk (never the Kivy thread); everything it learns
goes to the UI through callbacks that the UI wraps with its bridge.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.domain.clock import site_today
from kiosk.domain.content import ContentError
from kiosk.localstore import OutboxItem
from kiosk.ports import (
    ContentChanges,
    ContentDelta,
    Json,
    KioskStore,
    KioskTransport,
    TransportError,
)
from kiosk.sync.assets import fetch_assets
from kiosk.sync.transport import backoff_seconds

log = logging.getLogger(__name__)

# Which transport call sends which kind of outbox row.
SENDERS: dict[str, Callable[[KioskTransport, OutboxItem], Json]] = {
    "ticket": lambda t, item: t.create_ticket(item.payload, item.idempotency_key),
    "assistance": lambda t, item: t.request_assistance(item.payload, item.idempotency_key),
    "contribution": lambda t, item: t.submit_contribution(item.payload, item.idempotency_key),
    "feedback": lambda t, item: t.submit_feedback(item.payload, item.idempotency_key),
}


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    content_changed: bool = False
    online: bool = True
    error: str | None = None
    bytes_received: int = 0
    leased: int = 0  # number blocks leased for offline tickets during this sync
    store_failed: bool = False  # the local store raised (disk full...): back off as offline
    started: float = field(default_factory=time.monotonic)


class SyncEngine:
    def __init__(
        self,
        store: KioskStore,
        transport: KioskTransport,
        on_content_changed: Callable[[], None] | None = None,
        on_status: Callable[[SyncReport], None] | None = None,
        heartbeat: Callable[[SyncReport], Json] | None = None,
        heartbeat_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        lease_size: int = 0,
        lease_low: int = 3,
        today: Callable[[], str] | None = None,
        prune_interval: float = 3600.0,
        on_heartbeat: Callable[[Json], None] | None = None,
    ):
        """`heartbeat(report)` builds the heartbeat payload (runs on the sync thread); None
        sends no heartbeat. One is sent after the first sync, then at most every
        `heartbeat_interval` s; the outbox is pruned at the first sync, then at most every
        `prune_interval` s (both on `clock()`)."""
        self.store = store
        self.transport = transport
        self.on_content_changed = on_content_changed or (lambda: None)
        self.on_status = on_status or (lambda report: None)
        self.heartbeat = heartbeat
        self.heartbeat_interval = heartbeat_interval
        # The server's answer to a heartbeat it took (its `update` offer: kiosk/sync/updater.py).
        self.on_heartbeat = on_heartbeat
        self.clock = clock
        self.last_heartbeat: float | None = None  # clock() of the last heartbeat the server took
        self.prune_interval = prune_interval
        self.last_prune: float | None = None  # clock() of the last outbox prune
        # Long-polls that failed with something other than a TransportError (a bug, not the
        # network): logged as errors and reported in every heartbeat.
        self.long_poll_errors = 0
        self.last_long_poll_error: str | None = None
        self._wake = threading.Event()
        self.failures = 0
        # Offline tickets: keep at least `lease_low` leased numbers per ticketing service,
        # asking `lease_size` at a time (0: no leases). `today()` is the kiosk's day.
        self.lease_size = lease_size
        self.lease_low = lease_low
        self.today = today or (lambda: site_today().isoformat())
        self._lease_paused_day: str | None = None

    def wake(self) -> None:
        """Ask for a sync now (a ticket was queued, the network came back...)."""
        self._wake.set()

    def sync_once(self) -> SyncReport:
        report = SyncReport()
        reachable = True  # the server answered something (even an error status)
        try:
            self.store.release_stuck()
            self.store.forget_past_phones(self.today())  # no SMS is due for those any more
            report.pushed = self.push_outbox()
            self.prune_outbox()
            self.pull_content(report)
            fetch_assets(self, report)  # files of `asset` items; never raises (sync/assets.py)
            report.leased = self.top_up_leases()
        except TransportError as exc:
            report.online = False
            report.error = str(exc)
            reachable = exc.status is not None
        except ContentError as exc:
            # The server sent something we cannot trust: keep the last good snapshot.
            report.error = f"content rejected: {exc}"
            log.warning("content payload rejected, keeping last good snapshot: %s", exc)
        except sqlite3.Error as exc:
            # The kiosk's own disk (full, I/O error): the loop keeps running and backs off;
            # a row the server took but not marked sent goes again with its key (a replay).
            report.error = f"local store: {exc}"
            report.store_failed = True
            log.warning("local store failed during sync: %s", exc)
        # After push and pull: the heartbeat carries the new cursor and outbox depth. A server
        # answering errors still hears about them; no network at all skips it (no 2nd timeout).
        if reachable:
            self.send_heartbeat(report)
        if report.content_changed:
            self.on_content_changed()
        self.on_status(report)
        return report

    def send_heartbeat(self, report: SyncReport) -> bool:
        """Send a heartbeat if one is due; True when the server took it. Never raises for the
        network: an old server without /heartbeat (404) or a failure is logged at debug level
        and changes nothing else (report.online stays what the sync found)."""
        if self.heartbeat is None:
            return False
        now = self.clock()
        if self.last_heartbeat is not None and now - self.last_heartbeat < self.heartbeat_interval:
            return False
        try:
            payload = {**self.heartbeat(report), "long_poll_errors": self.long_poll_errors,
                       "last_long_poll_error": self.last_long_poll_error}
        except Exception:  # a bug in the payload must never stop the sync loop
            log.exception("heartbeat payload failed")
            return False
        try:
            answer = self.transport.heartbeat(payload)
        except TransportError as exc:
            log.debug("heartbeat not sent: %s", exc)
            return False
        self.last_heartbeat = now
        if self.on_heartbeat is not None:
            try:
                self.on_heartbeat(answer)
            except Exception:  # the updater must never stop the sync loop
                log.exception("heartbeat answer handler failed")
        return True

    def prune_outbox(self) -> int:
        """Forget the finished outbox rows kept long enough, if the last prune is old."""
        now = self.clock()
        if self.last_prune is not None and now - self.last_prune < self.prune_interval:
            return 0
        pruned = self.store.prune_outbox()
        self.last_prune = now
        if pruned:
            log.info("outbox: %d finished rows forgotten", pruned)
        return pruned

    def push_outbox(self) -> int:
        sent = 0
        claimed = self.store.claim_due()
        for index, item in enumerate(claimed):
            sender = SENDERS.get(item.kind)
            if sender is None:
                self.store.mark_rejected(item.id, f"no sender for kind {item.kind!r}")
                continue
            try:
                result = sender(self.transport, item)
            except TransportError as exc:
                if exc.retryable:
                    delay = backoff_seconds(item.attempts)
                    self.store.mark_retry(
                        item.id, str(exc), dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
                    )
                    # The rows claimed after it were not tried: pending again at the same time,
                    # not stuck in 'sending' until release_stuck (offline tickets wait there).
                    for rest in claimed[index + 1:]:
                        self.store.mark_retry(
                            rest.id, str(exc), dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay))
                    raise
                self.store.mark_rejected(item.id, str(exc))
                continue
            self.store.mark_sent(item.id, result)
            sent += 1
        return sent

    def top_up_leases(self) -> int:
        """Lease a new block of numbers for every ticketing service with fewer than
        `lease_low` left today; return how many blocks were leased. Never raises for the
        network: an unreachable server, an old one (404) or a refusal leaves the leases as
        they are, and the next sync tries again."""
        if self.lease_size <= 0:
            return 0
        today = self.today()
        self.store.prune_leases(today)
        if self._lease_paused_day == today:
            return 0
        leased = 0
        for service in self.store.services():
            if not service.ticketing or self.store.lease_remaining(service.id, today) >= self.lease_low:
                continue
            try:
                lease = self.transport.create_lease(
                    {"service": service.id, "size": self.lease_size}, str(uuid.uuid4()))
            except TransportError as exc:
                log.debug("no lease for %s: %s", service.id, exc)
                if exc.retryable:
                    break  # the server is unreachable or busy: the next sync tries again
                continue
            self.store.add_lease(lease["service"], lease["day"], lease["first"], lease["last"],
                                 lease["prefix"])
            leased += 1
            if lease["day"] != today:
                # The server's day is not the kiosk's (clock or time zone): these numbers
                # cannot be issued today, and asking again would only burn more of them.
                log.warning("lease day %s is not the kiosk's day %s: leases paused today",
                            lease["day"], today)
                self._lease_paused_day = today
                break
        return leased

    def pull_content(self, report: SyncReport) -> None:
        # The delta the last long-poll answer carried, if still from the cursor held: applied
        # below exactly as a fetched one (then the rest fetched if `more`), at most once.
        embedded, self._embedded = self._embedded, None
        while True:
            since = self.store.content_cursor()
            if embedded is not None and embedded[0] == since:
                delta: ContentDelta | None = embedded[1]
            else:
                delta = self.transport.get_content(since, etag=self.store.content_etag())
            embedded = None
            if delta is None:
                return
            report.bytes_received += delta.size
            if delta.items or delta.deleted or delta.full:
                report.pulled += self.store.apply_content(
                    delta.cursor, delta.items, delta.deleted, full=delta.full, etag=delta.etag
                )
                report.content_changed = True
            else:
                self.store.apply_content(delta.cursor, [], [], etag=delta.etag)
            if not delta.more:
                return
            if delta.cursor == since:
                # "more" without moving the cursor would ask the same page forever.
                report.error = f"content paging stuck at cursor {since!r}"
                log.warning("content paging stuck at cursor %r: next sync", since)
                return

    def run(self, stop: threading.Event, interval: float = 30.0) -> None:
        """Sync until `stop` is set: every `interval` s, sooner when woken, backing off on failure."""
        while not stop.is_set():
            report = self.sync_once()
            ok = report.online and not report.store_failed
            self.failures = 0 if ok else self.failures + 1
            delay = interval if ok else min(interval, 1 + backoff_seconds(self.failures))
            self.wait_between_syncs(stop, delay, online=ok)
            self._wake.clear()

    # -- Push: between two syncs, a long-poll lets the server say "the content changed" ------
    push = True  # False: plain polling every `interval`
    push_wait = 25.0  # s per long-poll (the server caps it at 25)
    push_retry = 600.0  # s before trying again a server without /content/changes (404)
    push_tick = 0.2  # s between looks at wake(), stop and the long-poll
    _push_off_until = 0.0  # time.monotonic() before which push is not tried
    _push_synced_since: str | None = None  # the cursor a push answer last made us sync from
    _embedded: tuple[str, ContentDelta] | None = None  # (since, the delta a push answer carried)
    _poll: _LongPoll | None = None

    def wait_between_syncs(self, stop: threading.Event, delay: float, online: bool) -> None:
        """Wait up to `delay` s for wake() or `stop`; online, with push on, also return as soon
        as the server answers the long-poll with "changed". Without a cursor yet, on a 404 (a
        server older than push: plain polling, asked again after `push_retry` s) or any other
        error, wait the rest of the delay as before; an error that is not a TransportError
        is a bug: logged as an error and counted for the heartbeat. The long-poll runs on a helper thread
        (one at most in flight), so wake() and stop are seen within `push_tick` s."""
        deadline = time.monotonic() + delay
        while online and self.push and not stop.is_set() and time.monotonic() >= self._push_off_until:
            since = self.store.content_cursor()
            if since is None or deadline - time.monotonic() <= self.push_tick:
                break
            poll = self._long_poll(since, min(deadline - time.monotonic(), self.push_wait))
            while not poll.done.is_set():
                left = deadline - time.monotonic()
                if left <= 0 or self._wake.wait(min(self.push_tick, left)) or stop.is_set():
                    return
            if poll.error is None:
                assert poll.answer is not None  # no error: the long-poll answered
                if not poll.answer.changed:
                    continue  # nothing within the wait: ask again for the rest of the delay
                if since != self._push_synced_since:
                    self._push_synced_since = since
                    # The delta came with the answer (a recent server): the sync applies it
                    # instead of asking GET /content; without it, the sync fetches as before.
                    delta = poll.answer.delta
                    self._embedded = (since, delta) if delta is not None else None
                    return  # changed: sync now
                # The last push-triggered sync left the cursor where it was (content rejected?):
                # no tight loop, wait the plain interval.
            elif isinstance(poll.error, TransportError) and poll.error.status == 404:
                log.info("server has no content push (404): polling every interval")
                self._push_off_until = time.monotonic() + self.push_retry
            elif isinstance(poll.error, TransportError):
                log.debug("content long-poll failed: %s", poll.error)
            else:  # not the network: a bug, which plain polling would otherwise hide
                self.long_poll_errors += 1
                self.last_long_poll_error = f"content long-poll: {poll.error!r}"[:300]
                log.error("content long-poll failed (%d so far); polling until the next try",
                          self.long_poll_errors, exc_info=poll.error)
            break
        while True:  # the plain wait, seeing stop within push_tick s
            left = deadline - time.monotonic()
            if left <= 0 or stop.is_set() or self._wake.wait(min(left, self.push_tick)):
                return

    def _long_poll(self, since: str, wait: float) -> _LongPoll:
        if self._poll is None or self._poll.done.is_set() or self._poll.since != since:
            self._poll = _LongPoll(self.transport, since, wait)
        return self._poll


class _LongPoll:
    """One `wait_for_changes` call on a daemon thread; `error` is what it raised (a
    TransportError, or anything else: a bug the sync loop reports)."""

    def __init__(self, transport: KioskTransport, since: str, wait: float):
        self.since = since
        self.done = threading.Event()
        self.answer: ContentChanges | None = None
        self.error: Exception | None = None
        threading.Thread(target=self._run, args=(transport, wait), name="content-long-poll",
                         daemon=True).start()

    def _run(self, transport: KioskTransport, wait: float) -> None:
        try:
            self.answer = transport.wait_for_changes(self.since, wait)
        except Exception as exc:  # the helper thread must end; the sync loop sorts it out
            self.error = exc
        finally:
            self.done.set()
