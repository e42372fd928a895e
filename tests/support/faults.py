"""Shared pieces of the fault tests (tests/faults, tests/e2e/test_faults_pg.py).

The one check every fault test ends with, `assert_no_ticket_lost`: every ticket the
kiosk(s) issued, online or offline, exists exactly once on the server (by number and by
Idempotency-Key), and no SMS was sent twice. The server's state is read by a
`python -m kiosk.server shell` child (the server runs in its own processes).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterable

from kiosk.domain.tickets import format_ticket_number
from kiosk.localstore import LocalStore, OutboxStatus
from kiosk.localstore import store as store_module

_MARK = "FAULTS-STATE "
STATE_SCRIPT = (
    "import json\n"
    "from kiosk.server.queueing.models import Ticket, IdempotencyRecord\n"
    "from kiosk.server.notifications.models import SmsMessage\n"
    "tickets = [dict(token=t.public_token, number=t.display, day=str(t.day),"
    " issued_service=t.issued_service.slug if t.issued_service_id else None,"
    " service=t.service.slug, offline=t.offline, status=t.status,"
    " queued_at=t.queued_at.isoformat(), kiosk=t.kiosk_id)"
    " for t in Ticket.objects.select_related('issued_service', 'service').order_by('pk')]\n"
    "keys = [dict(key=str(r.key), kiosk=r.kiosk_id,"
    " ticket=r.ticket.public_token if r.ticket_id else None)"
    " for r in IdempotencyRecord.objects.select_related('ticket').order_by('pk')]\n"
    "sms = [dict(ticket=m.ticket.public_token, kind=m.kind, status=m.status, text=m.text,"
    " attempts=m.attempts) for m in SmsMessage.objects.select_related('ticket').order_by('pk')]\n"
    f"print({_MARK!r} + json.dumps(dict(tickets=tickets, keys=keys, sms=sms)))\n"
)


def next_millisecond() -> None:
    """Return once the wall clock shows another millisecond than when called: offline
    tickets keep their issue time to the millisecond, and two in one millisecond would tie.
    (A condition, read until it holds: at most a millisecond, no pause of any length.)"""
    start = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    while dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds") == start:
        pass


def server_state(server) -> dict:
    """{"tickets": [...], "keys": [...], "sms": [...]} as the server's database has them."""
    out = server.manage("shell", "-c", STATE_SCRIPT)
    line = next(line for line in out.splitlines() if line.startswith(_MARK))
    return json.loads(line[len(_MARK):])


def outbox_tickets(store: LocalStore) -> list:
    """Every ticket row of a kiosk's outbox (OutboxItem), whatever its status."""
    ids = [row[0] for row in store._read("SELECT id FROM outbox WHERE kind = 'ticket' ORDER BY id")]
    return [store.outbox_item(i) for i in ids]


def assert_no_ticket_lost(server, stores: Iterable[LocalStore] = (), online: Iterable[dict] = (),
                          received: Iterable[tuple[str, str]] | None = None,
                          only_these: bool = True) -> dict:
    """The end of every fault test.

    - every ticket row of every outbox in `stores` was sent, and the server holds exactly one
      Idempotency-Key record for its key, pointing to exactly one ticket whose number is the
      one the kiosk showed (for an offline ticket: its leased number);
    - every ticket in `online` (answers the desk got online) is on the server once, same number;
    - no two server tickets share a number (issuing service, day, number);
    - `only_these`: the server holds no other ticket (nothing issued that no kiosk knows of);
    - SMS: at most one row per (ticket, kind); with `received` ((to, text) pairs the gateway
      got): no message received twice, and each sent/delivered row received exactly once.
    Returns the server state it checked."""
    state = server_state(server)
    by_token = Counter(t["token"] for t in state["tickets"])
    tickets = {t["token"]: t for t in state["tickets"]}
    keys = Counter(k["key"] for k in state["keys"])
    key_ticket = {k["key"]: k["ticket"] for k in state["keys"]}
    numbers = Counter((t["issued_service"], t["day"], t["number"]) for t in state["tickets"])
    assert [n for n, c in numbers.items() if c > 1] == [], "a number exists twice on the server"

    expected: list[str] = []
    for store in stores:
        for item in outbox_tickets(store):
            assert item.status == OutboxStatus.SENT, (item.id, item.status, item.last_error)
            assert keys[item.idempotency_key] == 1, f"key {item.idempotency_key}: {keys[item.idempotency_key]}"
            token = key_ticket[item.idempotency_key]
            assert item.result and item.result["id"] == token, (item.result, token)
            assert by_token[token] == 1
            ticket = tickets[token]
            assert ticket["number"] == item.result["number"], (ticket, item.result)
            offline = item.payload.get("offline")
            if offline:
                assert ticket["offline"] is True
                assert ticket["day"] == offline["lease_day"]
                prefix = ticket["number"][0]
                assert ticket["number"] == format_ticket_number(prefix, offline["number"])
            expected.append(token)
    for answer in online:
        assert by_token[answer["id"]] == 1, answer
        assert tickets[answer["id"]]["number"] == answer["number"]
        expected.append(answer["id"])
    assert len(expected) == len(set(expected)), "two kiosk tickets map to one server ticket"
    if only_these:
        extra = sorted(set(tickets) - set(expected))
        assert extra == [], f"server tickets no kiosk issued: {[tickets[t] for t in extra]}"

    per_kind = Counter((m["ticket"], m["kind"]) for m in state["sms"])
    assert [k for k, c in per_kind.items() if c > 1] == [], "two SMS rows for one ticket and kind"
    if received is not None:
        got = Counter(text for _to, text in received)
        assert [t for t, c in got.items() if c > 1] == [], f"an SMS was sent twice: {got}"
        sent = [m["text"] for m in state["sms"] if m["status"] in ("sent", "delivered")]
        assert sorted(sent) == sorted(got), (sent, got)
    return state


class SimClock:
    """Simulated wall clock for the kiosk's store (`kiosk.localstore.store._now`): the outbox's
    due times and the 'stuck' limit follow it, so minutes pass without sleeping."""

    def __init__(self, monkeypatch, frozen: bool = False):
        """`frozen`: the clock stands at its creation until advanced (a check that "less
        than N minutes have passed" must not depend on how long the machine took to get
        there); else it runs with the real clock, plus the advances."""
        self.offset = dt.timedelta(0)
        self._lock = threading.Lock()
        self._frozen_at = dt.datetime.now(dt.UTC) if frozen else None
        monkeypatch.setattr(store_module, "_now", self.now)

    def now(self) -> dt.datetime:
        with self._lock:
            return (self._frozen_at or dt.datetime.now(dt.UTC)) + self.offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += dt.timedelta(seconds=seconds)


def drain(engine, clock: SimClock, rounds: int = 60, step: float = 600.0) -> int:
    """Sync until the outbox is empty, letting `step` simulated seconds pass between tries
    (longer than any backoff); returns the number of syncs it took."""
    for attempt in range(1, rounds + 1):
        clock.advance(step)
        engine.sync_once()
        if engine.store.outbox_depth() == 0:
            return attempt
    raise AssertionError(f"outbox not drained after {rounds} syncs: depth {engine.store.outbox_depth()}")
