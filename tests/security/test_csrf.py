"""CSRF: every state-changing form of the web pages refuses a POST without the token.

(The console's "next" and the phone's "partir" are covered in tests/server; here: the other
actions, the agent's ticket form, login and logout. The API is bearer-only: no cookie
authenticates it, so it needs no CSRF token and accepts none instead of the bearer.)"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from tests.security.conftest import agent_of, issue, refreshed

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_agent(demo):
    a = agent_of("counter")
    strict = Client(enforce_csrf_checks=True)
    assert strict.login(username=a["username"], password=a["password"])
    return strict


@pytest.mark.parametrize("action", ["recall", "absent", "park", "done", "transfer", "resume",
                                    "call"])
def test_console_actions_refuse_a_post_without_the_token(strict_agent, counter, action):
    assert strict_agent.post(f"/guichet/{counter.pk}/{action}/").status_code == 403
    assert strict_agent.post(f"/guichet/{counter.pk}/{action}/",
                             headers={"Accept": "application/json"}).status_code == 403


def test_the_agents_ticket_form_refuses_a_post_without_the_token(strict_agent, counter):
    from kiosk.server.queueing.models import Ticket

    response = strict_agent.post(f"/guichet/{counter.pk}/ticket/",
                                 {"service": counter.service.slug})
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_more_time_refuses_a_post_without_the_token(counter):
    (ticket,) = issue(counter.service)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/t/{ticket.public_token}/plus-de-temps").status_code == 403
    assert refreshed(ticket).postponed is False
    strict.get(f"/t/{ticket.public_token}")
    token = strict.cookies["csrftoken"].value
    response = strict.post(f"/t/{ticket.public_token}/plus-de-temps",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 302 and refreshed(ticket).postponed is True


def test_a_token_from_another_session_is_refused(counter):
    (ticket,) = issue(counter.service)
    attacker = Client(enforce_csrf_checks=True)
    attacker.get(f"/t/{ticket.public_token}")
    stolen = attacker.cookies["csrftoken"].value
    victim = Client(enforce_csrf_checks=True)
    victim.get(f"/t/{ticket.public_token}")
    assert victim.post(f"/t/{ticket.public_token}/partir",
                       headers={"X-CSRFToken": stolen}).status_code == 403
    assert refreshed(ticket).status == "waiting"


@pytest.mark.parametrize("path", ["/connexion/", "/admin/login/"])
def test_login_refuses_a_post_without_the_token(demo, path):
    a = agent_of("counter")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(path, {"username": a["username"], "password": a["password"]})
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session


def test_logout_refuses_a_post_without_the_token(strict_agent):
    assert strict_agent.post("/deconnexion/").status_code == 403
    assert "_auth_user_id" in strict_agent.session


def test_the_api_is_bearer_only_and_ignores_the_session(demo, counter, kiosk_token):
    a = agent_of("counter")
    strict = Client(enforce_csrf_checks=True)
    assert strict.login(username=a["username"], password=a["password"])
    body = {"service": counter.service.slug}
    # A logged-in agent's cookie is no credential for the API...
    assert strict.post("/api/v1/tickets", body, content_type="application/json",
                       headers={"Idempotency-Key": str(uuid.uuid4())}).status_code == 401
    # ...and a kiosk needs no CSRF token.
    response = strict.post("/api/v1/tickets", body, content_type="application/json",
                           headers={"Idempotency-Key": str(uuid.uuid4()),
                                    "Authorization": f"Bearer {kiosk_token}"})
    assert response.status_code == 201
