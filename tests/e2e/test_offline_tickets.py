"""Offline tickets against a real server process (SQLite file or PostgreSQL): a kiosk leases
numbers online, issues tickets while the server is down, uploads them when it is back (with
the phone number, the SMS and the QR link they promised); and leases and tickets taken at
the same moment never share a number."""

from __future__ import annotations

import datetime as dt
import json
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
from tests.support.faults import next_millisecond
from tests.support.patience import GUARD, LIVE_TIMEOUT


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
    # A live server's timeout: a busy machine is slow, not down (down is refused at once).
    transport = Transport(server.url, server.kiosk_token, timeout=LIVE_TIMEOUT)
    engine = SyncEngine(store, transport, lease_size=10, today=paris_day)
    report = engine.sync_once()
    assert report.online and report.leased >= 1, report.error
    service = next(s for s in store.services() if s.ticketing)
    [lease] = store.leases(service.id, paris_day())
    assert lease.last - lease.first + 1 == 10 and lease.prefix == service.prefix
    # Online, the desk waits as long as a live server may take; once the server is down
    # (refused at once), a second of retries before the lease's number.
    desk = TicketDesk(transport, deadline=GUARD, pause=0.2, store=store, today=paris_day)
    online = desk.take_ticket(service.id)
    assert not online.get("offline")
    assert parse_ticket_number(online["number"])[1] > lease.last  # online skips the lease

    server.stop()
    desk.deadline = 1.0
    try:
        offline = []
        for _ in range(5):
            offline.append(desk.take_ticket(service.id))
            next_millisecond()  # distinct issue times (kept to the millisecond)
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


PHONE = "+33612345678"
SMS_SERVICE = "logement-social"  # served by Guichet 5 only (demo content)
MARK = "E2E-OFFLINE "


def server_view(server, token: str, call: bool = False) -> dict:
    """The ticket and its SMS rows as the server's database has them; `call`: the counter
    serving it calls the next tickets until it is called (the agent's "next" action)."""
    out = server.manage("shell", "-c", f"""
import json
from kiosk.server.notifications.models import SmsMessage
from kiosk.server.queueing.counter_actions import do_call_next
from kiosk.server.queueing.models import Counter, Ticket
t = Ticket.objects.get(public_token={token!r})
counter = Counter.objects.filter(services=t.service, is_open=True).order_by('name').first()
for _ in range(60 if {call!r} else 0):
    if t.status != 'waiting':
        break
    do_call_next(counter)
    t.refresh_from_db()
rows = SmsMessage.objects.filter(ticket=t).order_by('pk')
print({MARK!r} + json.dumps(dict(status=t.status, offline=t.offline, has_phone=bool(t.phone),
                                 number=t.display, sms=[[r.kind, r.status] for r in rows])))
""")
    return json.loads(next(line for line in out.splitlines() if line.startswith(MARK))[len(MARK):])


def test_an_offline_ticket_with_a_phone_gets_one_sms_and_its_qr_code_opens_its_page(
        server, tmp_path):
    """The server process is stopped; the kiosk issues a ticket with a consented phone
    number from its lease (QR link with the kiosk's own token); the server comes back: the
    link says "on its way" until the upload, then opens the ticket's page; exactly one SMS
    is sent for it (the "near" one if the rule is true at upload, else the "called" one);
    the kiosk no longer holds the number."""
    path = tmp_path / "kiosk.sqlite3"
    store = LocalStore(path)
    transport = Transport(server.url, server.kiosk_token, timeout=LIVE_TIMEOUT)
    engine = SyncEngine(store, transport, lease_size=10, today=paris_day)
    assert engine.sync_once().online
    assert store.lease_remaining(SMS_SERVICE, paris_day()) >= 1
    desk = TicketDesk(transport, deadline=1.0, pause=0.2, store=store, today=paris_day)

    server.stop()
    try:
        ticket = desk.take_ticket(SMS_SERVICE, "fr", phone=PHONE, sms_consent=True)
        assert ticket["offline"] and ticket["sms"] and ticket["id"] is None
        assert engine.sync_once().online is False  # still down: the ticket waits
    finally:
        server.start()
    link = ticket["phone_url"]
    token = link.rsplit("/t/", 1)[1]
    assert link == f"{server.url}/t/{token}"
    assert PHONE[1:].encode() in path.read_bytes() + path.with_name(
        "kiosk.sqlite3-wal").read_bytes()  # the number waits on the kiosk, with its ticket

    # Back, not uploaded yet: the QR code answers a page that reloads itself, not a 404.
    waiting = requests.get(link, timeout=30)
    assert waiting.status_code == 200 and "Votre ticket est en route" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text

    for _ in range(20):
        with store._lock:  # the failed try's backoff is over: the link is back
            store._db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'"
                              " WHERE status = 'pending'")
        engine.sync_once()
        if store.outbox_depth() == 0:
            break
    assert store.outbox_depth() == 0
    uploaded = desk.ticket_state(ticket)
    assert uploaded["id"] == token and uploaded["sms"] is True
    page = requests.get(link, timeout=30)
    assert page.status_code == 200 and ticket["number"] in page.text
    assert "en route" not in page.text and PHONE not in page.text
    # Erased from the kiosk once the server has it: the row, the file and its WAL.
    assert "phone" not in store.outbox_item(ticket["outbox_id"]).payload
    wal = path.with_name("kiosk.sqlite3-wal")
    assert PHONE[1:].encode() not in path.read_bytes() + (
        wal.read_bytes() if wal.exists() else b"")

    state = server_view(server, token)
    assert state["offline"] and state["has_phone"] and state["number"] == ticket["number"]
    if not state["sms"]:  # the turn is not near yet: the SMS is the call
        state = server_view(server, token, call=True)
        assert state["status"] == "called"
    assert len(state["sms"]) == 1 and state["sms"][0][0] in ("near", "called"), state
    # A replay of the upload (the same key) and the SMS worker's passes: still one SMS.
    item = store.outbox_item(ticket["outbox_id"])
    replay = _api(server, "POST", "/tickets", json=item.payload,
                  headers={"Idempotency-Key": item.idempotency_key})
    assert replay.status_code == 200 and replay.json()["id"] == token, replay.text
    for _ in range(2):
        server.manage("sms_worker", "--once")
    after = server_view(server, token)
    assert [kind for kind, _ in after["sms"]] == [state["sms"][0][0]]
    assert after["sms"][0][1] in ("sent", "delivered"), after
    store.close()
