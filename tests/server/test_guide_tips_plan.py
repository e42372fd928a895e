"""The guide du routard, whole (issue 14, deliverable 4): the seed's six life situations plus
death and moving, each with services, documents and tips edited as content (change log,
drafts, sync, preview, translations page); the nearby places as numbered spots on the
neighbourhood plan (a `plan` item, like the floor plans)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape

from kiosk.domain.content import TIP_MAX_CHARS, parse_item
from tests.conftest import demo_data
from tests.server.test_drafts_preview import editor19, preview_url  # noqa: F401
from tests.server.test_site_permissions import paris20  # noqa: F401

pytestmark = pytest.mark.django_db

LANGS = ("fr", "en", "ar", "zh", "wo", "bm")  # wo and bm: drafts, but there


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def items(body, kind):
    return {i["data"]["id"]: i["data"] for i in body["items"] if i["kind"] == kind}


def since(api, cursor):
    response = api.get(f"/content?since={cursor}")
    assert response.status_code == 200
    return response.json()


# -- the demo: the seed's situations, with tips ---------------------------------------------


def test_the_demo_has_the_seeds_situations_each_with_services_documents_and_tips(api, demo):
    situations = items(api.get("/content").json(), "situation")
    services = {s["id"] for s in demo_data()["services"]}
    # devenir majeur, se marier, avoir un enfant, rechercher un logement, faire des travaux
    # dans son habitat, être en situation de fragilité; plus death and moving.
    for slug, service in (("majorite", "recensement"), ("mariage-pacs", "mariage-pacs"),
                          ("naissance-enfant", "naissance"), ("logement", "logement-social"),
                          ("travaux-habitat", "conseil-habitat"), ("besoin-aide", "action-sociale"),
                          ("deces-proche", "deces"), ("demenagement", "listes-electorales")):
        data = situations[slug]
        assert service in data["services"] and set(data["services"]) <= services, slug
        assert data["documents"], slug
        item = parse_item("situation", data)  # what the kiosk does with it
        assert len(item.tips) >= 3, slug
        for tip in item.tips:
            assert all(tip.get(lang) for lang in LANGS), (slug, tip)
            assert all(len(text) <= TIP_MAX_CHARS for text in tip.values())


def test_the_new_situation_uses_the_documents_vocabulary(api, demo):
    from kiosk.domain.documents import DOCUMENTS

    stored = next(s for s in demo_data()["situations"] if s["id"] == "travaux-habitat")
    keys = [d["doc"] for d in stored["documents"] if "doc" in d]
    assert keys and all(k in DOCUMENTS for k in keys)
    data = items(api.get("/content").json(), "situation")["travaux-habitat"]
    item = parse_item("situation", data)  # the kiosk reads each line's key and pictogram
    assert [line.key for line in item.document_lines if line.key] == keys
    for lang in ("fr", "en", "ar", "zh", "wo", "bm"):
        assert data["name"][lang]
    tips = " ".join(t["fr"] for t in data["tips"])
    assert "ADIL 75" in tips  # the seed's Lab logement: free advice on works


# -- tips as content: change log, sync, drafts, checks ---------------------------------------


def test_an_edited_tip_is_one_change_that_reaches_the_kiosks(api, demo):
    from kiosk.server.content.models import ContentChange, Situation

    cursor = api.get("/content").json()["cursor"]
    situation = Situation.objects.get(site=demo, slug="mariage-pacs")
    tip = {"fr": "Venez le jeudi soir : ouvert jusqu'à 19 h 30.", "en": "Come on Thursday evening."}
    situation.tips = [tip, *situation.tips]
    situation.full_clean()
    situation.save()
    body = since(api, cursor)
    assert [(i["kind"], i["data"]["id"]) for i in body["items"]] == [("situation", "mariage-pacs")]
    assert body["items"][0]["data"]["tips"][0] == tip
    last = ContentChange.objects.order_by("-seq").first()
    assert (last.kind, last.key) == ("situation", "mariage-pacs")


def test_a_draft_situation_takes_its_tips_off_the_kiosks(api, demo):
    from kiosk.server.content.models import Situation

    cursor = api.get("/content").json()["cursor"]
    situation = Situation.objects.get(site=demo, slug="travaux-habitat")
    situation.published = False
    situation.save()
    body = since(api, cursor)
    assert {"kind": "situation", "id": "travaux-habitat"} in body["deleted"]
    assert "travaux-habitat" not in items(api.get("/content").json(), "situation")


@pytest.mark.parametrize("tips", [
    [{"en": "no French"}],
    [{"fr": "x" * (TIP_MAX_CHARS + 1)}],
    {"fr": "not a list"},
    [{"fr": f"tip {n}"} for n in range(13)],
])
def test_a_bad_tip_is_refused_by_the_back_office(demo, tips):
    from kiosk.server.content.models import Situation

    situation = Situation.objects.get(site=demo, slug="logement")
    situation.tips = tips
    with pytest.raises(ValidationError):
        situation.full_clean()


def test_the_translations_page_counts_the_tips(demo):
    from kiosk.server.content.models import Situation
    from kiosk.server.content.translations import completeness

    situation = Situation.objects.get(site=demo, slug="logement")
    missing = lambda report: [m for m in report.missing if m.field.startswith("tips")]  # noqa: E731
    before = {r.code: r for r in completeness(demo)}
    assert not missing(before["wo"]) and not missing(before["ar"])  # the demo's are in all six
    situation.tips = [*situation.tips, {"fr": "Une astuce de plus.", "ar": "نصيحة أخرى."}]
    situation.save()
    after = {r.code: r for r in completeness(demo)}
    assert not missing(after["ar"]) and len(missing(after["wo"])) == 1
    assert after["wo"].total == before["wo"].total + 1


def test_the_preview_shows_the_tips_in_french_and_arabic(client, demo, editor19):  # noqa: F811
    from kiosk.server.content.models import Situation

    situation = Situation.objects.get(site=demo, slug="travaux-habitat")
    situation.published = False  # a draft is previewed before any kiosk sees it
    situation.save()
    client.force_login(editor19)
    page = client.get(preview_url(situation)).content.decode()
    tips = page.split('data-testid="tips"')[1].split("</ul>")[0]
    assert "Bons plans et astuces" in page
    assert escape(situation.tips[0]["fr"]) in tips and tips.count("<li") == len(situation.tips)
    page = client.get(preview_url(situation, "ar")).content.decode()
    tips = page.split('data-testid="tips"')[1].split("</ul>")[0]
    assert escape(situation.tips[0]["ar"]) in tips and escape(situation.tips[0]["fr"]) not in tips


# -- the neighbourhood plan ------------------------------------------------------------------


def test_every_demo_place_has_a_spot_on_the_neighbourhood_plan(api, demo):
    body = api.get("/content").json()
    plan = items(body, "plan")["quartier"]
    assert plan["image"] is not None  # the demo loader uploads assets/plans/src/quartier.svg
    assert any(h["id"] == "mairie" for h in plan["hotspots"])  # « vous êtes ici »
    places = items(body, "place")
    spots = set()
    for pid, data in places.items():
        item = parse_item("place", data)
        assert item.plan == "quartier", pid
        spots.add((round(item.plan_x, 2), round(item.plan_y, 2)))
    assert len(spots) == len(places)  # no two places on the same spot


def test_a_place_spot_change_reaches_the_kiosks(api, demo):
    from kiosk.server.content.models import NearbyPlace

    cursor = api.get("/content").json()["cursor"]
    place = NearbyPlace.objects.get(site=demo, slug="rosa-bonheur")
    place.plan_x, place.plan_y = 0.4, 0.9
    place.full_clean()
    place.save()
    data = items(since(api, cursor), "place")["rosa-bonheur"]
    assert (data["plan"], data["plan_x"], data["plan_y"]) == ("quartier", 0.4, 0.9)


def test_a_place_spot_needs_a_plan_and_both_coordinates(demo):
    from kiosk.server.content.models import NearbyPlace

    place = NearbyPlace.objects.get(site=demo, slug="rosa-bonheur")
    place.plan = ""
    with pytest.raises(ValidationError):
        place.full_clean()  # coordinates without a plan
    place.plan, place.plan_x, place.plan_y = "quartier", 1.5, 0.2
    with pytest.raises(ValidationError):
        place.full_clean()


def test_the_place_form_picks_the_plan_of_its_own_site(client, demo, paris20, editor19):  # noqa: F811
    from kiosk.server.content.models import FloorPlan, NearbyPlace

    client.force_login(editor19)
    place = NearbyPlace.objects.get(site=demo, slug="rosa-bonheur")
    url = f"/admin/content/nearbyplace/{place.pk}/change/"
    page = client.get(url).content.decode()
    assert 'data-mode="spot"' in page and "Sur le plan du quartier" in page
    FloorPlan.objects.create(site=paris20, slug="ailleurs", name={"fr": "Ailleurs"})
    form = {k: v for k, v in {
        "site": demo.pk, "slug": place.slug, "published": "on", "order": place.order,
        "kind": place.kind, "pictogram": place.pictogram, "name_fr": place.name["fr"],
        "address": place.address, "walking_minutes": place.walking_minutes,
        "plan": "ailleurs", "plan_x": "0.5", "plan_y": "0.5"}.items()}
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with its error
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["plan"], errors
    place.refresh_from_db()
    assert place.plan == "quartier"
    form["plan"], form["plan_x"] = "quartier", "0.25"  # the same form, with the site's plan
    assert client.post(url, form).status_code == 302
    place.refresh_from_db()
    assert (place.plan, place.plan_x) == ("quartier", 0.25)


def test_the_place_preview_numbers_its_spot_as_the_kiosk_does(client, demo, editor19):  # noqa: F811
    from kiosk.domain.content import NearbyPlace as PlaceItem
    from kiosk.domain.content import neighbourhood_spots
    from kiosk.server.content.models import NearbyPlace

    client.force_login(editor19)
    places = [PlaceItem.from_wire(p.to_wire()) for p in NearbyPlace.objects.filter(site=demo)]
    _plan, spots = neighbourhood_spots(sorted(places, key=lambda p: (p.order, p.walking_minutes, p.id)))
    for number, item in spots:
        page = client.get(preview_url(NearbyPlace.objects.get(site=demo, slug=item.id))).content.decode()
        assert f'data-testid="place-number">{number}<' in page, item.id
        assert 'data-testid="place-spot"' in page
    place = NearbyPlace.objects.get(site=demo, slug="rosa-bonheur")
    place.plan, place.plan_x, place.plan_y = "", None, None
    place.save()
    page = client.get(preview_url(place)).content.decode()
    assert 'data-testid="place-spot"' not in page and 'data-testid="rows"' in page
