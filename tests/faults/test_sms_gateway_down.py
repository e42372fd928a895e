"""Fault 6: the SMS gateway is down for an hour.

Real processes: the server (gunicorn, SMS_BACKEND=kannel) and Kannel (bearerbox + smsbox +
fakesmsc, tests/support/kannel.py). Kannel is stopped; visitors take tickets with a phone
number through the kiosk's TicketDesk ("turn is near" rows are created). Then an hour of
simulated time runs in one server-side process (`django.utils.timezone.now` patched, one
step a minute): the SMS worker's pass (`run_once` with the Kannel gateway of the settings:
connection refused) every minute, and an agent calling the next ticket at minutes 20 and 40
("called" rows, "near" rows as turns come near by time, checked every minute as the
worker does; the second call finishes the first ticket, whose unsent
SMS are cancelled). The other rows stay pending, with a bounded backoff (a few tries each,
not sixty). Kannel comes back; the real `sms_worker --once` command runs (the clock
past the longest backoff): each message reaches the fake SMSC exactly once, and further
passes send nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

import tests.conftest as conftest
from kiosk.server.launcher import LocalServer, free_port
from kiosk.sync.desk import TicketDesk
from kiosk.sync.transport import Transport
from tests.support import siteclock
from tests.support.faults import assert_no_ticket_lost
from tests.support.kannel import KannelHarness, KannelUnavailable
from tests.support.servers import fresh_database_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SERVICE = "logement-social"  # served by Guichet 5 only (demo content)
COUNTER = "Guichet 5"
PHONES = [f"+3361234560{i}" for i in range(6)]
MARK = "FAULTS-SMS "
MARKER_TO = "+33612349999"  # the end-of-test marker's number (no ticket has it)
DEADLINE = 120.0  # s: a safety net for a stuck gateway, not a timing assumption

HOUR_DOWN = f"""
import datetime as dt, json
from unittest import mock
from django.utils import timezone
from kiosk.server.notifications.models import SmsMessage
from kiosk.server.notifications.services import gateway_from_settings, run_once
from kiosk.server.queueing.models import Counter
from kiosk.server.queueing.counter_actions import do_call_next
from kiosk.server.queueing.notices import do_check_near_turns
start = timezone.now()
counter = Counter.objects.get(site__slug="paris-19", name={COUNTER!r})
gateway = gateway_from_settings()
passes = []
for minute in range(61):
    with mock.patch("django.utils.timezone.now", lambda m=minute: start + dt.timedelta(minutes=m)):
        if minute in (20, 40):  # the 2nd call finishes the 1st ticket: its unsent SMS cancelled
            do_call_next(counter)
        do_check_near_turns()  # the worker's minute check (sms_worker --near-every 60)
        passes.append(run_once(gateway))
rows = list(SmsMessage.objects.order_by("pk").values("kind", "status", "attempts",
                                                      "ticket__public_token"))
