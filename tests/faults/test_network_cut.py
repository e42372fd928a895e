"""Fault 2: the network is cut for ten minutes.

The kiosk's transport is pointed at a closed loopback port (connection refused, as with a
pulled cable on the kiosk's side) while ten simulated minutes pass: the sync engine keeps
trying (its outbox due times follow a simulated clock), visitors get tickets from the
kiosk's leased numbers. The link comes back: the offline tickets are uploaded, each once,
with its leased number, and take their place in the queue by their issue time, ahead of a
ticket taken online after the cut.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import requests

from kiosk.domain.tickets import parse_ticket_number
from kiosk.localstore import LocalStore
from kiosk.sync.desk import TicketDesk
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.faults import SimClock, assert_no_ticket_lost, drain, next_millisecond
from tests.support.patience import LIVE_TIMEOUT
from tests.support.servers import demo_server
from tests.sync import closed_port_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

OFFLINE = 8


def paris_day() -> str:
    return dt.datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()


def test_ten_minutes_offline_tickets_are_uploaded_once_in_issue_order(tmp_path, monkeypatch):
    clock = SimClock(monkeypatch)
    with demo_server(tmp_path / "server") as server:
        store = LocalStore(tmp_path / "kiosk.sqlite3")
        # A long timeout: a busy server is slow, not cut (the cut is a closed port: refused).
        transport = Transport(server.url, server.kiosk_token, timeout=60.0)
        engine = SyncEngine(store, transport, lease_size=10, today=paris_day)
        assert engine.sync_once().online
        service = next(s for s in store.services() if s.ticketing)
        desk = TicketDesk(transport, deadline=1.0, pause=0.1, store=store, today=paris_day)
        before = desk.take_ticket(service.id)
        assert not before.get("offline")

        transport.base_url = closed_port_url()  # the cut
        offline, reports = [], []
        for minute in range(10):
            if minute < OFFLINE:
                offline.append(desk.take_ticket(service.id))
                next_millisecond()  # distinct issue times (kept to the millisecond)
            for _ in range(3):  # the engine keeps trying every ~20 s: never gives up
                clock.advance(20)
                reports.append(engine.sync_once())
        assert all(not r.online for r in reports)
        assert all(t["offline"] for t in offline)
        numbers = [t["number"] for t in offline]
        assert len(set(numbers)) == OFFLINE
        assert store.outbox_depth() == OFFLINE

        transport.base_url = server.url  # the link is back
        after = desk.take_ticket(service.id)  # online, before the outbox drained
        assert not after.get("offline")
        drain(engine, clock)

        uploaded = [desk.ticket_state(t) for t in offline]
        assert [t["number"] for t in uploaded] == numbers
        # No number twice: the online tickets skipped the leased block.
        every = [before["number"], *numbers, after["number"]]
        assert len({parse_ticket_number(n) for n in every}) == len(every)
        # Placed by issue time: behind the ticket before the cut, ahead of the one after it.
        headers = {"Authorization": f"Bearer {server.kiosk_token}"}
        positions = [requests.get(f"{server.url}/api/v1/tickets/{t['id']}", headers=headers,
                                  timeout=LIVE_TIMEOUT).json()["position"]
                     for t in [before, *uploaded, after]]
        assert positions == list(range(1, OFFLINE + 3)), positions
        assert_no_ticket_lost(server, stores=[store], online=[before, after])
        store.close()
