"""Offline tickets keep their promises: the kiosk's public token (its QR code), the phone
number and consent travel with the upload; the SMS rule then runs for the ticket; a phone
page for a token not uploaded yet says "on its way" (docs/protocol.md, offline tickets)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from unittest import mock

import pytest
from django.utils import timezone

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
    """One open counter serving one ticketing service (the others closed), the SMS rule of
    the site at its defaults; a lease of 5 numbers of this kiosk for that service."""
    from types import SimpleNamespace

    from kiosk.server.queueing.models import Counter

    Counter.objects.filter(site=demo).update(is_open=False)
    service = demo.services.filter(ticketing=True).order_by("slug").first()
    counter = Counter.objects.create(site=demo, name="Guichet 7", is_open=True)
    counter.services.set([service])
    return SimpleNamespace(site=demo, service=service, counter=counter)


@pytest.fixture
def block(api, q) -> dict:
    response = api.post("/leases", {"service": q.service.slug, "size": 5}, key=uuid.uuid4())
    assert response.status_code == 201
    return response.json()


def token() -> str:
    return secrets.token_urlsafe(16)


def upload(api, q, block, number=None, key=None, issued_at=None, **fields):
    from django.utils import timezone

    offline = {"lease_day": block["day"], "number": number or block["first"],
               "issued_at": issued_at or timezone.now().isoformat()}
    if "public_token" in fields:
        offline["public_token"] = fields.pop("public_token")
    body = {"service": q.service.slug, "language": "fr", "offline": offline, **fields}
    return api.post("/tickets", body, key=key or uuid.uuid4())


def sms_rows(ticket_id=None):
    from kiosk.server.notifications.models import SmsMessage

    qs = SmsMessage.objects.all()
    if ticket_id is not None:
        qs = qs.filter(ticket__public_token=ticket_id)
    return list(qs.order_by("pk").values_list("kind", flat=True))


def test_the_kiosks_token_and_phone_are_kept_and_the_sms_rule_runs(api, q, block):
    from kiosk.server.queueing.models import Ticket

    mine = token()
    before = timezone.now()
    response = upload(api, q, block, public_token=mine, phone=PHONE, sms_consent=True)
    after = timezone.now()
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == mine and body["phone_url"].endswith(f"/t/{mine}")
    assert body["sms"] is True and body["offline"] is True
    ticket = Ticket.objects.get(public_token=mine)
    assert ticket.phone == PHONE and ticket.sms_consent_at is not None
    assert before <= ticket.sms_consent_at <= after  # recorded by the upload itself
    # First in the line of an open idle counter: the "near" rule is true at once (position
    # rule), evaluated in the upload's transaction like for any queue change.
    assert sms_rows(mine) == ["near"]
    assert PHONE not in response.content.decode()  # never sent back


def test_a_replay_is_the_same_ticket_and_never_a_second_sms(api, q, block):
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.queueing.models import Ticket

    mine, key = token(), uuid.uuid4()
    issued = dt.datetime.now(dt.UTC).isoformat()  # a replay sends the same body again
    first = upload(api, q, block, key=key, public_token=mine, phone=PHONE, sms_consent=True,
                   issued_at=issued)
    again = upload(api, q, block, key=key, public_token=mine, phone=PHONE, sms_consent=True,
                   issued_at=issued)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] == mine
    assert Ticket.objects.count() == 1 and sms_rows() == ["near"]
    do_call_next(q.counter)
    assert sorted(sms_rows(mine)) == ["called", "near"]  # one of each kind, ever
    upload(api, q, block, key=key, public_token=mine, phone=PHONE, sms_consent=True)
    assert sorted(sms_rows(mine)) == ["called", "near"]


@pytest.mark.parametrize("bad", ["short-token", "a" * 33, "has space in it 0123",
                                 "slash/in/the/token/0123", "é" * 22])
def test_a_malformed_token_is_refused_and_nothing_stored(api, q, block, bad):
    from kiosk.server.queueing.models import Ticket

    response = upload(api, q, block, public_token=bad, phone=PHONE, sms_consent=True)
    assert response.status_code == 422
    assert Ticket.objects.count() == 0 and sms_rows() == []


def test_the_token_of_another_ticket_is_a_conflict(api, q, block):
    from kiosk.server.queueing.models import Ticket

    online = api.post("/tickets", {"service": q.service.slug}, key=uuid.uuid4()).json()
    clash = upload(api, q, block, public_token=online["id"])
    assert clash.status_code == 409 and "token" in clash.json()["detail"]
    mine = token()
    assert upload(api, q, block, public_token=mine).status_code == 201
    clash = upload(api, q, block, number=block["first"] + 1, public_token=mine)
    assert clash.status_code == 409 and "token" in clash.json()["detail"]
    assert Ticket.objects.filter(offline=True).count() == 1


def test_the_issue_function_refuses_a_token_taken_between_check_and_insert(q, block):
    """The unique constraint is the safety net under the check (a concurrent upload)."""
    from django.utils import timezone

    from kiosk.server.queueing.issuing import do_issue_offline_ticket
    from kiosk.server.queueing.lifecycle import QueueError
    from kiosk.server.queueing.models import NumberLease, Ticket

    kiosk = NumberLease.objects.get().kiosk
    taken = Ticket.objects.create(site=q.site, service=q.service, issued_service=q.service,
                                  day=timezone.localdate(), number=999, prefix="Z")
    exists = Ticket.objects.filter(public_token=taken.public_token).exists
    # The pre-check says "free" (as if the other upload had not committed yet).
    with mock.patch("kiosk.server.queueing.issuing.Ticket.objects.filter",
                    side_effect=_filter_hiding(taken.public_token)), \
            pytest.raises(QueueError) as error:
        do_issue_offline_ticket(q.service, kiosk, uuid.uuid4(),
                                lease_day=dt.date.fromisoformat(block["day"]),
                                number=block["first"], issued_at=timezone.now(),
                                public_token=taken.public_token)
    assert error.value.status == 409 and "token" in str(error.value)
    assert exists() and Ticket.objects.filter(offline=True).count() == 0


def _filter_hiding(hidden: str):
    """Ticket.objects.filter, except that a lookup of `hidden` finds nothing once."""
    from kiosk.server.queueing.models import Ticket

    real = Ticket.objects.filter
    state = {"hidden": False}

    def fake(*args, **kwargs):
        if kwargs.get("public_token") == hidden and not state["hidden"]:
            state["hidden"] = True
            return Ticket.objects.none()
        return real(*args, **kwargs)

    return fake


def test_a_phone_the_server_refuses_leaves_the_ticket_without_sms(api, q, block):
    from kiosk.server.queueing.models import Ticket

    no_consent = upload(api, q, block, public_token=token(), phone=PHONE)
    landline = upload(api, q, block, number=block["first"] + 1, public_token=token(),
                      phone="+33142765000", sms_consent=True)
    assert (no_consent.status_code, landline.status_code) == (201, 201)
    assert no_consent.json()["sms"] is False and landline.json()["sms"] is False
    assert list(Ticket.objects.values_list("phone", flat=True)) == ["", ""]
    assert sms_rows() == []


def test_a_past_days_upload_keeps_no_phone(api, q, block):
    from django.utils import timezone

    from kiosk.server.queueing.models import NumberLease, Ticket

    yesterday = dt.date.fromisoformat(block["day"]) - dt.timedelta(days=1)
    NumberLease.objects.update(day=yesterday,
                               created_at=timezone.now() - dt.timedelta(days=1, hours=1))
    response = upload(api, q, {**block, "day": yesterday.isoformat()}, public_token=token(),
                      phone=PHONE, sms_consent=True)
    assert response.status_code == 201 and response.json()["status"] == "cancelled"
    assert Ticket.objects.get().phone == "" and sms_rows() == []


def test_an_old_kiosks_upload_without_token_still_gets_a_server_token(api, q, block):
    response = upload(api, q, block)
    assert response.status_code == 201
    assert len(response.json()["id"]) == 22 and response.json()["sms"] is False


# -- the phone page of a token not uploaded yet --------------------------------------------


def test_the_phone_link_says_on_its_way_then_shows_the_ticket(client, api, q, block):
    mine = token()
    page = client.get(f"/t/{mine}")
    html = page.content.decode()
    assert page.status_code == 200 and "Votre ticket est en route" in html
    assert '<meta http-equiv="refresh" content="10">' in html  # reloads by itself, no script
    assert "Your ticket is on its way" in html and 'lang="ar" dir="rtl"' in html
    assert "<script>" not in html  # the strict CSP allows no inline script
    assert page["Cache-Control"] == "no-store"
    assert client.get(f"/t/{mine}/etat.json").status_code == 404  # no state to poll yet
    assert client.post(f"/t/{mine}/partir").status_code == 404
    number = upload(api, q, block, public_token=mine, phone=PHONE,
                    sms_consent=True).json()["number"]
    html = client.get(f"/t/{mine}").content.decode()
    assert number in html and "en route" not in html and PHONE not in html
    assert "SMS" in html


@pytest.mark.parametrize("bad", ["a" * 15, "a" * 33, "abc%00defghijklmnopqrs"])
def test_a_malformed_link_is_still_a_404(client, demo, bad):
    assert client.get(f"/t/{bad}").status_code == 404