print({MARK!r} + json.dumps(dict(rows=rows, passes=passes, start=start.isoformat())))
"""

def worker_after(start_iso: str, minutes: int) -> str:
    """The real `sms_worker --once`, run with the clock `minutes` after `start_iso`."""
    return (
        "import datetime as dt\nfrom unittest import mock\n"
        "from django.core.management import call_command\n"
        f"now = dt.datetime.fromisoformat({start_iso!r}) + dt.timedelta(minutes={minutes})\n"
        "with mock.patch('django.utils.timezone.now', lambda: now):\n"
        "    call_command('sms_worker', '--once')\n"
    )


@pytest.fixture
def stack(tmp_path, monkeypatch) -> Iterator[tuple[LocalServer, KannelHarness]]:
    try:
        kannel = KannelHarness(tmp_path / "kannel", start_timeout=DEADLINE)
    except KannelUnavailable as exc:
        pytest.skip(str(exc))
    port = free_port()
    url, drop = fresh_database_url(tmp_path)
    server = LocalServer(data_dir=tmp_path / "server", database_url=url, port=port, workers=1,
                         threads=4, extra_env={
                             "SMS_BACKEND": "kannel",
                             "KANNEL_SENDSMS_URL": kannel.base_url,
                             "KANNEL_USERNAME": kannel.username,
                             "KANNEL_PASSWORD": kannel.password,
                             "SMS_DLR_BASE_URL": f"http://127.0.0.1:{port}",
                             # 10:00 at the site: the simulated hour stays within the day.
                             **siteclock.env(),
                         })
    siteclock.use_in_process(monkeypatch)  # the TicketDesk's day: the server's
    try:
        server.prepare(demo=True, timetables=False)
        server.start(timeout=DEADLINE)
        server.kiosk_token = conftest.demo_data()["kiosks"][0]["token"]
        yield server, kannel
    finally:
        kannel.stop()
        server.stop()
        drop()


def test_an_hour_without_the_gateway_then_each_sms_goes_out_exactly_once(stack):
    server, kannel = stack
    assert not kannel.running  # down from the start of the hour
    desk = TicketDesk(Transport(server.url, server.kiosk_token, timeout=60.0), deadline=DEADLINE)
    tickets = [desk.take_ticket(SERVICE, "fr", phone=phone, sms_consent=True) for phone in PHONES]
    assert all(t["sms"] for t in tickets)

    out = server.manage("shell", "-c", HOUR_DOWN)
    hour = json.loads(next(line for line in out.splitlines() if line.startswith(MARK))[len(MARK):])
    rows = hour["rows"]
    first = tickets[0]["id"]  # called at minute 20, finished by the call at minute 40
    assert sorted(r["kind"] for r in rows).count("called") == 2, rows
    # "Near" rows by time, once per ticket; none for a ticket told "stay" at issue (soon).
    near = [r["ticket__public_token"] for r in rows if r["kind"] == "near"]
    soon = {t["id"] for t in tickets if t.get("wait_status") == "soon"}
    assert near and len(set(near)) == len(near), rows
    assert not soon & set(near), rows
    assert {r["status"] for r in rows if r["ticket__public_token"] != first} == {"pending"}, rows
    assert {r["status"] for r in rows if r["ticket__public_token"] == first} == {"cancelled"}, rows
    pending = [r for r in rows if r["status"] == "pending"]
    # Kept trying all hour, with a backoff: a few tries each, never one a minute.
    assert all(2 <= r["attempts"] <= 30 for r in pending), [(r["kind"], r["attempts"]) for r in rows]
    assert max(r["attempts"] for r in pending) >= 6, rows
    assert sum(sum(p.values()) for p in hour["passes"]) == sum(r["attempts"] for r in rows)

    kannel.start()
    server.manage("shell", "-c", worker_after(hour["start"], 60 + 6))
    kannel.wait_for_received(len(pending), timeout=DEADLINE)
    for extra in (7, 30):  # later passes: nothing is sent again
        server.manage("shell", "-c", worker_after(hour["start"], 60 + extra))
    # A marker sent through the same gateway after those passes: once the fake SMSC got it,
    # anything those passes had sent is in its log too (one SMSC link, one queue).
    marker = requests.get(kannel.sendsms_url, timeout=DEADLINE, params={
        "username": kannel.username, "password": kannel.password, "to": MARKER_TO,
        "text": "fin du test", "charset": "UTF-8"})
    assert marker.status_code < 300, marker.text
    kannel.wait_for_received(len(pending) + 1, timeout=DEADLINE)
    received = [m for m in kannel.received() if m.to.lstrip("+") != MARKER_TO.lstrip("+")]
    assert len(kannel.received()) == len(received) + 1, kannel.log_tail()
    assert len(received) == len(pending), kannel.log_tail()
    state = assert_no_ticket_lost(server, online=tickets,
                                  received=[(m.to, m.text) for m in received])
    assert len(state["sms"]) == len(rows)
    for before, after in zip(rows, state["sms"], strict=True):
        assert after["kind"] == before["kind"] and after["ticket"] == before["ticket__public_token"]
        if before["status"] == "pending":  # one more try: the one that went through (its
            # attempts count may stay: a delivery report that raced ahead wins the row)
            assert after["status"] in ("sent", "delivered")
            assert after["attempts"] in (before["attempts"], before["attempts"] + 1)
        else:
            assert after["status"] == "cancelled" and after["attempts"] == before["attempts"]
