"""The carnet on the wire: a ticket's documents and carnet code (POST /api/v1/tickets,
offline uploads), joining a carnet by code, GET /api/v1/carnets/{code}, idempotency."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from kiosk.domain import carnet_code
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def svc() -> str:
    served = {sid for c in demo_data().get("counters", []) for sid in c["services"]}
    return next(s["id"] for s in demo_data()["services"]
                if s.get("ticketing", True) and s["id"] in served)


DOCS = [
    {"doc": "id_card", "text": {"fr": "Pièce d'identité", "ar": "وثيقة الهوية"}, "have": True},
    {"doc": "proof_of_address", "text": {"fr": "Justificatif de domicile"}, "have": False},
    {"doc": "", "text": {"fr": "Livret de famille"}, "have": True},
]


def take(api, svc, key=None, **fields):
    return api.post("/tickets", {"service": svc, **fields}, key=key or uuid.uuid4())


def kept_carnet(ticket_id: str):
    """Keep a carnet from a ticket as the phone page does (services)."""
    from kiosk.server.carnet.services import folder_for, keep_carnet
    from kiosk.server.queueing.models import Ticket

    return keep_carnet(folder_for(Ticket.objects.get(public_token=ticket_id)))


def test_a_ticket_keeps_its_documents_and_gets_a_valid_code(api, demo, svc):
    body = take(api, svc, documents=DOCS).json()
    assert body["documents"] == DOCS
    assert carnet_code.is_valid(body["carnet_code"])
    assert body["carnet_linked"] is False
    again = api.get(f"/tickets/{body['id']}").json()
    assert (again["documents"], again["carnet_code"]) == (DOCS, body["carnet_code"])
    other = take(api, svc).json()
    assert other["carnet_code"] != body["carnet_code"]


def test_without_documents_the_ticket_gets_its_services_list_unticked(api, demo, svc):
    from kiosk.server.content.models import Service

    Service.objects.filter(site=demo, slug=svc).update(documents=[
        {"doc": "id_card"}, {"fr": "Photo d'identité", "en": "ID photo"}, {"doc": "no-such"}])
    body = take(api, svc).json()
    assert [d["doc"] for d in body["documents"]] == ["id_card", ""]
    assert body["documents"][1]["text"] == {"fr": "Photo d'identité", "en": "ID photo"}
    assert not any(d["have"] for d in body["documents"])


@pytest.mark.parametrize("documents, where", [
    ([{"doc": "id_card", "text": {"fr": "x" * 201}, "have": True}], "text"),
    ([{"doc": "id_card", "text": {"fr": "a\x00b"}, "have": True}], "text"),
    ([{"doc": "id_card", "text": {"xx": "Pièce"}, "have": True}], "text"),
    ([{"doc": "Not A Key!", "text": {"fr": "Pièce"}}], "doc"),
    ([{"doc": "", "text": {}}], "documents"),
    ([{"doc": "id_card", "text": {"fr": "Pièce"}}] * 21, "documents"),
])
def test_bad_documents_are_a_422_and_issue_nothing(api, demo, svc, documents, where):
    from kiosk.server.queueing.models import Ticket

    response = take(api, svc, documents=documents)
    assert response.status_code == 422, response.content
    assert where in str(response.json()["detail"])
    assert not Ticket.objects.exists()


def test_document_names_are_cleaned(api, demo, svc):
    docs = [{"doc": "", "text": {"fr": " Avis d'impôt\u202e "}, "have": False}]
    assert take(api, svc, documents=docs).json()["documents"][0]["text"] == {"fr": "Avis d'impôt"}


def test_a_typed_code_joins_the_carnet_and_the_ticket_carries_its_code(api, demo, svc):
    first = take(api, svc, documents=DOCS).json()
    carnet = kept_carnet(first["id"])
    typed = carnet_code.display(carnet.code)  # with spaces, as read aloud
    second = take(api, svc, carnet=typed).json()
    assert second["carnet_linked"] is True
    assert second["carnet_code"] == carnet.code
    assert carnet.folders.count() == 2


def test_an_unknown_valid_code_still_issues_the_ticket_unlinked(api, demo, svc):
    unknown = carnet_code.mint()
    response = take(api, svc, carnet=unknown)
    assert response.status_code == 201
    assert response.json()["carnet_linked"] is False
    assert response.json()["carnet_code"] != unknown


def test_a_mistyped_code_is_a_clear_422(api, demo, svc):
    code = carnet_code.mint()
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    response = take(api, svc, carnet=typo)
    assert response.status_code == 422
    assert "invalid carnet code" in str(response.json()["detail"])
    assert take(api, svc, carnet="12345").status_code == 422


def test_another_sites_carnet_is_not_joined(api, demo, paris18, svc):
    from kiosk.server.carnet.models import Carnet

    carnet = Carnet.objects.create(site=paris18, code=carnet_code.mint())
    assert take(api, svc, carnet=carnet.code).json()["carnet_linked"] is False


def test_an_expired_carnet_is_not_joined(api, demo, svc, settings):
    from kiosk.server.carnet.models import Carnet

    carnet = kept_carnet(take(api, svc).json()["id"])
    settings.CARNET_RETENTION_DAYS = 10
    Carnet.objects.filter(pk=carnet.pk).update(used_at=timezone.now() - dt.timedelta(days=11))
    assert take(api, svc, carnet=carnet.code).json()["carnet_linked"] is False


def test_joining_is_a_use_of_the_carnet(api, demo, svc):
    from kiosk.server.carnet.models import Carnet

    carnet = kept_carnet(take(api, svc).json()["id"])
    old = timezone.now() - dt.timedelta(days=30)
    Carnet.objects.filter(pk=carnet.pk).update(used_at=old)
    take(api, svc, carnet=carnet.code)
    carnet.refresh_from_db()
    assert carnet.used_at > old + dt.timedelta(days=29)


def test_the_fingerprint_covers_documents_and_carnet(api, demo, svc):
    key = uuid.uuid4()
    first = take(api, svc, key, documents=DOCS)
    assert first.status_code == 201
    assert take(api, svc, key, documents=DOCS).status_code == 200  # a replay
    ticked = [dict(d, have=True) for d in DOCS]
    assert take(api, svc, key, documents=ticked).status_code == 422
    assert take(api, svc, key, documents=DOCS, carnet=carnet_code.mint()).status_code == 422


def test_a_replay_answers_the_same_code(api, demo, svc):
    key = uuid.uuid4()
    first = take(api, svc, key, documents=DOCS).json()
    assert take(api, svc, key, documents=DOCS).json()["carnet_code"] == first["carnet_code"]


# -- offline tickets -----------------------------------------------------------------------


def lease(api, svc) -> dict:
    return api.post("/leases", {"service": svc, "size": 5}, key=uuid.uuid4()).json()


def offline(lease_, number, **extra):
    return {"lease_day": lease_["day"], "number": number,
            "issued_at": timezone.now().isoformat(), **extra}


def test_an_offline_ticket_keeps_the_code_the_kiosk_printed(api, demo, svc):
    block = lease(api, svc)
    code = carnet_code.mint()
    body = take(api, svc, documents=DOCS,
                offline=offline(block, block["first"], carnet_code=code)).json()
    assert (body["carnet_code"], body["documents"], body["offline"]) == (code, DOCS, True)


def test_an_offline_ticket_with_a_bad_code_is_a_422(api, demo, svc):
    block = lease(api, svc)
    response = take(api, svc, offline=offline(block, block["first"], carnet_code="1234567890"
                                              if not carnet_code.is_valid("1234567890")
                                              else "1234567891"))
    assert response.status_code == 422


def test_an_offline_ticket_joins_the_carnet_typed_at_the_kiosk(api, demo, svc):
    carnet = kept_carnet(take(api, svc).json()["id"])
    block = lease(api, svc)
    body = take(api, svc, carnet=carnet.code,
                offline=offline(block, block["first"], carnet_code=carnet_code.mint())).json()
    assert body["carnet_linked"] is True and body["carnet_code"] == carnet.code


# -- GET /api/v1/carnets/{code} --------------------------------------------------------------


def test_the_kiosk_checks_a_code_before_issuing(api, demo, svc):
    first = take(api, svc).json()
    carnet = kept_carnet(first["id"])
    answer = api.get(f"/carnets/{carnet.code}")
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "procedures": 1}
    assert api.get(f"/carnets/{carnet_code.mint()}").status_code == 404
    assert api.get("/carnets/not-a-code").status_code == 404


def test_the_look_up_needs_the_kiosk_token(client, demo):
    assert client.get(f"/api/v1/carnets/{carnet_code.mint()}").status_code == 401


def test_the_look_up_is_rate_limited_per_kiosk(api, demo, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "carnets": "3/h"}
    answers = [api.get(f"/carnets/{carnet_code.mint()}").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    cache.clear()


def test_the_openapi_documents_the_carnet_fields(client, demo):
    schema = client.get("/api/v1/openapi.json").json()
    ticket_in = schema["components"]["schemas"]["TicketIn"]["properties"]
    assert {"documents", "carnet"} <= set(ticket_in)
    assert ticket_in["documents"]["maxItems"] == 20
    assert "/api/v1/carnets/{code}" in schema["paths"]
