"""Per-site isolation, where tests/server does not already cover it: an agent of the right
site, at their own counter, still cannot reach another site's tickets or services through
the ids and slugs a form posts. (Another site's console, JSON and statistics are 403:
tests/server/test_console.py, test_web_live.py, test_stats.py.)"""

from __future__ import annotations

import pytest

from tests.security.conftest import agent_of, issue, refreshed

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(demo):
    """Site paris-20 with a ticketing service and a waiting ticket."""
    from kiosk.server.content.models import Pole, Service, Site

    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    pole = Pole.objects.create(site=other, slug="p20", color="#123456", pictogram="x",
                               name={"fr": "Pôle 20"})
    service = Service.objects.create(site=other, pole=pole, slug="service-du-20e", prefix="V",
                                     pictogram="x", name={"fr": "Service du 20e"})
    (ticket,) = issue(service)
    return service, ticket


@pytest.fixture
def agent(client, demo):
    a = agent_of("counter")
    assert client.login(username=a["username"], password=a["password"])
    return client


def post(agent, counter, action, **data):
    return agent.post(f"/guichet/{counter.pk}/{action}/", data,
                      headers={"Accept": "application/json"})


def test_calling_another_sites_ticket_by_id_is_refused(agent, counter, elsewhere):
    _, theirs = elsewhere
    response = post(agent, counter, "call", ticket=theirs.pk)
    assert response.status_code in (403, 404, 409)
    assert refreshed(theirs).status == "waiting" and theirs.counter_id is None


def test_resuming_another_sites_ticket_by_id_is_refused(agent, counter, elsewhere):
    _, theirs = elsewhere
    type(theirs).objects.filter(pk=theirs.pk).update(status="parked")
    response = post(agent, counter, "resume", ticket=theirs.pk)
    assert response.status_code in (403, 404, 409)
    assert refreshed(theirs).status == "parked"


def test_transferring_to_another_sites_service_is_refused(agent, counter, elsewhere):
    service, _ = elsewhere
    (mine,) = issue(counter.service)
    assert post(agent, counter, "next").status_code == 200
    response = post(agent, counter, "transfer", service=service.slug)
    assert response.status_code in (403, 404, 409)
    assert refreshed(mine).service_id == counter.service.pk


def test_a_kiosk_cannot_take_a_ticket_for_another_site(api, elsewhere):
    import uuid

    service, _ = elsewhere
    response = api.post("/tickets", {"service": service.slug}, key=uuid.uuid4())
    assert response.status_code == 404
