"""Offline tickets on the kiosk: leases in the store, the desk issuing from them when the
server is unreachable, the engine topping leases up and uploading the tickets."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import uuid

import pytest

from kiosk.localstore import LocalStore, OutboxStatus
from kiosk.localstore.store import SCHEMA
from kiosk.sync.desk import TicketDesk, TicketUnavailable
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.patience import LIVE_TIMEOUT
from tests.sync import Reply, closed_port_url, ticket_body
from tests.sync.conftest import TOKEN

DAY = "2026-03-03"


def service(id_, prefix, ticketing=True) -> dict:
    return {"kind": "service", "data": {"id": id_, "pole": "citoyennete", "order": 1,
                                        "prefix": prefix, "pictogram": "info",
                                        "name": {"fr": id_}, "ticketing": ticketing}}


@pytest.fixture
def path(tmp_path):
    return tmp_path / "kiosk.sqlite3"


@pytest.fixture
def store(path):
    s = LocalStore(path)
    yield s
    s.close()


def unreachable() -> Transport:
    return Transport(closed_port_url(), TOKEN, timeout=1.0)


def desk_for(store, transport=None, **kw) -> TicketDesk:
    return TicketDesk(transport or unreachable(), deadline=0.3, pause=0.1, store=store,
                      today=lambda: DAY, **kw)


# -- the store -------------------------------------------------------------------------


def test_leased_numbers_are_given_once_in_order_then_none(store):
    store.add_lease("etat-civil", DAY, 11, 12, "C")
    store.add_lease("etat-civil", DAY, 20, 20, "C")
    store.add_lease("etat-civil", DAY, 11, 12, "C")  # the same block again: harmless
    assert store.lease_remaining("etat-civil", DAY) == 3
    taken = [store.take_offline_number("etat-civil", DAY) for _ in range(4)]
    assert taken == [11, 12, 20, None]
    assert store.take_offline_number("caf", DAY) is None
    assert store.take_offline_number("etat-civil", "2026-03-04") is None  # another day
    assert [(lease.first, lease.last, lease.remaining) for lease in store.leases("etat-civil")] == [
        (11, 12, 0), (20, 20, 0)]


def test_past_days_leases_are_pruned(store):
    store.add_lease("etat-civil", "2026-03-02", 1, 10, "C")
    store.add_lease("etat-civil", DAY, 11, 20, "C")
    assert store.prune_leases(DAY) == 1
    assert [lease.day for lease in store.leases()] == [DAY]


def test_a_version_1_file_gains_the_lease_table_and_keeps_its_outbox(path):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA[0])
    db.execute("INSERT INTO outbox (kind, idempotency_key, payload, next_attempt_at, created_at)"
               " VALUES ('ticket', 'k1', '{}', '2026-01-01', '2026-01-01')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = LocalStore(path)
    try:
        assert store.outbox_depth() == 1
        store.add_lease("etat-civil", DAY, 1, 2, "C")
        assert store.take_offline_number("etat-civil", DAY) == 1
    finally:
        store.close()


# -- the desk --------------------------------------------------------------------------


def test_an_unreachable_server_gives_a_ticket_from_the_lease_queued_with_its_offline_block(
        store):
    store.add_lease("etat-civil", DAY, 41, 50, "C")
    woken = []
    before = dt.datetime.now(dt.UTC)
    ticket = desk_for(store, on_queued=lambda: woken.append(1)).take_ticket(
        "etat-civil", "ar", priority="elderly", phone="+33612345678", sms_consent=True)
    after = dt.datetime.now(dt.UTC)
    assert ticket["number"] == "C041"
    assert ticket["offline"] is True and ticket["status"] == "waiting"
    assert ticket["estimated_wait_minutes"] is None and ticket["position"] is None
    assert ticket["id"] is None and ticket["uploaded"] is False  # not on the server yet
    assert woken == [1]
    item = store.outbox_item(ticket["outbox_id"])
    assert item.kind == "ticket" and item.status is OutboxStatus.PENDING
    uuid.UUID(item.idempotency_key)
    offline = item.payload["offline"]
    assert (offline["lease_day"], offline["number"]) == (DAY, 41)
    issued = dt.datetime.fromisoformat(offline["issued_at"])
    # Stamped while it was issued (to the millisecond, truncated).
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= issued <= after
    assert item.payload["priority"] == "elderly" and item.payload["language"] == "ar"
    # The token the QR code carries, minted here (128 bits, base64url like the server's).
    token = offline["public_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)
    assert ticket["phone_url"].endswith(f"/t/{token}")
    # The consented number waits with the ticket (until the server has it: see below).
    assert (item.payload["phone"], item.payload["sms_consent"]) == ("+33612345678", True)
    assert ticket["sms"] is True and "+33612345678" not in json.dumps(ticket)


def test_numbers_never_repeat_across_a_store_reopen(path):
    first = LocalStore(path)
    first.add_lease("etat-civil", DAY, 1, 3, "C")
    numbers = [desk_for(first).take_ticket("etat-civil")["number"] for _ in range(2)]
    first.close()
    second = LocalStore(path)
    try:
        desk = desk_for(second)
        numbers.append(desk.take_ticket("etat-civil")["number"])
        assert numbers == ["C001", "C002", "C003"]
        with pytest.raises(TicketUnavailable):  # used up: the screen sends to the desk
            desk.take_ticket("etat-civil")
        assert second.outbox_depth() == 3
        assert sorted(i["offline"]["number"] for i in (
            second.outbox_item(n).payload for n in (1, 2, 3))) == [1, 2, 3]
    finally:
        second.close()


def test_no_lease_means_no_ticket_and_nothing_queued(store):
    with pytest.raises(TicketUnavailable):
        desk_for(store).take_ticket("etat-civil")
    assert store.outbox_depth() == 0


def test_a_refusal_from_the_server_is_not_turned_into_an_offline_ticket(store, server):
    store.add_lease("etat-civil", DAY, 1, 3, "C")
    server.handler = lambda request: Reply(409, {"detail": "appointment only"})
    with pytest.raises(TicketUnavailable):
        desk_for(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT)).take_ticket("etat-civil")
    assert store.lease_remaining("etat-civil", DAY) == 3


def test_a_reachable_server_gives_the_ticket_online_and_the_lease_stays(store, server):
    store.add_lease("etat-civil", DAY, 1, 3, "C")
    server.handler = lambda request: Reply(201, ticket_body("C007"))
    ticket = desk_for(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT)).take_ticket("etat-civil")
    assert ticket["number"] == "C007" and not ticket.get("offline")
    assert store.lease_remaining("etat-civil", DAY) == 3 and store.outbox_depth() == 0


# -- the engine ------------------------------------------------------------------------


def test_the_engine_uploads_offline_tickets_when_the_link_returns(store, server, path):
    store.add_lease("etat-civil", DAY, 5, 9, "C")
    desk = desk_for(store)
    tickets = [desk.take_ticket("etat-civil") for _ in range(2)]
    assert SyncEngine(store, unreachable()).sync_once().online is False
    assert store.outbox_depth() == 2
    with sqlite3.connect(path) as db:  # the backoff of the failed try is over
        db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'")

    def handler(request):
        if request.path == "/api/v1/tickets":
            body = request.json()
            return Reply(201, {**ticket_body(f"C{body['offline']['number']:03d}",
                                             token=uuid.uuid4().hex), "offline": True})
        return Reply(304)

    server.handler = handler
    report = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT)).sync_once()
    assert report.online and report.pushed == 2, report.error
    uploads = [r for r in server.requests if r.path == "/api/v1/tickets"]
    assert [r.json()["offline"]["number"] for r in uploads] == [5, 6]
    assert [r.headers["idempotency-key"] for r in uploads] == [
        store.outbox_item(t["outbox_id"]).idempotency_key for t in tickets]
    assert store.outbox_depth() == 0
    # The server's answer replaces what the kiosk knew: a phone link, a real id.
    state = desk.ticket_state(tickets[0])
    assert state["number"] == "C005" and state["id"] and state["phone_url"].startswith("http")
    assert desk.ticket_state({"number": "C001", "offline": False}) == {"number": "C001",
                                                                       "offline": False}


def test_the_engine_tops_up_leases_of_ticketing_services_that_run_low(store, server):
    store.apply_content("1", [service("etat-civil", "C"), service("caf", "F"),
                              service("rdv", "R", ticketing=False)], [], full=True)
    store.add_lease("caf", DAY, 1, 10, "F")  # plenty left
    next_first = {"etat-civil": 31}

    def handler(request):
        if request.path == "/api/v1/leases":
            body = request.json()
            first = next_first[body["service"]]
            next_first[body["service"]] += body["size"]
            return Reply(201, {"service": body["service"], "day": DAY, "first": first,
                               "last": first + body["size"] - 1, "prefix": "C"})
        return Reply(304)

    server.handler = handler
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT), lease_size=10,
                        today=lambda: DAY)
    assert engine.sync_once().leased == 1
    leases = [r for r in server.requests if r.path == "/api/v1/leases"]
    assert [r.json() for r in leases] == [{"service": "etat-civil", "size": 10}]
    uuid.UUID(leases[0].headers["idempotency-key"])
    assert store.lease_remaining("etat-civil", DAY) == 10
    assert engine.sync_once().leased == 0  # enough now
    for _ in range(8):
        store.take_offline_number("etat-civil", DAY)
    assert engine.sync_once().leased == 1  # 2 left < 3: a new block
    assert store.lease_remaining("etat-civil", DAY) == 12
    assert [(lease.first, lease.last) for lease in store.leases("etat-civil")][-1] == (41, 50)


def test_without_lease_size_or_server_support_the_engine_asks_nothing(store, server):
    store.apply_content("1", [service("etat-civil", "C")], [], full=True)
    server.handler = lambda request: Reply(304 if request.method == "GET" else 404,
                                           None if request.method == "GET" else {"detail": "no"})
    transport = Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT)
    SyncEngine(store, transport).sync_once()
    assert [r.path for r in server.requests if r.method == "POST"] == []
    report = SyncEngine(store, transport, lease_size=10, today=lambda: DAY).sync_once()
    assert report.online and report.leased == 0  # an older server (404): nothing breaks
    assert store.leases() == []


def test_a_server_on_another_day_pauses_the_top_ups(store, server):
    store.apply_content("1", [service("etat-civil", "C"), service("caf", "F")], [], full=True)
    server.handler = lambda request: (
        Reply(201, {"service": request.json()["service"], "day": "2026-03-04", "first": 1,
                    "last": 10, "prefix": "C"}) if request.method == "POST" else Reply(304))
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT), lease_size=10,
                        today=lambda: DAY)
    engine.sync_once()
    engine.sync_once()
    assert len([r for r in server.requests if r.path == "/api/v1/leases"]) == 1


# -- the phone number: kept with the ticket, erased once the server has it ---------------

PHONE = "+33612345678"


def file_bytes(path) -> bytes:
    """Everything SQLite keeps of the store on disk: the file and its WAL."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_tokens_are_distinct_and_no_phone_is_queued_without_consent(store):
    store.add_lease("etat-civil", DAY, 1, 3, "C")
    desk = desk_for(store)
    first = desk.take_ticket("etat-civil", phone=PHONE, sms_consent=False)
    second = desk.take_ticket("etat-civil")
    assert first["sms"] is False and second["sms"] is False
    payloads = [store.outbox_item(t["outbox_id"]).payload for t in (first, second)]
    assert all("phone" not in p and "sms_consent" not in p for p in payloads)
    tokens = {p["offline"]["public_token"] for p in payloads}
    assert len(tokens) == 2


