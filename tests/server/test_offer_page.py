"""The phone page of an offer (the kiosk's QR code) and the Carte Citoyenne page."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.content import Offer as OfferItem
from kiosk.server.web.offer_page import when_text
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


def demo_offer(source="carte", **match) -> dict:
    return next(o for o in demo_data()["offers"] if o["source"] == source
                and all(o.get(k) == v for k, v in match.items()))


def item(**fields) -> OfferItem:
    return OfferItem.from_wire({"id": "x", "pictogram": "x", "title": {"fr": "X"}, **fields})


def make_offer(site, slug, **fields):
    from kiosk.server.content.models import Offer

    defaults = {"pictogram": "x", "title": {"fr": slug}, "source": "local"}
    return Offer.objects.create(site=site, slug=slug, **{**defaults, **fields})


# -- the "when" wording --------------------------------------------------------------------

def test_when_a_weekly_offer():
    thursday = item(weekdays=[3], time="18:30", end_time="20:00")
    assert when_text(thursday, "fr") == "Chaque jeudi, 18:30–20:00"
    assert when_text(thursday, "en") == "Every Thursday, 18:30–20:00"
    assert when_text(item(weekdays=[0, 2, 4]), "fr") == "Chaque lundi, mercredi, vendredi"
    # Wolof: the kiosk's own Wolof words (kiosk catalogs), never the French.
    assert when_text(thursday, "wo") == "Bés bu nekk alxamis, 18:30–20:00"
    # Arabic: the hours stay in reading order inside right-to-left text.
    assert "\u206618:30–20:00\u2069" in when_text(thursday, "ar")


def test_when_a_single_day():
    day = item(starts="2025-12-12", ends="2025-12-12", time="18:00")
    assert when_text(day, "fr") == "Le 12/12, 18:00"
    assert when_text(item(starts="2025-12-12", ends="2025-12-12"), "en") == "On 12 December"


def test_when_a_range_of_days():
    assert when_text(item(starts="2025-12-01", ends="2025-12-15"), "fr") == "Du 01/12 au 15/12"
    assert when_text(item(starts="2025-12-01"), "fr") == "À partir du 01/12"
    assert when_text(item(ends="2025-12-15"), "fr") == "Jusqu'au 15/12"
    weekly = item(weekdays=[3], starts="2026-03-01", ends="2026-06-30")
    assert when_text(weekly, "fr") == "Chaque jeudi, du 01/03 au 30/06"


def test_when_an_ongoing_offer():
    assert when_text(item(), "fr") == "Toute l'année"
    assert when_text(item(), "zh") == "全年"


# -- the offer page ------------------------------------------------------------------------

def test_the_offer_page_in_french(client, demo):
    offer = demo_offer(id="visite-hotel-de-ville")
    response = client.get(f"/o/{offer['id']}?site=paris-19")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=60"
    page = response.content.decode()
    assert 'lang="fr"' in page and 'dir="ltr"' in page
    assert offer["title"]["fr"].replace("'", "&#x27;") in page
    assert offer["summary"]["fr"] in page
    assert "Avec la Carte Citoyenne" in page
    assert "Chaque samedi, 10:00–11:30" in page
    assert "Dès 7 ans" in page and "25 places" in page
    assert f'href="{offer["link"]}" rel="noopener noreferrer"' in page
    assert 'href="/carte?lang=fr&amp;site=paris-19"' in page  # how to get the card
    assert "csrfmiddlewaretoken" not in page  # no form, no login, no personal data


def test_a_local_offer_has_its_badge_ages_and_walk(client, demo):
    page = client.get("/o/amap-buttes").content.decode()
    assert "Proposé par des habitants" in page
    assert "3 min à pied de la mairie" in page
    assert "/carte?" not in page  # the card line is for Carte Citoyenne offers only
    story = client.get("/o/heure-du-conte").content.decode()
    assert "De 7 à 11 ans" in story


def test_the_offer_page_in_arabic_and_the_french_fallback(client, demo):
    offer = demo_offer(id="heure-du-conte")
    page = client.get(f"/o/{offer['id']}?lang=ar").content.decode()
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    assert offer["title"]["ar"] in page
    assert "مع بطاقة المواطنة" in page
    assert "9 دقائق سيرًا من البلدية" in page
    assert 'href="/carte?lang=ar&amp;site=paris-19"' in page  # its own site's Carte
    wo = client.get(f"/o/{offer['id']}?lang=wo").content.decode()
    assert 'lang="wo"' in wo and 'dir="ltr"' in wo
    title = offer["title"].get("wo") or offer["title"]["fr"]
    assert title.replace("'", "&#x27;") in wo
    if not offer["title"].get("wo"):  # the French fallback says it is French
        assert f'<span lang="fr" dir="ltr">{title}'.replace("'", "&#x27;") in wo
    # The page's own words in Wolof (draft catalog), never the French ones.
    assert "Ak Carte Citoyenne bi" in wo and "Avec la Carte Citoyenne" not in wo
    assert "Chaque mercredi" not in wo and "15:00–16:00" in wo


def test_the_site_parameter_chooses_and_is_kept_in_links(client, demo):
    page = client.get("/o/heure-du-conte?lang=en&site=paris-19").content.decode()
    assert "Every Wednesday" in page
    assert 'href="/carte?lang=en&amp;site=paris-19"' in page
    assert client.get("/o/heure-du-conte?site=paris-20").status_code == 404


def test_unknown_and_unpublished_offers_are_404(client, demo):
    from kiosk.server.content.models import Offer

    assert client.get("/o/inconnue").status_code == 404
    Offer.objects.filter(slug="amap-buttes").update(published=False)
    assert client.get("/o/amap-buttes").status_code == 404


def test_the_title_is_escaped(client, demo):
    make_offer(demo, "piege", title={"fr": "<script>alert(1)</script>"},
               summary={"fr": "<b>gras</b>"})
    page = client.get("/o/piege").content.decode()
    assert "<script>alert" not in page and "<b>gras" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# -- the Carte Citoyenne page --------------------------------------------------------------

def test_the_carte_page_lists_current_carte_offers_only(client, demo):
    today = dt.date.today()
    make_offer(demo, "ancienne", source="carte", title={"fr": "Offre terminée"},
               starts=today - dt.timedelta(days=10), ends=today - dt.timedelta(days=3))
    make_offer(demo, "cachee", source="carte", title={"fr": "Offre dépubliée"}, published=False)
    make_offer(demo, "bientot", source="carte", title={"fr": "Offre à venir"},
               starts=today + dt.timedelta(days=3), ends=today + dt.timedelta(days=3))
    response = client.get("/carte?site=paris-19")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=60"
    page = response.content.decode()
    carte = demo_data()["pages"][0]
    assert carte["title"]["fr"] in page and carte["link_label"]["fr"] in page
    for paragraph in carte["body"]:
        assert paragraph["fr"].replace("'", "&#x27;") in page
    for offer in demo_data()["offers"]:
        listed = f'href="/o/{offer["id"]}?lang=fr&amp;site=paris-19"' in page
        assert listed == (offer["source"] == "carte"), offer["id"]
    assert "Offre à venir" in page and 'href="/o/bientot?lang=fr&amp;site=paris-19"' in page
    assert "Offre terminée" not in page and "Offre dépubliée" not in page


def test_the_carte_page_in_arabic(client, demo):
    page = client.get("/carte?lang=ar&site=paris-19").content.decode()
    assert 'dir="rtl"' in page and demo_data()["pages"][0]["title"]["ar"] in page
    assert 'href="/o/heure-du-conte?lang=ar&amp;site=paris-19"' in page
    assert client.get("/carte?site=paris-20").status_code == 404
