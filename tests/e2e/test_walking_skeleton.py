"""The whole path: kiosk syncs content, takes a ticket, an agent calls it, the phone sees it."""

from __future__ import annotations

import re

import pytest
import requests

from kiosk.localstore import LocalStore
from kiosk.sync.desk import TicketDesk, TicketUnavailable
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.conftest import demo_data
from tests.support.patience import LIVE_TIMEOUT


def _agent_session(server) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/connexion/", timeout=LIVE_TIMEOUT)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{server.url}/connexion/",
        data={"username": server.agent["username"], "password": server.agent["password"],
              "csrfmiddlewaretoken": csrf, "next": "/guichet/"},
        headers={"Referer": f"{server.url}/connexion/"}, timeout=LIVE_TIMEOUT,
    )
    assert response.status_code == 200 and "/guichet/" in response.url, response.text[:300]
    return session


def _post_action(session, counter_url, action):
    page = session.get(counter_url, timeout=LIVE_TIMEOUT)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(f"{counter_url}{action}/", data={"csrfmiddlewaretoken": csrf},
                        headers={"Referer": counter_url}, timeout=LIVE_TIMEOUT)


def test_a_ticket_taken_at_the_kiosk_is_called_at_the_counter_and_seen_on_the_phone(
    server, tmp_path
):
    store = LocalStore(tmp_path / "kiosk.sqlite3")
    transport = Transport(server.url, server.kiosk_token)
    report = SyncEngine(store, transport).sync_once()
    assert report.online and report.content_changed, report.error
    poles = store.poles()
    assert [p.id for p in poles] == ["citoyennete", "famille-social", "logement", "vie-quartier"]

    # The agent's counter serves some services: take a ticket for one of them.
    session = _agent_session(server)
    console = session.get(f"{server.url}/guichet/", timeout=LIVE_TIMEOUT)
    if console.url.rstrip("/").endswith("/guichet"):
        # Several counters: the agent picks the first one (Guichet 1) on the pick page.
        first = re.search(r'href="(/guichet/\d+/)"', console.text)
        assert first, "the pick page lists no counter"
        console = session.get(f"{server.url}{first.group(1)}", timeout=LIVE_TIMEOUT)
    counter_url = console.url
    # Guichet 1 (the first on the pick page) serves the first counter's services of the demo.
    first_counter = demo_data()["counters"][0]
    assert first_counter["name"] in console.text
    served = [s for s in store.services() if s.ticketing and s.id in first_counter["services"]]
    assert served, "the demo counter serves no ticketing service"
    assert served[0].title("fr") in console.text
    ticket = TicketDesk(transport).take_ticket(served[0].id, language="en")
    assert re.fullmatch(r"[A-Z]\d{3}", ticket["number"])
    assert ticket["status"] == "waiting" and ticket["position"] >= 1

    phone = requests.get(ticket["phone_url"], timeout=LIVE_TIMEOUT)
    assert phone.status_code == 200 and ticket["number"] in phone.text
    assert "En attente" in phone.text

    # Call until our ticket comes up (other tests of the module may have queued some).
    for _ in range(200):
        response = _post_action(session, counter_url, "next")
        assert response.status_code == 200
        if f">{ticket['number']}<" in response.text:
            break
    else:
        pytest.fail("the counter never called the kiosk's ticket")

    phone = requests.get(ticket["phone_url"], timeout=LIVE_TIMEOUT)
    assert "Appelé" in phone.text
    status = transport.ticket_status(ticket["id"])
    assert status["status"] == "called" and status["counter"]

    response = _post_action(session, counter_url, "done")
    assert transport.ticket_status(ticket["id"])["status"] == "done"
    store.close()


def test_the_kiosk_keeps_its_content_when_the_server_is_down(server, tmp_path):
    store = LocalStore(tmp_path / "kiosk.sqlite3")
    SyncEngine(store, Transport(server.url, server.kiosk_token)).sync_once()
    count = len(store.services())
    assert count >= 12
    store.close()

    dead = Transport("http://127.0.0.1:9", server.kiosk_token, timeout=0.5)  # nothing listens
    store = LocalStore(tmp_path / "kiosk.sqlite3")  # a restarted kiosk
    report = SyncEngine(store, dead).sync_once()
    assert not report.online and report.error
    assert len(store.services()) == count
    with pytest.raises(TicketUnavailable):
        TicketDesk(dead, deadline=1.0, pause=0.2).take_ticket(store.services()[0].id)
    store.close()


def test_an_unchanged_content_costs_a_304(server, tmp_path):
    store = LocalStore(tmp_path / "kiosk.sqlite3")
    transport = Transport(server.url, server.kiosk_token)
    SyncEngine(store, transport).sync_once()
    again = SyncEngine(store, transport).sync_once()
    assert again.online and not again.content_changed and again.bytes_received == 0
    store.close()


def test_a_revoked_token_is_refused(server):
    response = requests.get(f"{server.url}/api/v1/content",
                            headers={"Authorization": "Bearer not-a-real-token"}, timeout=LIVE_TIMEOUT)
    assert response.status_code == 401


def test_polled_pages_revalidate_across_the_server_processes(server):
    """Conditional polling through gunicorn's worker processes (docs/queues.md): 304 while
    the queue has not changed, whichever worker answers, and 200 from every worker once
    one of them has changed the queue (the version is in the database)."""
    import uuid

    auth = {"Authorization": f"Bearer {server.kiosk_token}"}
    items = requests.get(f"{server.url}/api/v1/content", headers=auth, timeout=LIVE_TIMEOUT).json()["items"]
    service = next(i["data"]["id"] for i in items
                   if i["kind"] == "service" and i["data"]["ticketing"])

    def take():
        return requests.post(f"{server.url}/api/v1/tickets", json={"service": service},
                             headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
                             timeout=30).json()

    url = f"{server.url}/t/{take()['id']}/etat.json"

    def codes(etag):  # a new connection each time: the workers take them in turn
        return {requests.get(url, headers={"If-None-Match": etag}, timeout=LIVE_TIMEOUT).status_code
                for _ in range(12)}

    for _ in range(3):  # a 30 s time bucket may turn in between: then look again
        etag = requests.get(url, timeout=LIVE_TIMEOUT).headers["ETag"]
        if codes(etag) == {304}:
            break
    else:
        pytest.fail("an unchanged queue never answered 304 from every worker")
    take()  # a queue change, made by one of the workers
    assert codes(etag) == {200}
