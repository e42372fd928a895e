"""The SMS outbox (DESIGN.md, Queues): rows inserted with the queue change, sent once by the
worker, never resent when the outcome is unknown; delivery reports; the API's phone checks.

The tests build their own counter on the demo site (the demo's counters are closed), so the
"turn is near" rule is driven by known numbers: one counter, one service.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from kiosk.domain.sms_text import CALLED, TURN_NEAR, render_sms
from kiosk.server.notifications.gateways import LogGateway, SendResult

pytestmark = pytest.mark.django_db

PHONE = "+33612345678"


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
    """One open counter "Guichet 7" serving one service `a` (60 min a visitor by default)."""
    from types import SimpleNamespace

    from kiosk.server.queueing.models import Counter

    Counter.objects.filter(site=demo).update(is_open=False)
    a = demo.services.filter(ticketing=True).order_by("slug").first()
    a.mean_service_minutes = 60
    a.save()
    g = Counter.objects.create(site=demo, name="Guichet 7")
    g.services.set([a])
    demo.sms_name = "Mairie 19e"
    demo.sms_threshold_minutes = 15
    demo.sms_max_position = 1
    demo.save()
    return SimpleNamespace(site=demo, a=a, g=g)


def issue(q, *, phone="", language="fr"):
    from kiosk.server.queueing.issuing import do_issue_ticket

    ticket, created = do_issue_ticket(q.a, language=language, phone=phone,
                                      consent=bool(phone))
    assert created
    return ticket


def rows(ticket=None, kind=None):
    from kiosk.server.notifications.models import SmsMessage

    qs = SmsMessage.objects.all()
    if ticket is not None:
        qs = qs.filter(ticket=ticket)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("pk"))


def call_next(q):
    from kiosk.server.queueing.counter_actions import do_call_next

    return do_call_next(q.g)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def called(q, *, phone=PHONE, language="fr", counter=None):
    """A ticket with a phone, called at once: its "called" row is pending."""
    from kiosk.server.queueing.counter_actions import do_call_next

    ticket = issue(q, phone=phone, language=language)
    assert do_call_next(counter or q.g).pk == ticket.pk
    return ticket


def second_counter(q):
    from kiosk.server.queueing.models import Counter

    g8 = Counter.objects.create(site=q.site, name="Guichet 8")
    g8.services.set([q.a])
    return g8


def is_near(q, ticket) -> bool:
    """The rule as the server applies it, on the queue as it is now."""
    from kiosk.domain.notify import near_by_time
    from kiosk.server.queueing.estimates import calls_for

    estimate = calls_for(q.site, [fresh(ticket)], fresh=True)[ticket.pk]
    return near_by_time(estimate, q.site.sms_threshold_minutes)


def queue_ahead(q, n):
    """n tickets without a phone, 10-min visitors: a queue a later ticket waits behind."""
    q.a.mean_service_minutes = 10
    q.a.save()
    return [issue(q) for _ in range(n)]


def call_until_near(q, ticket, limit=10) -> int:
    """Call tickets until the rule holds for `ticket` (still waiting); the number of calls."""
    for step in range(limit):
        if is_near(q, ticket):
            return step
        call_next(q)
        assert fresh(ticket).status == "waiting"
    raise AssertionError("the turn never became near")


# -- when the rows are inserted -------------------------------------------------------------


def test_the_near_row_comes_once_the_predicted_call_is_within_the_lead(q):
    """By time, not by position: the row appears at the queue change that makes the low
    quantile of the predicted call fall within the lead, not before, and only once."""
    queue_ahead(q, 5)
    mine = issue(q, phone=PHONE)
    assert fresh(mine).wait_status_at_issue == "estimated"
    assert not is_near(q, mine) and rows(mine) == []
    became_near = False
    for _ in range(5):
        call_next(q)
        became_near = became_near or is_near(q, mine)
        assert [r.kind for r in rows(mine)] == (["near"] if became_near else [])
        if fresh(mine).status != "waiting":
            break
    assert became_near  # premise: the rule fired before the call
    (near,) = rows(mine, "near")
    assert near.estimate_minutes is not None and near.estimate_minutes > 0


def test_a_counter_shared_with_a_long_queue_sends_no_early_near_sms(q):
    """First of its own service, but six visitors of another service sharing the counter
    came first: no "near" SMS (the old position rule sent "passe dans 198 min")."""
    from kiosk.server.queueing.estimates import calls_for
    from kiosk.server.queueing.issuing import do_issue_ticket

    other = q.site.services.filter(ticketing=True).exclude(pk=q.a.pk).order_by("slug").first()
    other.mean_service_minutes = 10
    other.save()
    q.g.services.set([q.a, other])
    for _ in range(6):
        do_issue_ticket(other)
    mine = issue(q, phone=PHONE)  # position 1 in its service
    estimate = calls_for(q.site, [mine], fresh=True)[mine.pk]
    assert estimate.mean > 40
    assert rows(mine) == []
    call_until_near(q, mine)  # it does come, later, from the other service's calls
    assert [r.kind for r in rows(mine)] == ["near"]


def test_no_near_sms_when_the_turn_is_already_near_at_issue(q):
    """Next at issue: the kiosk says "stay in the hall", no "near" SMS; the SMS says "it's
    your turn" when called."""
    q.a.mean_service_minutes = 10
    q.a.save()
    mine = issue(q, phone=PHONE)
    assert fresh(mine).wait_status_at_issue == "soon"
    assert rows(mine) == []
    from kiosk.server.queueing.notices import do_check_near_turns

    do_check_near_turns()
    assert rows(mine) == []
    call_next(q)
    assert [r.kind for r in rows(mine)] == ["called"]


