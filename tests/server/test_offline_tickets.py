"""Offline tickets: POST /api/v1/leases and POST /api/v1/tickets with `offline`.

Database-agnostic (SQLite or PostgreSQL). Concurrent leases and tickets against a real
server process: tests/e2e/test_offline_tickets.py.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def svc() -> dict:
    served = {sid for c in demo_data().get("counters", []) for sid in c["services"]}
    return next(s for s in demo_data()["services"]
                if s.get("ticketing", True) and s["id"] in served)


def lease(api, service_id, size=None, key=None):
    body = {"service": service_id} if size is None else {"service": service_id, "size": size}
    return api.post("/leases", body, key=key or uuid.uuid4())


def online(api, service_id):
    return api.post("/tickets", {"service": service_id, "language": "fr"}, key=uuid.uuid4())


def offline(api, service_id, number, issued_at, day=None, key=None, language="fr"):
    from django.utils import timezone

    body = {"service": service_id, "language": language,
            "offline": {"lease_day": (day or timezone.localdate()).isoformat(), "number": number,
                        "issued_at": issued_at.isoformat()}}
    return api.post("/tickets", body, key=key or uuid.uuid4())


def number_of(body) -> int:
    return int(body["number"][1:])


def _now():
    from django.utils import timezone

    return timezone.now()


def _age_leases(minutes=10):
    """Leases taken `minutes` ago: an issue time between then and now is honoured as is."""
    from kiosk.server.queueing.models import NumberLease

    NumberLease.objects.update(created_at=_now() - dt.timedelta(minutes=minutes))


def test_a_lease_reserves_numbers_that_online_tickets_skip(api, demo, svc):
    assert number_of(online(api, svc["id"]).json()) == 1
    response = lease(api, svc["id"], size=5)
    assert response.status_code == 201
    body = response.json()
    assert (body["first"], body["last"], body["prefix"], body["service"]) == (
        2, 6, svc["prefix"], svc["id"])
    from django.utils import timezone

    assert body["day"] == timezone.localdate().isoformat()
    assert number_of(online(api, svc["id"]).json()) == 7


def test_the_default_lease_is_ten_numbers_and_a_replay_is_the_same_lease(api, demo, svc):
    from kiosk.server.queueing.models import NumberLease

    key = uuid.uuid4()
    first = lease(api, svc["id"], key=key)
    again = lease(api, svc["id"], key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert (first.json()["first"], first.json()["last"]) == (1, 10)
    assert again.json() == first.json()
    assert NumberLease.objects.count() == 1
    assert number_of(online(api, svc["id"]).json()) == 11


@pytest.mark.parametrize("size", [0, 51, -3])
def test_a_lease_size_out_of_range_is_refused(api, demo, svc, size):
    assert lease(api, svc["id"], size=size).status_code == 422


def test_a_lease_for_an_unknown_or_appointment_only_service_is_refused(api, demo):
    assert lease(api, "nope").status_code == 404
    appointment = [s for s in demo_data()["services"] if not s.get("ticketing", True)]
    if appointment:
        assert lease(api, appointment[0]["id"]).status_code == 409


def test_leases_have_their_own_rate_limit(settings):
    assert "leases" in settings.RATELIMITS


def test_an_offline_ticket_keeps_its_number_and_its_place_by_issue_time(api, demo, svc):
    from kiosk.server.queueing.models import Ticket

    block = lease(api, svc["id"], size=3).json()
    _age_leases(10)
    issued = (_now() - dt.timedelta(minutes=5)).replace(microsecond=0)
    later = online(api, svc["id"]).json()  # taken after the offline one, uploaded before it
    response = offline(api, svc["id"], block["first"] + 1, issued, language="ar")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == f"{svc['prefix']}{block['first'] + 1:03d}"
    assert body["offline"] is True and body["status"] == "waiting"
    assert dt.datetime.fromisoformat(body["created_at"].replace("Z", "+00:00")) == issued
    assert (body["position"], body["ahead"]) == (1, 0)
    ticket = Ticket.objects.get(public_token=body["id"])
    assert ticket.offline and ticket.queued_at == issued and ticket.created_at == issued
    assert ticket.language == "ar" and ticket.issued_service.slug == svc["id"]
    # The online ticket is now behind it.
    assert api.get(f"/tickets/{later['id']}").json()["ahead"] == 1
    assert later["offline"] is False


def test_the_issue_time_is_clamped_to_the_lease_and_to_now(api, demo, svc):
    from kiosk.server.queueing.models import NumberLease

    block = lease(api, svc["id"], size=2).json()
    leased_at = NumberLease.objects.get().created_at
    early = offline(api, svc["id"], block["first"], leased_at - dt.timedelta(hours=3)).json()
    moment = dt.datetime.fromisoformat(early["created_at"].replace("Z", "+00:00"))
    assert abs(moment - leased_at) < dt.timedelta(milliseconds=1)  # JSON keeps milliseconds
    before = _now().replace(microsecond=0)
    late = offline(api, svc["id"], block["last"], _now() + dt.timedelta(hours=3)).json()
    moment = dt.datetime.fromisoformat(late["created_at"].replace("Z", "+00:00"))
    assert before <= moment <= _now()


def test_a_replay_returns_the_same_offline_ticket(api, demo, svc):
    from kiosk.server.queueing.models import Ticket

    block = lease(api, svc["id"]).json()
    key, issued = uuid.uuid4(), _now()  # the kiosk's outbox sends the same body again
    first = offline(api, svc["id"], block["first"], issued, key=key)
    again = offline(api, svc["id"], block["first"], issued, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Ticket.objects.count() == 1


def test_one_number_under_two_keys_is_a_conflict_never_two_tickets(api, demo, svc):
    from kiosk.server.queueing.models import Ticket

    block = lease(api, svc["id"]).json()
    assert offline(api, svc["id"], block["first"], _now()).status_code == 201
    second = offline(api, svc["id"], block["first"], _now())
    assert second.status_code == 409
    assert "already uploaded" in second.json()["detail"]
    assert Ticket.objects.count() == 1


def test_a_number_outside_the_kiosks_leases_is_a_conflict(api, demo, svc, client):
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.queueing.models import Ticket

    assert offline(api, svc["id"], 5, _now()).status_code == 409  # no lease at all
    block = lease(api, svc["id"], size=2).json()
    response = offline(api, svc["id"], block["last"] + 1, _now())
    assert response.status_code == 409
    assert "not in a lease of this kiosk" in response.json()["detail"]
    # Another service, or another day: not this lease either.
    other = next(s for s in demo_data()["services"]
                 if s.get("ticketing", True) and s["id"] != svc["id"])
    assert offline(api, other["id"], block["first"], _now()).status_code == 409
    yesterday = dt.date.fromisoformat(block["day"]) - dt.timedelta(days=1)
    assert offline(api, svc["id"], block["first"], _now(), day=yesterday).status_code == 409
    # Another kiosk of the site cannot use this kiosk's lease.
    _, token = Kiosk.objects.register(demo, "Borne de l'étage")
    response = client.post(
        "/api/v1/tickets",
        json.dumps({"service": svc["id"], "offline": {
            "lease_day": block["day"], "number": block["first"],
            "issued_at": _now().isoformat()}}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 409
    assert Ticket.objects.count() == 0


def test_an_offline_ticket_of_a_past_day_is_stored_as_cancelled(api, demo, svc):
    from kiosk.server.queueing.models import NumberLease, Ticket

    block = lease(api, svc["id"], size=2).json()
    yesterday = dt.date.fromisoformat(block["day"]) - dt.timedelta(days=1)
    NumberLease.objects.update(day=yesterday,
                               created_at=_now() - dt.timedelta(days=1, hours=1))
    issued = _now() - dt.timedelta(days=1)
    response = offline(api, svc["id"], block["first"], issued, day=yesterday)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "cancelled" and body["position"] is None
    ticket = Ticket.objects.get()
    assert ticket.day == yesterday and ticket.offline and ticket.finished_at is not None


def test_an_offline_ticket_is_kept_even_if_the_service_went_appointment_only(api, demo, svc):
    from kiosk.server.content.models import Service

    block = lease(api, svc["id"], size=1).json()
    Service.objects.filter(slug=svc["id"]).update(ticketing=False)
    assert offline(api, svc["id"], block["first"], _now()).status_code == 201
    assert online(api, svc["id"]).status_code == 409


def test_the_openapi_documents_leases_and_offline_tickets(api, demo):
    schema = api.get("/openapi.json").json()
    assert "/api/v1/leases" in schema["paths"]
    assert "OfflineTicketIn" in schema["components"]["schemas"]
