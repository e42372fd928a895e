"""Transport calls for "call an agent" and the queue status, against a real loopback server;
the outbox sends "assistance" rows with their key; new content kinds go through a sync."""

from __future__ import annotations

import uuid

import pytest

from kiosk.localstore import OutboxStatus
from kiosk.sync.engine import SENDERS, SyncEngine
from kiosk.sync.transport import TransportError
from tests.sync import Reply
from tests.sync.conftest import TOKEN

REQUEST_ID = "3f1c9a52-5a8e-4a55-9c3b-2f1d8e0b6a11"


def assistance_body(status="open", agent=None) -> dict:
    return {"id": REQUEST_ID, "status": status, "language": "ar", "note": "",
            "created_at": "2025-03-03T09:00:00+01:00",
            "handled_at": None if status == "open" else "2025-03-03T09:01:00+01:00",
            "agent": agent}


QUEUES = {"services": {"naissance": {"waiting": 3, "estimated_wait_minutes": 18, "open_counters": 2},
                       "identite-passeport": {"waiting": 0, "estimated_wait_minutes": None,
                                              "open_counters": 0}},
          "at": "2025-03-03T09:00:00+01:00"}


# -- call an agent -----------------------------------------------------------------------


def test_request_assistance_posts_with_the_key(server, transport):
    server.handler = lambda r: Reply(201, assistance_body())
    key = str(uuid.uuid4())
    answer = transport.request_assistance({"language": "ar", "note": ""}, key)
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/api/v1/assistance")
    assert request.headers["idempotency-key"] == key
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json() == {"language": "ar", "note": ""}
    assert answer["status"] == "open" and answer["id"] == REQUEST_ID


def test_the_open_request_comes_back_with_200(server, transport):
    server.handler = lambda r: Reply(200, assistance_body())
    assert transport.request_assistance({"language": "fr"}, str(uuid.uuid4()))["id"] == REQUEST_ID


def test_assistance_status(server, transport):
    server.handler = lambda r: Reply(200, assistance_body("handled", agent="Awa"))
    answer = transport.assistance_status(REQUEST_ID)
    assert server.requests[0].path == f"/api/v1/assistance/{REQUEST_ID}"
    assert server.requests[0].method == "GET"
    assert (answer["status"], answer["agent"]) == ("handled", "Awa")


def test_assistance_status_quotes_the_id(server, transport):
    server.handler = lambda r: Reply(404, {"detail": "no such assistance request"})
    with pytest.raises(TransportError) as caught:
        transport.assistance_status("../tickets/x")
    assert server.requests[0].path == "/api/v1/assistance/..%2Ftickets%2Fx"
    assert (caught.value.status, caught.value.retryable) == (404, False)


@pytest.mark.parametrize(("status", "retryable"), [(422, False), (401, False), (503, True),
                                                   (429, True)])
def test_assistance_errors(server, transport, status, retryable):
    server.handler = lambda r: Reply(status, {"detail": "x"})
    with pytest.raises(TransportError) as caught:
        transport.request_assistance({"language": "fr"}, str(uuid.uuid4()))
    assert caught.value.retryable is retryable


def test_the_outbox_sends_an_assistance_row_with_its_key(server, transport, store):
    assert "assistance" in SENDERS
    item = store.enqueue("assistance", {"language": "wo", "note": ""})
    server.handler = lambda r: (Reply(201, assistance_body()) if r.path == "/api/v1/assistance"
                                else Reply(304))
    report = SyncEngine(store, transport).sync_once()
    assert report.pushed == 1
    post = next(r for r in server.requests if r.method == "POST")
    assert post.headers["idempotency-key"] == item.idempotency_key
    assert post.json() == {"language": "wo", "note": ""}
    done = store.outbox_item(item.id)
    assert done.status == OutboxStatus.SENT
    assert done.result["id"] == REQUEST_ID


def test_an_assistance_row_is_retried_with_the_same_key(server, transport, store):
    item = store.enqueue("assistance", {"language": "fr"})
    server.handler = lambda r: Reply(503, {"detail": "down"})
    report = SyncEngine(store, transport).sync_once()
    assert report.online is False
    assert store.outbox_item(item.id).status == OutboxStatus.PENDING
    keys = {r.headers["idempotency-key"] for r in server.requests if r.method == "POST"}
    assert keys == {item.idempotency_key}


# -- queue status ------------------------------------------------------------------------


def test_queue_status(server, transport):
    server.handler = lambda r: Reply(200, QUEUES)
    answer = transport.queue_status()
    assert (server.requests[0].method, server.requests[0].path) == ("GET", "/api/v1/queues")
    assert answer["services"]["naissance"]["estimated_wait_minutes"] == 18
    assert answer["services"]["identite-passeport"]["estimated_wait_minutes"] is None


@pytest.mark.parametrize("body", [b"not json", [1, 2], {"services": []}, {"at": "x"}])
def test_an_unreadable_queue_status_is_a_retryable_error(server, transport, body):
    server.handler = lambda r: Reply(200, body)
    with pytest.raises(TransportError) as caught:
        transport.queue_status()
    assert caught.value.retryable is True


def test_queue_status_offline(server, transport):
    server.handler = lambda r: Reply(502, "bad gateway")
    with pytest.raises(TransportError) as caught:
        transport.queue_status()
    assert caught.value.retryable is True


# -- the new content kinds through a sync -------------------------------------------------


def test_a_sync_brings_situations_places_and_their_deletions(server, transport, store):
    situation = {"kind": "situation", "data": {
        "id": "demenagement", "order": 1, "pictogram": "situation-moving",
        "name": {"fr": "Je déménage"}, "services": ["listes-electorales"], "documents": []}}
    place = {"kind": "place", "data": {
        "id": "parc", "order": 1, "kind": "park", "pictogram": "place-park",
        "walking_minutes": 2, "address": "", "name": {"fr": "Parc"}}}
    pages = iter([
        {"protocol": 1, "cursor": "3", "full": True, "more": False,
         "items": [situation, place], "deleted": []},
        {"protocol": 1, "cursor": "4", "full": False, "more": False,
         "items": [], "deleted": [{"kind": "place", "id": "parc"}]},
    ])
    server.handler = lambda r: Reply(200, next(pages))
    engine = SyncEngine(store, transport)
    assert engine.sync_once().content_changed
    assert [s.id for s in store.situations()] == ["demenagement"]
    assert [p.id for p in store.places()] == ["parc"]
    assert engine.sync_once().content_changed
    assert store.places() == []
    assert store.content_cursor() == "4"