def test_no_near_sms_when_no_counter_can_call_the_ticket(q):
    q.g.is_open = False
    q.g.save()
    q.a.mean_service_minutes = 10
    q.a.save()
    mine = issue(q, phone=PHONE)
    from kiosk.server.queueing.notices import do_check_near_turns

    do_check_near_turns()
    assert rows(mine) == []


def test_no_row_without_a_phone(q):
    issue(q)
    call_next(q)
    assert rows() == []


def test_the_near_row_is_inserted_in_the_transaction_of_the_change(q):
    from kiosk.server.queueing.models import Ticket

    queue_ahead(q, 4)
    mine = issue(q, phone=PHONE)
    assert rows(mine) == []

    class Abort(Exception):
        pass

    for _ in range(5):
        before = set(Ticket.objects.filter(status="called").values_list("pk", flat=True))
        with pytest.raises(Abort), transaction.atomic():
            call_next(q)
            near_inside = [r.kind for r in rows(mine)] == ["near"]  # before the commit
            raise Abort
        assert rows(mine) == []  # rolled back with the call
        assert set(Ticket.objects.filter(status="called").values_list("pk", flat=True)) == before
        call_next(q)
        if near_inside:
            assert [r.kind for r in rows(mine)] == ["near"]
            return
        assert rows(mine) == []
    raise AssertionError("the turn never became near")


def test_a_called_row_names_the_counter(q):
    ticket = issue(q, phone=PHONE)
    call_next(q)
    (called,) = rows(ticket, "called")
    expected = render_sms(CALLED, "fr", site="Mairie 19e", ticket=ticket.display, counter="7")
    assert called.text == expected.text
    assert called.text == f"Mairie 19e : ticket {ticket.display}, présentez-vous au guichet 7."
    assert (called.coding, called.segments, called.status) == ("gsm7", 1, "pending")


def test_the_near_text_is_the_rendered_template(q):
    q.site.sms_name = ""  # the full name of the site then
    q.site.save()
    queue_ahead(q, 4)
    ticket = issue(q, phone=PHONE)
    call_until_near(q, ticket)
    (near,) = rows(ticket, "near")
    assert near.estimate_minutes is not None  # an open counter: the estimate is known
    expected = render_sms(TURN_NEAR, "fr", site=q.site.name, ticket=ticket.display,
                          minutes=near.estimate_minutes)
    assert near.text == expected.text
    assert ticket.display in near.text and q.site.name in near.text
    assert (near.coding, near.segments) == ("gsm7", 1)


