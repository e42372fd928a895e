"""The live web pages: console JSON + actions, agent-issued tickets, display board, phone page."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.test import Client

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db

PHONE = "06 12 34 56 78"
E164 = "+33612345678"


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def agent_of(role: str) -> dict:
    return next(a for a in demo_data()["agents"] if a.get("role", "counter") == role)


@pytest.fixture
def agent(client, demo):
    a = agent_of("counter")
    assert client.login(username=a["username"], password=a["password"])
    return client


@pytest.fixture
def counter(demo):
    """An open counter serving at least two ticketing services."""
    from kiosk.server.queueing.models import Counter

    for c in Counter.objects.filter(site=demo, is_open=True).order_by("name"):
        services = list(c.services.filter(ticketing=True).order_by("slug"))
        if len(services) >= 2:
            c.service, c.other = services[0], services[1]
            return c
    pytest.fail("the demo needs an open counter serving two ticketing services")


@pytest.fixture
def elsewhere(demo, counter):
    """A ticketing service of the site that this counter does not serve."""
    from kiosk.server.content.models import Service

    service = Service.objects.filter(site=demo, ticketing=True).exclude(
        pk__in=counter.services.all()).first()
    if service is None:
        pytest.skip("every ticketing service is served by this counter")
    return service


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


def issue(service, n=1, **kw):
    from kiosk.server.queueing.issuing import do_issue_ticket

    return [do_issue_ticket(service, **kw)[0] for _ in range(n)]


def refreshed(ticket):
    ticket.refresh_from_db()
    return ticket


def state(client, counter) -> dict:
    response = client.get(f"/guichet/{counter.pk}/etat.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    # Kept by the browser, but revalidated at each poll (conditional polling, ETag).
    assert response["Cache-Control"] == "private, no-cache" and response["ETag"]
    return response.json()


def act(client, counter, action, **data):
    return client.post(f"/guichet/{counter.pk}/{action}/", data,
                       headers={"Accept": "application/json"})


def fast_forward_call(ticket, seconds):
    """Pretend the ticket was called `seconds` ago."""
    from kiosk.server.queueing.models import Ticket

    Ticket.objects.filter(pk=ticket.pk).update(
        called_at=ticket.called_at - dt.timedelta(seconds=seconds))


# -- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["etat.json", "ticket/"])
def test_anonymous_is_sent_to_login(client, counter, suffix):
    response = client.get(f"/guichet/{counter.pk}/{suffix}")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_anonymous_json_action_changes_nothing(client, counter):
    (ticket,) = issue(counter.service)
    response = act(client, counter, "next")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert refreshed(ticket).status == "waiting"


@pytest.mark.parametrize("method,suffix", [
    ("get", "etat.json"), ("get", "ticket/"), ("post", "ticket/"), ("post", "recall/"),
    ("post", "call/"), ("post", "next/"),
])
def test_an_agent_of_another_site_gets_403(other_agent, counter, method, suffix):
    (ticket,) = issue(counter.service)
    response = getattr(other_agent, method)(f"/guichet/{counter.pk}/{suffix}",
                                            headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert refreshed(ticket).status == "waiting"


def test_an_editor_gets_403_on_the_json(client, demo, counter):
    a = agent_of("editor")  # the demo's content editor of the 19e
    assert client.login(username=a["username"], password=a["password"])
    assert client.get(f"/guichet/{counter.pk}/etat.json").status_code == 403


# -- console state --------------------------------------------------------------------------


def test_the_state_lists_the_queue_in_call_order(agent, counter, elsewhere):
    normal1, normal2 = issue(counter.service, 2)
    (prio,) = issue(counter.other, priority="elderly")
    issue(elsewhere)  # not this counter's business
    s = state(agent, counter)
    assert s["counter"]["id"] == counter.pk
    assert s["current"] is None
    assert s["total_waiting"] == 3
    assert [t["number"] for t in s["waiting"]] == [prio.display, normal1.display, normal2.display]
    assert [t["position"] for t in s["waiting"]] == [1, 2, 3]
    first = s["waiting"][0]
    assert first["priority"] == "elderly" and first["priority_label"] == "75 ans et plus"
    assert all("estimate" in t for t in s["waiting"])
    assert isinstance(s["waiting"][0]["estimate"], int)
    by_slug = {x["slug"]: x["waiting"] for x in s["services"]}
    assert by_slug[counter.service.slug] == 2 and by_slug[counter.other.slug] == 1
    assert elsewhere.slug in {x["slug"] for x in s["transfer_targets"]}
    # No personal data, no phone-page token in the console's JSON.
    text = json.dumps(s)
    assert "public_token" not in text and normal1.public_token not in text


def test_the_state_shows_the_current_ticket_and_its_grace(agent, counter):
    (ticket,) = issue(counter.service)
    act(agent, counter, "next")
    s = state(agent, counter)
    cur = s["current"]
    assert cur["number"] == ticket.display
    assert cur["service"] == counter.service.text("name")
    assert cur["recalls"] == 0 and 0 <= cur["elapsed_s"] <= 5
    grace = counter.site.no_show_grace_seconds
    assert grace - 5 <= cur["no_show_in_s"] <= grace
    assert s["waiting"] == []


def test_the_console_page_embeds_the_state_and_the_script(agent, counter):
    issue(counter.service)
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert 'id="console-state"' in page and "console.js" in page
    for key in ("N", "R", "A", "T", "P", "X"):
        assert f"<kbd>{key}</kbd>" in page
    assert f"/guichet/{counter.pk}/ticket/" in page


# -- actions (fetch + JSON) -------------------------------------------------------------------


def test_call_next_answers_json(agent, counter):
    first, second = issue(counter.service, 2)
    response = act(agent, counter, "next")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["message"] == f"Appel du {first.display}"
    assert body["state"]["current"]["number"] == first.display
    assert [t["number"] for t in body["state"]["waiting"]] == [second.display]


def test_nobody_waiting_is_ok_but_says_so(agent, counter):
    body = act(agent, counter, "next").json()
    assert body["ok"] is True and body["level"] == "info"
    assert "Personne n'attend" in body["message"]


def test_recall_counts(agent, counter):
    (ticket,) = issue(counter.service)
    act(agent, counter, "next")
    called_at = refreshed(ticket).called_at
    body = act(agent, counter, "recall").json()
    assert body["ok"] and "1er rappel" in body["message"]
    assert body["state"]["current"]["recalls"] == 1
    assert refreshed(ticket).called_at > called_at
    assert act(agent, counter, "recall").json()["state"]["current"]["recalls"] == 2


def test_absent_is_refused_before_the_grace_period(agent, counter):
    (ticket,) = issue(counter.service)
    act(agent, counter, "next")
    response = act(agent, counter, "absent")
    assert response.status_code == 409
    body = response.json()
    assert body["ok"] is False
    assert body["message"].startswith(f"Trop tôt pour déclarer {ticket.display} absent")
    assert body["state"]["current"]["number"] == ticket.display
    assert refreshed(ticket).status == "called"

    fast_forward_call(ticket, counter.site.no_show_grace_seconds + 1)
    assert state(agent, counter)["current"]["no_show_in_s"] == 0
    body = act(agent, counter, "absent").json()
    assert body["ok"] and body["state"]["current"] is None
    assert refreshed(ticket).status == "no_show"


def test_park_then_resume(agent, counter):
    first, second = issue(counter.service, 2)
    act(agent, counter, "next")
    body = act(agent, counter, "park").json()
    assert body["ok"] and body["state"]["current"] is None
    assert [t["number"] for t in body["state"]["parked"]] == [first.display]
    act(agent, counter, "next")  # serves the second meanwhile
    body = act(agent, counter, "resume", ticket=first.pk).json()
    assert body["ok"] and body["message"] == f"Reprise du {first.display}"
    assert body["state"]["current"]["number"] == first.display
    assert body["state"]["parked"] == []
    assert refreshed(second).status == "done"


def test_transfer_keeps_the_ticket_waiting_elsewhere(agent, counter, elsewhere):
    (ticket,) = issue(counter.service)
    act(agent, counter, "next")
    response = act(agent, counter, "transfer")
    assert response.status_code == 400 and response.json()["ok"] is False
    body = act(agent, counter, "transfer", service=elsewhere.slug).json()
    assert body["ok"] and "garde sa place" in body["message"]
    assert body["state"]["current"] is None
    ticket = refreshed(ticket)
    assert ticket.status == "waiting" and ticket.service_id == elsewhere.pk


def test_transfer_to_an_unknown_service_is_a_clear_error(agent, counter):
    issue(counter.service)
    act(agent, counter, "next")
    response = act(agent, counter, "transfer", service="nulle-part")
    assert response.status_code == 404
    assert response.json()["message"] == "Service inconnu : nulle-part."


def test_call_out_of_turn(agent, counter, elsewhere):
    first, second, third = issue(counter.service, 3)
    body = act(agent, counter, "call", ticket=third.pk).json()
    assert body["ok"] and body["message"] == f"Appel du {third.display} (hors tour)"
    assert body["state"]["current"]["number"] == third.display
    assert [t["number"] for t in body["state"]["waiting"]] == [first.display, second.display]
    (foreign,) = issue(elsewhere)
    response = act(agent, counter, "call", ticket=foreign.pk)
    assert response.status_code == 409
    assert response.json()["message"] == "Ce guichet ne traite pas le service de ce ticket."
    assert act(agent, counter, "call", ticket="abc").status_code == 400


def test_plain_forms_still_work_without_javascript(agent, counter):
    (ticket,) = issue(counter.service)
    agent.post(f"/guichet/{counter.pk}/next/")
    response = agent.post(f"/guichet/{counter.pk}/recall/", follow=True)
    assert response.redirect_chain[-1][0] == f"/guichet/{counter.pk}/"
    assert "Rappel du" in response.content.decode()
    response = agent.post(f"/guichet/{counter.pk}/absent/", follow=True)
    assert "Trop tôt pour déclarer" in response.content.decode()
    assert refreshed(ticket).status == "called"


def test_json_actions_need_the_csrf_token(demo, counter):
    a = agent_of("counter")
    strict = Client(enforce_csrf_checks=True)
    assert strict.login(username=a["username"], password=a["password"])
    (ticket,) = issue(counter.service)
    assert act(strict, counter, "next").status_code == 403
    assert refreshed(ticket).status == "waiting"
    strict.get(f"/guichet/{counter.pk}/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(f"/guichet/{counter.pk}/next/",
                           headers={"Accept": "application/json", "X-CSRFToken": token})
    assert response.status_code == 200 and response.json()["ok"]
    assert refreshed(ticket).status == "called"


# -- a ticket issued by the mobile agent ------------------------------------------------------


def test_the_issue_form_explains_the_phone_field(agent, counter):
    page = agent.get(f"/guichet/{counter.pk}/ticket/").content.decode()
    assert "effacé dès que le ticket est terminé" in page
    assert 'name="consent"' in page and 'name="priority"' in page and 'name="language"' in page


def test_issue_a_ticket_with_phone_and_priority(agent, counter):
    from kiosk.server.queueing.models import Ticket

    response = agent.post(f"/guichet/{counter.pk}/ticket/", {
        "service": counter.service.slug, "language": "ar", "priority": "pregnancy",
        "phone": PHONE, "consent": "on"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/guichet/{counter.pk}/ticket/?ticket={ticket.public_token}"
    assert ticket.phone == E164 and ticket.sms_consent_at is not None
    assert ticket.priority == "pregnancy" and ticket.language == "ar"
    assert ticket.issued_by.username == agent_of("counter")["username"]
    page = agent.get(response["Location"]).content.decode()
    assert f'data-testid="issued-number">{ticket.display}<' in page
    assert "<svg" in page and "SMS prévu" in page
    assert f"/t/{ticket.public_token}" in page
    assert E164 not in page and f'value="{PHONE}"' not in page  # a fresh, empty form


def test_issue_refuses_a_phone_without_consent(agent, counter):
    from kiosk.server.queueing.models import Ticket

    response = agent.post(f"/guichet/{counter.pk}/ticket/", {
        "service": counter.service.slug, "language": "fr", "priority": "", "phone": PHONE})
    assert response.status_code == 200
    assert "consentement du visiteur" in response.content.decode()
    assert not Ticket.objects.exists()


def test_issue_refuses_an_appointment_only_service(agent, demo, counter):
    from kiosk.server.content.models import Service
    from kiosk.server.queueing.models import Ticket

    closed = Service.objects.filter(site=demo, ticketing=False).first()
    if closed is None:
        pytest.skip("no appointment-only service in the demo")
    response = agent.post(f"/guichet/{counter.pk}/ticket/", {
        "service": closed.slug, "language": "fr", "priority": ""})
    assert response.status_code == 200  # the choice is not even offered
    assert not Ticket.objects.exists()


# -- display board ----------------------------------------------------------------------------


def test_the_board_needs_no_login(client, demo):
    response = client.get(f"/ecran/{demo.slug}/")
    assert response.status_code == 200
    assert "board.js" in response.content.decode()
    assert client.get("/ecran/nulle-part/").status_code == 404
    assert client.get("/ecran/nulle-part/etat.json").status_code == 404


def test_the_board_lists_the_last_calls_newest_first(client, agent, demo, counter):
    tickets = issue(counter.service, 8, phone=E164, consent=True, language="zh")
    for _ in tickets:
        act(agent, counter, "next")
    response = client.get(f"/ecran/{demo.slug}/etat.json")
    assert response["Cache-Control"] == "no-cache" and response["ETag"]
    s = response.json()
    assert [c["number"] for c in s["calls"]] == [t.display for t in reversed(tickets)][:6]
    newest = s["calls"][0]
    assert newest["counter"] == counter.name and newest["language"] == "zh"
    assert newest["counter_label"] == counter.name.split(" ", 1)[1]
    # A recall is a new event: a new key.
    key = newest["key"]
    act(agent, counter, "recall")
    again = client.get(f"/ecran/{demo.slug}/etat.json").json()["calls"][0]
    assert again["number"] == newest["number"] and again["key"] != key and again["recall"]


def test_the_board_json_holds_no_personal_data(client, agent, demo, counter):
    tickets = issue(counter.service, 2, phone=E164, consent=True)
    act(agent, counter, "next")
    text = client.get(f"/ecran/{demo.slug}/etat.json").content.decode()
    page = client.get(f"/ecran/{demo.slug}/").content.decode()
    for t in tickets:
        assert t.public_token not in text and t.public_token not in page
    for doc in (text, page):
        assert E164 not in doc and "612345678" not in doc
    call = json.loads(text)["calls"][0]
    assert set(call) == {"key", "number", "counter", "counter_label", "named", "called_at",
                         "age_s", "recall", "language", "language_name", "language_dir",
                         "help_reading", "slot"}  # an appointment's time (HH:MM), not who


# -- phone page ---------------------------------------------------------------------------------


def phone_json(client, ticket):
    response = client.get(f"/t/{ticket.public_token}/etat.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache" and response["ETag"]
    assert response["X-Robots-Tag"] == "noindex"
    return response.json()


def test_the_phone_state_follows_the_queue(client, agent, counter):
    first, second = issue(counter.service, 2)
    s = phone_json(client, second)
    assert s["status"] == "waiting" and s["position"] == 2 and s["ahead"] == 1
    assert s["status_text"] == "En attente"
    assert s["can_postpone"] and s["can_leave"] and not s["sms"]
    act(agent, counter, "next")
    assert phone_json(client, second)["position"] == 1
    act(agent, counter, "next")
    s = phone_json(client, second)
    assert s["status"] == "called" and s["counter"] == counter.name and s["position"] is None
    assert s["call_key"] and not s["can_leave"]
    act(agent, counter, "recall")
    assert phone_json(client, second)["call_key"] != s["call_key"]
    assert client.get("/t/unknown-token-0123456789/etat.json").status_code == 404


def test_the_phone_page_never_shows_the_number_but_says_sms(client, counter):
    (ticket,) = issue(counter.service, phone=E164, consent=True)
    response = client.get(f"/t/{ticket.public_token}")
    page = response.content.decode()
    assert "SMS prévu" in page
    assert E164 not in page and "612345678" not in page
    assert '<meta name="robots" content="noindex' in page
    assert E164 not in json.dumps(phone_json(client, ticket))


@pytest.mark.parametrize("lang,word,direction", [
    ("fr", "Je pars", "ltr"), ("en", "I'm leaving", "ltr"), ("ar", "سأغادر", "rtl"),
    ("zh", "我要离开", "ltr"), ("wo", "Dama dem", "ltr"), ("bm", "N bɛ taa", "ltr"),
    ("xx", "Je pars", "ltr"),
])
def test_the_phone_page_speaks_the_tickets_language(client, counter, lang, word, direction):
    (ticket,) = issue(counter.service, language=lang)
    page = html.unescape(client.get(f"/t/{ticket.public_token}").content.decode())
    assert re.search(rf'<html lang="{lang if lang != "xx" else "fr"}" dir="{direction}"', page)
    assert word in page


def test_leave_by_phone(client, counter):
    from kiosk.server.queueing.models import Ticket

    (ticket,) = issue(counter.service, phone=E164, consent=True)
    response = client.post(f"/t/{ticket.public_token}/partir",
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["state"]["status"] == "cancelled" and not body["state"]["open"]
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == "cancelled" and ticket.phone == ""
    again = client.post(f"/t/{ticket.public_token}/partir", headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.json()["ok"] is False


def test_leave_without_javascript_redirects_to_the_page(client, counter):
    (ticket,) = issue(counter.service)
    response = client.post(f"/t/{ticket.public_token}/partir")
    assert response.status_code == 302 and response["Location"] == f"/t/{ticket.public_token}"
    assert refreshed(ticket).status == "cancelled"
    page = client.get(response["Location"]).content.decode()
    assert "Annulé" in page and 'data-testid="leave"' in page  # the form is there, hidden
    assert "phone.js" not in page  # a closed ticket stops polling


def test_more_time_once(client, counter):
    me, *others = issue(counter.service, 5)
    body = client.post(f"/t/{me.public_token}/plus-de-temps",
                       headers={"Accept": "application/json"}).json()
    assert body["ok"] and body["message"].startswith("C'est noté")
    assert body["state"]["position"] == 1 + counter.site.postpone_places
    assert body["state"]["can_postpone"] is False
    again = client.post(f"/t/{me.public_token}/plus-de-temps", headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.json()["ok"] is False
    page = client.get(f"/t/{me.public_token}").content.decode()
    assert re.search(r'id="more-form" data-testid="more-time-form" hidden', page)


def test_phone_actions_need_csrf(counter):
    (ticket,) = issue(counter.service)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/t/{ticket.public_token}/partir").status_code == 403
    assert refreshed(ticket).status == "waiting"
    strict.get(f"/t/{ticket.public_token}")
    token = strict.cookies["csrftoken"].value
    response = strict.post(f"/t/{ticket.public_token}/partir", headers={"X-CSRFToken": token})
    assert response.status_code == 302 and refreshed(ticket).status == "cancelled"


def test_phone_actions_are_post_only(client, counter):
    (ticket,) = issue(counter.service)
    assert client.get(f"/t/{ticket.public_token}/partir").status_code == 405
    assert refreshed(ticket).status == "waiting"
