"""Fault 5: the kiosk's disk is full.

ENOSPC is simulated on the store's write path: every write transaction of the LocalStore
(`_write`: BEGIN IMMEDIATE ... COMMIT) raises sqlite3.OperationalError("database or disk
is full"), as SQLite does when it cannot grow its WAL; reads keep working. While the disk
is full: an online ticket still works (it writes nothing locally); an offline one gives the
caller a clear TicketUnavailable (not a raw sqlite3 error); the sync engine's real `run`
loop keeps running and backs off: it survives several failed syncs in a row and asks for
at least a second between two of them (the waits it asks for are recorded, not timed, so
a busy machine changes nothing). When space returns, offline tickets work again and every
ticket reaches the server once.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from zoneinfo import ZoneInfo

import pytest

from kiosk.localstore import LocalStore
from kiosk.sync.desk import TicketDesk, TicketUnavailable
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.faults import SimClock, assert_no_ticket_lost, drain
from tests.support.servers import demo_server
from tests.sync import closed_port_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def paris_day() -> str:
    return dt.datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()


class FullDisk:
    """Makes every write transaction of `store` fail as on ENOSPC while `full` is set."""

    def __init__(self, store: LocalStore, monkeypatch):
        self.full = False
        self.refused = 0
        real_write = store._write

        def write(fn):
            if self.full:
                self.refused += 1
                raise sqlite3.OperationalError("database or disk is full")
            return real_write(fn)

        monkeypatch.setattr(store, "_write", write)


def test_disk_full_gives_a_clear_error_keeps_the_loop_alive_and_recovers(tmp_path, monkeypatch):
    clock = SimClock(monkeypatch)
    with demo_server(tmp_path / "server") as server:
        store = LocalStore(tmp_path / "kiosk.sqlite3")
        # A long timeout: a busy server is slow, not down (the cut is a closed port: refused).
        transport = Transport(server.url, server.kiosk_token, timeout=60.0)
        engine = SyncEngine(store, transport, lease_size=10, today=paris_day)
        engine.push = False  # plain waits between syncs: the loop's pace is the backoff's
        assert engine.sync_once().online
        service = next(s for s in store.services() if s.ticketing)
        desk = TicketDesk(transport, deadline=0.5, pause=0.1, store=store, today=paris_day)
        disk = FullDisk(store, monkeypatch)

        transport.base_url = closed_port_url()
        queued = [desk.take_ticket(service.id) for _ in range(2)]  # offline, before it fills
        assert all(t["offline"] for t in queued)

        disk.full = True
        transport.base_url = server.url
        online = [desk.take_ticket(service.id)]  # online: nothing to write locally
        assert not online[0].get("offline")
        transport.base_url = closed_port_url()
        with pytest.raises(TicketUnavailable, match="storage"):
            desk.take_ticket(service.id)

        # The real loop, disk full and link down: it survives and backs off. Each wait it
        # asks for is recorded and returns at once; the 4th one stops the loop.
        syncs, waits = [], []
        real_sync = engine.sync_once
        monkeypatch.setattr(engine, "sync_once", lambda: syncs.append(real_sync()) or syncs[-1])
        stop = threading.Event()

        def wait_between_syncs(stop_event, delay, online):
            waits.append((delay, online))
            if len(waits) == 4:
                stop_event.set()

        monkeypatch.setattr(engine, "wait_between_syncs", wait_between_syncs)
        loop = threading.Thread(target=engine.run, args=(stop,), kwargs={"interval": 30.0},
                                daemon=True)
        loop.start()
        loop.join(timeout=120)  # a safety net: the loop ends on the 4th wait
        monkeypatch.setattr(engine, "sync_once", real_sync)
        assert not loop.is_alive() and stop.is_set(), "the sync loop died or never stopped"
        assert len(syncs) == len(waits) == 4, "the loop died on a full disk"
        assert all(delay >= 1.0 and not online for delay, online in waits), waits  # backs off
        assert all(r.store_failed and "full" in r.error for r in syncs)
        assert engine.failures == len(syncs)

        transport.base_url = server.url  # link back, disk still full: nothing sent, no crash
        report = engine.sync_once()
        assert report.store_failed and store.outbox_depth() == 2
        assert disk.refused >= len(syncs) + 2

        disk.full = False  # space returns
        transport.base_url = closed_port_url()
        queued.append(desk.take_ticket(service.id))
        assert queued[-1]["offline"]
        transport.base_url = server.url
        drain(engine, clock)
        uploaded = [desk.ticket_state(t) for t in queued]
        assert [t["number"] for t in uploaded] == [t["number"] for t in queued]
        assert all(t["id"] for t in uploaded)
        online.append(desk.take_ticket(service.id))
        assert_no_ticket_lost(server, stores=[store], online=online)
        store.close()