def test_an_arabic_ticket_gets_ucs2_texts(q):
    queue_ahead(q, 4)
    ticket = issue(q, phone=PHONE, language="ar")
    call_until_near(q, ticket)
    while fresh(ticket).status == "waiting":
        call_next(q)
    near, called = rows(ticket, "near")[0], rows(ticket, "called")[0]
    assert near.text == render_sms(TURN_NEAR, "ar", site="Mairie 19e", ticket=ticket.display,
                                   minutes=near.estimate_minutes).text
    assert called.text == render_sms(CALLED, "ar", site="Mairie 19e", ticket=ticket.display,
                                     counter="7").text
    for r in (near, called):
        assert any("\u0600" <= ch <= "\u06ff" for ch in r.text)
        assert (r.coding, r.segments) == ("ucs2", 1)


# -- the worker -----------------------------------------------------------------------------


class Scripted:
    """A gateway answering the given results in turn (the last one forever)."""

    def __init__(self, *results: SendResult):
        self.results = list(results)
        self.calls: list[tuple[str, str, str, str]] = []

    def send(self, to_e164, text, coding, ref):
        self.calls.append((to_e164, text, coding, ref))
        return self.results.pop(0) if len(self.results) > 1 else self.results[0]


ACCEPTED = SendResult(True, False, None, "HTTP 202: 0: Accepted for delivery")
RETRY = SendResult(False, True, None, "gateway unreachable")
UNKNOWN = SendResult(False, False, None, "no answer after sending (read timeout)", True)
REFUSED = SendResult(False, False, None, "HTTP 403: Authorization failed for sendsms")


def make_due(message) -> None:
    from kiosk.server.notifications.models import SmsMessage

    SmsMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_the_worker_sends_pending_rows_once(q):
    from kiosk.server.notifications.services import run_once

    a, b = called(q), called(q, phone="+33698765432", counter=second_counter(q))
    near = rows(kind="called")
    assert {r.ticket_id for r in near} == {a.pk, b.pk}
    gateway = LogGateway()
    assert run_once(gateway) == {"sent": 2}
    assert sorted((m.to, m.text, m.coding, m.ref) for m in gateway.messages) == sorted(
        (t.phone, r.text, r.coding, r.ref) for t, r in ((a, near[0]), (b, near[1])))
    for r in near:
        r = fresh(r)
        assert (r.status, r.attempts) == ("sent", 1) and r.sent_at is not None
    assert run_once(gateway) == {}
    assert len(gateway.messages) == 2


def test_a_retryable_result_is_retried_later_exactly_once(q):
    from kiosk.server.notifications.services import run_once

    called(q)
    (row,) = rows()
    gateway = Scripted(RETRY, ACCEPTED)
    before = timezone.now()
    run_once(gateway)
    row = fresh(row)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > before
    run_once(gateway)  # not due yet: not even tried
    assert len(gateway.calls) == 1
    make_due(row)
    run_once(gateway)
    row = fresh(row)
    assert (row.status, row.attempts) == ("sent", 2)
    for _ in range(3):
        make_due(row)
        run_once(gateway)
    assert len(gateway.calls) == 2  # one refusal, one accepted send: never a third
    assert fresh(row).status == "sent"


def test_an_unknown_outcome_is_never_resent(q):
    from kiosk.server.notifications.services import run_once

    called(q)
    (row,) = rows()
    gateway = Scripted(UNKNOWN, ACCEPTED)
    run_once(gateway)
    assert fresh(row).status == "unknown"
    make_due(row)
    for _ in range(3):
        run_once(gateway)
    assert len(gateway.calls) == 1
    assert fresh(row).status == "unknown"


