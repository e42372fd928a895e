"""The content long-poll's `changed` answer carries the delta itself when it is small: exactly
what GET /content?since= answers, from the same per-worker cache (docs/protocol.md, Push)."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading

import pytest
from asgiref.sync import async_to_sync

from kiosk.server.content import delta_cache, push
from tests.server.test_content_push import _fresh_push_cache, cursor_of  # noqa: F401  (fixture)


def edit(site, slug: str, close: str) -> None:
    from kiosk.server.content.models import Service

    service = Service.objects.get(site=site, slug=slug)
    service.hours = [{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": close}]
    service.save()


def hours(delta: dict, slug: str) -> list:
    return [i["data"]["hours"] for i in delta["items"]
            if i["kind"] == "service" and i["data"]["id"] == slug]


def kiosk_api(client, site):
    from kiosk.server.devices.models import Kiosk

    _, token = Kiosk.objects.register(site, f"Borne {site.slug}")
    headers = {"Authorization": f"Bearer {token}"}
    return lambda path, **extra: client.get(f"/api/v1{path}", headers={**headers, **extra})


@pytest.mark.django_db
def test_the_answer_carries_exactly_the_delta_get_content_answers(api, demo):
    before = cursor_of(api)
    edit(demo, "naissance", "16:45")
    after = cursor_of(api)
    answer = api.get(f"/content/changes?since={before}&wait=20").json()
    fetched = api.get(f"/content?since={before}")
    assert answer["changed"] is True and answer["cursor"] == str(after)
    assert answer["delta"] == fetched.json()
    assert answer["delta"]["cursor"] == str(after) and not answer["delta"]["full"]
    assert hours(answer["delta"], "naissance") == [
        [{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "16:45"}]]
    assert answer["etag"] == fetched["ETag"]  # what the kiosk sends back as If-None-Match


@pytest.mark.django_db
def test_gzipped_for_a_kiosk_that_accepts_it(api, demo):
    before = cursor_of(api)
    edit(demo, "naissance", "16:45")
    plain = api.get(f"/content/changes?since={before}&wait=20")
    zipped = api.get(f"/content/changes?since={before}&wait=20",
                     headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain.content)
    assert json.loads(gzip.decompress(zipped.content)) == plain.json()
    assert "ETag" not in zipped and "ETag" not in plain  # the long-poll's own answer has none


@pytest.mark.django_db
def test_over_the_size_cap_the_answer_says_changed_only(api, demo, monkeypatch):
    before = cursor_of(api)
    edit(demo, "naissance", "16:45")
    after = cursor_of(api)
    size = len(api.get(f"/content?since={before}").content)
    monkeypatch.setattr(delta_cache, "EMBED_MAX_BYTES", size - 1)
    assert api.get(f"/content/changes?since={before}&wait=20").json() == {
        "cursor": str(after), "changed": True}
    monkeypatch.setattr(delta_cache, "EMBED_MAX_BYTES", size)
    delta_cache.ANSWERS.clear()  # the "too big" verdict is kept per cursor
    assert "delta" in api.get(f"/content/changes?since={before}&wait=20").json()


@pytest.mark.django_db
def test_nothing_changed_carries_nothing(api, demo):
    cursor = cursor_of(api)
    assert api.get(f"/content/changes?since={cursor}&wait=0").json() == {
        "cursor": str(cursor), "changed": False}


@pytest.mark.django_db
def test_a_cursor_the_server_does_not_know_gets_the_full_snapshot_get_content_gives(
        api, demo, monkeypatch):
    cursor = cursor_of(api)
    fetched = api.get(f"/content?since={cursor + 100}").json()
    monkeypatch.setattr(delta_cache, "EMBED_MAX_BYTES", 10 * len(json.dumps(fetched)))
    answer = api.get(f"/content/changes?since={cursor + 100}&wait=20").json()
    assert answer["delta"] == fetched and fetched["full"] is True


@pytest.mark.django_db
def test_a_paged_delta_is_carried_with_more_and_no_etag(api, demo, settings):
    before = cursor_of(api)
    edit(demo, "naissance", "16:45")
    edit(demo, "naissance", "16:50")
    settings.CONTENT_DELTA_PAGE = 1
    answer = api.get(f"/content/changes?since={before}&wait=20").json()
    assert answer["delta"]["more"] is True and answer["etag"] is None
    assert int(answer["delta"]["cursor"]) < int(answer["cursor"])  # the kiosk holds the delta's
    assert answer["delta"] == api.get(f"/content?since={before}").json()


@pytest.mark.django_db
def test_each_site_gets_its_own_delta_even_at_the_same_cursors(client, demo, paris18):
    """Two sites at the same cursor numbers, both with a service `naissance`: the answer
    (and the cache behind it) is per site."""
    from kiosk.server.content.services import current_cursor

    edit(demo, "naissance", "16:19")
    for _ in range(500):  # bring both sites to the same cursor, each last edit its own
        a, b = current_cursor(demo), current_cursor(paris18)
        if a == b:
            break
        edit(*((demo, "naissance", "16:19") if a < b else (paris18, "naissance", "17:18")))
    cursor = current_cursor(demo)
    assert cursor == current_cursor(paris18)
    kiosk19, kiosk18 = kiosk_api(client, demo), kiosk_api(client, paris18)
    first = kiosk19(f"/content/changes?since={cursor - 1}&wait=20").json()
    other = kiosk18(f"/content/changes?since={cursor - 1}&wait=20").json()
    assert hours(first["delta"], "naissance")[0][0]["close"] == "16:19"
    assert hours(other["delta"], "naissance")[0][0]["close"] == "17:18"
    assert "ecrivain-public-18" not in json.dumps(first)
    # A kiosk of the 18e whose cursor is current waits: a 19e edit does not wake it.
    edit(demo, "naissance", "16:20")
    assert kiosk18(f"/content/changes?since={cursor}&wait=0.3").json() == {
        "cursor": str(cursor), "changed": False}


@pytest.mark.django_db
def test_many_kiosks_of_a_site_cost_one_build(api, demo, monkeypatch):
    from kiosk.server.api import views

    before = cursor_of(api)
    edit(demo, "naissance", "16:45")
    builds = []
    real = views.content_delta
    monkeypatch.setattr(views, "content_delta",
                        lambda site, since: builds.append(since) or real(site, since))
    answers = {api.get(f"/content/changes?since={before}&wait=20").content for _ in range(5)}
    fetched = api.get(f"/content?since={before}")  # the same cache as the long-poll's
    assert builds == [before] and len(answers) == 1
    assert json.loads(answers.pop())["delta"] == fetched.json()


@pytest.mark.django_db
def test_concurrent_waiters_await_one_build():
    """Woken together, the waiters of one key share the first one's build (the long-poll's
    threads are few); one that goes away does not cancel it for the others."""
    calls, started, release = [], threading.Event(), threading.Event()

    def build():
        calls.append(1)
        started.set()
        assert release.wait(60)
        return object()

    async def waiters():
        tasks = [asyncio.ensure_future(push.build_once(("k",), build)) for _ in range(20)]
        # The build running in its thread (an event, not a pause), then a kiosk hangs up.
        assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 60)
        tasks[0].cancel()
        await asyncio.wait([tasks[0]])
        release.set()
        return await asyncio.gather(*tasks[1:]), tasks[0]

    results, hung_up = async_to_sync(waiters)()
    assert len(calls) == 1 and hung_up.cancelled()
    assert len({id(r) for r in results}) == 1
    assert push._building == {}  # nothing kept once built (the cache keeps the answer)


@pytest.mark.django_db
def test_a_failed_build_still_answers_changed(api, demo, monkeypatch, caplog):
    from kiosk.server.api import views

    before = cursor_of(api)

    def broken(site, since):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "content_delta", broken)
    with caplog.at_level("ERROR"):
        answer = api.get(f"/content/changes?since={before - 1}&wait=20").json()
    assert answer == {"cursor": str(before), "changed": True}
    assert "building the embedded delta failed" in caplog.text


@pytest.mark.django_db
def test_the_openapi_documents_the_delta(client):
    schema = client.get("/api/v1/openapi.json").json()
    changes = schema["components"]["schemas"]["ContentChangesOut"]
    assert set(changes["required"]) == {"cursor", "changed"}  # both new fields optional
    assert "ContentOut" in json.dumps(changes["properties"]["delta"])
    assert "etag" in changes["properties"]
