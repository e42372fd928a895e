"""GET /api/v1/content/changes: the content long-poll (push) kiosks wait on between syncs."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from kiosk.server.content import push
from tests.conftest import demo_data
from tests.support.patience import GUARD, NEVER


@pytest.fixture(autouse=True)
def _fresh_push_cache():
    push._seen.clear()
    yield
    push._seen.clear()


def cursor_of(api) -> int:
    return int(api.get("/content").json()["cursor"])


def bare(answer: dict) -> dict:
    """The answer without the delta it may carry (tests/server/test_content_push_delta.py)."""
    return {key: answer[key] for key in ("cursor", "changed")}


def edit_hours(site, close: str) -> None:
    from kiosk.server.content.models import Service

    service = Service.objects.get(site=site, slug=demo_data()["services"][0]["id"])
    service.hours = [{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": close}]
    service.save()


@pytest.mark.django_db
def test_answers_at_once_when_the_kiosk_is_behind(api, demo):
    cursor = cursor_of(api)
    started = time.monotonic()
    response = api.get(f"/content/changes?since={cursor - 1}&wait={push.MAX_WAIT_SECONDS}")
    assert response.status_code == 200
    assert bare(response.json()) == {"cursor": str(cursor), "changed": True}
    assert time.monotonic() - started < push.MAX_WAIT_SECONDS  # not held: answered at once


@pytest.mark.django_db
def test_answers_at_once_without_a_cursor_or_with_a_foreign_one(api, demo):
    cursor = cursor_of(api)
    assert bare(api.get("/content/changes?wait=20").json()) == {"cursor": str(cursor),
                                                                 "changed": True}
    # A cursor from another server life (ahead of this one): the kiosk must resync.
    answer = api.get(f"/content/changes?since={cursor + 100}&wait=20").json()
    assert bare(answer) == {"cursor": str(cursor), "changed": True}


@pytest.mark.django_db
def test_times_out_with_changed_false(api, demo, monkeypatch):
    # It waits what was asked, not the cap: with a cap it can never reach, a wait that
    # ignored `wait` would hang (the test's timeout), whatever the machine's speed.
    monkeypatch.setattr(push, "MAX_WAIT_SECONDS", NEVER)
    cursor = cursor_of(api)
    started = time.monotonic()
    response = api.get(f"/content/changes?since={cursor}&wait=0.6")
    elapsed = time.monotonic() - started
    assert response.json() == {"cursor": str(cursor), "changed": False}
    # Held at least the shortest share of it (WAIT_SPREAD); a loaded machine only makes it later.
    assert elapsed >= (1 - push.WAIT_SPREAD) * 0.6 - 0.01


@pytest.mark.django_db(transaction=True)
def test_waits_then_answers_as_soon_as_an_agent_saves(api, demo, monkeypatch):
    """A save committed by another thread (another worker, the back-office) while the
    request waits ends the wait at once (the save pokes the hub) or within a poll."""
    from django.db import connection

    cursor = cursor_of(api)
    errors = []
    # SQLite's shared-cache test database cannot read during a write: the hub's reads and
    # the agent's save take turns (the server's own database has no such limit).
    gate = threading.Lock()
    real_read = push.read_cursors

    def read_cursors(site_ids):
        with gate:
            return real_read(site_ids)

    monkeypatch.setattr(push, "read_cursors", read_cursors)

    def agent():
        try:
            with push.waiters_changed:
                assert push.waiters_changed.wait_for(lambda: push.waiting(demo.pk) > 0, GUARD)
            with gate:
                edit_hours(demo, "16:45")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    # No cap the wait could reach: it can only end by the save (not by a timeout that a
    # busy machine might reach first), and the test's own timeout is the hang guard.
    monkeypatch.setattr(push, "MAX_WAIT_SECONDS", NEVER)
    thread = threading.Thread(target=agent)
    thread.start()
    response = api.get(f"/content/changes?since={cursor}&wait={NEVER}")
    thread.join(timeout=GUARD)
    assert errors == []
    body = response.json()
    assert body["changed"] is True  # woken by the save
    assert int(body["cursor"]) > cursor
    assert push.waiting(demo.pk) == 0
    # The announced cursor is one a delta can be pulled from.
    delta = api.get(f"/content?since={cursor}").json()
    assert delta["cursor"] == body["cursor"]
    hours = [i["data"]["hours"] for i in delta["items"] if i["kind"] == "service"]
    assert hours == [[{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "16:45"}]]


@pytest.mark.django_db
def test_wait_is_capped(api, demo, monkeypatch):
    monkeypatch.setattr(push, "MAX_WAIT_SECONDS", 0.5)
    cursor = cursor_of(api)
    started = time.monotonic()
    response = api.get(f"/content/changes?since={cursor}&wait=3600")
    assert response.json() == {"cursor": str(cursor), "changed": False}
    assert 0.4 <= time.monotonic() - started < 3000  # capped: far below the hour asked
    # A negative wait answers at once, without waiting on the hub.
    assert api.get(f"/content/changes?since={cursor}&wait=-5").json()["changed"] is False
    assert push.waiting(demo.pk) == 0


@pytest.mark.django_db(transaction=True)
def test_waiters_of_one_process_share_one_watcher(demo, monkeypatch):
    """Fifty kiosks waiting in one process: one query per poll for all of them."""
    reads = []
    real_read = push.read_cursors
    monkeypatch.setattr(push, "read_cursors", lambda ids: reads.append(list(ids)) or real_read(ids))

    async def fifty_waits():
        cursor = await sync_to_async(push.read_cursor)(demo.pk)
        answers = await asyncio.gather(*(push.await_change(demo.pk, cursor, 1.0)
                                         for _ in range(50)))
        return cursor, answers

    cursor, answers = async_to_sync(fifty_waits)()
    assert answers == [(cursor, False)] * 50
    assert 1 <= len(reads) <= 10  # 1 s at one read per 0.5 s, not one per waiter
    assert all(ids == [demo.pk] for ids in reads)


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


@pytest.mark.django_db(transaction=True)
def test_kiosks_coming_back_together_park_on_the_hubs_recent_read(demo, monkeypatch):
    """After an edit a site's kiosks all come back at once with the new cursor: the hub's
    read of the last SHARE_SECONDS parks them, without a query each (the load bench's 500
    kiosks re-polled with a query and a thread hop each)."""
    clock = [1000.0]
    monkeypatch.setattr(push, "_clock", lambda: clock[0])
    fresh = []
    real_fresh = push._fresh_cursor
    monkeypatch.setattr(push, "_fresh_cursor", lambda site: fresh.append(site) or real_fresh(site))

    async def twenty_waits():
        cursor = await sync_to_async(push.read_cursors)([demo.pk])  # as the hub reads
        return await asyncio.gather(*(push.await_change(demo.pk, cursor[demo.pk], 0.3)
                                      for _ in range(20)))

    answers = async_to_sync(twenty_waits)()
    assert [changed for _, changed in answers] == [False] * 20
    assert fresh == []  # none of them read the database for its first look
    # Past SHARE_SECONDS, or a kiosk behind: a fresh read before answering.
    clock[0] += push.SHARE_SECONDS
    cursor = async_to_sync(push.await_change)(demo.pk, None, 0)[0]
    assert fresh == [demo.pk]
    assert async_to_sync(push.await_change)(demo.pk, cursor - 1, 0) == (cursor, True)
    assert fresh == [demo.pk, demo.pk]  # a "changed" answer is never from a shared read


@pytest.mark.django_db(transaction=True)
def test_a_save_made_while_the_shared_read_still_says_no_change_wakes_the_kiosk(demo, monkeypatch):
    """A save committed elsewhere (raw SQL: no poke, no NOTIFY) inside the sharing window:
    the kiosk parks on the shared read, and the hub's next read wakes it."""
    from django.db import connection

    from kiosk.server.content.models import ContentVersion

    monkeypatch.setattr(push, "_clock", lambda: 5000.0)  # the shared read never ages

    async def scenario():
        cursor = (await sync_to_async(push.read_cursors)([demo.pk]))[demo.pk]

        def raw_save():
            ContentVersion.objects.filter(site_id=demo.pk).update(seq=cursor + 1)
            connection.close()

        def parked() -> bool:
            with push.waiters_changed:  # notified when a wait starts
                return push.waiters_changed.wait_for(lambda: push.waiting(demo.pk) > 0, GUARD)

        async def save_once_parked():
            assert await asyncio.to_thread(parked)
            await sync_to_async(raw_save, thread_sensitive=False)()

        answer, _ = await asyncio.gather(push.await_change(demo.pk, cursor, push.MAX_WAIT_SECONDS),
                                         save_once_parked())
        return cursor, answer

    cursor, answer = async_to_sync(scenario)()
    assert answer == (cursor + 1, True)  # woken by the hub's read, not the 25 s timeout


