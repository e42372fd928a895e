"""The counter console (agents, per-site roles) and the phone page of a ticket."""

from __future__ import annotations

import html
import os
import re
import uuid

import pytest
from django.test import Client

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def agent_of(role: str) -> dict:
    return next(a for a in demo_data()["agents"] if a.get("role", "counter") == role)


@pytest.fixture
def agent(client, demo):
    """The demo's counter agent, logged in."""
    a = agent_of("counter")
    assert client.login(username=a["username"], password=a["password"])
    return client


@pytest.fixture
def counter(demo):
    """An open counter of the demo and one ticketing service it serves."""
    from kiosk.server.queueing.models import Counter

    for c in Counter.objects.filter(site=demo, is_open=True).order_by("name"):
        services = c.services.filter(ticketing=True).order_by("slug")
        if services:
            c.service = services[0]
            return c
    pytest.fail("the demo has no open counter serving a ticketing service")


def issue(counter, n=1):
    from kiosk.server.queueing.issuing import do_issue_ticket

    return [do_issue_ticket(counter.service)[0] for _ in range(n)]


def refreshed(ticket):
    ticket.refresh_from_db()
    return ticket


# -- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/guichet/", "/guichet/1/"])
def test_the_console_requires_login(client, demo, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_actions_require_login(client, demo, counter):
    (ticket,) = issue(counter)
    response = client.post(f"/guichet/{counter.pk}/next/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert refreshed(ticket).status == "waiting"


def test_the_login_page_logs_an_agent_in(client, demo):
    a = agent_of("counter")
    assert client.get("/connexion/").status_code == 200
    response = client.post("/connexion/", {"username": a["username"], "password": a["password"]})
    assert response.status_code == 302
    assert client.get("/guichet/").status_code in (200, 302)
    bad = Client().post("/connexion/", {"username": a["username"], "password": "wrong"})
    assert bad.status_code == 200  # the form again, not a redirect


def test_the_console_leads_an_agent_to_their_counters(agent, demo):
    from kiosk.server.queueing.models import Counter

    counters = Counter.objects.filter(site=demo)
    response = agent.get("/guichet/")
    if counters.count() == 1:
        assert response.status_code == 302
        assert response["Location"] == f"/guichet/{counters[0].pk}/"
    else:
        assert response.status_code == 200
        page = response.content.decode()
        for c in counters:
            assert c.name in page


def test_a_user_without_a_role_is_forbidden(client, demo, counter):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("visiteur", password="pw-visiteur-123")
    client.login(username="visiteur", password="pw-visiteur-123")
    assert client.get("/guichet/").status_code == 403
    assert client.get(f"/guichet/{counter.pk}/").status_code == 403


@pytest.fixture
def other_agent(demo):
    """A counter agent of another site, logged in on a fresh client."""
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership
    from kiosk.server.content.models import Site
    from kiosk.server.queueing.models import Counter

    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    Counter.objects.create(site=other, name="Guichet du 20e")
    user = get_user_model().objects.create_user("agent20", password="pw-agent-20e")
    SiteMembership.objects.create(user=user, site=other, role="counter")
    c = Client()
    assert c.login(username="agent20", password="pw-agent-20e")
    return c


def test_an_agent_of_another_site_is_forbidden(other_agent, counter):
    (ticket,) = issue(counter)
    assert other_agent.get(f"/guichet/{counter.pk}/").status_code == 403
    assert other_agent.post(f"/guichet/{counter.pk}/next/").status_code == 403
    assert refreshed(ticket).status == "waiting"
    # Their console lists only their own site's counter.
    response = other_agent.get("/guichet/")
    assert response.status_code == 302
    assert response["Location"] != f"/guichet/{counter.pk}/"


def test_an_editor_is_not_a_counter_agent(client, demo, counter):
    a = agent_of("editor")  # the demo's content editor of the 19e
    assert client.login(username=a["username"], password=a["password"])
    assert client.get(f"/guichet/{counter.pk}/").status_code == 403


def test_a_site_admin_may_sit_at_a_counter(client, demo, counter):
    a = agent_of("admin")
    assert client.login(username=a["username"], password=a["password"])
    assert client.get(f"/guichet/{counter.pk}/").status_code == 200


def test_an_unknown_counter_is_404(agent):
    assert agent.get("/guichet/999999/").status_code == 404


# -- calling ---------------------------------------------------------------------------


def test_the_counter_page_shows_the_waiting_count(agent, counter):
    issue(counter, 3)
    response = agent.get(f"/guichet/{counter.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'data-testid="total-waiting">3<', page)
    assert re.search(r'data-testid="current-number">—<', page)


def test_call_next_then_done(agent, counter):
    first, second = issue(counter, 2)
    response = agent.post(f"/guichet/{counter.pk}/next/")
    assert response.status_code == 302 and response["Location"] == f"/guichet/{counter.pk}/"
    first = refreshed(first)
    assert first.status == "called"
    assert first.counter_id == counter.pk and first.called_at is not None
    assert refreshed(second).status == "waiting"
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert f'data-testid="current-number">{first.display}<' in page
    assert f"Appel du {first.display}" in page

    agent.post(f"/guichet/{counter.pk}/done/")
    first = refreshed(first)
    assert first.status == "done" and first.finished_at is not None
    assert refreshed(second).status == "waiting"


def test_call_next_finishes_the_current_ticket(agent, counter):
    first, second = issue(counter, 2)
    agent.post(f"/guichet/{counter.pk}/next/")
    agent.post(f"/guichet/{counter.pk}/next/")
    assert refreshed(first).status == "done"
    assert refreshed(second).status == "called"


def test_call_next_with_nobody_waiting(agent, counter):
    response = agent.post(f"/guichet/{counter.pk}/next/", follow=True)
    assert response.status_code == 200
    assert "Personne n'attend" in html.unescape(response.content.decode())


def test_done_with_no_current_ticket(agent, counter):
    response = agent.post(f"/guichet/{counter.pk}/done/", follow=True)
    assert "Aucun ticket en cours" in html.unescape(response.content.decode())


def test_a_counter_never_calls_a_service_it_does_not_serve(agent, demo, counter):
    from kiosk.server.content.models import Service
    from kiosk.server.queueing.issuing import do_issue_ticket

    elsewhere = Service.objects.filter(site=demo, ticketing=True).exclude(
        pk__in=counter.services.all()
    ).first()
    if elsewhere is None:
        pytest.skip("every ticketing service of the demo is served by this counter")
    ticket, _ = do_issue_ticket(elsewhere)
    agent.post(f"/guichet/{counter.pk}/next/")
    assert refreshed(ticket).status == "waiting"


def test_an_unknown_action_is_404(agent, counter):
    assert agent.post(f"/guichet/{counter.pk}/dance/").status_code == 404


def test_actions_are_post_only(agent, counter):
    (ticket,) = issue(counter)
    assert agent.get(f"/guichet/{counter.pk}/next/").status_code == 405
    assert refreshed(ticket).status == "waiting"


def test_actions_are_csrf_protected(demo, counter):
    a = agent_of("counter")
    strict = Client(enforce_csrf_checks=True)
    assert strict.login(username=a["username"], password=a["password"])
    (ticket,) = issue(counter)
    assert strict.post(f"/guichet/{counter.pk}/next/").status_code == 403
    assert refreshed(ticket).status == "waiting"


# -- phone page ------------------------------------------------------------------------


def test_the_phone_page_shows_number_position_status(client, counter):
    first, second = issue(counter, 2)
    response = client.get(f"/t/{second.public_token}")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="number">{second.display}<' in page
    assert 'data-testid="position">2<' in page
    assert "En attente" in page
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex"


def test_the_phone_page_follows_the_call(client, agent, counter):
    (ticket,) = issue(counter)
    agent.post(f"/guichet/{counter.pk}/next/")
    page = client.get(f"/t/{ticket.public_token}").content.decode()
    assert "Appelé" in page
    assert f'data-testid="counter">{counter.name}<' in page
    assert 'data-testid="position"' not in page
    agent.post(f"/guichet/{counter.pk}/done/")
    page = client.get(f"/t/{ticket.public_token}").content.decode()
    assert "Terminé" in page
    assert 'http-equiv="refresh"' not in page  # a closed ticket stops refreshing


def test_the_phone_page_speaks_the_tickets_language(client, counter):
    from kiosk.server.queueing.issuing import do_issue_ticket

    ticket, _ = do_issue_ticket(counter.service, language="ar")
    page = client.get(f"/t/{ticket.public_token}").content.decode()
    assert re.search(r'<html[^>]*lang="ar"', page)


ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.parametrize("token", ["x", "a%20b", "%00", "a" * 33])
def test_a_malformed_token_is_404(client, demo, token):
    assert client.get(f"/t/{token}").status_code == 404


def test_a_well_formed_unknown_token_is_a_ticket_on_its_way(client, demo):
    """A kiosk issued it offline and will upload it: not a 404 (docs/protocol.md)."""
    response = client.get("/t/unknown-token-0123456789")
    assert response.status_code == 200
    assert "en route" in response.content.decode()
    assert client.get("/t/unknown-token-0123456789/etat.json").status_code == 404


def test_public_tokens_are_long_urlsafe_and_distinct(counter):
    tickets = issue(counter, 30)
    tokens = [t.public_token for t in tickets]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16,}", t) for t in tokens)
    assert all(len(t) >= 22 for t in tokens)  # 128 bits in base64url
    assert len(set(tokens)) == len(tokens)


def test_the_phone_url_of_the_api_opens_the_phone_page(api, client, counter):
    body = api.post("/tickets", {"service": counter.service.slug}, key=uuid.uuid4()).json()
    path = body["phone_url"].split("testserver", 1)[1]
    response = client.get(path)
    assert response.status_code == 200
    assert body["number"] in response.content.decode()


def test_the_console_poll_shows_a_ticket_issued_since_the_shared_estimates(agent, counter):
    """A ticket the site's shared estimates have not seen yet (issued by another worker
    process, say): the console's poll gives it its estimate as at issue. It answered 500
    ('_WaitingRow' has no 'day'), and under load the console then lost its buttons."""
    from django.utils import timezone

    from kiosk.server.queueing.estimates import queue_estimates
    from kiosk.server.queueing.models import Ticket

    first = issue(counter)[0]
    shared = queue_estimates(counter.site)  # the process's shared result, now
    assert first.pk in shared
    later = Ticket.objects.create(  # behind the services' back: not added to `shared`
        site=counter.site, service=counter.service, issued_service=counter.service,
        day=timezone.localdate(), number=900, prefix=counter.service.prefix)
    response = agent.get(f"/guichet/{counter.pk}/etat.json")
    assert response.status_code == 200, response.content[:300]
    assert later.display in response.content.decode()
