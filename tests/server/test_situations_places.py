"""Life situations, nearby places and the plan spot: models, change log, delta, admin, demo."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from kiosk.domain.content import parse_item
from tests.conftest import DEMO_FILE, demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def items(body, kind):
    return {i["data"]["id"]: i["data"] for i in body["items"] if i["kind"] == kind}


def delta(api, cursor):
    response = api.get(f"/content?since={cursor}")
    assert response.status_code == 200
    return response.json()


# -- the demo content --------------------------------------------------------------------


def test_the_full_snapshot_carries_situations_and_places(api, demo):
    body = api.get("/content").json()
    data = demo_data()
    assert set(items(body, "situation")) == {s["id"] for s in data["situations"]}
    assert set(items(body, "place")) == {p["id"] for p in data["places"]}
    for item in body["items"]:
        parse_item(item["kind"], item["data"])  # what the kiosk will do


def test_every_situation_names_existing_services_in_order(api, demo):
    body = api.get("/content").json()
    services = set(items(body, "service"))
    for sid, situation in items(body, "situation").items():
        assert situation["services"], sid
        assert set(situation["services"]) <= services, sid
    expected = {s["id"]: s["services"] for s in demo_data()["situations"]}
    assert {k: v["services"] for k, v in items(body, "situation").items()} == expected


def test_the_demo_covers_the_life_situations_of_the_design(demo):
    from kiosk.server.content.models import Situation

    services = {s.slug: s.services for s in Situation.objects.filter(site=demo)}
    named = {sid: set(v) for sid, v in services.items()}
    assert len(services) >= 7
    for must in ({"naissance"}, {"deces"}, {"listes-electorales"}, {"mariage-pacs"},
                 {"logement-social", "conseil-habitat"}, {"action-sociale"},
                 {"recensement", "listes-electorales"}):
        assert any(must <= v for v in named.values()), must
    for situation in Situation.objects.filter(site=demo):
        for lang in ("fr", "en", "ar", "zh", "wo", "bm"):
            assert situation.name.get(lang), (situation.slug, lang)
        for lang in ("fr", "en", "ar", "zh"):
            assert situation.summary.get(lang), (situation.slug, lang)
        assert situation.documents


def test_every_demo_service_has_a_spot_on_a_plan_and_every_pictogram_exists(demo):
    from django.conf import settings

    from kiosk.server.content.models import NearbyPlace, Service, Situation

    plans = settings.PROJECT_DIR / "assets" / "plans" / "src"
    pictograms = settings.PROJECT_DIR / "assets" / "pictograms" / "src"
    for service in Service.objects.filter(site=demo):
        assert (plans / f"{service.plan}.svg").is_file(), service.slug
        assert 0 <= service.plan_x <= 1 and 0 <= service.plan_y <= 1
        # Ground floor ("Rez-de-chaussée") or first floor ("1er étage"), as the place says.
        expected = "rdc" if service.place["fr"].startswith("Rez-de-chaussée") else "etage1"
        assert service.plan == expected, service.slug
    for model in (Situation, NearbyPlace):
        for obj in model.objects.filter(site=demo):
            assert (pictograms / f"{obj.pictogram}.svg").is_file(), obj.pictogram


def test_the_places_are_near_with_walking_times(demo):
    from kiosk.server.content.models import NearbyPlace

    places = list(NearbyPlace.objects.filter(site=demo))
    assert 6 <= len(places) <= 8
    parc = next(p for p in places if p.slug == "parc-buttes-chaumont")
    assert parc.walking_minutes <= 3 and parc.kind == "park"
    assert all(0 <= p.walking_minutes <= 60 for p in places)


def test_load_demo_twice_changes_nothing(demo):
    from kiosk.server.content.models import ContentChange, NearbyPlace, Situation

    before = (ContentChange.objects.count(),
              list(Situation.objects.order_by("pk").values()),
              list(NearbyPlace.objects.order_by("pk").values()))
    out = io.StringIO()
    call_command("load_demo", "--file", str(DEMO_FILE), stdout=out)
    data = demo_data()
    assert f"{len(data['situations'])} situations, {len(data['places'])} places" in out.getvalue()
    after = (ContentChange.objects.count(),
             list(Situation.objects.order_by("pk").values()),
             list(NearbyPlace.objects.order_by("pk").values()))
    assert after == before


def test_load_demo_applies_an_edited_situation_as_one_change(demo, tmp_path):
    from kiosk.server.content.models import ContentChange, Situation

    data = demo_data()
    data["situations"][0]["services"] = list(reversed(data["situations"][0]["services"]))
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = ContentChange.objects.count()
    call_command("load_demo", "--file", str(path), stdout=io.StringIO())
    assert ContentChange.objects.count() == before + 1
    last = ContentChange.objects.order_by("-seq").first()
    assert (last.kind, last.key) == ("situation", data["situations"][0]["id"])
    assert Situation.objects.get(slug=last.key).services == data["situations"][0]["services"]


# -- change log and delta -----------------------------------------------------------------


def test_a_new_situation_and_place_reach_the_kiosks(api, demo):
    from kiosk.server.content.models import NearbyPlace, Situation

    cursor = api.get("/content").json()["cursor"]
    Situation.objects.create(site=demo, slug="je-travaille", order=9, pictogram="help",
                             name={"fr": "Je cherche du travail"}, services=["action-sociale"])
    NearbyPlace.objects.create(site=demo, slug="square", order=9, kind="park",
                               pictogram="place-park", walking_minutes=4,
                               name={"fr": "Un square"})
    body = delta(api, cursor)
    assert [(i["kind"], i["data"]["id"]) for i in body["items"]] == [
        ("situation", "je-travaille"), ("place", "square")]
    assert body["deleted"] == []
    assert int(body["cursor"]) == int(cursor) + 2


def test_deletions_of_situations_and_places_reach_the_kiosks(api, demo):
    from kiosk.server.content.models import NearbyPlace, Situation

    cursor = api.get("/content").json()["cursor"]
    Situation.objects.get(site=demo, slug="demenagement").delete()
    NearbyPlace.objects.get(site=demo, slug="rosa-bonheur").delete()
    body = delta(api, cursor)
    assert body["items"] == []
    assert body["deleted"] == [{"kind": "situation", "id": "demenagement"},
                               {"kind": "place", "id": "rosa-bonheur"}]
    full = api.get("/content").json()
    assert "demenagement" not in items(full, "situation")
    assert "rosa-bonheur" not in items(full, "place")


def test_a_renamed_place_is_a_deletion_plus_a_new_item(api, demo):
    from kiosk.server.content.models import NearbyPlace

    cursor = api.get("/content").json()["cursor"]
    place = NearbyPlace.objects.get(site=demo, slug="rosa-bonheur")
    place.slug = "guinguette"
    place.save()
    body = delta(api, cursor)
    assert body["deleted"] == [{"kind": "place", "id": "rosa-bonheur"}]
    assert list(items(body, "place")) == ["guinguette"]


def test_a_plan_spot_change_reaches_the_kiosks(api, demo):
    from kiosk.server.content.models import Service

    cursor = api.get("/content").json()["cursor"]
    service = Service.objects.get(site=demo, slug="naissance")
    service.plan_x, service.plan_y = 0.3, 0.4
    service.save()
    body = delta(api, cursor)
    data = items(body, "service")["naissance"]
    assert (data["plan"], data["plan_x"], data["plan_y"]) == ("rdc", 0.3, 0.4)


def test_deleting_a_service_drops_it_from_the_situations(api, demo):
    from kiosk.server.content.actions import do_delete_content
    from kiosk.server.content.models import Service, Situation

    cursor = api.get("/content").json()["cursor"]
    do_delete_content(Service.objects.get(site=demo, slug="relais-familles"))
    body = delta(api, cursor)
    assert {"kind": "service", "id": "relais-familles"} in body["deleted"]
    changed = items(body, "situation")
    assert set(changed) == {"naissance-enfant", "besoin-aide"}
    assert changed["naissance-enfant"]["services"] == ["naissance", "inscriptions-scolaires"]
    for situation in Situation.objects.filter(site=demo):
        assert "relais-familles" not in situation.services


# -- validation -------------------------------------------------------------------------


def test_a_situation_naming_an_unknown_service_is_refused(demo):
    from kiosk.server.content.models import Situation

    situation = Situation(site=demo, slug="x", pictogram="help", name={"fr": "X"},
                          services=["naissance", "service-fantome"])
    with pytest.raises(ValidationError, match="service-fantome"):
        situation.full_clean()


def test_a_situation_cannot_name_a_service_of_another_site(demo):
    from kiosk.server.content.models import Pole, Service, Site, Situation

    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    pole = Pole.objects.create(site=other, slug="p", color="#000000", pictogram="mairie",
                               name={"fr": "P"})
    Service.objects.create(site=other, pole=pole, slug="seulement-20e", prefix="Z",
                           pictogram="mairie", name={"fr": "S"})
    situation = Situation(site=demo, slug="x", pictogram="help", name={"fr": "X"},
                          services=["seulement-20e"])
    with pytest.raises(ValidationError, match="seulement-20e"):
        situation.full_clean()


@pytest.mark.parametrize("over", [{"kind": "zoo"}, {"walking_minutes": 61},
                                  {"name": {"en": "no French"}}])
def test_a_bad_place_is_refused(demo, over):
    from kiosk.server.content.models import NearbyPlace

    fields = {"slug": "x", "pictogram": "place-park", "name": {"fr": "X"}, "kind": "park",
              "walking_minutes": 5, **over}
    with pytest.raises(ValidationError):
        NearbyPlace(site=demo, **fields).full_clean()


@pytest.mark.parametrize("spot", [{"plan": "rdc", "plan_x": 0.5, "plan_y": None},
                                  {"plan": "", "plan_x": 0.5, "plan_y": 0.5},
                                  {"plan": "rdc", "plan_x": 1.2, "plan_y": 0.5}])
def test_a_service_spot_needs_a_plan_and_both_coordinates(demo, spot):
    from kiosk.server.content.models import Service

    service = Service.objects.get(site=demo, slug="naissance")
    for key, value in spot.items():
        setattr(service, key, value)
    with pytest.raises(ValidationError):
        service.full_clean()


# -- the back-office --------------------------------------------------------------------


@pytest.fixture
def editor(client, demo):
    admin = next(a for a in demo_data()["agents"] if a.get("role") == "admin")
    assert client.login(username=admin["username"], password=admin["password"])
    return client


def translations(prefix: str, texts: dict) -> dict:
    return {f"{prefix}_{lang}": texts.get(lang, "") for lang in ("fr", "en", "ar", "zh", "wo", "bm")}


def test_an_admin_edit_of_a_situation_shows_up_in_the_next_delta(api, editor, demo):
    from kiosk.server.content.models import Situation

    situation = Situation.objects.get(site=demo, slug="demenagement")
    page = editor.get(f"/admin/content/situation/{situation.pk}/change/")
    assert page.status_code == 200
    assert "listes-electorales, inscriptions-scolaires, carte-citoyenne" in page.content.decode()
    cursor = api.get("/content").json()["cursor"]
    form = {
        "site": demo.pk, "slug": "demenagement", "published": "on", "order": 3,
        "pictogram": "situation-moving",
        **translations("name", {**situation.name, "fr": "Je change d’adresse"}),
        **translations("summary", situation.summary),
        "services": "carte-citoyenne, listes-electorales",
        "documents": json.dumps(situation.documents, ensure_ascii=False),
    }
    response = editor.post(f"/admin/content/situation/{situation.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    body = delta(api, cursor)
    data = items(body, "situation")["demenagement"]
    assert data["name"]["fr"] == "Je change d’adresse"
    assert data["services"] == ["carte-citoyenne", "listes-electorales"]


def test_the_admin_refuses_an_unknown_service_in_a_situation(editor, demo):
    from kiosk.server.content.models import ContentChange, Situation

    situation = Situation.objects.get(site=demo, slug="demenagement")
    before = ContentChange.objects.count()
    form = {
        "site": demo.pk, "slug": "demenagement", "published": "on", "order": 3,
        "pictogram": "situation-moving",
        **translations("name", situation.name), **translations("summary", situation.summary),
        "services": "listes-electorales, pas-un-service", "documents": "[]",
    }
    response = editor.post(f"/admin/content/situation/{situation.pk}/change/", form)
    assert response.status_code == 200
    assert "pas-un-service" in response.content.decode()
    assert ContentChange.objects.count() == before


def test_an_admin_adds_a_place(api, editor, demo):
    cursor = api.get("/content").json()["cursor"]
    form = {
        "site": demo.pk, "slug": "square-bolivar", "published": "on", "order": 8,
        "kind": "park",
        "address": "Avenue Simon-Bolivar", "walking_minutes": 6, "pictogram": "place-park",
        **translations("name", {"fr": "Square", "en": "Square"}), **translations("summary", {}),
    }
    response = editor.post("/admin/content/nearbyplace/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    body = delta(api, cursor)
    assert items(body, "place")["square-bolivar"]["walking_minutes"] == 6


def test_the_admin_pages_open(editor, demo):
    from kiosk.server.content.models import Service

    service = Service.objects.get(site=demo, slug="naissance")
    page = editor.get(f"/admin/content/service/{service.pk}/change/").content.decode()
    assert 'name="plan"' in page and 'name="plan_x"' in page and 'name="plan_y"' in page
    for path in ("/admin/content/situation/", "/admin/content/nearbyplace/",
                 "/admin/content/nearbyplace/add/", "/admin/content/situation/add/",
                 "/admin/assistance/assistancerequest/"):
        assert editor.get(path).status_code == 200, path