def test_the_phone_link_follows_the_servers_links_even_after_a_restart(store, server, path):
    store.add_lease("etat-civil", DAY, 1, 3, "C")
    server.handler = lambda request: Reply(201, ticket_body("C007", token="t" * 22))
    online = Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT)
    desk_for(store, online).take_ticket("etat-civil")  # http://testserver/t/<token>
    offline = desk_for(store).take_ticket("etat-civil")
    token = store.outbox_item(offline["outbox_id"]).payload["offline"]["public_token"]
    assert offline["phone_url"] == f"http://testserver/t/{token}"
    store.close()
    reopened = LocalStore(path)
    try:
        again = desk_for(reopened).take_ticket("etat-civil")
        assert again["phone_url"].startswith("http://testserver/t/")
    finally:
        reopened.close()
    # Never seen a server link: the server's own address (as the service pages' QR codes).
    fresh = LocalStore(path.with_name("other.sqlite3"))
    try:
        fresh.add_lease("etat-civil", DAY, 1, 1, "C")
        desk = desk_for(fresh)
        ticket = desk.take_ticket("etat-civil")
        assert ticket["phone_url"].startswith(f"{desk.transport.base_url}/t/")
    finally:
        fresh.close()


def test_the_phone_waits_in_the_outbox_then_is_erased_from_the_file_once_uploaded(
        store, server, path):
    store.add_lease("etat-civil", DAY, 5, 9, "C")
    ticket = desk_for(store).take_ticket("etat-civil", phone=PHONE, sms_consent=True)
    digits = PHONE[1:].encode()
    assert digits in file_bytes(path)  # on the kiosk's disk while the server lacks it
    store._db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'")

    # The link returns, but the server fails: the number stays for the next try.
    server.handler = lambda request: Reply(503) if request.method == "POST" else Reply(304)
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT), today=lambda: DAY)
    assert engine.sync_once().online is False
    assert store.outbox_item(ticket["outbox_id"]).payload["phone"] == PHONE
    store._db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'")

    def handler(request):
        if request.path == "/api/v1/tickets":
            body = request.json()
            token = body["offline"]["public_token"]
            return Reply(201, {**ticket_body("C005", token=token), "offline": True,
                               "sms": bool(body.get("phone"))})
        return Reply(304)

    server.handler = handler
    assert engine.sync_once().pushed == 1
    [upload] = [r for r in server.requests if r.path == "/api/v1/tickets"][-1:]
    assert upload.json()["phone"] == PHONE and upload.json()["sms_consent"] is True
    item = store.outbox_item(ticket["outbox_id"])
    assert item.status is OutboxStatus.SENT and "phone" not in item.payload
    assert item.payload["offline"]["number"] == 5  # the rest of the row stays
    assert digits not in file_bytes(path)  # not in the file, not in the WAL
    state = desk_for(store).ticket_state(ticket)
    assert state["uploaded"] is True and state["sms"] is True
    assert state["id"] == upload.json()["offline"]["public_token"]


