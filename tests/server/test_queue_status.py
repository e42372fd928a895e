"""GET /api/v1/queues: per service, waiting tickets, the wait of a ticket taken now, counters."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


def issue(demo, slug, n=1):
    from kiosk.server.content.models import Service
    from kiosk.server.queueing.issuing import do_issue_ticket

    service = Service.objects.get(site=demo, slug=slug)
    return [do_issue_ticket(service)[0] for _ in range(n)]


def fresh(api) -> dict:
    from kiosk.server.queueing.status import clear_cache

    clear_cache()
    response = api.get("/queues")
    assert response.status_code == 200
    return response.json()


def test_every_service_of_the_site_is_listed(api, demo):
    body = fresh(api)
    assert set(body["services"]) == {s["id"] for s in demo_data()["services"]}
    dt.datetime.fromisoformat(body["at"])
    for status in body["services"].values():
        assert set(status) == {"waiting", "estimated_wait_minutes", "open_counters",
                               "wait_low_minutes", "wait_high_minutes", "wait_status"}


def test_an_empty_queue_with_open_counters(api, demo):
    status = fresh(api)["services"]["naissance"]
    assert status["waiting"] == 0
    assert status["open_counters"] == 2  # Guichets 1 and 2 (config/demo/19e.json)
    assert status["estimated_wait_minutes"] == 0  # a counter is free: called at once


def test_waiting_counts_and_a_longer_queue_means_a_longer_wait(api, demo):
    before = fresh(api)["services"]["deces"]["estimated_wait_minutes"]
    issue(demo, "deces", 6)
    after = fresh(api)["services"]["deces"]
    assert after["waiting"] == 6
    assert after["estimated_wait_minutes"] > before
    assert fresh(api)["services"]["naissance"]["waiting"] == 0


def test_the_estimate_is_what_a_ticket_taken_now_gets(api, demo):
    from kiosk.server.queueing.estimates import estimated_wait

    issue(demo, "logement-social", 4)
    predicted = fresh(api)["services"]["logement-social"]["estimated_wait_minutes"]
    (ticket,) = issue(demo, "logement-social")
    actual = estimated_wait(ticket)
    assert predicted is not None and actual is not None
    assert abs(predicted - actual) <= 1  # the same estimator; seconds pass in between


def test_appointment_only_has_no_estimate(api, demo):
    status = fresh(api)["services"]["identite-passeport"]
    assert status["estimated_wait_minutes"] is None
    assert status["waiting"] == 0


def test_no_open_counter_means_no_estimate(api, demo):
    from kiosk.server.queueing.models import Counter

    issue(demo, "carte-citoyenne", 2)
    Counter.objects.filter(site=demo, name="Guichet 6").update(is_open=False)
    status = fresh(api)["services"]["carte-citoyenne"]
    # The demo's counters have no timetable: when one opens again is unknown.
    assert status == {"waiting": 2, "estimated_wait_minutes": None, "open_counters": 0,
                      "wait_low_minutes": None, "wait_high_minutes": None,
                      "wait_status": "unknown"}


def test_closing_one_of_two_counters_lengthens_the_wait(api, demo):
    from kiosk.server.queueing.counter_actions import do_close_counter
    from kiosk.server.queueing.models import Counter

    issue(demo, "naissance", 6)
    both = fresh(api)["services"]["naissance"]
    # Closed as its agent does (a queue action: the site's estimates are dropped).
    do_close_counter(Counter.objects.get(site=demo, name="Guichet 2"))
    one = fresh(api)["services"]["naissance"]
    assert (both["open_counters"], one["open_counters"]) == (2, 1)
    assert one["estimated_wait_minutes"] > both["estimated_wait_minutes"]


def test_the_answer_is_shared_for_a_few_seconds(api, demo, monkeypatch):
    from kiosk.server.queueing import status

    # The cache's clock is the test's: how long the requests take changes nothing.
    now = [1000.0]
    monkeypatch.setattr(status, "time", SimpleNamespace(monotonic=lambda: now[0]))
    first = fresh(api)
    issue(demo, "naissance")
    now[0] += status.STATUS_TTL_SECONDS - 0.5
    cached = api.get("/queues").json()
    assert cached == first  # within STATUS_TTL_SECONDS
    now[0] += 0.5
    assert api.get("/queues").json()["services"]["naissance"]["waiting"] == 1  # expired


def test_a_kiosk_only_sees_its_own_site(api, demo, client):
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.devices.models import Kiosk

    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    pole = Pole.objects.create(site=other, slug="p", color="#000000", pictogram="mairie",
                               name={"fr": "P"})
    Service.objects.create(site=other, pole=pole, slug="seulement-20e", prefix="Z",
                           pictogram="mairie", name={"fr": "S"})
    _, token = Kiosk.objects.register(other, "Borne du 20e")
    body = Client().get("/api/v1/queues", headers={"Authorization": f"Bearer {token}"}).json()
    assert set(body["services"]) == {"seulement-20e"}
    assert "seulement-20e" not in fresh(api)["services"]


def test_without_a_token_it_is_401(client, demo):
    assert client.get("/api/v1/queues").status_code == 401


def test_the_status_reads_the_estimates_the_pages_share(api, demo, monkeypatch):
    """The kiosks' status computes no estimates of its own: it reads the process's shared
    ones (those the phone pages and the tickets read); with tickets issued since that they
    cannot account for (the demo's services share counters), the queue as it is, computed
    once and shared in turn."""
    from kiosk.server.queueing import estimates

    # The shared result's clock held still: a slow machine must not outlive its second.
    monkeypatch.setattr(estimates, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    computed = []
    real = estimates._compute_estimates
    monkeypatch.setattr(estimates, "_compute_estimates",
                        lambda *a: computed.append(a) or real(*a))
    issue(demo, "deces", 2)
    estimates.queue_estimates(demo, fresh=True)  # as a page reading the queue as it is
    computed.clear()
    first = fresh(api)["services"]["deces"]
    assert computed == []
    issue(demo, "deces", 1)
    computed.clear()
    second = fresh(api)["services"]["deces"]
    assert len(computed) <= 1
    computed.clear()
    assert fresh(api)["services"]["deces"] == second and computed == []
    assert (first["waiting"], second["waiting"]) == (2, 3)
    assert second["estimated_wait_minutes"] >= first["estimated_wait_minutes"]
