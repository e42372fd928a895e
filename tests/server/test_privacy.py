"""Privacy (DESIGN.md, Queues / GDPR): the phone number lives only on the open ticket.

It is erased when the ticket is served, missed or cancelled, and by the end-of-day purge;
the SMS not yet sent for a closed ticket are cancelled and never go out; the number never
appears in clear in logs, API answers or pages (phone page, board, counter console).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiosk.server.notifications.gateways import LogGateway

pytestmark = pytest.mark.django_db

PHONE = "+33612345678"
TYPED = "06 12 34 56 78"
# Any rendering of the number: E.164, national, spaced, dotted, without the country code.
LEAK = re.compile(r"(?:\+?33|0)?\D?6\D{0,3}12\D{0,3}34\D{0,3}56\D{0,3}78")


def assert_no_number(text: str, where: str) -> None:
    match = LEAK.search(text)
    assert match is None, f"phone number in {where}: ...{text[max(0, match.start() - 60):match.end() + 20]!r}"


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture(autouse=True)
def fresh_models():
    from kiosk.server.queueing.estimates import reset_caches

    reset_caches()
    yield
    reset_caches()


@pytest.fixture
def q(demo):
    """One open counter "Guichet 7" serving one service `a`; the demo's counters closed."""
    from types import SimpleNamespace

    from kiosk.server.queueing.models import Counter

    Counter.objects.filter(site=demo).update(is_open=False)
    a = demo.services.filter(ticketing=True).order_by("slug").first()
    g = Counter.objects.create(site=demo, name="Guichet 7")
    g.services.set([a])
    return SimpleNamespace(site=demo, a=a, g=g)


def issue(q, phone=PHONE):
    """A ticket with a number and its pending "near" SMS row (these tests are about what
    happens to the number and the rows, not about when the rule fires: test_sms_outbox)."""
    from kiosk.server.notifications.services import enqueue_sms
    from kiosk.server.queueing.issuing import do_issue_ticket

    ticket = do_issue_ticket(q.a, phone=phone, consent=bool(phone))[0]
    if phone:
        enqueue_sms(ticket, "near", minutes=5)
    return ticket


def fresh(obj):
    obj.refresh_from_db()
    return obj


def sms_of(ticket):
    from kiosk.server.notifications.models import SmsMessage

    return list(SmsMessage.objects.filter(ticket=ticket).order_by("pk"))


# -- erased when the ticket closes ----------------------------------------------------------


def test_erased_when_the_ticket_is_done(q):
    from kiosk.server.queueing.counter_actions import do_call_next, do_finish_current

    a, b = issue(q), issue(q)
    do_call_next(q.g)
    assert fresh(a).phone == PHONE  # called: still open (the "called" SMS needs it)
    do_call_next(q.g)  # finishes a
    assert (fresh(a).status, fresh(a).phone) == ("done", "")
    do_finish_current(q.g)
    assert (fresh(b).status, fresh(b).phone) == ("done", "")


def test_erased_on_no_show(q):
    from kiosk.server.queueing.counter_actions import do_call_next, do_no_show
    from kiosk.server.queueing.models import Ticket

    t = issue(q)
    do_call_next(q.g)
    Ticket.objects.filter(pk=t.pk).update(
        called_at=timezone.now() - dt.timedelta(seconds=q.site.no_show_grace_seconds + 1))
    do_no_show(q.g)
    assert (fresh(t).status, fresh(t).phone) == ("no_show", "")


def test_erased_when_the_visitor_leaves(q, client):
    from kiosk.server.queueing.visitor_actions import do_cancel_by_visitor

    a, b = issue(q), issue(q)
    do_cancel_by_visitor(a)
    assert (fresh(a).status, fresh(a).phone) == ("cancelled", "")
    # The same through the phone page's "I'm leaving".
    response = client.post(f"/t/{b.public_token}/partir")
    assert response.status_code in (200, 302)
    assert (fresh(b).status, fresh(b).phone) == ("cancelled", "")


def test_kept_while_the_ticket_is_open(q):
    from kiosk.server.queueing.counter_actions import do_call_next, do_park, do_recall
    from kiosk.server.queueing.visitor_actions import do_postpone

    t, other = issue(q), issue(q)
    do_postpone(other)
    do_call_next(q.g)
    do_recall(q.g)
    do_park(q.g)
    assert (fresh(t).status, fresh(t).phone) == ("parked", PHONE)
    assert fresh(other).phone == PHONE


# -- the end-of-day purge -------------------------------------------------------------------


