"""Idempotency-Key as payment APIs do it (kiosk/server/api/idempotency.py): the key is bound
to the fingerprint of its first request; the same request again answers exactly the first
answer, another request with the key answers 422 and changes nothing."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.django_db

PHONE = "06 12 34 56 78"


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def tickets():
    from kiosk.server.queueing.models import Ticket

    return list(Ticket.objects.order_by("pk"))


def test_a_key_with_another_service_and_a_phone_is_refused_and_changes_nothing(api, demo):
    key = uuid.uuid4()
    first = api.post("/tickets", {"service": "recensement"}, key=key)
    assert first.status_code == 201 and first.json()["number"] == "R001"
    again = api.post("/tickets", {"service": "listes-electorales", "phone": PHONE,
                                  "sms_consent": True}, key=key)
    assert again.status_code == 422
    assert "Idempotency-Key" in again.json()["detail"]
    [only] = tickets()
    assert only.service.slug == "recensement" and only.phone == ""


def test_a_replay_without_the_erased_phone_is_the_same_request(api, demo):
    """The kiosk erases the phone from its outbox once the server has the ticket: a replay
    may come without it, and one never adds a phone to a ticket."""
    key = uuid.uuid4()
    body = {"service": "recensement", "phone": PHONE, "sms_consent": True}
    first = api.post("/tickets", body, key=key)
    assert first.status_code == 201 and first.json()["sms"] is True
    erased = api.post("/tickets", {"service": "recensement"}, key=key)
    assert erased.status_code == 200 and erased.content == first.content

    key = uuid.uuid4()
    plain = api.post("/tickets", {"service": "recensement"}, key=key)
    added = api.post("/tickets", body, key=key)
    assert added.status_code == 200 and added.content == plain.content
    assert added.json()["sms"] is False
    assert [t.phone for t in tickets()][-1] == ""


def test_every_replay_answers_exactly_the_first_answer(api, demo, counter_for):
    from kiosk.server.queueing.counter_actions import do_call_next

    key = uuid.uuid4()
    first = api.post("/tickets", {"service": "recensement", "language": "fr"}, key=key)
    assert first.status_code == 201
    do_call_next(counter_for("recensement"))  # the ticket changes: called, no position
    for _ in range(2):
        again = api.post("/tickets", {"service": "recensement", "language": "fr"}, key=key)
        assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
        assert again.content == first.content
    now = api.get(f"/tickets/{first.json()['id']}").json()
    assert now["status"] == "called" and first.json()["status"] == "waiting"
    assert len(tickets()) == 1


def test_the_same_data_in_another_key_order_or_spacing_is_the_same_request(api, demo, client,
                                                                          kiosk_token):
    key = uuid.uuid4()
    first = api.post("/tickets", {"service": "recensement", "language": "en"}, key=key)
    raw = '{ "language" : "en",\n "service": "recensement" }'
    again = client.post("/api/v1/tickets", raw, content_type="application/json",
                        headers={"Authorization": f"Bearer {kiosk_token}",
                                 "Idempotency-Key": str(key)})
    assert again.status_code == 200 and again.content == first.content


def test_a_lease_replayed_under_another_service_is_refused(api, demo):
    from kiosk.server.queueing.models import NumberLease

    key = uuid.uuid4()
    first = api.post("/leases", {"service": "recensement", "size": 5}, key=key)
    assert first.status_code == 201 and first.json()["service"] == "recensement"
    other = api.post("/leases", {"service": "listes-electorales", "size": 5}, key=key)
    assert other.status_code == 422
    bigger = api.post("/leases", {"service": "recensement", "size": 6}, key=key)
    assert bigger.status_code == 422
    same = api.post("/leases", {"service": "recensement", "size": 5}, key=key)
    assert same.status_code == 200 and same.content == first.content
    assert NumberLease.objects.count() == 1


def test_one_key_on_two_endpoints_is_refused(api, demo):
    key = uuid.uuid4()
    assert api.post("/tickets", {"service": "recensement"}, key=key).status_code == 201
    for path, body in (("/leases", {"service": "recensement"}), ("/assistance", {}),
                       ("/contributions", {"title": "Troc", "category": "swap"})):
        assert api.post(path, body, key=key).status_code == 422, path
    from kiosk.server.assistance.models import AssistanceRequest

    assert not AssistanceRequest.objects.exists()


def test_assistance_and_contributions_bind_their_key_too(api, demo):
    key = uuid.uuid4()
    first = api.post("/assistance", {"language": "fr", "note": "fauteuil"}, key=key)
    assert first.status_code == 201
    assert api.post("/assistance", {"language": "fr", "note": "autre"}, key=key).status_code == 422
    same = api.post("/assistance", {"language": "fr", "note": "fauteuil"}, key=key)
    assert same.status_code == 200 and same.content == first.content

    key = uuid.uuid4()
    body = {"title": "Troc de livres", "category": "swap"}
    first = api.post("/contributions", body, key=key)
    assert first.status_code == 201
    assert api.post("/contributions", {**body, "title": "Autre"}, key=key).status_code == 422
    same = api.post("/contributions", body, key=key)
    assert same.status_code == 200 and same.content == first.content


def test_an_offline_upload_replayed_with_another_number_is_refused(api, demo):
    from django.utils import timezone

    block = api.post("/leases", {"service": "recensement", "size": 3}, key=uuid.uuid4()).json()
    key, issued = uuid.uuid4(), timezone.now().isoformat()

    def upload(number):
        return api.post("/tickets", {"service": "recensement", "offline": {
            "lease_day": block["day"], "number": number, "issued_at": issued}}, key=key)

    first = upload(block["first"])
    assert first.status_code == 201
    assert upload(block["first"] + 1).status_code == 422
    again = upload(block["first"])
    assert again.status_code == 200 and again.content == first.content
    assert len(tickets()) == 1


def test_a_record_made_before_fingerprints_still_answers_its_ticket(api, demo):
    """Rows from before the migration have no fingerprint: their replays keep working."""
    from kiosk.server.queueing.models import IdempotencyRecord

    key = uuid.uuid4()
    first = api.post("/tickets", {"service": "recensement"}, key=key).json()
    IdempotencyRecord.objects.filter(key=key).update(fingerprint="", response_body="",
                                                     response_status=None)
    again = api.post("/tickets", {"service": "recensement"}, key=key)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    # ... and the answer is kept from then on, bound to that request.
    assert api.post("/tickets", {"service": "naissance"}, key=key).status_code == 422


def test_a_concurrent_loser_gets_the_winners_answer(api, demo):
    """The answer is kept once: a second `remember` (a concurrent duplicate that finished
    later) answers the kept bytes, and one with another body a 422."""
    from django.test import RequestFactory

    from kiosk.server.api.idempotency import fingerprint, remember
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.queueing.lifecycle import QueueError

    key = uuid.uuid4()
    first = api.post("/tickets", {"service": "recensement"}, key=key)
    request = RequestFactory().post("/api/v1/tickets", json.dumps({"service": "recensement"}),
                                    content_type="application/json")
    request.kiosk = Kiosk.objects.get(name="Borne de test")
    from django.http import HttpResponse

    late = remember(request, key, fingerprint(request), HttpResponse(b'{"late": 1}', status=201))
    assert late.status_code == 200 and late.content == first.content
    other = RequestFactory().post("/api/v1/tickets", json.dumps({"service": "naissance"}),
                                  content_type="application/json")
    other.kiosk = request.kiosk
    with pytest.raises(QueueError) as refused:
        remember(other, key, fingerprint(other), HttpResponse(b"{}", status=201))
    assert refused.value.status == 422


@pytest.fixture
def counter_for(demo):
    from kiosk.server.queueing.models import Counter

    def find(slug):
        counter = Counter.objects.filter(site=demo, services__slug=slug).first()
        counter.is_open = True
        counter.save(update_fields=["is_open"])
        return counter
    return find
