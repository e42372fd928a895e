"""A visitor who used read-aloud at the kiosk (issue 13): TicketIn.help_reading is kept on the
ticket, shown on the counter console beside the ticket and on the display board's call line
(a pictogram beside the language), counted per language in the statistics; a kiosk that does
not send it (the previous build) gets a plain ticket. The agent's "issue a ticket" form sets
it too, with the visitor's language."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

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


def section(page: str, start: str, end: str) -> str:
    at = page.index(start)
    return page[at:page.index(end, at)]


@pytest.mark.parametrize(("lang", "words"), [("fr", "Aide à la lecture"),
                                             ("ar", "مساعدة في القراءة")])
def test_the_board_shows_the_pictogram_beside_the_language(api, agent, counter, lang, words):
    slug = counter.service.slug
    helped = api.post("/tickets", {"service": slug, "language": "ar", "help_reading": True},
                      key=uuid.uuid4()).json()
    plain = api.post("/tickets", {"service": slug, "language": "zh"}, key=uuid.uuid4()).json()
    for _ in range(2):
        assert agent.post(f"/guichet/{counter.pk}/next/").status_code in (200, 302)
    board = Client()  # a public screen: no login
    url = f"/ecran/{counter.site.slug}/"
    calls = {c["number"]: c for c in board.get(f"{url}etat.json?lang={lang}").json()["calls"]}
    assert calls[helped["number"]]["help_reading"] is True
    assert (calls[helped["number"]]["language_name"], calls[helped["number"]]["language_dir"]) \
        == ("العربية", "rtl")
    assert calls[plain["number"]]["help_reading"] is False
    page = board.get(f"{url}?lang={lang}").content.decode()
    # The newest call (plain, in Chinese) is the big line; the helped one went to the list.
    latest = section(page, 'id="latest"', "</section>")
    assert plain["number"] in latest and 'lang="zh" dir="ltr">中文</span>' in latest
    assert "help-reading" not in latest
    listed = section(page, 'id="calls"', "</ol>")
    assert re.search(r'<li><span class="ticket">' + helped["number"] + r'</span>.*?'
                     r'<span class="lang" lang="ar" dir="rtl">العربية</span>'
                     r'<span class="help" role="img" data-testid="help-reading" '
                     f'aria-label="{words}" title="{words}"><svg aria-hidden="true"', listed)
    assert listed.count('data-testid="help-reading"') == 1
    # board.js draws later calls from the same pictogram, words in the board's language.
    assert f'<template id="help-reading"><span class="help" role="img" data-testid="help-reading" ' \
        f'aria-label="{words}"' in page


def test_the_agent_issues_a_ticket_in_the_visitors_language_with_the_flag(agent, counter):
    from kiosk.server.queueing.models import Ticket

    url = f"/guichet/{counter.pk}/ticket/"
    form = agent.get(url).content.decode()
    # Each language in its own name and script, French first and chosen.
    options = re.findall(r'<option value="(\w+)"( selected)? lang="(\w+)" dir="(\w+)">', form)
    assert [(o[0], o[2], o[3]) for o in options] == [
        ("fr", "fr", "ltr"), ("en", "en", "ltr"), ("ar", "ar", "rtl"), ("zh", "zh", "ltr"),
        ("wo", "wo", "ltr"), ("bm", "bm", "ltr")]
    assert [o[0] for o in options if o[1]] == ["fr"]
    box = re.search(r'<input type="checkbox" name="help_reading"[^>]*>', form)
    assert box and "checked" not in box.group(0)
    assert 'aria-describedby="help-reading-hint"' in box.group(0) and 'id="help-reading-hint"' in form

    done = agent.post(url, {"service": counter.service.slug, "language": "ar",
                            "help_reading": "on", "priority": ""})
    assert done.status_code == 302
    helped = Ticket.objects.get(public_token=done["Location"].split("ticket=")[1])
    assert (helped.language, helped.help_reading, helped.service) == ("ar", True, counter.service)
    shown = agent.get(done["Location"]).content.decode()
    issued = section(shown, 'data-testid="issued"', "</section>")
    assert '<span lang="ar" dir="rtl">العربية</span>' in issued
    assert f'data-testid="help-reading-{helped.display}"' in issued
    # The flag is one visitor's: the next form starts unticked (the language is kept).
    box = re.search(r'<input type="checkbox" name="help_reading"[^>]*>', shown)
    assert box and "checked" not in box.group(0)
    assert '<option value="ar" selected lang="ar" dir="rtl">' in shown

    again = agent.post(url, {"service": counter.service.slug, "language": "wo", "priority": ""})
    plain = Ticket.objects.get(public_token=again["Location"].split("ticket=")[1])
    assert (plain.language, plain.help_reading) == ("wo", False)
    assert "help-reading-" not in section(agent.get(again["Location"]).content.decode(),
                                          'data-testid="issued"', "</section>")