def test_a_refused_row_fails_and_is_not_resent(q):
    from kiosk.server.notifications.services import run_once

    called(q)
    (row,) = rows()
    gateway = Scripted(REFUSED, ACCEPTED)
    run_once(gateway)
    make_due(row)
    run_once(gateway)
    assert fresh(row).status == "failed" and len(gateway.calls) == 1


def test_a_row_left_sending_by_a_dead_worker_becomes_unknown(q):
    from kiosk.server.notifications.models import SmsMessage
    from kiosk.server.notifications.services import run_once

    called(q)
    called(q, phone="+33698765432", counter=second_counter(q))
    old, recent = rows()
    SmsMessage.objects.filter(pk=old.pk).update(
        status="sending", claimed_at=timezone.now() - dt.timedelta(minutes=30))
    SmsMessage.objects.filter(pk=recent.pk).update(
        status="sending", claimed_at=timezone.now() - dt.timedelta(seconds=10))
    gateway = Scripted(ACCEPTED)
    for _ in range(2):
        run_once(gateway)
    assert fresh(old).status == "unknown"
    assert fresh(recent).status == "sending"  # another worker may still be at it
    assert gateway.calls == []


def test_claims_are_exclusive(q):
    from kiosk.server.notifications.services import claim_due

    called(q)
    first = claim_due()
    assert len(first) == 1 and fresh(first[0]).status == "sending"
    assert claim_due() == []


# -- delivery reports ------------------------------------------------------------------------


@pytest.fixture
def sent_row(q):
    from kiosk.server.notifications.services import run_once

    called(q)
    run_once(LogGateway())
    (row,) = rows()
    assert row.status == "sent"
    return row


def test_a_delivery_report_marks_delivered(client, sent_row):
    response = client.get("/sms/dlr/", {"ref": sent_row.ref, "type": "1", "answer": "ACK/"})
    assert response.status_code == 200
    row = fresh(sent_row)
    assert row.status == "delivered" and row.delivered_at is not None


def test_an_smsc_ack_leaves_the_row_sent(client, sent_row):
    assert client.get("/sms/dlr/", {"ref": sent_row.ref, "type": "8"}).status_code == 200
    assert fresh(sent_row).status == "sent"
    assert client.get("/sms/dlr/", {"ref": sent_row.ref, "type": "1"}).status_code == 200
    # A late ack (reports may arrive out of order) does not undo the delivery.
    assert client.get("/sms/dlr/", {"ref": sent_row.ref, "type": "8"}).status_code == 200
    assert fresh(sent_row).status == "delivered"


def test_an_ack_applied_alongside_the_delivery_never_undoes_it(client, sent_row, monkeypatch):
    """Kannel sends the ack (type 8) and the delivery (type 1) at once, on two connections:
    here the delivery lands while the ack is between finding its row and writing it, with
    the row still "sending" (the worker had not yet written "sent")."""
    from kiosk.server.notifications import services
    from kiosk.server.notifications.models import SmsMessage

    SmsMessage.objects.filter(pk=sent_row.pk).update(status="sending")
    found = services._row_of

    def the_delivery_lands_meanwhile(ref):
        pk = found(ref)
        monkeypatch.setattr(services, "_row_of", found)  # once
        assert client.get("/sms/dlr/", {"ref": ref, "type": "1"}).status_code == 200
        return pk

    monkeypatch.setattr(services, "_row_of", the_delivery_lands_meanwhile)
    assert client.get("/sms/dlr/", {"ref": sent_row.ref, "type": "8"}).status_code == 200
    row = fresh(sent_row)
    assert row.status == "delivered" and row.delivered_at is not None


def test_an_ack_on_a_row_still_sending_marks_it_sent(client, sent_row):
    from kiosk.server.notifications.models import SmsMessage

    SmsMessage.objects.filter(pk=sent_row.pk).update(status="sending")
    assert client.get("/sms/dlr/", {"ref": sent_row.ref, "type": "8"}).status_code == 200
    assert fresh(sent_row).status == "sent"


