"""SyncEngine (push outbox, then pull content) and TicketDesk (one key, retried) over real HTTP."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid

import pytest

from kiosk.localstore import OutboxStatus
from kiosk.sync.desk import TicketDesk, TicketUnavailable
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.patience import GUARD, LIVE_TIMEOUT, NEVER, wait_until
from tests.sync import Reply, closed_port_url, ticket_body
from tests.sync.conftest import TOKEN


def pole(id_, order=1, name=None) -> dict:
    return {"kind": "pole", "data": {"id": id_, "order": order, "color": "#336699",
                                     "pictogram": "mairie", "name": {"fr": name or id_}}}


def service(id_, pole_, prefix, order=1) -> dict:
    return {"kind": "service", "data": {"id": id_, "pole": pole_, "order": order,
                                        "prefix": prefix, "pictogram": "info",
                                        "name": {"fr": id_}}}


def content(cursor, items=(), deleted=(), full=False, more=False) -> dict:
    return {"protocol": 1, "cursor": str(cursor), "full": full, "more": more,
            "items": list(items), "deleted": list(deleted)}


class Recorder:
    def __init__(self):
        self.changed = 0
        self.reports = []

    def on_changed(self):
        self.changed += 1

    def on_status(self, report):
        self.reports.append(report)


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def engine(store, transport, recorder):
    return SyncEngine(store, transport, recorder.on_changed, recorder.on_status)


class Routes:
    """Answer tickets and content pages by request; content pages keyed by `since`."""

    def __init__(self, pages: dict[str | None, Reply], ticket: Reply | None = None):
        self.pages = pages
        self.ticket = ticket or Reply(201, ticket_body())

    def __call__(self, request):
        if request.method == "POST" and request.path == "/api/v1/tickets":
            return self.ticket
        if request.path == "/api/v1/content":
            return self.pages.get(request.query.get("since"), Reply(500, "unexpected since"))
        return Reply(404, {"detail": "no route"})


def test_sync_pushes_the_outbox_then_pulls_a_multi_page_delta(server, store, engine, recorder):
    queued = store.enqueue("ticket", {"service": "etat-civil", "language": "fr"})
    server.handler = Routes(
        {
            None: Reply(200, content(3, [pole("citoyennete"), pole("logement", 2)], full=True,
                                     more=True)),
            "3": Reply(200, content(5, [service("etat-civil", "citoyennete", "C")],
                                    deleted=[{"kind": "pole", "id": "logement"}], more=True)),
            "5": Reply(200, content(6, [service("deces", "citoyennete", "D", 0)]),
                       headers={"ETag": '"s1-c6"'}),
        },
        ticket=Reply(201, ticket_body("C001")),
    )
    report = engine.sync_once()

    assert [(r.method, r.path, r.query.get("since")) for r in server.requests] == [
        ("POST", "/api/v1/tickets", None),
        ("GET", "/api/v1/content", None),
        ("GET", "/api/v1/content", "3"),
        ("GET", "/api/v1/content", "5"),
    ]
    assert server.requests[0].headers["idempotency-key"] == queued.idempotency_key
    assert server.requests[0].json() == {"service": "etat-civil", "language": "fr"}

    sent = store.outbox_item(queued.id)
    assert sent.status is OutboxStatus.SENT
    assert sent.result["number"] == "C001"
    assert store.outbox_depth() == 0

    assert [p.id for p in store.poles()] == ["citoyennete"]
    assert [s.id for s in store.services()] == ["deces", "etat-civil"]
    assert store.content_cursor() == "6"
    assert store.content_etag() == '"s1-c6"'

    assert report.online is True and report.error is None
    assert report.pushed == 1
    assert report.pulled == 2 + 2 + 1  # rows written or deleted
    assert report.content_changed is True
    assert report.bytes_received > 0
    assert recorder.changed == 1
    assert recorder.reports == [report]


def test_not_modified_changes_nothing(server, store, engine, recorder):
    store.apply_content("6", [pole("citoyennete")], [], full=True, etag='"s1-c6"')
    server.handler = Routes({"6": Reply(304)})
    report = engine.sync_once()
    request = server.requests[0]
    assert request.query == {"since": "6"}
    assert request.headers["if-none-match"] == '"s1-c6"'
    assert report.content_changed is False and report.pulled == 0
    assert report.online is True
    assert recorder.changed == 0
    assert store.content_cursor() == "6"
    assert [p.id for p in store.poles()] == ["citoyennete"]


def test_an_empty_delta_moves_the_cursor_without_a_content_change(server, store, engine, recorder):
    store.apply_content("6", [pole("citoyennete")], [], full=True, etag='"s1-c6"')
    server.handler = Routes({"6": Reply(200, content(6), headers={"ETag": '"s1-c6b"'})})
    report = engine.sync_once()
    assert report.content_changed is False
    assert recorder.changed == 0
    assert store.content_etag() == '"s1-c6b"'
    assert [p.id for p in store.poles()] == ["citoyennete"]


def test_a_retryable_push_failure_backs_off_and_skips_the_pull(server, store, engine, recorder):
    queued = store.enqueue("ticket", {"service": "etat-civil"})
    server.handler = Routes({None: Reply(200, content(1, [pole("x")], full=True))},
                            ticket=Reply(503, "maintenance"))
    before = dt.datetime.now(dt.UTC)
    report = engine.sync_once()
    after = dt.datetime.now(dt.UTC)
    assert report.online is False
    assert "503" in report.error
    assert [r.method for r in server.requests] == ["POST"]  # no pull after a failed push
    row = store.outbox_item(queued.id)
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert "503" in row.last_error
    # Retried after the first backoff step (at most 1 s) from when it failed.
    assert before <= row.next_attempt_at <= after + dt.timedelta(seconds=1)
    assert store.content_cursor() is None
    assert recorder.reports == [report]


def test_a_refused_push_is_dropped_and_the_pull_goes_on(server, store, engine):
    queued = store.enqueue("ticket", {"service": "rendez-vous"})
    server.handler = Routes({None: Reply(200, content(1, [pole("x")], full=True))},
                            ticket=Reply(409, {"detail": "appointment only"}))
    report = engine.sync_once()
    row = store.outbox_item(queued.id)
    assert row.status is OutboxStatus.FAILED
    assert "409" in row.last_error
    assert report.pushed == 0
    assert report.online is True
    assert [p.id for p in store.poles()] == ["x"]


def test_an_outbox_row_of_unknown_kind_is_rejected_without_a_request(server, store, engine):
    queued = store.enqueue("contribution-v9", {"text": "?"})
    server.handler = Routes({None: Reply(200, content(1, full=True))})
    engine.sync_once()
    assert store.outbox_item(queued.id).status is OutboxStatus.FAILED
    assert [r.method for r in server.requests] == ["GET"]


def test_a_row_stuck_in_sending_is_sent_again_with_its_key(server, store, engine, tmp_path):
    queued = store.enqueue("ticket", {"service": "etat-civil"})
    store.claim_due()  # a previous process claimed it and died
    db = sqlite3.connect(tmp_path / "kiosk.sqlite3", isolation_level=None)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat()
    db.execute("UPDATE outbox SET claimed_at = ?", (old,))
    db.close()
    server.handler = Routes({None: Reply(200, content(1, full=True))})
    report = engine.sync_once()
    assert report.pushed == 1
    assert server.requests[0].headers["idempotency-key"] == queued.idempotency_key
    assert store.outbox_item(queued.id).status is OutboxStatus.SENT


def test_a_bad_content_payload_keeps_the_last_good_snapshot(server, store, engine, recorder):
    store.apply_content("4", [pole("citoyennete")], [], full=True, etag='"s1-c4"')
    bad_pole = pole("logement")
    bad_pole["data"]["color"] = "not-a-color"
    server.handler = Routes({"4": Reply(200, content(5, [pole("famille"), bad_pole]))})
    report = engine.sync_once()
    assert report.error.startswith("content rejected")
    assert "color" in report.error
    assert report.content_changed is False
    assert recorder.changed == 0
    assert store.content_cursor() == "4"
    assert [p.id for p in store.poles()] == ["citoyennete"]


def test_a_bad_second_page_keeps_the_first_page(server, store, engine):
    bad = service("x", "citoyennete", "not-a-letter")
    server.handler = Routes({
        None: Reply(200, content(3, [pole("citoyennete")], full=True, more=True)),
        "3": Reply(200, content(4, [bad])),
    })
    report = engine.sync_once()
    assert report.error.startswith("content rejected")
    assert store.content_cursor() == "3"  # the good first page and its cursor stay
    assert [p.id for p in store.poles()] == ["citoyennete"]
    assert store.services() == []


def test_a_malformed_field_is_reported_not_raised(server, store, engine):
    store.apply_content("4", [pole("citoyennete")], [], full=True)
    broken = pole("logement")
    broken["data"]["order"] = "x"
    server.handler = Routes({"4": Reply(200, content(5, [broken]))})
    report = engine.sync_once()
    assert report.error.startswith("content rejected")
    assert store.content_cursor() == "4"


def test_offline_is_reported_not_raised(store, recorder):
    transport = Transport(closed_port_url(), TOKEN, timeout=1.0)
    queued = store.enqueue("ticket", {"service": "etat-civil"})
    engine = SyncEngine(store, transport, recorder.on_changed, recorder.on_status)
    report = engine.sync_once()
    assert report.online is False
    assert "ConnectionError" in report.error
    assert store.outbox_item(queued.id).status is OutboxStatus.PENDING
    assert recorder.reports == [report]


def test_unauthorized_pull_is_reported_offline(server, store, engine):
    server.handler = lambda request: Reply(401, {"detail": "Unauthorized"})
    report = engine.sync_once()
    assert report.online is False
    assert "401" in report.error


def test_run_syncs_until_stopped_and_wake_triggers_a_sync_at_once(server, store, engine):
    server.handler = Routes({None: Reply(200, content(1, full=True)), "1": Reply(304)})
    engine.push = False  # counts the plain loop's requests; with push: tests/sync/test_content_push.py
    stop = threading.Event()
    thread = threading.Thread(target=engine.run, args=(stop,), kwargs={"interval": NEVER})
    thread.start()
    try:
        assert wait_until(lambda: len(server.requests) >= 1)
        assert len(server.requests) == 1
        engine.wake()  # without it the next sync is an hour away
        assert wait_until(lambda: len(server.requests) >= 2)
        assert len(server.requests) == 2
        assert server.requests[1].query == {"since": "1"}
    finally:
        stop.set()
        engine.wake()
        thread.join(timeout=GUARD)
    assert not thread.is_alive()
    assert engine.failures == 0


def test_run_counts_consecutive_failures(store):
    transport = Transport(closed_port_url(), TOKEN, timeout=1.0)
    stop = threading.Event()
    seen = []

    def on_status(report):
        seen.append(report)
        if len(seen) == 3:
            stop.set()

    engine = SyncEngine(store, transport, on_status=on_status)
    engine.run(stop, interval=0.05)  # the delay is capped by the interval
    assert [r.online for r in seen] == [False, False, False]
    assert engine.failures == 3


def test_run_survives_a_long_outage(store):
    transport = Transport(closed_port_url(), TOKEN, timeout=1.0)
    stop = threading.Event()
    engine = SyncEngine(store, transport, on_status=lambda report: stop.set())
    engine.failures = 1100
    engine.run(stop, interval=0.05)
    assert engine.failures == 1101


# -- TicketDesk ------------------------------------------------------------------------


def test_desk_returns_the_ticket_on_first_success(server, transport):
    server.handler = lambda request: Reply(201, ticket_body("F012", service="caf"))
    desk = TicketDesk(transport, deadline=2.0, pause=0.01)
    ticket = desk.take_ticket("caf", language="wo")
    assert ticket["number"] == "F012"
    assert len(server.requests) == 1
    assert server.requests[0].json() == {"service": "caf", "language": "wo"}
    uuid.UUID(server.requests[0].headers["idempotency-key"])


def test_desk_retries_with_the_same_idempotency_key(server, transport):
    answers = iter([Reply(503, "busy"), Reply(502, "bad gateway"), Reply(429, "slow down"),
                    Reply(201, ticket_body("C042"))])
    server.handler = lambda request: next(answers)
    desk = TicketDesk(transport, deadline=GUARD, pause=0.01)
    assert desk.take_ticket("etat-civil")["number"] == "C042"
    keys = [r.headers["idempotency-key"] for r in server.requests]
    assert len(keys) == 4
    assert len(set(keys)) == 1
    assert str(uuid.UUID(keys[0])) == keys[0]


def test_desk_retries_a_timeout_with_the_same_key(server):
    """The first request never gets an answer, so its short timeout fires whatever the
    machine's speed; the retry has a live server's timeout and gets the replay."""
    transport = Transport(server.url, TOKEN, timeout=0.2)

    def handler(request):
        if len(server.requests) > 1:
            return Reply(200, ticket_body("C001"))
        transport.timeout = LIVE_TIMEOUT  # read per request: for the retry
        return Reply(201, ticket_body("C001"), delay=NEVER)  # until teardown

    server.handler = handler
    desk = TicketDesk(transport, deadline=GUARD, pause=0.01)
    assert desk.take_ticket("etat-civil")["number"] == "C001"
    keys = [r.headers["idempotency-key"] for r in server.requests]
    assert len(keys) == 2 and keys[0] == keys[1]
    transport._session.close()


def test_each_ticket_request_gets_a_new_key(server, transport):
    server.handler = lambda request: Reply(201, ticket_body())
    desk = TicketDesk(transport, deadline=1.0, pause=0.01)
    desk.take_ticket("etat-civil")
    desk.take_ticket("etat-civil")
    keys = [r.headers["idempotency-key"] for r in server.requests]
    assert len(keys) == 2 and keys[0] != keys[1]


def test_desk_gives_up_after_the_deadline(server, transport):
    """Retries every `pause` until the next one would pass the deadline, then gives up: on
    the desk's own clock (advanced by its sleeps only), so the machine's speed is no part
    of it. 1 s of deadline, 0.25 s of pause: tries at 0, 0.25, 0.5, 0.75 and 1.0 s."""
    server.handler = lambda request: Reply(503, "down")
    now = [100.0]
    desk = TicketDesk(transport, deadline=1.0, pause=0.25, clock=lambda: now[0],
                      sleep=lambda s: now.__setitem__(0, now[0] + s))
    with pytest.raises(TicketUnavailable, match="503"):
        desk.take_ticket("etat-civil")
    assert now[0] == 101.0  # never slept past the deadline
    assert len(server.requests) == 5
    assert len({r.headers["idempotency-key"] for r in server.requests}) == 1


def test_desk_gives_up_when_the_network_is_down():
    transport = Transport(closed_port_url(), TOKEN, timeout=0.5)
    desk = TicketDesk(transport, deadline=0.2, pause=0.05)
    with pytest.raises(TicketUnavailable):
        desk.take_ticket("etat-civil")


@pytest.mark.parametrize("status", [404, 409, 401])
def test_desk_does_not_retry_a_refusal(server, transport, status):
    server.handler = lambda request: Reply(status, {"detail": "no"})
    slept = []
    desk = TicketDesk(transport, deadline=5.0, pause=0.5, sleep=slept.append)
    with pytest.raises(TicketUnavailable, match=str(status)):
        desk.take_ticket("etat-civil")
    assert len(server.requests) == 1
    assert slept == []  # given up at once, without a pause