def test_the_purge_closes_past_days_and_erases_closed_tickets(q):
    from kiosk.server.notifications.models import SmsMessage
    from kiosk.server.notifications.services import run_once
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.queueing.models import Ticket

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    old_called, old_waiting = issue(q), issue(q)
    do_call_next(q.g)  # calls old_called
    Ticket.objects.filter(pk__in=[old_waiting.pk, old_called.pk]).update(day=yesterday)
    closed_today = issue(q)
    Ticket.objects.filter(pk=closed_today.pk).update(status="done")  # number left behind
    sent = sms_of(closed_today)[0]
    SmsMessage.objects.filter(pk=sent.pk).update(status="sent")
    today = issue(q)
    pending_today = [m.pk for m in sms_of(today)]

    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert "2 stale tickets closed" in out.getvalue()

    for t in (old_waiting, old_called):
        t = fresh(t)
        assert (t.status, t.phone) == ("cancelled", "")
        assert all(m.status in ("cancelled", "sent", "delivered", "failed", "unknown")
                   for m in sms_of(t))
        assert not any(m.status in ("pending", "sending") for m in sms_of(t))
    assert (fresh(closed_today).status, fresh(closed_today).phone) == ("done", "")
    assert fresh(sent).status == "sent"  # history of what went out is kept
    assert (fresh(today).status, fresh(today).phone) == ("waiting", PHONE)
    assert all(SmsMessage.objects.get(pk=pk).status == "pending" for pk in pending_today)

    gateway = LogGateway()
    run_once(gateway)
    assert {m.ref for m in gateway.messages} == {
        m.ref for m in SmsMessage.objects.filter(pk__in=pending_today)}


def test_the_purge_is_idempotent(q):
    from kiosk.server.queueing.privacy import do_purge_personal_data

    def counts(result: dict) -> tuple[int, int]:
        return result["expired"], result["erased"]

    t = issue(q)
    assert counts(do_purge_personal_data()) == (0, 0)
    assert fresh(t).phone == PHONE
    tomorrow = do_purge_personal_data(today=timezone.localdate() + dt.timedelta(days=1))
    assert counts(tomorrow) == (1, 0)
    assert tomorrow["keys_shredded"] >= 1  # today's key, under which the number was kept
    assert (fresh(t).status, fresh(t).phone) == ("cancelled", "")
    again = do_purge_personal_data(today=timezone.localdate() + dt.timedelta(days=1))
    assert (*counts(again), again["keys_shredded"]) == (0, 0, 0)


# -- unsent SMS of a closed ticket ----------------------------------------------------------


def test_unsent_sms_of_a_closed_ticket_are_cancelled_and_never_sent(q):
    from kiosk.server.notifications.services import run_once
    from kiosk.server.queueing.visitor_actions import do_cancel_by_visitor

    leaving, staying = issue(q), issue(q, phone="+33698765432")
    assert [m.status for m in sms_of(leaving)] == ["pending"]
    do_cancel_by_visitor(leaving)
    assert [m.status for m in sms_of(leaving)] == ["cancelled"]
    gateway = LogGateway()
    run_once(gateway)
    assert [m.to for m in gateway.messages] == ["+33698765432"]
    assert [m.status for m in sms_of(leaving)] == ["cancelled"]
    assert [m.status for m in sms_of(staying)] == ["sent"]


def test_a_ticket_closed_after_the_claim_gets_no_sms(q):
    """The worker claims a batch, then sends one by one (up to a 5 s timeout each): a
    number erased in between must not be used."""
    from kiosk.server.notifications.services import claim_due, send_one
    from kiosk.server.queueing.visitor_actions import do_cancel_by_visitor

    t = issue(q)
    (message,) = claim_due()
    do_cancel_by_visitor(t)
    gateway = LogGateway()
    status = send_one(message, gateway)
    assert gateway.messages == []
    assert status == "cancelled"


# -- never in clear: logs, answers, pages ---------------------------------------------------


@pytest.fixture
def agent(client, q):
    from tests.conftest import demo_data

    a = next(a for a in demo_data()["agents"] if a.get("role") == "counter")
    assert client.login(username=a["username"], password=a["password"])
    return client


