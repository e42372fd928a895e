"""Kiosk heartbeats (POST /api/v1/heartbeat) and the agents' fleet page (/flotte/<site>/)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def beat(**fields) -> dict:
    return {"version": "0.1.0", "cursor": "42", "outbox_depth": 0,
            "printer": {"state": "ok", "detail": ""}, "last_error": None, **fields}


def the_kiosk():
    from kiosk.server.devices.models import Kiosk

    return Kiosk.objects.get(name="Borne de test")


@pytest.fixture
def agent(demo):
    a = next(a for a in demo_data()["agents"] if a.get("role", "counter") == "counter")
    client = Client()
    assert client.login(username=a["username"], password=a["password"])
    return client


@pytest.fixture
def other_site_agent(demo):
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership
    from kiosk.server.content.models import Site

    site = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    user = get_user_model().objects.create_user("agent20", password="pw-agent-20e")
    SiteMembership.objects.create(user=user, site=site, role="admin")
    client = Client()
    assert client.login(username="agent20", password="pw-agent-20e")
    return client


# -- API -------------------------------------------------------------------------------


def test_a_heartbeat_is_stored_on_the_kiosk(api):
    before = timezone.now()
    response = api.post("/heartbeat", beat(
        version="0.2.0-rc1", cursor="1234", outbox_depth=3,
        printer={"state": "paper_out", "detail": "no paper"},
        last_error="GET /content: server answered 502"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stale_after_seconds"] == 180
    received = dt.datetime.fromisoformat(body["received_at"])  # JSON keeps milliseconds
    ms = dt.timedelta(milliseconds=1)

    kiosk = the_kiosk()
    assert kiosk.last_heartbeat_at >= before
    assert abs(kiosk.last_heartbeat_at - received) < ms
    assert (kiosk.version, kiosk.content_cursor, kiosk.outbox_depth) == ("0.2.0-rc1", "1234", 3)
    assert (kiosk.printer_state, kiosk.printer_detail) == ("paper_out", "no paper")
    assert kiosk.last_error == "GET /content: server answered 502"
    assert kiosk.last_error_at == kiosk.last_heartbeat_at
    assert not kiosk.is_stale()


def test_a_heartbeat_without_error_keeps_the_last_one(api):
    assert api.post("/heartbeat", beat(last_error="timeout")).status_code == 200
    first = the_kiosk().last_error_at
    response = api.post("/heartbeat", beat(cursor=None, printer=None, outbox_depth=0))
    assert response.status_code == 200
    kiosk = the_kiosk()
    assert (kiosk.last_error, kiosk.last_error_at) == ("timeout", first)
    # No cursor yet, no printer known: stored as empty / unknown.
    assert (kiosk.content_cursor, kiosk.printer_state, kiosk.printer_detail) == ("", "", "")
    assert kiosk.last_heartbeat_at >= first


def test_long_poll_failures_are_stored_and_shown_on_the_fleet_page(api, agent):
    # A kiosk one version behind sends no such field: stored as none.
    assert api.post("/heartbeat", beat()).status_code == 200
    assert (the_kiosk().long_poll_errors, the_kiosk().last_long_poll_error) == (0, "")
    html = agent.get("/flotte/paris-19/").content.decode()
    assert 'data-testid="long-poll-errors"' not in html

    response = api.post("/heartbeat", beat(
        long_poll_errors=3, last_long_poll_error="content long-poll: KeyError('changed')"))
    assert response.status_code == 200, response.content
    kiosk = the_kiosk()
    assert (kiosk.long_poll_errors, kiosk.last_long_poll_error) == (
        3, "content long-poll: KeyError('changed')")
    html = agent.get("/flotte/paris-19/").content.decode()
    assert "Mises à jour instantanées en panne (3)" in html
    assert api.post("/heartbeat", beat(long_poll_errors=-1)).status_code == 422


def test_unknown_printer_is_stored_as_unknown(api):
    assert api.post("/heartbeat", beat(printer={"state": "unknown", "detail": ""})).status_code == 200
    assert the_kiosk().printer_state == ""


def test_a_bad_token_is_401(client, demo):
    response = client.post("/api/v1/heartbeat", beat(), content_type="application/json",
                           headers={"Authorization": "Bearer not-a-kiosk-token"})
    assert response.status_code == 401
    response = client.post("/api/v1/heartbeat", beat(), content_type="application/json")
    assert response.status_code == 401


def test_a_revoked_kiosk_is_401(api):
    from kiosk.server.devices.models import Kiosk

    Kiosk.objects.update(active=False)
    assert api.post("/heartbeat", beat()).status_code == 401


@pytest.mark.parametrize("body", [
    beat(printer={"state": "on_fire", "detail": ""}),
    beat(printer={"state": "error", "detail": "x" * 201}),
    beat(last_error="x" * 301),
    beat(outbox_depth=-1),
    beat(outbox_depth=1_000_001),
    beat(version="v" * 41),
    beat(cursor="9" * 41),
    {"cursor": "1"},  # no version
])
def test_a_bad_body_is_422_and_stores_nothing(api, body):
    response = api.post("/heartbeat", body)
    assert response.status_code == 422, response.content
    kiosk = the_kiosk()
    assert kiosk.last_heartbeat_at is None
    assert (kiosk.version, kiosk.last_error, kiosk.printer_state) == ("", "", "")


def test_the_longest_allowed_texts_are_kept_whole(api):
    body = beat(version="v" * 40, cursor="9" * 40, outbox_depth=1_000_000,
                printer={"state": "error", "detail": "d" * 200}, last_error="e" * 300)
    assert api.post("/heartbeat", body).status_code == 200
    kiosk = the_kiosk()
    assert (len(kiosk.version), len(kiosk.content_cursor)) == (40, 40)
    assert (len(kiosk.printer_detail), len(kiosk.last_error)) == (200, 300)
    assert kiosk.outbox_depth == 1_000_000


def test_the_heartbeat_is_rate_limited_per_kiosk(api, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "heartbeat": "2/m"}
    codes = [api.post("/heartbeat", beat()).status_code for _ in range(3)]
    cache.clear()
    assert codes == [200, 200, 429]


def test_the_heartbeat_is_in_the_openapi(client, demo):
    schema = client.get("/api/v1/openapi.json").json()
    assert "post" in schema["paths"]["/api/v1/heartbeat"]


def test_staleness(demo):
    from kiosk.server.devices.models import Kiosk

    kiosk, _ = Kiosk.objects.register(demo, "Borne neuve")
    now = timezone.now()
    assert kiosk.is_stale(now)  # never heard of
    kiosk.last_heartbeat_at = now - dt.timedelta(seconds=180)
    assert not kiosk.is_stale(now)
    kiosk.last_heartbeat_at = now - dt.timedelta(seconds=181)
    assert kiosk.is_stale(now)
    assert not kiosk.is_stale(now, after_seconds=600)
    kiosk.last_heartbeat_at = now - dt.timedelta(seconds=10)
    assert not kiosk.is_stale(now)


# -- fleet page ------------------------------------------------------------------------


def make_stale_with_paper_out(api):
    """The test kiosk said "no paper" 10 minutes ago, and nothing since."""
    from kiosk.server.devices.models import Kiosk

    assert api.post("/heartbeat", beat(printer={"state": "paper_out", "detail": "no paper"},
                                       outbox_depth=4, last_error="GET /content: timeout")
                    ).status_code == 200
    Kiosk.objects.filter(name="Borne de test").update(
        last_heartbeat_at=timezone.now() - dt.timedelta(minutes=10))


def test_the_fleet_page_needs_a_login(client, demo):
    response = client.get("/flotte/paris-19/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")
    assert client.get("/flotte/paris-19/etat.json").status_code == 302


def test_an_agent_of_another_site_gets_403(other_site_agent):
    assert other_site_agent.get("/flotte/paris-19/").status_code == 403
    assert other_site_agent.get("/flotte/paris-19/etat.json").status_code == 403
    # ...and sees their own site.
    assert other_site_agent.get("/flotte/paris-20/").status_code == 200


def test_a_user_without_any_role_gets_403(demo):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("nobody", password="pw-nobody")
    client = Client()
    assert client.login(username="nobody", password="pw-nobody")
    assert client.get("/flotte/paris-19/").status_code == 403


def test_a_superuser_sees_any_site(demo):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", password="pw-root")
    client = Client()
    assert client.login(username="root", password="pw-root")
    assert client.get("/flotte/paris-19/").status_code == 200


def test_an_unknown_site_is_404(agent):
    assert agent.get("/flotte/nowhere/").status_code == 404


def test_the_fleet_page_flags_a_stale_kiosk_with_paper_out(api, agent, demo):
    from kiosk.server.devices.models import Kiosk

    Kiosk.objects.exclude(name="Borne de test").delete()  # the demo's own kiosk
    make_stale_with_paper_out(api)
    fresh, fresh_token = Kiosk.objects.register(demo, "Borne fraîche")
    response = Client().post("/api/v1/heartbeat", beat(cursor="77"),
                             content_type="application/json",
                             headers={"Authorization": f"Bearer {fresh_token}"})
    assert response.status_code == 200

    response = agent.get("/flotte/paris-19/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "Plus de papier" in html
    assert "Imprimante OK" in html
    assert "sans nouvelles" in html
    assert "il y a 10 min" in html
    assert "GET /content: timeout" in html
    assert html.count('data-testid="stale"') == 1  # the fresh kiosk is not flagged
    # It reloads itself by its own script (CSP: 'self'), which the agent can turn off
    # (WCAG 2.2.1): no meta refresh, no inline script.
    assert 'http-equiv="refresh"' not in html
    assert html.count("<script") == 1 and 'src="/static/web/fleet.js"' in html
    assert 'id="auto-refresh"' in html


def test_a_revoked_kiosk_is_shown_but_not_flagged(agent, demo):
    from kiosk.server.devices.models import Kiosk

    kiosk, _ = Kiosk.objects.register(demo, "Ancienne borne")
    Kiosk.objects.filter(pk=kiosk.pk).update(active=False)
    html = agent.get("/flotte/paris-19/").content.decode()
    assert "Ancienne borne" in html and "Révoquée" in html
    state = agent.get("/flotte/paris-19/etat.json").json()
    row = next(k for k in state["kiosks"] if k["name"] == "Ancienne borne")
    assert (row["state"], row["stale"]) == ("revoked", False)


def test_etat_json(api, agent, demo):
    make_stale_with_paper_out(api)
    response = agent.get("/flotte/paris-19/etat.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    state = response.json()
    assert state["site"] == {"slug": "paris-19", "name": demo.name}
    assert state["stale_after_seconds"] == 180
    row = next(k for k in state["kiosks"] if k["name"] == "Borne de test")
    assert row["state"] == "active"
    assert row["stale"] is True
    assert row["version"] == "0.1.0"
    assert row["content_cursor"] == "42"
    assert row["outbox_depth"] == 4
    assert row["printer"] == {"state": "paper_out", "label": "Plus de papier",
                              "detail": "no paper", "fault": True}
    assert row["last_error"] == "GET /content: timeout"
    assert row["last_heartbeat_ago"] == "il y a 10 min"
    assert 590 <= row["last_heartbeat_age_s"] <= 660
    assert state["counts"]["stale"] >= 1 and state["counts"]["printer_faults"] == 1
    # Nothing about tokens travels.
    assert "token" not in response.content.decode().lower()


@pytest.mark.parametrize("seconds, text", [
    (5, "il y a moins d'une minute"), (120, "il y a 2 min"), (3 * 3600 + 5, "il y a 3 h"),
    (86400, "il y a 1 jour"), (3 * 86400, "il y a 3 jours"),
])
def test_french_ages(seconds, text):
    from kiosk.server.web.fleet import ago_fr

    now = timezone.now()
    assert ago_fr(now - dt.timedelta(seconds=seconds), now) == text
    assert ago_fr(None, now) == "jamais"
