"""GET /api/v1/content/changes: the content long-poll (push) kiosks wait on between syncs."""

from __future__ import annotations

import threading
import time

import pytest

from kiosk.server.content import push
from tests.conftest import demo_data


@pytest.fixture(autouse=True)
def _fresh_push_cache():
    push._seen.clear()
    yield
    push._seen.clear()


def cursor_of(api) -> int:
    return int(api.get("/content").json()["cursor"])


def edit_hours(site, close: str) -> None:
    from kiosk.server.content.models import Service

    service = Service.objects.get(site=site, slug=demo_data()["services"][0]["id"])
    service.hours = [{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": close}]
    service.save()


@pytest.mark.django_db
def test_answers_at_once_when_the_kiosk_is_behind(api, demo):
    cursor = cursor_of(api)
    started = time.monotonic()
    response = api.get(f"/content/changes?since={cursor - 1}&wait=20")
    assert response.status_code == 200
    assert response.json() == {"cursor": str(cursor), "changed": True}
    assert time.monotonic() - started < 2


@pytest.mark.django_db
def test_answers_at_once_without_a_cursor_or_with_a_foreign_one(api, demo):
    cursor = cursor_of(api)
    assert api.get("/content/changes?wait=20").json() == {"cursor": str(cursor), "changed": True}
    # A cursor from another server life (ahead of this one): the kiosk must resync.
    answer = api.get(f"/content/changes?since={cursor + 100}&wait=20").json()
    assert answer == {"cursor": str(cursor), "changed": True}


@pytest.mark.django_db
def test_times_out_with_changed_false(api, demo):
    cursor = cursor_of(api)
    started = time.monotonic()
    response = api.get(f"/content/changes?since={cursor}&wait=0.6")
    elapsed = time.monotonic() - started
    assert response.json() == {"cursor": str(cursor), "changed": False}
    assert 0.5 <= elapsed < 3


@pytest.mark.django_db(transaction=True)
def test_waits_then_answers_as_soon_as_an_agent_saves(api, demo, monkeypatch):
    """A save committed by another thread (another worker, the back-office) while the
    request waits ends the wait within a poll."""
    from django.db import connection

    cursor = cursor_of(api)
    sleeping, saved, errors = threading.Event(), threading.Event(), []
    real_sleep = push._sleep

    def sleep(seconds):
        sleeping.set()  # the request is between two looks: it holds no lock on the database
        if not saved.is_set():
            saved.wait(10)  # SQLite's shared-cache test database cannot read during a write
        real_sleep(seconds)

    monkeypatch.setattr(push, "_sleep", sleep)

    def agent():
        try:
            assert sleeping.wait(10)
            time.sleep(0.3)
            edit_hours(demo, "16:45")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            saved.set()
            connection.close()

    thread = threading.Thread(target=agent)
    thread.start()
    started = time.monotonic()
    response = api.get(f"/content/changes?since={cursor}&wait=10")
    elapsed = time.monotonic() - started
    thread.join(timeout=10)
    assert errors == []
    body = response.json()
    assert body["changed"] is True
    assert int(body["cursor"]) > cursor
    assert 0.3 <= elapsed < 3
    # The announced cursor is one a delta can be pulled from.
    delta = api.get(f"/content?since={cursor}").json()
    assert delta["cursor"] == body["cursor"]
    hours = [i["data"]["hours"] for i in delta["items"] if i["kind"] == "service"]
    assert hours == [[{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "16:45"}]]


@pytest.mark.django_db
def test_wait_is_capped_at_25_seconds(api, demo, monkeypatch):
    now = [1000.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(push, "_clock", lambda: now[0])
    monkeypatch.setattr(push, "_sleep", sleep)
    cursor = cursor_of(api)
    response = api.get(f"/content/changes?since={cursor}&wait=3600")
    assert response.json() == {"cursor": str(cursor), "changed": False}
    assert sum(slept) == pytest.approx(push.MAX_WAIT_SECONDS)
    assert max(slept) <= push.POLL_SECONDS
    # A negative wait answers at once.
    slept.clear()
    assert api.get(f"/content/changes?since={cursor}&wait=-5").json()["changed"] is False
    assert slept == []


@pytest.mark.django_db
def test_waiters_of_one_process_share_their_reads(demo, monkeypatch, django_assert_max_num_queries):
    """Between two looks, a waiter reuses a read another waiter of its site made < 0.4 s ago."""
    now = [0.0]
    monkeypatch.setattr(push, "_clock", lambda: now[0])
    cursor = push.read_cursor(demo.pk)
    with django_assert_max_num_queries(0):
        assert push.shared_cursor(demo.pk) == cursor
    now[0] += 1.0
    with django_assert_max_num_queries(1):
        assert push.shared_cursor(demo.pk) == cursor


@pytest.mark.django_db
def test_needs_a_kiosk_token(client, demo):
    assert client.get("/api/v1/content/changes?wait=0").status_code == 401
    response = client.get("/api/v1/content/changes?wait=0",
                          headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


@pytest.mark.django_db
def test_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/content/changes" in schema["paths"]
