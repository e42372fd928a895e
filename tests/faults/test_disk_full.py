"""Fault 5: the kiosk's disk is full.

ENOSPC is simulated on the store's write path: every write transaction of the LocalStore
(`_write`: BEGIN IMMEDIATE ... COMMIT) raises sqlite3.OperationalError("database or disk
is full"), as SQLite does when it cannot grow its WAL; reads keep working. While the disk
is full: an online ticket still works (it writes nothing locally); an offline one gives the
caller a clear TicketUnavailable (not a raw sqlite3 error); the sync engine's real `run`
loop keeps running and backs off (at least a second between tries: a handful of
iterations in ~2.5 s, not a busy loop, and the thread does not die). When space returns,
offline tickets work again and every ticket reaches the server once.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from zoneinfo import ZoneInfo

import pytest

from kiosk.localstore import LocalStore
from kiosk.sync.desk import TicketDesk, TicketUnavailable
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.faults import SimClock, assert_no_ticket_lost, drain
from tests.support.servers import demo_server
from tests.sync import closed_port_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


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
        transport = Transport(server.url, server.kiosk_token, timeout=2.0)
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

        # The real loop, disk full and link down: it survives and backs off.
        syncs = []
        real_sync = engine.sync_once
        monkeypatch.setattr(engine, "sync_once", lambda: syncs.append(real_sync()) or syncs[-1])
        stop = threading.Event()
        loop = threading.Thread(target=engine.run, args=(stop,), kwargs={"interval": 30.0},
                                daemon=True)
        loop.start()
        time.sleep(2.5)
        alive = loop.is_alive()
        stop.set()
        loop.join(timeout=5)
        monkeypatch.setattr(engine, "sync_once", real_sync)
        assert alive, "the sync loop died on a full disk"
        assert 1 <= len(syncs) <= 4, f"{len(syncs)} syncs in 2.5 s: a busy loop"
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
