"""Call an agent from the kiosk: API, idempotency, one open request per kiosk, the console."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def agent(client, demo):
    a = next(a for a in demo_data()["agents"] if a.get("role", "counter") == "counter")
    assert client.login(username=a["username"], password=a["password"])
    client.user = a
    return client


@pytest.fixture
def counter(demo):
    from kiosk.server.queueing.models import Counter

    return Counter.objects.filter(site=demo).order_by("name").first()


def ask(api, key=None, **body):
    return api.post("/assistance", {"language": "ar", **body}, key=key or uuid.uuid4())


def console_state(agent, counter) -> dict:
    response = agent.get(f"/guichet/{counter.pk}/etat.json")
    assert response.status_code == 200
    return response.json()


def assist(client, counter, request_id):
    return client.post(f"/guichet/{counter.pk}/assist/", {"request": request_id},
                       headers={"Accept": "application/json"})


# -- API -------------------------------------------------------------------------------


def test_a_kiosk_calls_an_agent(api):
    response = ask(api, note="fauteuil roulant")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open"
    assert body["language"] == "ar"
    assert body["note"] == "fauteuil roulant"
    assert body["agent"] is None and body["handled_at"] is None
    assert uuid.UUID(body["id"])
    again = api.get(f"/assistance/{body['id']}")
    assert again.status_code == 200
    assert again.json() == body


def test_the_same_key_answers_the_same_request(api):
    key = uuid.uuid4()
    first = ask(api, key=key)
    replay = ask(api, key=key)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    from kiosk.server.assistance.models import AssistanceRequest

    assert AssistanceRequest.objects.count() == 1


def test_one_open_request_per_kiosk(api):
    first = ask(api).json()
    second = ask(api, language="zh")
    assert second.status_code == 200
    assert second.json()["id"] == first["id"]
    assert second.json()["language"] == "ar"  # the open one, unchanged
    from kiosk.server.assistance.models import AssistanceRequest

    assert AssistanceRequest.objects.count() == 1


def test_a_key_keeps_its_answer_after_the_request_is_handled(api, agent, counter):
    key = uuid.uuid4()
    first = ask(api, key=key).json()
    from kiosk.server.assistance.models import AssistanceRequest

    item = AssistanceRequest.objects.get()
    assert assist(agent, counter, item.pk).status_code == 200
    replay = ask(api, key=key)
    assert replay.status_code == 200
    # Exactly the first answer (payment-API idempotency); the news is in GET /assistance/{id}.
    assert replay.json() == first
    assert api.get(f"/assistance/{first['id']}").json()["status"] == "handled"
    # A new key, once the first request is handled, is a new call.
    fresh = ask(api)
    assert fresh.status_code == 201
    assert fresh.json()["id"] != first["id"]


def test_kiosks_each_have_their_own_open_request(api, demo, client):
    from kiosk.server.devices.models import Kiosk

    _, token = Kiosk.objects.register(demo, "Borne du 1er étage")
    first = ask(api).json()
    other = client.post("/api/v1/assistance", {"language": "fr"}, content_type="application/json",
                        headers={"Authorization": f"Bearer {token}",
                                 "Idempotency-Key": str(uuid.uuid4())})
    assert other.status_code == 201
    assert other.json()["id"] != first["id"]


def test_the_key_is_required_and_must_be_a_uuid(api):
    assert api.post("/assistance", {"language": "fr"}).status_code == 422
    assert api.post("/assistance", {"language": "fr"}, key="not-a-uuid").status_code == 422


@pytest.mark.parametrize("body", [{"language": "xx"}, {"note": "x" * 201}])
def test_a_bad_body_is_422(api, body):
    assert api.post("/assistance", body, key=uuid.uuid4()).status_code == 422


def test_without_a_token_it_is_401(client, demo):
    response = client.post("/api/v1/assistance", {"language": "fr"},
                           content_type="application/json",
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 401
    assert client.get(f"/api/v1/assistance/{uuid.uuid4()}").status_code == 401


@pytest.mark.parametrize("request_id", [str(uuid.uuid4()), "nope", "1", "%00"])
def test_an_unknown_request_is_404(api, request_id):
    assert api.get(f"/assistance/{request_id}").status_code == 404


def test_a_kiosk_cannot_read_another_kiosks_request(api, demo, client):
    from kiosk.server.devices.models import Kiosk

    mine = ask(api).json()
    _, token = Kiosk.objects.register(demo, "Autre borne")
    response = client.get(f"/api/v1/assistance/{mine['id']}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_an_unanswered_request_expires_and_the_kiosk_may_ask_again(api, settings):
    from kiosk.server.assistance.models import AssistanceRequest

    settings.ASSISTANCE_EXPIRY_MINUTES = 30
    first = ask(api).json()
    AssistanceRequest.objects.update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    assert api.get(f"/assistance/{first['id']}").json()["status"] == "expired"
    again = ask(api)
    assert again.status_code == 201
    assert again.json()["id"] != first["id"]
    assert AssistanceRequest.objects.get(public_id=first["id"]).status == "expired"


# -- the console -----------------------------------------------------------------------


def test_the_console_shows_the_open_request(api, agent, counter):
    ask(api, note="poussette")
    state = console_state(agent, counter)
    (alert,) = state["assistance"]
    assert alert["kiosk"] == "Borne de test"
    assert alert["language"] == "ar" and alert["language_label"] == "arabe"
    assert alert["note"] == "poussette"
    assert 0 <= alert["waiting_seconds"] < 60
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert f'data-testid="assist-{alert["id"]}"' in page
    assert "J'y vais" in page or "J&#x27;y vais" in page


def test_no_alert_without_a_request(agent, counter):
    assert console_state(agent, counter)["assistance"] == []
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert 'id="assistance"' in page  # the script fills it when a request comes


def test_j_y_vais_handles_it_and_the_kiosk_knows(api, agent, counter):
    body = ask(api).json()
    alert = console_state(agent, counter)["assistance"][0]
    response = assist(agent, counter, alert["id"])
    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] is True
    assert "Borne de test" in answer["message"]
    assert answer["state"]["assistance"] == []
    status = api.get(f"/assistance/{body['id']}").json()
    assert status["status"] == "handled"
    assert status["agent"] == agent.user["display_name"]
    assert status["handled_at"] is not None


def test_a_second_agent_is_told_someone_is_already_going(api, agent, counter, demo):
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership

    ask(api)
    alert = console_state(agent, counter)["assistance"][0]
    colleague = get_user_model().objects.create_user("moussa", password="pw-moussa",
                                                     first_name="Moussa")
    SiteMembership.objects.create(user=colleague, site=demo, role="counter")
    other = Client()
    assert other.login(username="moussa", password="pw-moussa")
    assert assist(other, counter, alert["id"]).status_code == 200
    late = assist(agent, counter, alert["id"])
    assert late.status_code == 409
    assert "Moussa" in late.json()["message"]


def test_the_plain_form_works_without_script(api, agent, counter):
    ask(api)
    alert = console_state(agent, counter)["assistance"][0]
    response = agent.post(f"/guichet/{counter.pk}/assist/", {"request": alert["id"]})
    assert response.status_code == 302
    assert console_state(agent, counter)["assistance"] == []


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_a_bad_request_id_is_refused(agent, counter, value):
    response = assist(agent, counter, value)
    assert response.status_code in (400, 404)
    assert response.json()["ok"] is False


@pytest.fixture
def other_site(demo):
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership
    from kiosk.server.content.models import Site
    from kiosk.server.queueing.models import Counter

    site = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    counter20 = Counter.objects.create(site=site, name="Guichet du 20e")
    user = get_user_model().objects.create_user("agent20", password="pw-agent-20e")
    SiteMembership.objects.create(user=user, site=site, role="counter")
    client = Client()
    assert client.login(username="agent20", password="pw-agent-20e")
    client.counter = counter20
    return client


def test_an_agent_of_another_site_cannot_see_or_handle_it(api, other_site, counter):
    body = ask(api).json()
    from kiosk.server.assistance.models import AssistanceRequest

    item = AssistanceRequest.objects.get(public_id=body["id"])
    # Not on their console...
    assert console_state(other_site, other_site.counter)["assistance"] == []
    # ...not through their own counter...
    response = assist(other_site, other_site.counter, item.pk)
    assert response.status_code == 404
    # ...and not through ours.
    assert other_site.post(f"/guichet/{counter.pk}/assist/", {"request": item.pk}).status_code == 403
    assert api.get(f"/assistance/{body['id']}").json()["status"] == "open"


def test_an_expired_request_leaves_the_console(api, agent, counter, settings):
    from kiosk.server.assistance.models import AssistanceRequest

    ask(api)
    AssistanceRequest.objects.update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(
        minutes=settings.ASSISTANCE_EXPIRY_MINUTES + 1))
    assert console_state(agent, counter)["assistance"] == []
    item = AssistanceRequest.objects.get()
    response = assist(agent, counter, item.pk)
    assert response.status_code == 409


# -- races -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_open_one_request(demo):
    """Eight simultaneous calls from one kiosk (distinct keys): one request, the same answer
    for all (on PostgreSQL the partial unique constraint decides, and the losers retry)."""
    import threading

    from django.db import connection

    from kiosk.server.assistance.models import AssistanceKey, AssistanceRequest
    from kiosk.server.assistance.services import do_request_assistance
    from kiosk.server.devices.models import Kiosk

    if connection.vendor == "sqlite":
        # The test database is SQLite's shared-cache memory database, whose table locks do
        # not wait (busy_timeout is ignored); a real SQLite file serialises these writers
        # at BEGIN IMMEDIATE. The race that matters is PostgreSQL's.
        pytest.skip("PostgreSQL only: in-memory SQLite cannot run concurrent writers")
    kiosk, _ = Kiosk.objects.register(demo, "Borne pressée")
    barrier = threading.Barrier(8)
    answers, errors = [], []

    def call():
        try:
            barrier.wait(timeout=60)
            item, created = do_request_assistance(kiosk, key=uuid.uuid4(), language="fr")
            answers.append((item.pk, created))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len({pk for pk, _ in answers}) == 1
    assert sum(created for _, created in answers) == 1
    assert AssistanceRequest.objects.filter(kiosk=kiosk).count() == 1
    assert AssistanceKey.objects.filter(kiosk=kiosk).count() == 8
