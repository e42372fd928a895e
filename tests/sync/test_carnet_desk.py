"""The carnet on the kiosk's side of the wire: the ticked documents and a typed carnet code
travel with the ticket request (online, retried, offline), an offline ticket mints its own
carnet code, and `GET /carnets/{code}` answers known / unknown (docs/protocol.md)."""

from __future__ import annotations

import pytest

from kiosk.domain import carnet_code
from kiosk.ports import TransportError
from kiosk.sync.desk import TicketDesk, carnet_fields
from kiosk.sync.transport import Transport
from tests.support.patience import GUARD
from tests.sync import Reply, closed_port_url, ticket_body
from tests.sync.conftest import TOKEN

DAY = "2026-03-03"
DOCUMENTS = [
    {"doc": "id_card", "text": {"fr": "Pièce d'identité", "en": "Identity document"},
     "have": True},
    {"doc": "", "text": {"fr": "Livret de famille"}, "have": False},
]


def valid_code() -> str:
    return carnet_code.mint()


def mistyped(code: str) -> str:
    """The same code with its last digit changed: the check digit no longer holds."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_the_request_carries_the_documents_and_a_checked_carnet_code(server, transport):
    code = valid_code()
    server.handler = lambda request: Reply(201, {**ticket_body(), "carnet_code": "0000000000",
                                                 "carnet_linked": True})
    desk = TicketDesk(transport, deadline=2, pause=0.05)
    ticket = desk.take_ticket("etat-civil", "fr", documents=DOCUMENTS,
                              carnet=carnet_code.display(code))
    body = server.requests[0].json()
    assert body["documents"] == DOCUMENTS
    assert body["carnet"] == code  # typed grouped "123 456 7890": sent as digits
    assert ticket["carnet_linked"] is True


def test_a_mistyped_code_and_an_empty_checklist_are_not_sent(server, transport):
    server.handler = lambda request: Reply(201, ticket_body())
    desk = TicketDesk(transport, deadline=2, pause=0.05)
    desk.take_ticket("etat-civil", "fr", documents=[], carnet=mistyped(valid_code()))
    body = server.requests[0].json()
    assert "documents" not in body and "carnet" not in body


def test_retries_send_the_same_documents_and_code_under_one_key(server, transport):
    code = valid_code()
    answers = iter([Reply(503), Reply(503), Reply(201, ticket_body())])
    server.handler = lambda request: next(answers)
    desk = TicketDesk(transport, deadline=GUARD, pause=0.01)  # a guard: the 3rd answers
    desk.take_ticket("etat-civil", "fr", documents=DOCUMENTS, carnet=code)
    assert len(server.requests) == 3
    assert len({r.headers["idempotency-key"] for r in server.requests}) == 1
    bodies = [r.json() for r in server.requests]
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["documents"] == DOCUMENTS and bodies[0]["carnet"] == code


def test_the_wire_limits_are_kept():
    many = [{"doc": "", "text": {"fr": "x" * 300}, "have": 1}] * 25 + [{"text": "not a dict"}]
    fields = carnet_fields(many)
    assert len(fields["documents"]) == 20
    assert all(len(d["text"]["fr"]) == 200 and d["have"] is True for d in fields["documents"])


def test_an_offline_ticket_keeps_documents_and_mints_its_own_carnet_code(store):
    typed = valid_code()
    store.add_lease("etat-civil", DAY, 5, 6, "C")
    desk = TicketDesk(Transport(closed_port_url(), TOKEN, timeout=1.0), deadline=0.3,
                      pause=0.1, store=store, today=lambda: DAY)
    first = desk.take_ticket("etat-civil", "fr", documents=DOCUMENTS, carnet=typed)
    second = desk.take_ticket("etat-civil", "fr")
    assert first["offline"] is True and first["number"] == "C005"
    payload = store.outbox_item(first["outbox_id"]).payload
    minted = payload["offline"]["carnet_code"]
    assert carnet_code.is_valid(minted) and minted == first["carnet_code"]
    assert payload["documents"] == DOCUMENTS and first["documents"] == DOCUMENTS
    assert payload["carnet"] == typed and first["carnet"] == typed
    assert first["carnet_linked"] is False  # unchecked offline: known after the upload
    # Each offline ticket has its own code; one without a checklist sends none.
    other = store.outbox_item(second["outbox_id"]).payload
    assert other["offline"]["carnet_code"] != minted and second["carnet_code"] != minted
    assert "documents" not in other and "carnet" not in other


def test_the_carnet_check_answers_known_and_unknown(server, transport):
    code = valid_code()
    server.handler = lambda request: (
        Reply(200, {"ok": True, "procedures": 2}) if request.path.endswith(code)
        else Reply(404, {"detail": "unknown or expired"}))
    assert transport.check_carnet(code) == {"ok": True, "procedures": 2}
    assert server.requests[0].path == f"/api/v1/carnets/{code}"
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    with pytest.raises(TransportError) as unknown:
        transport.check_carnet(mistyped(code))
    assert unknown.value.status == 404 and not unknown.value.retryable


def test_a_rate_limited_check_is_retryable(server, transport):
    server.handler = lambda request: Reply(429, {"detail": "slow down"})
    with pytest.raises(TransportError) as limited:
        transport.check_carnet(valid_code())
    assert limited.value.retryable
