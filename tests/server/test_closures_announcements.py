"""Closures and announcements on the server: delta, validation, the phone's service page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kiosk.domain.content import parse_item
from tests.conftest import demo_data
from tests.server.test_situations_places import delta, items

pytestmark = pytest.mark.django_db


def test_the_snapshot_carries_closures_and_announcements(api, demo):
    body = api.get("/content").json()
    assert set(items(body, "closure")) == {c["id"] for c in demo_data()["closures"]}
    assert set(items(body, "announcement")) == {a["id"] for a in demo_data()["announcements"]}
    for kind in ("closure", "announcement"):
        for data in items(body, kind).values():
            parse_item(kind, data)


def test_an_urgent_announcement_reaches_the_kiosks_in_local_time(api, demo):
    from kiosk.server.content.models import Announcement

    cursor = api.get("/content").json()["cursor"]
    starts = timezone.make_aware(dt.datetime(2026, 12, 8, 13, 30))  # Paris wall clock
    item = Announcement(site=demo, slug="etat-civil-ferme", level="urgent",
                        message={"fr": "L'état civil ferme à 16:00 aujourd'hui."},
                        starts_at=starts, ends_at=starts + dt.timedelta(hours=3))
    item.full_clean()
    item.save()
    data = items(delta(api, cursor), "announcement")["etat-civil-ferme"]
    assert data["starts_at"] == "2026-12-08T13:30:00" and data["ends_at"] == "2026-12-08T16:30:00"
    assert data["level"] == "urgent" and data["text"]["fr"].startswith("L'état civil")


def test_bad_closures_and_announcements_are_refused(demo):
    from kiosk.server.content.models import Announcement, Closure

    closure = Closure(site=demo, slug="x", starts=dt.date(2026, 12, 25), ends=dt.date(2026, 12, 1))
    with pytest.raises(ValidationError):
        closure.full_clean()
    closure = Closure(site=demo, slug="y", starts=dt.date(2026, 12, 25),
                      hours=[{"open": "18:00", "close": "08:00"}])
    with pytest.raises(ValidationError):
        closure.full_clean()
    with pytest.raises(ValidationError):
        Announcement(site=demo, slug="z", message={"fr": "x" * 300}).full_clean()


def test_the_phone_service_page_lists_the_special_days_ahead(client, demo):
    from kiosk.server.content.models import Closure

    soon = timezone.localdate() + dt.timedelta(days=3)
    Closure.objects.create(site=demo, slug="formation", starts=soon,
                           reason={"fr": "Formation des agents", "en": "Staff training"})
    page = client.get("/s/naissance?lang=fr&site=paris-19").content.decode()
    assert "Jours particuliers à venir" in page
    assert f"{soon:%d/%m}" in page and "Formation des agents" in page
    english = client.get("/s/naissance?lang=en&site=paris-19").content.decode()
    assert "Special days ahead" in english and "Staff training" in english
    far = Closure.objects.get(slug="formation")
    far.starts = timezone.localdate() + dt.timedelta(days=40)
    far.save()
    assert "Formation des agents" not in client.get("/s/naissance?lang=fr&site=paris-19").content.decode()