def test_each_wait_is_held_a_random_80_to_100_percent_of_it(monkeypatch):
    """The kiosks one edit woke at once must not all time out at once 25 s later (and every
    25 s after): each wait is shortened by a random share of up to WAIT_SPREAD."""
    held = []

    class Hub:
        async def wait(self, site_id, since, read, timeout, fresh=True):
            held.append(timeout)
            return since

    monkeypatch.setattr(push, "_hub", Hub)
    monkeypatch.setattr(push, "recent_cursor", lambda site_id: 7)
    monkeypatch.setattr(push, "random", random.Random(2026))
    answers = [async_to_sync(push.await_change)(1, 7, 20.0) for _ in range(200)]
    assert answers == [(7, False)] * 200
    assert all((1 - push.WAIT_SPREAD) * 20.0 <= t <= 20.0 for t in held)
    # Spread over the whole range, not one value (seeded: the same draws every run).
    assert min(held) < 16.5 and max(held) > 19.5 and len(set(held)) == 200
    # Capped first, then spread: never more than MAX_WAIT_SECONDS.
    held.clear()
    async_to_sync(push.await_change)(1, 7, 3600.0)
    assert (1 - push.WAIT_SPREAD) * push.MAX_WAIT_SECONDS <= held[0] <= push.MAX_WAIT_SECONDS
