"""Conditional polling (docs/queues.md): the phone page, the counter console and the board
get 304 Not Modified while the site's queue has not changed, 200 after any change; the
version lives in the database (every gunicorn worker sees it). And the estimate given at
issue, taken from the shared estimates, is the one the queue as it is gives."""

from __future__ import annotations

import uuid

import pytest
from django.db.models import F
from django.test import Client

# The live pages' fixtures and helpers.
from tests.server.test_web_live import act, agent, counter, issue, static_root  # noqa: F401

pytestmark = pytest.mark.django_db


def poll(client, url, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(url, headers=headers)


def assert_conditional(client, url, change):
    first = poll(client, url)
    assert first.status_code == 200 and first["ETag"]
    again = poll(client, url, first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"] and "no-cache" in again["Cache-Control"]
    change()
    after = poll(client, url, first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    assert poll(client, url, after["ETag"]).status_code == 304
    return after


def another_process_changed(site):
    """What another gunicorn worker's queue change leaves behind: the row in the database
    (no in-process state of ours is involved)."""
    from kiosk.server.queueing.models import QueueVersion

    assert QueueVersion.objects.filter(site=site).update(version=F("version") + 1) == 1


def test_phone_state_304_until_the_queue_changes(client, counter,  # noqa: F811
                                                 django_assert_num_queries):
    ticket, behind = issue(counter.service, 2)
    url = f"/t/{ticket.public_token}/etat.json"
    etag = assert_conditional(client, url, lambda: issue(counter.other))["ETag"]
    with django_assert_num_queries(1) as captured:  # the ticket's site version, nothing else
        assert poll(client, url, etag).status_code == 304
    # A unique token's look-up: no ORDER BY (the model's ordering joined the ticket's service
    # and its pole into every poll).
    assert "ORDER BY" not in captured.captured_queries[0]["sql"]
    another_process_changed(counter.site)
    assert poll(client, url, etag).status_code == 200
    assert poll(Client(), f"/t/{'x' * 22}/etat.json", etag).status_code == 404


def test_console_state_304_until_the_queue_changes(agent, counter):  # noqa: F811
    issue(counter.service, 2)
    url = f"/guichet/{counter.pk}/etat.json"
    body = assert_conditional(agent, url, lambda: act(agent, counter, "next")).json()
    assert body["current"] is not None  # the 200 after the change shows it
    etag = poll(agent, url).get("ETag")
    another_process_changed(counter.site)
    assert poll(agent, url, etag).status_code == 200
    # Assistance requests appear on the consoles: they count as a change too.
    from kiosk.server.assistance.services import do_request_assistance
    from kiosk.server.devices.models import Kiosk

    etag = poll(agent, url)["ETag"]
    kiosk, _ = Kiosk.objects.register(counter.site, "Borne test")
    do_request_assistance(kiosk, key=uuid.uuid4())
    assert poll(agent, url, etag).status_code == 200


def test_board_state_304_until_a_call(client, agent, counter):  # noqa: F811
    issue(counter.service, 2)
    url = f"/ecran/{counter.site.slug}/etat.json"
    body = assert_conditional(client, url, lambda: act(agent, counter, "next")).json()
    assert body["calls"][0]["counter"] == counter.name
    etag = poll(client, url)["ETag"]
    act(agent, counter, "recall")  # a recall is said again: a change
    assert poll(client, url, etag).status_code == 200


def test_the_validator_ages_with_time(client, counter, monkeypatch):  # noqa: F811
    """Estimates age without any queue change: the same state is answered again at least
    every POLL_BUCKET_SECONDS."""
    from kiosk.server.queueing import polling

    (ticket,) = issue(counter.service)
    url = f"/t/{ticket.public_token}/etat.json"
    etag = poll(client, url)["ETag"]
    assert poll(client, url, etag).status_code == 304
    now = polling.wall_clock()
    monkeypatch.setattr(polling, "wall_clock", lambda: now + polling.POLL_BUCKET_SECONDS)
    assert poll(client, url, etag).status_code == 200


def test_a_burst_of_tickets_gets_the_queue_estimates(counter):  # noqa: F811
    """Each ticket of a burst is told what the full computation of the queue says (taken
    from the shared estimates: a probe, then a chain of tickets for the same service), and
    the estimates of a service never go down."""
    from kiosk.server.queueing.estimates import queue_estimates

    site = counter.site
    queue_estimates(site)  # the shared result the burst starts from
    told = []
    for i in range(10):
        service = counter.service if i % 4 else counter.other
        (ticket,) = issue(service)
        told.append((service.pk, ticket.pk, ticket.estimate_at_issue))
    full = queue_estimates(site, fresh=True)
    for _, pk, minutes in told:
        assert minutes is not None
        assert abs(minutes - full[pk]) <= 1  # the same computation; a minute of rounding
    for service_pk in {s for s, _, _ in told}:
        mine = [m for s, _, m in told if s == service_pk]
        assert mine == sorted(mine) and mine[-1] > mine[0]


def test_site_positions_are_ticket_positions(counter):  # noqa: F811
    """The places shared by the phone pages are the ones ticket_position gives one by one."""
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.queueing.ordering import site_positions, ticket_position

    for i in range(12):
        issue(counter.service if i % 2 else counter.other, priority="elderly" if i % 5 == 1 else "")
    do_call_next(counter)  # a priority history
    from kiosk.server.queueing.models import Ticket

    waiting = list(Ticket.objects.filter(site=counter.site, status="waiting"))
    places = site_positions(counter.site_id, waiting[0].day)
    assert len(waiting) == 11 and set(places) == {t.pk for t in waiting}
    assert all(places[t.pk] == ticket_position(t) for t in waiting)


def test_each_services_recent_calls_in_one_query(counter, django_assert_num_queries):  # noqa: F811
    """recent_priority_calls_each is recent_priority_calls per service (ties in the draw
    time broken the same way), and site_positions reads it in one query whatever the number
    of services where both lines wait: two queries in all."""
    from django.utils import timezone

    from kiosk.server.queueing.models import Ticket
    from kiosk.server.queueing.ordering import (
        RECENT_CALLS,
        recent_priority_calls,
        recent_priority_calls_each,
        site_positions,
        ticket_position,
    )

    services = [counter.service, counter.other]
    for n, service in enumerate(services):
        # Drawn tickets, more than the rule looks at, priority or not, some at one instant
        # (the first of the list drawn last): the services' histories differ.
        priority, normal = issue(service, RECENT_CALLS, priority="elderly"), issue(service, 3)
        drawn = normal + priority if n == 0 else priority + normal
        now = timezone.now()
        for i, ticket in enumerate(drawn):
            at = now - timezone.timedelta(seconds=i // 2)  # pairs drawn at the same time
            Ticket.objects.filter(pk=ticket.pk).update(drawn_at=at, status="done")
        issue(service, 2)  # both lines wait again
        issue(service, 2, priority="elderly")
    day = drawn[0].day
    ids = [s.pk for s in services]
    each = recent_priority_calls_each(counter.site_id, day, ids)
    assert each == {pk: recent_priority_calls(counter.site_id, day, [pk]) for pk in ids}
    assert all(len(flags) == RECENT_CALLS for flags in each.values())
    assert len({tuple(flags) for flags in each.values()}) == 2  # the services differ
    with django_assert_num_queries(2):  # the waiting tickets, then the histories
        places = site_positions(counter.site_id, day)
    waiting = list(Ticket.objects.filter(site=counter.site, status="waiting"))
    assert places == {t.pk: ticket_position(t) for t in waiting}
