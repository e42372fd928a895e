"""The content answers are built once per worker for all the kiosks of a site."""

from __future__ import annotations

import gzip
import json

import pytest

from kiosk.server.content import delta_cache
from kiosk.server.content.delta_cache import Answer, AnswerCache


def answer(size: int) -> Answer:
    return Answer(body=b"x" * size, gzipped=None, etag=None, content_type="application/json")


def test_bounded_in_bytes_oldest_out_first():
    cache = AnswerCache(max_bytes=100)
    for key in range(4):
        cache.put((key,), answer(30))
    assert cache.get((0,)) is None and cache.get((3,)) is not None
    cache.put(("big",), answer(101))  # larger than the whole cache: never kept
    assert cache.get(("big",)) is None and cache.get((3,)) is not None


def test_answers_expire():
    now = [0.0]
    cache = AnswerCache(ttl=60, clock=lambda: now[0])
    cache.put(("k",), answer(1))
    now[0] = 59.0
    assert cache.get(("k",)) is not None
    now[0] = 61.0
    assert cache.get(("k",)) is None


def test_a_since_outside_the_cursor_is_one_full_snapshot_key():
    assert delta_cache.key_for(1, None, 9) == delta_cache.key_for(1, 0, 9) \
        == delta_cache.key_for(1, 12, 9) == (1, None, 9)
    assert delta_cache.key_for(1, 5, 9) == (1, 5, 9)


@pytest.mark.django_db
def test_many_kiosks_one_build_and_an_edit_is_never_answered_from_memory(api, demo, monkeypatch):
    from kiosk.server.api import views
    from kiosk.server.content.models import Service

    builds = []
    real = views.content_delta
    monkeypatch.setattr(views, "content_delta", lambda site, since: builds.append(since) or real(site, since))
    first = api.get("/content")
    cursor = int(first.json()["cursor"])
    for _ in range(5):
        again = api.get("/content", HTTP_ACCEPT_ENCODING="gzip")
        assert again.status_code == 200 and again["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(again.content)) == first.json()
        assert again["ETag"] == first["ETag"]
    assert len(builds) == 1
    service = Service.objects.filter(site=demo).first()
    service.name = {**service.name, "fr": "Nom changé"}
    service.save()
    changed = api.get(f"/content?since={cursor}")
    assert int(changed.json()["cursor"]) > cursor
    assert any(item["data"].get("name", {}).get("fr") == "Nom changé"
               for item in changed.json()["items"])
    assert len(builds) == 2
