"""The kiosk's heartbeat: sent by the sync engine after push and pull, at most once per
interval, and harmless against a server that does not know it (protocol compatibility)."""

from __future__ import annotations

import logging

import pytest

from kiosk.sync.engine import SyncEngine, SyncReport
from kiosk.sync.transport import Transport, TransportError
from tests.sync import Reply, closed_port_url, ticket_body
from tests.sync.conftest import TOKEN

OK = {"received_at": "2025-03-03T09:00:00+01:00", "stale_after_seconds": 180}


def content(cursor, items=(), full=False) -> dict:
    return {"protocol": 1, "cursor": str(cursor), "full": full, "more": False,
            "items": list(items), "deleted": []}


POLE = {"kind": "pole", "data": {"id": "citoyennete", "order": 1, "color": "#336699",
                                 "pictogram": "mairie", "name": {"fr": "Citoyenneté"}}}


class Routes:
    """Content at cursor 7, tickets accepted, heartbeat answered with `heartbeat`."""

    def __init__(self, heartbeat: Reply | None = None, ticket: Reply | None = None):
        self.heartbeat = heartbeat or Reply(200, OK)
        self.ticket = ticket or Reply(201, ticket_body())

    def __call__(self, request):
        if request.method == "POST" and request.path == "/api/v1/tickets":
            return self.ticket
        if request.method == "POST" and request.path == "/api/v1/heartbeat":
            return self.heartbeat
        if request.path == "/api/v1/content":
            if request.query.get("since") == "7":
                return Reply(304, headers={"ETag": '"c7"'})
            return Reply(200, content(7, [POLE], full=True), headers={"ETag": '"c7"'})
        return Reply(404, {"detail": "Not Found"})


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def payload_from(store):
    """What the app's heartbeat_payload sends, from the store and the report."""
    seen: list[SyncReport] = []

    def build(report: SyncReport) -> dict:
        seen.append(report)
        return {"version": "0.1.0", "cursor": store.content_cursor(),
                "outbox_depth": store.outbox_depth(), "printer": None,
                "last_error": report.error}

    build.seen = seen
    return build


def heartbeats(server) -> list:
    return [r for r in server.requests if r.path == "/api/v1/heartbeat"]


def test_a_heartbeat_follows_the_sync_with_the_new_cursor_and_outbox(server, store, transport,
                                                                     clock):
    store.enqueue("ticket", {"service": "etat-civil", "language": "fr"})
    store.enqueue("ticket", {"service": "deces", "language": "ar"})
    server.handler = Routes(ticket=Reply(201, ticket_body()))
    build = payload_from(store)
    engine = SyncEngine(store, transport, heartbeat=build, clock=clock)

    report = engine.sync_once()

    assert report.online and report.pushed == 2
    paths = [(r.method, r.path) for r in server.requests]
    assert paths == [("POST", "/api/v1/tickets"), ("POST", "/api/v1/tickets"),
                     ("GET", "/api/v1/content"), ("POST", "/api/v1/heartbeat")]
    sent = heartbeats(server)[0]
    assert sent.json() == {"version": "0.1.0", "cursor": "7", "outbox_depth": 0,
                           "printer": None, "last_error": None,
                           "long_poll_errors": 0, "last_long_poll_error": None}
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert build.seen == [report]
    assert engine.last_heartbeat == clock.now


def test_the_outbox_still_waiting_is_reported(server, store, transport, clock):
    store.enqueue("ticket", {"service": "etat-civil", "language": "fr"})
    # The ticket is refused for now (429: retried later), the content is not reached:
    # the sync is offline, but the server answered, so it hears about it.
    server.handler = Routes(ticket=Reply(429, {"detail": "slow down"}))
    engine = SyncEngine(store, transport, heartbeat=payload_from(store), clock=clock)

    report = engine.sync_once()

    assert report.online is False
    body = heartbeats(server)[0].json()
    assert body["outbox_depth"] == 1
    assert body["cursor"] is None
    assert "429" in body["last_error"]


def test_heartbeats_respect_the_interval(server, store, transport, clock):
    server.handler = Routes()
    engine = SyncEngine(store, transport, heartbeat=payload_from(store),
                        heartbeat_interval=60.0, clock=clock)

    engine.sync_once()  # the first one right away
    assert len(heartbeats(server)) == 1
    clock.now += 30
    engine.sync_once()
    assert len(heartbeats(server)) == 1  # too soon
    clock.now += 29.9
    engine.sync_once()
    assert len(heartbeats(server)) == 1
    clock.now += 0.1
    engine.sync_once()
    assert len(heartbeats(server)) == 2  # 60 s after the last one
    assert all(h.json()["cursor"] == "7" for h in heartbeats(server))


