"""Fault 3: the kiosk process is SIGKILLed while it writes its outbox.

A child Python process opens the kiosk's LocalStore file and enqueues tickets as fast as it
can, printing each key once its transaction committed; every fifth row it also claims two
rows (pending -> sending) as the sync engine does before sending, so some rows die
"claimed but never sent". It is SIGKILLed mid-loop. The test reopens the file: SQLite
recovers from its WAL, the file passes `PRAGMA integrity_check`, no row is half written,
every committed key is there, and after the restart (the stuck rows released once their
claim is older than release_stuck's limit) every row reaches the server exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from kiosk.localstore import LocalStore, OutboxStatus
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.conftest import ROOT, demo_data
from tests.support.faults import SimClock, assert_no_ticket_lost, drain, outbox_tickets
from tests.support.servers import demo_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

WRITER = textwrap.dedent("""
    import sys, uuid
    from kiosk.localstore import LocalStore
    store = LocalStore(sys.argv[1])
    services = sys.argv[2].split(",")
    index = 0
    while True:
        key = str(uuid.uuid4())
        store.enqueue("ticket", {"service": services[index % len(services)],
                                 "language": "fr"}, key)
        print(key, flush=True)
        if index % 5 == 4:
            store.claim_due(limit=2)  # claimed, and the process dies before sending
        index += 1
""")


def test_kiosk_killed_while_writing_its_outbox_sends_each_committed_row_once(
        tmp_path, monkeypatch):
    path = tmp_path / "kiosk.sqlite3"
    services = [s["id"] for s in demo_data()["services"] if s.get("ticketing", True)]
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), ",".join(services)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )
    committed = []
    try:
        for line in child.stdout:
            committed.append(line.strip())
            if len(committed) >= 40:
                break
        assert len(committed) >= 40, f"the writer stopped: {child.poll()}"
        os.kill(child.pid, signal.SIGKILL)  # mid-loop: likely inside a transaction
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        committed += [line.strip() for line in child.stdout if line.strip()]
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    # The file opens (WAL recovery) and is whole.
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    store = LocalStore(path)
    items = outbox_tickets(store)
    keys = [item.idempotency_key for item in items]
    assert set(committed) <= set(keys), "a committed row is missing"
    assert len(keys) == len(set(keys))
    for item in items:  # no half-written row: every field readable, the payload whole
        assert item.kind == "ticket" and item.payload["service"] in services
        assert item.payload["language"] == "fr" and item.next_attempt_at
        assert item.status in (OutboxStatus.PENDING, OutboxStatus.SENDING)
    stuck = [item for item in items if item.status == OutboxStatus.SENDING]
    assert stuck, "the writer should have left claimed rows"

    # Frozen: "just restarted" must hold however long this machine takes to start the server
    # (a clean-clone run under load took over two minutes, and the rows were released).
    clock = SimClock(monkeypatch, frozen=True)
    # No rate limit here: the killed writer may have left more than its 60 tickets a minute.
    with demo_server(tmp_path / "server", extra_env={"RATELIMIT_ENABLED": "0"}) as server:
        engine = SyncEngine(store, Transport(server.url, server.kiosk_token, timeout=60.0))
        engine.sync_once()  # just restarted: the stuck rows are not released yet
        assert all(store.outbox_item(i.id).status == OutboxStatus.SENDING for i in stuck)
        clock.advance(180)  # past release_stuck's two minutes
        drain(engine, clock)
        assert {item.status for item in outbox_tickets(store)} == {OutboxStatus.SENT}
        state = assert_no_ticket_lost(server, stores=[store])
        assert len(state["tickets"]) == len(items)
    store.close()
    print(json.dumps({"committed": len(committed), "rows": len(items), "stuck": len(stuck)}))
