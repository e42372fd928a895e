"""Offers and information pages on the server: the delta kiosks pull, publishing, the
back-office, the demo content."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kiosk.domain.content import parse_item
from tests.conftest import demo_data
from tests.server.test_situations_places import delta, editor, items, translations  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_full_snapshot_carries_the_carte_page_and_the_offers(api, demo):
    body = api.get("/content").json()
    assert set(items(body, "page")) == {"carte-citoyenne"}
    assert set(items(body, "offer")) == {o["id"] for o in demo_data()["offers"]}
    for item in body["items"]:
        parse_item(item["kind"], item["data"])


def test_unpublishing_an_offer_removes_it_from_the_kiosks(api, demo):
    from kiosk.server.content.models import Offer

    cursor = api.get("/content").json()["cursor"]
    offer = Offer.objects.get(site=demo, slug="troc-livres")
    offer.published = False
    offer.save()
    body = delta(api, cursor)
    assert body["items"] == []
    assert body["deleted"] == [{"kind": "offer", "id": "troc-livres"}]
    assert "troc-livres" not in items(api.get("/content").json(), "offer")
    offer.published = True
    offer.save()
    again = delta(api, body["cursor"])
    assert set(items(again, "offer")) == {"troc-livres"}


def test_a_new_dated_offer_reaches_the_kiosks_in_wire_form(api, demo):
    from kiosk.server.content.models import Offer

    cursor = api.get("/content").json()["cursor"]
    offer = Offer(site=demo, slug="vide-grenier", source="local", category="swap",
                  pictogram="offer-swap", title={"fr": "Vide-grenier"},
                  starts=dt.date(2026, 12, 13), ends=dt.date(2026, 12, 13),
                  time=dt.time(9), end_time=dt.time(17, 30), where="Rue de Meaux")
    offer.full_clean()
    offer.save()
    data = items(delta(api, cursor), "offer")["vide-grenier"]
    assert (data["starts"], data["ends"], data["time"], data["end_time"]) == (
        "2026-12-13", "2026-12-13", "09:00", "17:30")
    assert parse_item("offer", data).happens_on(dt.date(2026, 12, 13))


@pytest.mark.parametrize("field, value", [
    ("ends", dt.date(2026, 1, 1)),  # before it starts
    ("weekdays", [9]),
    ("link", "http://insecure.example"),
    ("audio", {"wo": "../secret.wav"}),
    ("interests", ["musique"]),  # not one of the kiosk's envies (INTERESTS)
    ("interests", ["nature", "nature"]),
])
def test_a_bad_offer_is_refused_on_save(demo, field, value):
    from kiosk.server.content.models import Offer

    offer = Offer(site=demo, slug="x", pictogram="quartier", title={"fr": "X"},
                  starts=dt.date(2026, 6, 1))
    setattr(offer, field, value)
    with pytest.raises(ValidationError):
        offer.full_clean()


def test_an_editor_adds_an_offer_in_the_back_office(api, editor, demo):  # noqa: F811
    cursor = api.get("/content").json()["cursor"]
    form = {
        "site": demo.pk, "slug": "chorale", "source": "local", "category": "culture",
        "published": "on", "order": 20, "pictogram": "offer-event",
        **translations("title", {"fr": "Chorale du quartier", "ar": "جوقة الحي"}),
        **translations("summary", {}),
        "starts": "", "ends": "", "weekdays": "[1]", "time": "19:00", "end_time": "21:00",
        "where": "Conservatoire", "walking_minutes": "7", "age_min": "7", "age_max": "",
        "capacity": "", "link": "", "interests": ["culture", "enfants"], "audio": "{}",
    }
    response = editor.post("/admin/content/offer/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    data = items(delta(api, cursor), "offer")["chorale"]
    assert data["title"] == {"fr": "Chorale du quartier", "ar": "جوقة الحي"}
    assert data["weekdays"] == [1] and data["time"] == "19:00"
    assert data["interests"] == ["culture", "enfants"]  # ticked in the back-office
    page = editor.get("/admin/content/offer/add/").content.decode()
    assert 'type="checkbox" name="interests" value="nature"' in page and "Nature et jardin" in page
    for path in ("/admin/content/offer/", "/admin/content/infopage/",
                 "/admin/content/infopage/add/"):
        assert editor.get(path).status_code == 200, path


def test_load_demo_twice_leaves_offers_untouched(demo):
    from kiosk.server.content.management.commands.load_demo import load
    from kiosk.server.content.models import ContentChange

    before = ContentChange.objects.count()
    summary = load(demo_data())
    assert summary["offers"] == len(demo_data()["offers"]) and summary["pages"] == 1
    assert ContentChange.objects.count() == before
