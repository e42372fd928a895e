"""The kiosk's desk sends `help_reading` (the visitor used read-aloud) with the ticket, online
and offline (in the outbox), and only when true: a ticket without it is the same request as
before, so an older server and the frozen contract (tests/compat) see nothing new."""

from __future__ import annotations

import pytest

from kiosk.sync.desk import TicketDesk
from kiosk.sync.transport import Transport
from tests.support.patience import LIVE_TIMEOUT
from tests.sync import Reply, closed_port_url, ticket_body
from tests.sync.conftest import TOKEN

DAY = "2026-03-03"


@pytest.mark.parametrize("helped", [True, False])
def test_online_the_request_carries_it_only_when_true(server, store, helped):
    server.handler = lambda request: Reply(201, ticket_body("C007"))
    desk = TicketDesk(Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT), deadline=0.3, pause=0.1,
                      store=store, today=lambda: DAY)
    desk.take_ticket("etat-civil", "wo", help_reading=helped)
    body = server.requests[-1].json()
    assert body.get("help_reading") is (True if helped else None)
    assert body["language"] == "wo"


@pytest.mark.parametrize("helped", [True, False])
def test_offline_the_outbox_keeps_it(store, helped):
    store.add_lease("etat-civil", DAY, 41, 50, "C")
    desk = TicketDesk(Transport(closed_port_url(), TOKEN, timeout=1.0), deadline=0.3,
                      pause=0.1, store=store, today=lambda: DAY)
    ticket = desk.take_ticket("etat-civil", "bm", help_reading=helped)
    assert ticket["offline"] is True
    payload = store.outbox_item(ticket["outbox_id"]).payload
    assert payload.get("help_reading") is (True if helped else None)