def test_the_number_never_appears_in_logs_answers_or_pages(q, api, agent, caplog):
    from kiosk.server.notifications.models import SmsMessage
    from kiosk.server.notifications.services import run_once
    from kiosk.server.queueing.models import Ticket

    caplog.set_level(logging.DEBUG)
    for name in ("carrefour", "carrefour.sms", "carrefour.sms.log", "django", "kiosk"):
        caplog.set_level(logging.DEBUG, logger=name)
    pages: dict[str, str] = {}

    created = api.post("/tickets", {"service": q.a.slug, "phone": TYPED, "sms_consent": True},
                       key=uuid.uuid4())
    assert created.status_code == 201
    pages["POST /tickets"] = created.content.decode()
    token = created.json()["id"]
    ticket = Ticket.objects.get(public_token=token)
    assert ticket.phone == PHONE  # the flow really carries a number
    refused = api.post("/tickets", {"service": q.a.slug, "phone": "06 12 34 56 7",
                                    "sms_consent": True}, key=uuid.uuid4())
    assert refused.status_code == 422
    no_consent = api.post("/tickets", {"service": q.a.slug, "phone": TYPED}, key=uuid.uuid4())
    assert no_consent.status_code == 422
    too_long = api.post("/tickets", {"service": q.a.slug, "phone": TYPED + " 56 78 56 78 56 78 9",
                                     "sms_consent": True}, key=uuid.uuid4())
    assert too_long.status_code == 422
    for name, response in (("422 bad number", refused), ("422 no consent", no_consent),
                           ("422 too long", too_long)):
        pages[name] = response.content.decode()

    for path in (f"/t/{token}", f"/t/{token}/etat.json", f"/ecran/{q.site.slug}/",
                 f"/ecran/{q.site.slug}/etat.json", f"/guichet/{q.g.pk}/",
                 f"/guichet/{q.g.pk}/etat.json"):
        response = agent.get(path)
        assert response.status_code == 200, path
        pages[path] = response.content.decode()
    pages["GET /tickets/id"] = api.get(f"/tickets/{token}").content.decode()

    assert agent.post(f"/guichet/{q.g.pk}/next/").status_code in (200, 302)
    assert fresh(ticket).status == "called"
    for path in (f"/t/{token}", f"/ecran/{q.site.slug}/etat.json", f"/guichet/{q.g.pk}/"):
        pages[f"{path} (called)"] = agent.get(path).content.decode()

    gateway = LogGateway()
    # "called" only: first at an idle counter, the ticket was told "stay in the hall" at
    # issue and owed no "near" SMS.
    assert ticket.wait_status_at_issue == "soon"
    assert run_once(gateway) == {"sent": 1}
    assert {m.to for m in gateway.messages} == {PHONE}
    for message in SmsMessage.objects.filter(ticket=ticket):
        for kind in ("8", "1"):
            assert agent.get("/sms/dlr/", {"ref": message.ref, "type": kind}).status_code == 200
    assert agent.post(f"/guichet/{q.g.pk}/done/").status_code in (200, 302)
    assert fresh(ticket).phone == ""

    for where, text in pages.items():
        assert_no_number(text, where)
    assert caplog.records, "the flow logged nothing: the check would be empty"
    assert any("sms" in r.name for r in caplog.records)
    for record in caplog.records:
        assert_no_number(record.getMessage(), f"log {record.name}")
        if record.exc_text:
            assert_no_number(record.exc_text, f"log {record.name} traceback")
    assert_no_number(json.dumps([str(r.args) for r in caplog.records]), "log arguments")


# -- the back-office ----------------------------------------------------------------------


def test_the_ticket_admin_never_shows_the_number_nor_changes_a_status(q, admin_client):
    t = issue(q)
    for url in ("/admin/queueing/ticket/", f"/admin/queueing/ticket/{t.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert_no_number(response.content.decode(), url)
    assert "numéro sms conservé" in response.content.decode().lower()
    # No form may set a status behind the lifecycle (which erases the number).
    response = admin_client.post(f"/admin/queueing/ticket/{t.pk}/change/",
                                 {"status": "done", "phone": PHONE})
    assert response.status_code == 403
    assert (fresh(t).status, fresh(t).phone) == ("waiting", PHONE)


def test_the_ticket_admin_closes_tickets_through_the_lifecycle(q, admin_client):
    from kiosk.server.notifications.models import SmsMessage
    from kiosk.server.queueing.counter_actions import do_call_next

    waiting, called = issue(q), issue(q, phone="+33698765432")
    do_call_next(q.g)  # calls the first in line
    called, waiting = (waiting, called) if fresh(waiting).status == "called" else (called, waiting)
    response = admin_client.post("/admin/queueing/ticket/", {
        "action": "close_tickets", "_selected_action": [waiting.pk, called.pk]})
    assert response.status_code == 302
    assert (fresh(waiting).status, fresh(waiting).phone) == ("cancelled", "")
    assert (fresh(called).status, fresh(called).phone) == ("no_show", "")
    assert fresh(waiting).finished_at is not None
    assert not SmsMessage.objects.filter(ticket__in=[waiting, called], status="pending").exists()