def test_a_failed_heartbeat_is_tried_again_at_the_next_sync(server, store, transport, clock):
    routes = Routes(heartbeat=Reply(503, "busy"))
    server.handler = routes
    engine = SyncEngine(store, transport, heartbeat=payload_from(store), clock=clock)

    assert engine.sync_once().online
    assert engine.last_heartbeat is None
    routes.heartbeat = Reply(200, OK)
    clock.now += 1
    engine.sync_once()
    assert len(heartbeats(server)) == 2
    assert engine.last_heartbeat == clock.now


def test_an_old_server_without_heartbeat_keeps_working(server, store, transport, clock, caplog):
    server.handler = Routes(heartbeat=Reply(404, {"detail": "Not Found"}))
    reports: list[SyncReport] = []
    changed = []
    engine = SyncEngine(store, transport, on_content_changed=lambda: changed.append(1),
                        on_status=reports.append, heartbeat=payload_from(store), clock=clock)

    with caplog.at_level(logging.DEBUG, logger="kiosk.sync.engine"):
        report = engine.sync_once()

    assert report.online is True and report.error is None
    assert report.content_changed and changed == [1]
    assert store.content_cursor() == "7" and [p.id for p in store.poles()] == ["citoyennete"]
    assert reports == [report]
    assert len(heartbeats(server)) == 1
    logged = [r for r in caplog.records if "heartbeat" in r.getMessage()]
    assert logged and all(r.levelno == logging.DEBUG for r in logged)

    clock.now += 1
    again = engine.sync_once()  # next cycle: still online, the sync goes on
    assert again.online is True
    assert engine.failures == 0


def test_no_network_no_heartbeat_attempt(store, clock):
    transport = Transport(closed_port_url(), TOKEN, timeout=1.0)
    sent = []
    engine = SyncEngine(store, transport, heartbeat=lambda report: sent.append(report) or {},
                        clock=clock)
    report = engine.sync_once()
    transport._session.close()
    assert report.online is False
    assert sent == []  # the payload is not even built


def test_a_broken_payload_builder_does_not_stop_the_sync(server, store, transport, clock):
    server.handler = Routes()

    def broken(report):
        raise RuntimeError("bug")

    engine = SyncEngine(store, transport, heartbeat=broken, clock=clock)
    report = engine.sync_once()
    assert report.online is True
    assert heartbeats(server) == []
    assert engine.last_heartbeat is None


def test_without_a_heartbeat_callable_nothing_is_sent(server, store, transport):
    server.handler = Routes()
    SyncEngine(store, transport).sync_once()
    assert heartbeats(server) == []


def test_transport_heartbeat(server, transport):
    server.handler = Routes()
    assert transport.heartbeat({"version": "0.1.0"}) == OK
    server.handler = Routes(heartbeat=Reply(404, {"detail": "Not Found"}))
    with pytest.raises(TransportError) as info:
        transport.heartbeat({"version": "0.1.0"})
    assert info.value.status == 404 and info.value.retryable is False


# -- the app's payload (kiosk.ui.app, no window needed) ---------------------------------


@pytest.mark.parametrize("configured, fault, expected", [
    (False, None, {"state": "unknown", "detail": ""}),
    (False, "absent: no ticket printer configured", {"state": "unknown", "detail": ""}),
    (True, None, {"state": "ok", "detail": ""}),
    (True, "", {"state": "ok", "detail": ""}),
    (True, "paper_out: no paper", {"state": "paper_out", "detail": "no paper"}),
    (True, "absent: /dev/usb/lp0 does not exist",
     {"state": "absent", "detail": "/dev/usb/lp0 does not exist"}),
    (True, "error: OSError: boom", {"state": "error", "detail": "OSError: boom"}),
    (True, "something odd", {"state": "error", "detail": "something odd"}),
    (True, "paper_out: " + "x" * 500, {"state": "paper_out", "detail": "x" * 200}),
])
def test_printer_fault_to_heartbeat(configured, fault, expected):
    from kiosk.ui.app import printer_heartbeat

    assert printer_heartbeat(configured, fault) == expected