def test_an_undeliverable_report_marks_failed(client, sent_row):
    assert client.get("/sms/dlr/", {"ref": sent_row.ref, "type": "2"}).status_code == 200
    assert fresh(sent_row).status == "failed"


def test_a_report_for_an_unknown_ref_is_404(client, sent_row):
    response = client.get("/sms/dlr/", {"ref": "0" * 32, "type": "1"})
    assert response.status_code == 404
    assert fresh(sent_row).status == "sent"


@pytest.mark.parametrize("query", [
    {"type": "1"},
    {"ref": "not a ref!", "type": "1"},
    {"ref": "REF", "type": "delivered"},
    {"ref": "REF"},
    {"ref": "REF", "type": "64"},
])
def test_a_malformed_report_is_400(client, sent_row, query):
    query = {k: (sent_row.ref if v == "REF" else v) for k, v in query.items()}
    assert client.get("/sms/dlr/", query).status_code == 400
    assert fresh(sent_row).status == "sent"


# -- the API's checks ------------------------------------------------------------------------


def post_ticket(api, q, **fields):
    return api.post("/tickets", {"service": q.a.slug, **fields}, key=uuid.uuid4())


def test_the_api_keeps_a_phone_given_with_consent(api, q):
    from kiosk.server.queueing.models import Ticket

    response = post_ticket(api, q, phone="06 12 34 56 78", sms_consent=True)
    assert response.status_code == 201, response.content
    assert response.json()["sms"] is True
    ticket = Ticket.objects.get()
    assert ticket.phone == PHONE and ticket.sms_consent_at is not None
    # First in line at an idle counter: "stay in the hall", no "near" SMS (only "called").
    assert response.json()["wait_status"] == "soon"
    assert ticket.wait_status_at_issue == "soon" and rows(ticket) == []


def test_the_api_refuses_a_phone_without_consent(api, q):
    from kiosk.server.queueing.models import Ticket

    response = post_ticket(api, q, phone="06 12 34 56 78")
    assert response.status_code == 422
    assert "consent" in response.json()["detail"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("phone", ["0123", "01 44 52 19 19", "hello", "+33 6 12"])
def test_the_api_refuses_a_bad_number(api, q, phone):
    from kiosk.server.queueing.models import Ticket

    response = post_ticket(api, q, phone=phone, sms_consent=True)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "phone" in detail.lower()
    assert not Ticket.objects.exists()


def test_the_api_without_a_phone_sends_nothing(api, q):
    response = post_ticket(api, q, sms_consent=True)
    assert response.status_code == 201
    assert response.json()["sms"] is False
    assert rows() == []


def test_the_worker_checks_the_near_rule_with_time_alone(q, monkeypatch):
    """No queue change, yet the visitor's turn became near (the one at the counter has been
    there long enough): the worker's minute check inserts the row, and sends it."""
    from django.core.management import call_command

    from kiosk.server.queueing import estimates

    queue_ahead(q, 3)
    call_next(q)  # one visitor at the counter, two ahead of me
    mine = issue(q, phone=PHONE)
    # A ticket issued checks itself: not near yet.
    assert fresh(mine).wait_status_at_issue == "estimated"
    assert not is_near(q, mine) and rows(mine) == []
    # Later the visitors ahead are nearly done; no queue change happened.
    for minutes in range(1, 60):
        later = timezone.now() + dt.timedelta(minutes=minutes)
        monkeypatch.setattr(timezone, "now", lambda later=later: later)
        estimates.invalidate_estimates(q.site.pk)
        if is_near(q, mine):
            break
    else:
        raise AssertionError("time alone never made the turn near")
    assert rows(mine) == []  # nobody re-checked the rule yet
    call_command("sms_worker", "--once")
    (near,) = rows(mine, "near")
    assert near.status == "sent"
    call_command("sms_worker", "--once")  # checked again: nothing more
    assert len(rows(mine, "near")) == 1
