"""Fault 1: the server process is SIGKILLed in the middle of a burst of tickets.

30 tickets go through the kiosk's outbox while a sync thread pushes them; after the first
few reached the server, gunicorn and its workers are killed (SIGKILL to the process group,
requests in flight included) and started again on the same port and database. The outbox
retries with each row's Idempotency-Key: nothing lost, nothing twice.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from kiosk.localstore import LocalStore, OutboxStatus
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.faults import SimClock, assert_no_ticket_lost, drain, outbox_tickets
from tests.support.servers import demo_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

BURST = 30


def test_server_sigkilled_mid_burst_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    clock = SimClock(monkeypatch)
    with demo_server(tmp_path / "server") as server:
        store = LocalStore(tmp_path / "kiosk.sqlite3")
        engine = SyncEngine(store, Transport(server.url, server.kiosk_token, timeout=2.0))
        assert engine.sync_once().online
        services = [s.id for s in store.services() if s.ticketing]

        stop = threading.Event()
        syncs = []

        def pusher():
            while not stop.is_set():
                clock.advance(600)  # every backoff is over: push as hard as possible
                syncs.append(engine.sync_once())
                time.sleep(0.01)

        thread = threading.Thread(target=pusher, daemon=True)
        thread.start()
        try:
            killed_after = None
            for index in range(BURST):
                store.enqueue("ticket", {"service": services[index % len(services)],
                                         "language": "fr"}, str(uuid.uuid4()))
                time.sleep(0.03)
                sent = sum(1 for item in outbox_tickets(store) if item.status == OutboxStatus.SENT)
                if killed_after is None and sent >= 8:
                    server.stop(kill=True)  # SIGKILL, whatever is in flight
                    killed_after = sent
                    time.sleep(0.3)
                if killed_after is not None and index == 20:
                    server.start()
            assert killed_after is not None, "the burst ended before the kill"
        finally:
            stop.set()
            thread.join(timeout=30)
            if server.process is None:
                server.start()
        assert any(not report.online for report in syncs), "the kill was never seen"

        drain(engine, clock)
        items = outbox_tickets(store)
        assert len(items) == BURST
        assert killed_after < BURST
        assert_no_ticket_lost(server, stores=[store])
        store.close()
