"""The HTTP transport against a real loopback server: headers, status codes, errors."""

from __future__ import annotations

import json
import random
import uuid

import pytest

from kiosk import __version__
from kiosk.sync.transport import PROTOCOL_VERSION, Transport, TransportError, backoff_seconds
from tests.support.patience import LIVE_TIMEOUT, NEVER
from tests.sync import Reply, closed_port_url, ticket_body
from tests.sync.conftest import TOKEN


@pytest.fixture
def transport(server):
    t = Transport(server.url + "/", TOKEN, timeout=LIVE_TIMEOUT)  # trailing slash is tolerated
    yield t
    t._session.close()


def content_body(cursor="5", items=(), deleted=(), full=False, more=False) -> dict:
    return {"protocol": 1, "cursor": cursor, "full": full, "more": more,
            "items": list(items), "deleted": list(deleted)}


def test_every_request_carries_the_token_and_the_protocol(server, transport):
    server.handler = lambda r: Reply(200, content_body())
    transport.get_content(None)
    server.handler = lambda r: Reply(201, ticket_body())
    transport.create_ticket({"service": "etat-civil"}, str(uuid.uuid4()))
    assert len(server.requests) == 2
    for request in server.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["x-carrefour-protocol"] == str(PROTOCOL_VERSION) == "1"
        assert request.headers["user-agent"] == f"carrefour-kiosk/{__version__}"


def test_get_content_without_cursor_asks_for_everything(server, transport):
    items = [{"kind": "pole", "data": {"id": "logement"}}]
    body = content_body("12", items=items, full=True)
    server.handler = lambda r: Reply(200, body, headers={"ETag": '"s1-c12"'})
    delta = transport.get_content(None)
    request = server.requests[0]
    assert (request.method, request.path, request.query) == ("GET", "/api/v1/content", {})
    assert "if-none-match" not in request.headers
    assert delta.cursor == "12"
    assert delta.items == items
    assert delta.deleted == []
    assert delta.full is True and delta.more is False
    assert delta.etag == '"s1-c12"'
    assert delta.size == len(json.dumps(body).encode())


def test_get_content_sends_cursor_and_etag(server, transport):
    deleted = [{"kind": "service", "id": "ancien"}]
    server.handler = lambda r: Reply(200, content_body("13", deleted=deleted, more=True))
    delta = transport.get_content("12", etag='"s1-c12"')
    request = server.requests[0]
    assert request.query == {"since": "12"}
    assert request.headers["if-none-match"] == '"s1-c12"'
    assert delta.deleted == deleted
    assert delta.more is True
    assert delta.etag is None
    assert delta.full is False


def test_a_numeric_cursor_is_read_as_text(server, transport):
    server.handler = lambda r: Reply(200, {**content_body(), "cursor": 42})
    assert transport.get_content("1").cursor == "42"


def test_not_modified_is_none(server, transport):
    server.handler = lambda r: Reply(304)
    assert transport.get_content("12", etag='"s1-c12"') is None


@pytest.mark.parametrize(
    "body",
    [b"<html>proxy login</html>", {"cursor": "1"}, {"cursor": "1", "items": None, "deleted": [],
                                                    "full": False}, []],
)
def test_an_unreadable_content_payload_is_a_retryable_error(server, transport, body):
    server.handler = lambda r: Reply(200, body)
    with pytest.raises(TransportError, match="unreadable") as info:
        transport.get_content(None)
    assert info.value.retryable is True


def test_unauthorized_is_not_retryable(server, transport):
    server.handler = lambda r: Reply(401, {"detail": "Unauthorized"})
    with pytest.raises(TransportError) as info:
        transport.get_content(None)
    assert info.value.retryable is False
    assert info.value.status == 401
    assert "401" in str(info.value)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_client_errors_are_not_retryable(server, transport, status):
    server.handler = lambda r: Reply(status, {"detail": "no"})
    with pytest.raises(TransportError) as info:
        transport.create_ticket({"service": "x"}, str(uuid.uuid4()))
    assert (info.value.retryable, info.value.status) == (False, status)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_and_throttling_are_retryable(server, transport, status):
    server.handler = lambda r: Reply(status, "busy")
    with pytest.raises(TransportError) as info:
        transport.get_content(None)
    assert (info.value.retryable, info.value.status) == (True, status)
    assert str(status) in str(info.value)


