"""The sync engine: push the outbox, then pull the content delta, then (about once a minute)
send a heartbeat that says how the kiosk is (version, cursor, outbox, printer, last error).

Runs on a background thread of the kiosk (never the Kivy thread); everything it learns
goes to the UI through callbacks that the UI wraps with its bridge.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.domain.content import ContentError
from kiosk.localstore import LocalStore, OutboxItem
from kiosk.sync.transport import Transport, TransportError, backoff_seconds

log = logging.getLogger(__name__)

# Which transport call sends which kind of outbox row.
SENDERS: dict[str, Callable[[Transport, OutboxItem], dict]] = {
    "ticket": lambda t, item: t.create_ticket(item.payload, item.idempotency_key),
    "assistance": lambda t, item: t.request_assistance(item.payload, item.idempotency_key),
}


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    content_changed: bool = False
    online: bool = True
    error: str | None = None
    bytes_received: int = 0
    started: float = field(default_factory=time.monotonic)


class SyncEngine:
    def __init__(
        self,
        store: LocalStore,
        transport: Transport,
        on_content_changed: Callable[[], None] | None = None,
        on_status: Callable[[SyncReport], None] | None = None,
        heartbeat: Callable[[SyncReport], dict] | None = None,
        heartbeat_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        """`heartbeat(report)` builds the heartbeat payload (runs on the sync thread); None
        sends no heartbeat. One is sent after the first sync, then at most every
        `heartbeat_interval` s."""
        self.store = store
        self.transport = transport
        self.on_content_changed = on_content_changed or (lambda: None)
        self.on_status = on_status or (lambda report: None)
        self.heartbeat = heartbeat
        self.heartbeat_interval = heartbeat_interval
        self.clock = clock
        self.last_heartbeat: float | None = None  # clock() of the last heartbeat the server took
        self._wake = threading.Event()
        self.failures = 0

    def wake(self) -> None:
        """Ask for a sync now (a ticket was queued, the network came back...)."""
        self._wake.set()

    def sync_once(self) -> SyncReport:
        report = SyncReport()
        self.store.release_stuck()
        reachable = True  # the server answered something (even an error status)
        try:
            report.pushed = self.push_outbox()
            self.pull_content(report)
        except TransportError as exc:
            report.online = False
            report.error = str(exc)
            reachable = exc.status is not None
        except ContentError as exc:
            # The server sent something we cannot trust: keep the last good snapshot.
            report.error = f"content rejected: {exc}"
            log.warning("content payload rejected, keeping last good snapshot: %s", exc)
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
            payload = self.heartbeat(report)
        except Exception:  # a bug in the payload must never stop the sync loop
            log.exception("heartbeat payload failed")
            return False
        try:
            self.transport.heartbeat(payload)
        except TransportError as exc:
            log.debug("heartbeat not sent: %s", exc)
            return False
        self.last_heartbeat = now
        return True

    def push_outbox(self) -> int:
        sent = 0
        for item in self.store.claim_due():
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
                    raise
                self.store.mark_rejected(item.id, str(exc))
                continue
            self.store.mark_sent(item.id, result)
            sent += 1
        return sent

    def pull_content(self, report: SyncReport) -> None:
        while True:
            delta = self.transport.get_content(
                self.store.content_cursor(), etag=self.store.content_etag()
            )
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

    def run(self, stop: threading.Event, interval: float = 30.0) -> None:
        """Sync until `stop` is set: every `interval` s, sooner when woken, backing off on failure."""
        while not stop.is_set():
            report = self.sync_once()
            self.failures = 0 if report.online else self.failures + 1
            delay = interval if report.online else min(interval, 1 + backoff_seconds(self.failures))
            self._wake.wait(delay)
            self._wake.clear()
