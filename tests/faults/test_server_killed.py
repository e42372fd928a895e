"""Fault 1: the server process is SIGKILLed in the middle of a burst of tickets.

30 tickets go through the kiosk's outbox while a sync thread pushes them. The kill is
triggered by an event, never by a timer: when the server has committed the 9th ticket the
kiosk sends, gunicorn and its workers are SIGKILLed (the whole process group) before that
answer reaches the kiosk, as when a server dies with a request in flight. More tickets are
queued while it is down; once the kiosk has seen the server gone it is started again on the
same port and database. The outbox retries with each row's Idempotency-Key: nothing lost,
nothing twice (the 9th ticket, committed but unanswered, included).
"""

from __future__ import annotations

import threading
import uuid

import pytest

from kiosk.localstore import LocalStore, OutboxStatus
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport, TransportError
from tests.support.faults import SimClock, assert_no_ticket_lost, drain, outbox_tickets
from tests.support.servers import demo_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

BURST = 30
KILL_AT = 9  # the ticket whose answer the kill swallows
DEADLINE = 120.0  # s: a safety net for a stuck run, not a timing assumption


class KillOnTicket(Transport):
    """A kiosk transport that SIGKILLs the server once the KILL_AT-th ticket is committed:
    the answer of that request is lost, like any request in flight when a server dies."""

    def __init__(self, server, **kw):
        super().__init__(server.url, server.kiosk_token, **kw)
        self.server = server
        self.tickets = 0
        self.acknowledged = 0
        self.acknowledged_at_kill = None
        self.killed = threading.Event()

    def create_ticket(self, payload: dict, idempotency_key: str) -> dict:
        answer = super().create_ticket(payload, idempotency_key)
        self.tickets += 1
        if self.tickets == KILL_AT and not self.killed.is_set():
            self.server.stop(kill=True)  # SIGKILL to the process group
            self.acknowledged_at_kill = self.acknowledged
            self.killed.set()
            raise TransportError("POST /tickets: ConnectionError (server killed)")
        self.acknowledged += 1
        return answer


def wait_for(event: threading.Event, what: str) -> None:
    assert event.wait(DEADLINE), f"{what} never happened"


def test_server_sigkilled_mid_burst_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    clock = SimClock(monkeypatch)
    with demo_server(tmp_path / "server") as server:
        store = LocalStore(tmp_path / "kiosk.sqlite3")
        # A long timeout: a slow (busy) server is not a dead one; the dead one refuses at once.
        transport = KillOnTicket(server, timeout=60.0)
        engine = SyncEngine(store, transport)
        assert engine.sync_once().online
        services = [s.id for s in store.services() if s.ticketing]

        def enqueue(count: int) -> None:
            for _ in range(count):
                index = len(outbox_tickets(store))
                store.enqueue("ticket", {"service": services[index % len(services)],
                                         "language": "fr"}, str(uuid.uuid4()))

        stop, offline_seen = threading.Event(), threading.Event()
        syncs = []

        def pusher():
            while not stop.is_set():
                clock.advance(600)  # every backoff is over: push as hard as possible
                report = engine.sync_once()
                syncs.append(report)
                if transport.killed.is_set() and not report.online:
                    offline_seen.set()
                stop.wait(0.01)  # not a busy loop while the server is down

        thread = threading.Thread(target=pusher, daemon=True)
        enqueue(15)  # the first part of the burst, queued before the pusher runs
        thread.start()
        try:
            wait_for(transport.killed, "the kill (the 9th ticket)")
            enqueue(10)  # the burst goes on while the server is dead
            wait_for(offline_seen, "a sync that found the server gone")
            assert server.process is None
            server.start(timeout=DEADLINE)
            enqueue(BURST - 25)
        finally:
            stop.set()
            thread.join(timeout=DEADLINE)
            if server.process is None:
                server.start(timeout=DEADLINE)
        assert not thread.is_alive()
        assert transport.acknowledged_at_kill == KILL_AT - 1  # mid-burst: 8 of 30 answered
        assert any(not report.online for report in syncs), "the kill was never seen"

        drain(engine, clock)
        items = outbox_tickets(store)
        assert len(items) == BURST
        assert all(item.status == OutboxStatus.SENT for item in items)
        # The killed request was retried with its key: the server's first ticket came back.
        assert transport.tickets > BURST
        assert_no_ticket_lost(server, stores=[store])
        store.close()