def test_connection_refused_is_retryable():
    t = Transport(closed_port_url(), TOKEN, timeout=2.0)
    with pytest.raises(TransportError, match="ConnectionError") as info:
        t.get_content(None)
    assert info.value.retryable is True
    assert info.value.status is None


def test_a_stalled_server_times_out_on_the_given_timeout_and_retryably(server):
    """The server never answers (until teardown), so the timeout fires whatever the
    machine's speed; the one the transport was given is the one applied."""
    server.handler = lambda r: Reply(200, content_body(), delay=NEVER)
    t = Transport(server.url, TOKEN, timeout=0.3)
    asked = []
    request = t._session.request
    t._session.request = lambda *a, **kw: asked.append(kw["timeout"]) or request(*a, **kw)
    with pytest.raises(TransportError, match="Timeout") as info:
        t.get_content(None)
    assert asked == [0.3]
    assert info.value.retryable is True
    t._session.close()


def test_create_ticket_posts_json_with_the_idempotency_key(server, transport):
    key = str(uuid.uuid4())
    server.handler = lambda r: Reply(201, ticket_body("D007"))
    result = transport.create_ticket({"service": "deces", "language": "ar"}, key)
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/api/v1/tickets")
    assert request.headers["idempotency-key"] == key
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"service": "deces", "language": "ar"}
    assert result["number"] == "D007"


def test_a_replayed_ticket_answer_is_returned_too(server, transport):
    server.handler = lambda r: Reply(200, ticket_body("D007"))
    assert transport.create_ticket({"service": "deces"}, str(uuid.uuid4()))["number"] == "D007"


def test_ticket_status(server, transport):
    server.handler = lambda r: Reply(200, {**ticket_body("C003"), "status": "called"})
    result = transport.ticket_status("abcdefghijklmnopqrstuv")
    assert server.requests[0].path == "/api/v1/tickets/abcdefghijklmnopqrstuv"
    assert result["status"] == "called"


# -- backoff ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attempt,ceiling", [(0, 1), (1, 1), (2, 2), (3, 4), (5, 16), (9, 256), (10, 300), (50, 300)]
)
def test_backoff_ceiling_doubles_up_to_the_cap(attempt, ceiling):
    assert backoff_seconds(attempt, rng=lambda: 1.0) == ceiling
    assert backoff_seconds(attempt, rng=lambda: 0.0) == 0


def test_backoff_respects_base_and_cap():
    assert backoff_seconds(4, base=0.5, cap=60, rng=lambda: 1.0) == 4.0
    assert backoff_seconds(20, base=0.5, cap=60, rng=lambda: 1.0) == 60


def test_backoff_is_jittered_within_bounds():
    rng = random.Random(1234).random
    values = [backoff_seconds(6, rng=rng) for _ in range(200)]
    assert all(0 <= v <= 32 for v in values)
    assert len(set(values)) > 150  # kiosks do not retry in step
    assert min(values) < 8 and max(values) > 24


def test_backoff_stays_at_the_cap_for_huge_attempt_counts():
    assert backoff_seconds(5000, rng=lambda: 1.0) == 300


def test_appointment_slots_reads_the_times_only(server, transport):
    server.handler = lambda r: Reply(200, {"times": ["10:12", "09:55", "10:12"]})
    assert transport.appointment_slots() == ["09:55", "10:12"]
    request = server.requests[0]
    assert (request.method, request.path, request.query) == (
        "GET", "/api/v1/appointments/slots", {})


@pytest.mark.parametrize("body", [{}, {"times": "10:12"}, {"times": ["10h12"]},
                                  {"times": ["24:00"]}, {"times": [612]}, []])
def test_an_unreadable_slots_answer_is_a_transport_error(server, transport, body):
    server.handler = lambda r: Reply(200, body)
    with pytest.raises(TransportError, match="slots answer unreadable"):
        transport.appointment_slots()
