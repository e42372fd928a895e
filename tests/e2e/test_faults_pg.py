"""Fault 7 (PostgreSQL suite only): PostgreSQL restarts in the middle of a burst of tickets.

The server runs on a fresh database of the run's PostgreSQL (DATABASE_URL); 30 tickets go
through the kiosk's outbox while a sync thread pushes them, and after the first few reached
the server the cluster is restarted (`pg_ctl restart -m fast`: every connection is cut,
transactions in flight roll back). Django reconnects (CONN_HEALTH_CHECKS drops the dead
persistent connections), the kiosk's outbox retries with each row's Idempotency-Key, and
every ticket is on the server exactly once. The cluster is found by asking it
(`SHOW data_directory`, as the `postgres` superuser that deploy/dev/postgres.sh creates
with trust authentication on loopback). On SQLite (no PostgreSQL URL) it is skipped.
"""

from __future__ import annotations

import glob
import os
import subprocess
import threading
import uuid
from urllib.parse import urlparse, urlunparse

import pytest

from kiosk.localstore import LocalStore, OutboxStatus
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.faults import SimClock, assert_no_ticket_lost, drain, outbox_tickets
from tests.support.patience import GUARD
from tests.support.servers import demo_server

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(900),
    pytest.mark.skipif(not DATABASE_URL.startswith("postgres"),
                       reason="needs the PostgreSQL of the run (DATABASE_URL=postgres://...)"),
]

BURST = 30
FIRST = 8  # tickets on the server before the restart


def superuser_url() -> str:
    parsed = urlparse(DATABASE_URL)
    return urlunparse(parsed._replace(netloc=f"postgres@{parsed.hostname}:{parsed.port or 5432}",
                                      path="/postgres"))


def postmaster_started() -> str:
    import psycopg

    with psycopg.connect(superuser_url(), autocommit=True) as conn:
        return str(conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0])


def restart_postgres() -> None:
    """`pg_ctl restart -m fast` on the cluster behind DATABASE_URL (as the postgres user
    when we are root, like deploy/dev/postgres.sh)."""
    import psycopg

    with psycopg.connect(superuser_url(), autocommit=True) as conn:
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
    pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    command = [pg_ctl, "-D", data_dir, "-l", os.path.join(data_dir, "restart.log"),
               "-m", "fast", "-w", "-t", "60", "restart"]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=90)


def test_postgres_restarted_mid_burst_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    clock = SimClock(monkeypatch)
    with demo_server(tmp_path / "server") as server:
        store = LocalStore(tmp_path / "kiosk.sqlite3")
        engine = SyncEngine(store, Transport(server.url, server.kiosk_token, timeout=5.0))
        assert engine.sync_once().online
        services = [s.id for s in store.services() if s.ticketing]
        started = postmaster_started()

        stop = threading.Event()
        syncs = []
        cycled = threading.Condition()

        def pusher():
            while not stop.is_set():
                clock.advance(600)  # every backoff is over: push as hard as possible
                result = engine.sync_once()
                with cycled:
                    syncs.append(result)
                    cycled.notify_all()

        def one_more_sync() -> None:
            """Return once the pusher finished a sync begun after this call (paces the burst
            on the syncs themselves, not on a timer: a starved machine only goes slower)."""
            with cycled:
                seen = len(syncs)
                assert cycled.wait_for(lambda: len(syncs) > seen + 1 or stop.is_set(),
                                       timeout=GUARD), "the pusher stopped syncing"

        def sent() -> int:
            return sum(1 for item in outbox_tickets(store) if item.status == OutboxStatus.SENT)

        restart = threading.Thread(target=restart_postgres)
        thread = threading.Thread(target=pusher, daemon=True)
        thread.start()
        issued = 0

        def issue() -> None:
            nonlocal issued
            store.enqueue("ticket", {"service": services[issued % len(services)],
                                     "language": "fr"}, str(uuid.uuid4()))
            issued += 1
            one_more_sync()

        try:
            while sent() < FIRST:  # the first tickets reach the server...
                if issued < FIRST:
                    issue()
                else:
                    one_more_sync()
            restart.start()  # ...then the cluster restarts while the burst goes on
            while restart.is_alive() and issued < BURST:
                issue()
            restart.join(timeout=GUARD)
            while issued < BURST:
                issue()
        finally:
            stop.set()
            thread.join(timeout=GUARD)
        assert not restart.is_alive(), "the restart did not end"
        assert FIRST <= issued == BURST
        assert postmaster_started() != started, "PostgreSQL did not restart"
        print(f"syncs {len(syncs)}, failed {sum(not r.online for r in syncs)}:",
              sorted({r.error for r in syncs if r.error}))

        drain(engine, clock)
        assert len(outbox_tickets(store)) == BURST
        assert_no_ticket_lost(server, stores=[store])
        store.close()
