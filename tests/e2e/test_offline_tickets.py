"""Offline tickets against a real server process (SQLite file or PostgreSQL): a kiosk leases
numbers online, issues tickets while the server is down, uploads them when it is back; and
leases and tickets taken at the same moment never share a number."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from zoneinfo import ZoneInfo

import requests

from kiosk.domain.tickets import parse_ticket_number
from kiosk.localstore import LocalStore
from kiosk.sync.desk import TicketDesk
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport


def paris_day() -> str:
    """The server's day (TIME_ZONE Europe/Paris), whatever this machine's zone."""
    return dt.datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()


def _api(server, method, path, **kw):
    headers = {"Authorization": f"Bearer {server.kiosk_token}", **kw.pop("headers", {})}
    return requests.request(method, f"{server.url}/api/v1{path}", headers=headers, timeout=60,
                            **kw)


def test_tickets_issued_while_the_server_is_down_are_uploaded_once_in_issue_order(
        server, tmp_path):
    store = LocalStore(tmp_path / "kiosk.sqlite3")
    transport = Transport(server.url, server.kiosk_token, timeout=2.0)
    engine = SyncEngine(store, transport, lease_size=10, today=paris_day)
    report = engine.sync_once()
    assert report.online and report.leased >= 1, report.error
    service = next(s for s in store.services() if s.ticketing)
    [lease] = store.leases(service.id, paris_day())
    assert lease.last - lease.first + 1 == 10 and lease.prefix == service.prefix
    desk = TicketDesk(transport, deadline=1.0, pause=0.2, store=store, today=paris_day)
    online = desk.take_ticket(service.id)
    assert not online.get("offline")
    assert parse_ticket_number(online["number"])[1] > lease.last  # online skips the lease

    server.stop()
    try:
        offline = []
        for _ in range(5):
            offline.append(desk.take_ticket(service.id))
            time.sleep(0.02)  # distinct issue times
        numbers = [t["number"] for t in offline]
        assert all(t["offline"] for t in offline)
        assert len(set(numbers)) == 5
        assert [parse_ticket_number(n)[1] for n in numbers] == list(
            range(lease.first, lease.first + 5))
        assert engine.sync_once().online is False  # down: nothing lost, all still queued
        assert store.outbox_depth() == 5
    finally:
        server.start()

    for _ in range(20):
        with store._lock:  # the failed try's backoff is over: the link is back
            store._db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'"
                              " WHERE status = 'pending'")
        engine.sync_once()
        if store.outbox_depth() == 0:
            break
    assert store.outbox_depth() == 0

    uploaded = [desk.ticket_state(t) for t in offline]
    assert [t["number"] for t in uploaded] == numbers
    assert all(t["offline"] and t["id"] for t in uploaded)
    assert len({t["id"] for t in uploaded}) == 5
    # On the server: each one, with its number, queued by issue time behind the online one.
    states = [_api(server, "GET", f"/tickets/{t['id']}").json() for t in uploaded]
    assert [s["number"] for s in states] == numbers
    assert [s["position"] for s in states] == [2, 3, 4, 5, 6]
    assert _api(server, "GET", f"/tickets/{online['id']}").json()["position"] == 1
    # Exactly once: a replay is the same ticket, the same number under another key a 409.
    item = store.outbox_item(offline[0]["outbox_id"])
    replay = _api(server, "POST", "/tickets", json=item.payload,
                  headers={"Idempotency-Key": item.idempotency_key})
    assert replay.status_code == 200 and replay.json()["id"] == uploaded[0]["id"]
    twice = _api(server, "POST", "/tickets", json=item.payload,
                 headers={"Idempotency-Key": str(uuid.uuid4())})
    assert twice.status_code == 409
    store.close()


def test_concurrent_leases_and_tickets_never_share_a_number(server):
    body = _api(server, "GET", "/content").json()
    service = [i["data"] for i in body["items"]
               if i["kind"] == "service" and i["data"]["ticketing"]][-1]
    parallel = 24
    barrier = Barrier(parallel)

    def call(index):
        barrier.wait(timeout=30)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        if index % 2:
            return _api(server, "POST", "/leases", json={"service": service["id"], "size": 5},
                        headers=key)
        return _api(server, "POST", "/tickets", json={"service": service["id"]}, headers=key)

    with ThreadPoolExecutor(parallel) as pool:
        responses = list(pool.map(call, range(parallel)))
    assert [(r.status_code, r.text[:200]) for r in responses if r.status_code != 201] == []
    numbers = []
    for response in responses:
        answer = response.json()
        if "first" in answer:
            numbers.extend(range(answer["first"], answer["last"] + 1))
        else:
            numbers.append(parse_ticket_number(answer["number"])[1])
    assert len(numbers) == len(set(numbers)) == parallel // 2 * 6
    assert sorted(numbers) == list(range(min(numbers), min(numbers) + len(numbers)))
