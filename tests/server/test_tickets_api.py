"""POST /api/v1/tickets and GET /api/v1/tickets/<id>: idempotency, numbering, errors, status."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
import warnings

import pytest

from kiosk.domain.tickets import parse_ticket_number
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def ticketing_services() -> list[dict]:
    return [s for s in demo_data()["services"] if s.get("ticketing", True)]


@pytest.fixture
def svc() -> dict:
    """A ticketing service of the demo served by at least one counter."""
    served = {sid for c in demo_data().get("counters", []) for sid in c["services"]}
    return next(s for s in ticketing_services() if s["id"] in served)


def take(api, service_id, key=None, language="fr"):
    return api.post("/tickets", {"service": service_id, "language": language},
                    key=key or uuid.uuid4())


def test_a_ticket_is_created(api, demo, svc):
    response = take(api, svc["id"])
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == f"{svc['prefix']}001"
    assert body["service"] == svc["id"]
    assert body["status"] == "waiting"
    assert (body["position"], body["ahead"]) == (1, 0)
    assert body["estimated_wait_minutes"] == 0
    assert body["counter"] is None and body["called_at"] is None
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", body["id"])
    assert body["phone_url"].endswith(f"/t/{body['id']}")
    assert body["phone_url"].startswith("http")
    dt.datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))


def test_a_replay_answers_200_with_the_same_ticket(api, demo, svc):
    from kiosk.server.queueing.models import Ticket

    key = uuid.uuid4()
    first = take(api, svc["id"], key)
    again = take(api, svc["id"], key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    assert Ticket.objects.count() == 1
    # The replay consumed no number.
    assert take(api, svc["id"]).json()["number"] == f"{svc['prefix']}002"


def test_a_key_sent_again_with_another_body_is_refused(api, demo, svc):
    # Payment-API idempotency (tests/server/test_idempotency_fingerprint.py has the rest).
    other = next(s for s in ticketing_services() if s["id"] != svc["id"])
    key = uuid.uuid4()
    from kiosk.server.queueing.models import Ticket

    take(api, svc["id"], key)
    again = take(api, other["id"], key)
    assert again.status_code == 422
    assert "Idempotency-Key" in again.json()["detail"]
    assert Ticket.objects.count() == 1


def test_the_same_key_from_another_kiosk_is_another_ticket(api, client, demo, svc):
    from kiosk.server.devices.models import Kiosk

    key = uuid.uuid4()
    first = take(api, svc["id"], key).json()
    _, token = Kiosk.objects.register(demo, "Borne de l'étage")
    response = client.post("/api/v1/tickets", {"service": svc["id"]},
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(key)})
    assert response.status_code == 201
    assert response.json()["id"] != first["id"]
    assert response.json()["number"] == f"{svc['prefix']}002"


def test_a_missing_idempotency_key_is_refused(api, demo, svc):
    from kiosk.server.queueing.models import Ticket

    response = api.post("/tickets", {"service": svc["id"]})
    assert response.status_code in (400, 422)
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("key", ["not-a-uuid", "", "1234", "' OR 1=1 --"])
def test_an_invalid_idempotency_key_is_refused(api, demo, svc, key):
    from kiosk.server.queueing.models import Ticket

    response = api.post("/tickets", {"service": svc["id"]}, key=key)
    assert response.status_code in (400, 422)
    assert Ticket.objects.count() == 0


def test_a_ticket_needs_a_token(client, demo, svc):
    response = client.post("/api/v1/tickets", {"service": svc["id"]},
                           content_type="application/json",
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 401


def test_an_unknown_service_is_404(api, demo):
    response = take(api, "service-qui-n-existe-pas")
    assert response.status_code == 404
    assert "unknown service" in response.json()["detail"]


def test_another_sites_service_is_404(api, demo):
    from kiosk.server.content.models import Pole, Service, Site

    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    pole = Pole.objects.create(site=other, slug="p20", color="#123456", pictogram="x",
                               name={"fr": "P"})
    Service.objects.create(site=other, pole=pole, slug="seulement-au-20e", prefix="Z",
                           pictogram="x", name={"fr": "Ailleurs"})
    assert take(api, "seulement-au-20e").status_code == 404


def test_an_appointment_only_service_gives_no_ticket(api, demo, svc):
    from kiosk.server.content.models import Service
    from kiosk.server.queueing.models import Ticket

    no_ticket = [s["id"] for s in demo_data()["services"] if not s.get("ticketing", True)]
    if no_ticket:
        slug = no_ticket[0]
    else:  # the demo has none: make one
        slug = svc["id"]
        Service.objects.filter(site=demo, slug=slug).update(ticketing=False)
    response = take(api, slug)
    assert response.status_code == 409
    assert "appointment" in response.json()["detail"]
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"service": ""}, {"service": "x" * 65},
                                  {"service": "etat-civil", "language": "de"}])
def test_a_bad_body_is_422(api, demo, body):
    assert api.post("/tickets", body, key=uuid.uuid4()).status_code == 422


def test_numbers_count_per_service(api, demo):
    first, second = ticketing_services()[:2]
    numbers = [take(api, s["id"]).json()["number"] for s in (first, second, first, first, second)]
    a, b = first["prefix"], second["prefix"]
    assert numbers == [f"{a}001", f"{b}001", f"{a}002", f"{a}003", f"{b}002"]


def test_numbers_restart_every_day(api, demo, svc):
    from kiosk.server.queueing.models import Ticket, TicketSequence

    take(api, svc["id"])
    take(api, svc["id"])
    from django.utils import timezone

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Ticket.objects.update(day=yesterday)
    TicketSequence.objects.update(day=yesterday)
    body = take(api, svc["id"]).json()
    assert body["number"] == f"{svc['prefix']}001"
    assert body["position"] == 1  # yesterday's tickets are not ahead


def test_position_and_wait_follow_the_queue(api, demo, svc):
    from kiosk.server.content.models import Service
    from kiosk.server.queueing.models import Counter

    service = Service.objects.get(site=demo, slug=svc["id"])
    open_counters = Counter.objects.filter(services=service, is_open=True).count()
    n = open_counters + 2
    bodies = [take(api, svc["id"]).json() for _ in range(n)]
    assert [b["position"] for b in bodies] == list(range(1, n + 1))
    assert [b["ahead"] for b in bodies] == list(range(n))
    waits = [b["estimated_wait_minutes"] for b in bodies]
    # Idle counters call the first tickets at once; then each waits about a service time
    # (the configured mean until history is learned), and waits never go down.
    assert waits[:open_counters] == [0] * open_counters
    assert waits == sorted(waits)
    mean = service.mean_service_minutes
    assert 0.6 * mean <= waits[open_counters] <= 1.4 * mean + 1


def test_no_open_counter_means_an_unknown_wait(api, demo, svc):
    from kiosk.server.queueing.models import Counter

    Counter.objects.filter(site=demo).update(is_open=False)
    take(api, svc["id"])
    assert take(api, svc["id"]).json()["estimated_wait_minutes"] is None


def test_the_phone_url_uses_the_public_base_url(api, demo, svc, settings):
    settings.PUBLIC_BASE_URL = "https://carrefour.example.org"
    body = take(api, svc["id"]).json()
    assert body["phone_url"] == f"https://carrefour.example.org/t/{body['id']}"


def test_the_language_is_kept(api, demo, svc):
    from kiosk.server.queueing.models import Ticket

    body = take(api, svc["id"], language="ar").json()
    assert Ticket.objects.get(public_token=body["id"]).language == "ar"


def test_the_thousandth_ticket_of_a_day_is_refused_cleanly(api, demo, svc):
    from django.utils import timezone

    from kiosk.server.content.models import Service
    from kiosk.server.queueing.models import Ticket, TicketSequence

    service = Service.objects.get(site=demo, slug=svc["id"])
    TicketSequence.objects.create(service=service, day=timezone.localdate(), last_number=999)
    response = take(api, svc["id"])
    assert response.status_code in (409, 503)
    assert Ticket.objects.count() == 0


# -- status ----------------------------------------------------------------------------


def test_status_has_the_same_shape(api, demo, svc):
    created = take(api, svc["id"]).json()
    response = api.get(f"/tickets/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


def test_status_follows_the_counter(api, demo, svc):
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.queueing.models import Counter

    first = take(api, svc["id"]).json()
    second = take(api, svc["id"]).json()
    counter = Counter.objects.filter(services__slug=svc["id"], site=demo).first()
    called = do_call_next(counter)
    assert called.public_token == first["id"]

    now = api.get(f"/tickets/{first['id']}").json()
    assert now["status"] == "called"
    assert now["position"] is None and now["ahead"] is None
    assert now["estimated_wait_minutes"] is None
    assert now["counter"] == counter.name
    assert now["called_at"] is not None
    behind = api.get(f"/tickets/{second['id']}").json()
    assert (behind["status"], behind["position"]) == ("waiting", 1)


ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.parametrize("ticket_id", [
    "AAAAAAAAAAAAAAAAAAAAAA", "x",
    "%00",
])
def test_unknown_ticket_is_404(api, demo, ticket_id):
    response = api.get(f"/tickets/{ticket_id}")
    assert response.status_code == 404


def test_another_sites_kiosk_cannot_read_a_ticket(api, client, demo, svc):
    from kiosk.server.content.models import Site
    from kiosk.server.devices.models import Kiosk

    created = take(api, svc["id"]).json()
    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    _, token = Kiosk.objects.register(other, "Borne du 20e")
    response = client.get(f"/api/v1/tickets/{created['id']}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_public_tokens_are_unique_and_unguessable(api, demo, svc):
    tokens = [take(api, svc["id"]).json()["id"] for _ in range(20)]
    assert len(set(tokens)) == 20
    assert all(len(t) >= 22 for t in tokens)
    numbers = [parse_ticket_number(api.get(f"/tickets/{t}").json()["number"])[1] for t in tokens]
    assert numbers == list(range(1, 21))


def test_ticket_creation_uses_no_deprecated_api(api, demo, svc):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = take(api, svc["id"])
    assert response.status_code == 201
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []
