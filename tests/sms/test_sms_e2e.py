"""The whole SMS path with the real Kannel: API ticket with a phone -> outbox row -> worker ->
Kannel sendsms -> fake SMSC, and back: delivery report -> the server's /sms/dlr/ -> row
`delivered`. Gateway down: rows wait, go out when it returns, exactly once.

Real processes on loopback: gunicorn (LocalServer), bearerbox + smsbox + fakesmsc
(KannelHarness), the worker as `python -m kiosk.server sms_worker --once`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

import tests.conftest as conftest
from kiosk.domain.sms_text import CALLED, render_sms
from kiosk.server.launcher import LocalServer, free_port
from tests.support.kannel import KannelHarness, KannelUnavailable
from tests.support.servers import fresh_database_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PHONE = "+33612345678"
OTHER_PHONE = "+33698765432"

ROWS_SCRIPT = (
    "import json; from kiosk.server.notifications.models import SmsMessage as M; "
    "print(json.dumps(list(M.objects.order_by('pk').values("
    "'pk', 'kind', 'status', 'text', 'coding', 'estimate_minutes', 'attempts', "
    "'ticket__public_token'))))"
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[LocalServer, KannelHarness]]:
    """Kannel (ports chosen up front) and a server whose SMS backend is that Kannel.

    Kannel stops first: smsbox 1.4.5 panics when a dlr-url connection is reset under it.
    """
    try:
        kannel = KannelHarness(tmp_path_factory.mktemp("kannel"))
    except KannelUnavailable as exc:
        pytest.skip(str(exc))
    tmp = tmp_path_factory.mktemp("sms-server")
    port = free_port()
    url, drop = fresh_database_url(tmp)
    server = LocalServer(data_dir=tmp, database_url=url, port=port, workers=1, threads=4,
                         extra_env={
                             "SMS_BACKEND": "kannel",
                             "KANNEL_SENDSMS_URL": kannel.base_url,
                             "KANNEL_USERNAME": kannel.username,
                             "KANNEL_PASSWORD": kannel.password,
                             "SMS_DLR_BASE_URL": f"http://127.0.0.1:{port}",
                         })
    try:
        server.manage("migrate", "--noinput")
        server.manage("load_demo", "--file", str(conftest.DEMO_FILE), "--without-timetables")
        server.start(timeout=DEADLINE)
        kannel.start()
        yield server, kannel
    finally:
        kannel.stop()
        server.stop()
        drop()


CALL_SCRIPT = (
    "from kiosk.server.queueing.models import Ticket, Counter; "
    "from kiosk.server.queueing.counter_actions import do_call_ticket, counter_label; "
    "t = Ticket.objects.get(public_token={token!r}); "
    "c = Counter.objects.filter(services=t.service, is_open=True).order_by('name').first(); "
    "do_call_ticket(c, t.pk); print('CALLED ' + counter_label(c))"
)


def call(server: LocalServer, ticket: dict) -> str:
    """An agent calls the ticket (the "it's your turn" SMS row); the counter's label."""
    out = server.manage("shell", "-c", CALL_SCRIPT.format(token=ticket["id"]))
    return next(line for line in out.splitlines() if line.startswith("CALLED "))[7:]


def near_services() -> list[str]:
    """Ticketing services served by an open counter."""
    data = conftest.demo_data()
    ticketing = {s["id"] for s in data["services"] if s.get("ticketing", True)}
    served = [sid for c in data["counters"] if c.get("open", True) for sid in c["services"]]
    return list(dict.fromkeys(s for s in served if s in ticketing))


def take_ticket(server: LocalServer, service: str, phone: str) -> dict:
    token = conftest.demo_data()["kiosks"][0]["token"]
    response = requests.post(
        f"{server.url}/api/v1/tickets",
        json={"service": service, "language": "fr", "phone": phone, "sms_consent": True},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=DEADLINE,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sms"] is True
    return body


def outbox(server: LocalServer) -> list[dict]:
    return json.loads(server.manage("shell", "-c", ROWS_SCRIPT).strip().splitlines()[-1])


def rows_of(server: LocalServer, ticket: dict) -> list[dict]:
    return [r for r in outbox(server) if r["ticket__public_token"] == ticket["id"]]


def site_label() -> str:
    site = conftest.demo_data()["site"]
    return site.get("sms_name") or site["name"]


def run_worker(server: LocalServer, **env: str) -> str:
    saved = dict(server.extra_env)
    server.extra_env.update(env)
    try:
        return server.manage("sms_worker", "--once")
    finally:
        server.extra_env = saved


# Every wait here is for a condition; this is only its safety net, long enough for a busy
# 2-core machine (a 10-20 s net made the test depend on the machine's speed).
DEADLINE = 90.0


def wait_until(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)


def test_an_sms_reaches_the_phone_and_its_delivery_report_comes_back(stack):
    server, kannel = stack
    service = near_services()[0]
    ticket = take_ticket(server, service, PHONE)
    # First at an open counter: "stay in the hall" at issue, no "near" SMS; "it's your turn"
    # when called.
    assert ticket["wait_status"] == "soon" and rows_of(server, ticket) == []
    counter = call(server, ticket)
    (row,) = rows_of(server, ticket)
    assert (row["kind"], row["status"], row["coding"]) == ("called", "pending", "gsm7")
    expected = render_sms(CALLED, "fr", site=site_label(), ticket=ticket["number"],
                          counter=counter).text
    assert row["text"] == expected
    before = len(kannel.received())

    run_worker(server)
    messages = kannel.wait_for_received(before + 1, timeout=DEADLINE)
    assert len(messages) == before + 1, kannel.log_tail()
    got = messages[-1]
    assert got.text == expected
    assert got.to.lstrip("+") == PHONE.lstrip("+")
    assert got.coding == "text"

    # fakesmsc acks (8) then delivers (1); smsbox calls the server's dlr-url.
    wait_until(lambda: rows_of(server, ticket)[0]["status"] == "delivered", DEADLINE,
               f"the delivery report\n{kannel.log_tail()}", step=0.5)
    run_worker(server)  # a second pass: nothing sent again
    assert [m.text for m in kannel.received_before_a_marker()].count(expected) == 1


def test_gateway_down_rows_wait_then_go_out_exactly_once(stack):
    server, kannel = stack
    service = near_services()[-1]
    ticket = take_ticket(server, service, OTHER_PHONE)
    call(server, ticket)
    (row,) = rows_of(server, ticket)
    before = len(kannel.received())

    closed = f"http://127.0.0.1:{free_port()}"
    run_worker(server, KANNEL_SENDSMS_URL=closed)
    (row,) = rows_of(server, ticket)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    run_worker(server, KANNEL_SENDSMS_URL=closed)  # not due yet, or refused again
    assert rows_of(server, ticket)[0]["status"] == "pending"
    assert len(kannel.received()) == before

    def sent():
        run_worker(server)
        return rows_of(server, ticket)[0]["status"] in ("sent", "delivered")

    wait_until(sent, DEADLINE, "the row to go out once Kannel is back", step=0.5)
    kannel.wait_for_received(before + 1, timeout=DEADLINE)
    run_worker(server)  # a later pass: nothing sent again
    copies = [m for m in kannel.received_before_a_marker() if m.text == row["text"]]
    assert len(copies) == 1, copies
    assert copies[0].to.lstrip("+") == OTHER_PHONE.lstrip("+")