def test_a_refused_upload_erases_the_phone_too(store, server, path):
    store.add_lease("etat-civil", DAY, 1, 1, "C")
    ticket = desk_for(store).take_ticket("etat-civil", phone=PHONE, sms_consent=True)
    store._db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'")
    server.handler = lambda request: (Reply(409, {"detail": "already uploaded"})
                                      if request.method == "POST" else Reply(304))
    SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT)).sync_once()
    item = store.outbox_item(ticket["outbox_id"])
    assert item.status is OutboxStatus.FAILED and "phone" not in item.payload
    assert PHONE[1:].encode() not in file_bytes(path)


def test_a_phone_waiting_past_its_day_is_erased_even_if_the_link_never_returns(store, path):
    store.add_lease("etat-civil", DAY, 1, 2, "C")
    old = desk_for(store).take_ticket("etat-civil", phone=PHONE, sms_consent=True)
    store.add_lease("etat-civil", "2026-03-04", 1, 1, "C")
    today = TicketDesk(unreachable(), deadline=0.3, pause=0.1, store=store,
                       today=lambda: "2026-03-04").take_ticket(
        "etat-civil", phone="+33698765432", sms_consent=True)
    engine = SyncEngine(store, unreachable(), today=lambda: "2026-03-04")
    assert engine.sync_once().online is False
    assert "phone" not in store.outbox_item(old["outbox_id"]).payload  # no SMS due any more
    assert store.outbox_item(old["outbox_id"]).payload["offline"]["number"] == 1  # still sent
    assert store.outbox_item(today["outbox_id"]).payload["phone"] == "+33698765432"
    assert PHONE[1:].encode() not in file_bytes(path)
    assert store.outbox_depth() == 2
