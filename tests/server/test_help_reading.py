"""A visitor who used read-aloud at the kiosk (issue 13): TicketIn.help_reading is kept on the
ticket, shown on the counter console beside the ticket, and counted per language in the
statistics; a kiosk that does not send it (the previous build) gets a plain ticket."""

from __future__ import annotations

import uuid

import pytest

from tests.server import test_console
from tests.server.test_console import agent_of, static_root  # noqa: F401  (fixture)
from tests.server.test_offline_tickets import lease, number_of, offline

pytestmark = pytest.mark.django_db

counter = test_console.counter  # an open counter of the demo and a service it serves


@pytest.fixture
def agent(client, demo):
    a = agent_of("counter")
    assert client.login(username=a["username"], password=a["password"])
    return client


def stored(body) -> bool:
    from kiosk.server.queueing.models import Ticket

    return Ticket.objects.get(public_token=body["id"]).help_reading


def test_the_flag_is_kept_and_an_older_kiosk_without_it_gets_a_plain_ticket(api, counter):
    slug = counter.service.slug
    helped = api.post("/tickets", {"service": slug, "language": "wo", "help_reading": True},
                      key=uuid.uuid4())
    plain = api.post("/tickets", {"service": slug, "language": "wo"}, key=uuid.uuid4())
    assert helped.status_code == plain.status_code == 201
    assert stored(helped.json()) is True
    assert stored(plain.json()) is False
    refused = api.post("/tickets", {"service": slug, "help_reading": "lots"}, key=uuid.uuid4())
    assert refused.status_code == 422


def test_a_replay_with_another_flag_is_another_request(api, counter):
    key = uuid.uuid4()
    first = api.post("/tickets", {"service": counter.service.slug, "help_reading": True}, key=key)
    again = api.post("/tickets", {"service": counter.service.slug, "help_reading": False}, key=key)
    assert first.status_code == 201
    assert again.status_code == 422  # the key with another body (docs/protocol.md)


def test_an_offline_ticket_keeps_the_flag(api, counter):
    from django.utils import timezone

    from kiosk.server.queueing.models import Ticket

    slug = counter.service.slug
    first = lease(api, slug).json()["first"]
    response = api.post("/tickets", {
        "service": slug, "language": "bm", "help_reading": True,
        "offline": {"lease_day": timezone.localdate().isoformat(), "number": first,
                    "issued_at": timezone.now().isoformat()}}, key=uuid.uuid4())
    assert response.status_code == 201, response.content
    assert Ticket.objects.get(service__slug=slug, number=number_of(response.json())).help_reading
    plain = offline(api, slug, first + 1, timezone.now())
    assert plain.status_code == 201
    assert not Ticket.objects.get(service__slug=slug, number=first + 1).help_reading


def test_the_console_shows_it_beside_the_ticket(api, agent, counter):
    slug = counter.service.slug
    helped = api.post("/tickets", {"service": slug, "language": "ar", "help_reading": True},
                      key=uuid.uuid4()).json()
    plain = api.post("/tickets", {"service": slug, "language": "ar"}, key=uuid.uuid4()).json()
    state = agent.get(f"/guichet/{counter.pk}/etat.json").json()
    rows = {t["number"]: t for t in state["waiting"]}
    assert rows[helped["number"]]["help_reading"] is True
    assert rows[plain["number"]]["help_reading"] is False
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert f'data-testid="help-reading-{helped["number"]}"' in page
    assert f'data-testid="help-reading-{plain["number"]}"' not in page
    assert "Aide à la lecture" in page
    # Called: the current ticket keeps the sign.
    assert agent.post(f"/guichet/{counter.pk}/next/").status_code in (200, 302)
    state = agent.get(f"/guichet/{counter.pk}/etat.json").json()
    assert state["current"]["number"] == helped["number"]
    assert state["current"]["help_reading"] is True
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    current = page[page.index('id="current-meta"'):page.index("</p>", page.index('id="current-meta"'))]
    assert f'data-testid="help-reading-{helped["number"]}"' in current


def test_the_statistics_count_it_per_language(counter):
    from django.utils import timezone

    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.stats.queries import Period, site_stats
    from kiosk.server.stats.views import build_charts

    service = counter.service
    for language, helped in (("wo", True), ("wo", True), ("wo", False), ("fr", True), ("ar", False)):
        do_issue_ticket(service, language=language, help_reading=helped)
    today = timezone.localdate()
    stats = site_stats(service.site, Period(today, today))
    assert stats.per_language["wo"] == 3 and stats.help_reading_per_language["wo"] == 2
    assert stats.help_reading_per_language["fr"] == 1
    assert stats.help_reading_per_language["ar"] == 0
    assert list(stats.help_reading_per_language) == list(stats.per_language)
    chart = next(c for c in build_charts(stats) if c.chart_id == "chart-languages")
    assert "dont aide à la lecture" in chart.svg
