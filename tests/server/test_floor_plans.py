"""Floor plans as content: the delta carries them before the services that name them (their
image inside, never as an `asset` item); the back-office checks uploads and landmarks, keeps
each editor to their own site's plans."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.server.test_assets import png
from tests.server.test_site_permissions import login, make_agent, service_form
from tests.server.test_situations_places import translations

pytestmark = pytest.mark.django_db

WIDE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 400" width="800" '
            b'height="400"><rect width="800" height="400" fill="#f7f5f0"/>'
            b'<rect x="20" y="20" width="300" height="200" fill="#e6ecf4"/></svg>')
HOTSPOTS = [{"id": "accueil", "x": 0.25, "y": 0.5, "label": {"fr": "Accueil", "en": "Reception"}}]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def paris20(demo):
    from kiosk.server.content.models import Pole, Service, Site

    site = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    pole = Pole.objects.create(site=site, slug="citoyennete", color="#1E56A0",
                               pictogram="mairie", name={"fr": "Citoyenneté"})
    Service.objects.create(site=site, pole=pole, slug="passeport", prefix="P",
                           pictogram="passeport", name={"fr": "Passeport du 20e"})
    return site


def plan_form(site, slug="rdc-bis", upload=None, hotspots=HOTSPOTS, **overrides) -> dict:
    form = {"site": site.pk, "slug": slug, "order": 3, "published": "on",
            **translations("name", {"fr": "Rez-de-chaussée bis"}),
            "hotspots": json.dumps(hotspots, ensure_ascii=False), "_save": "Enregistrer"}
    if upload is not None:
        form["upload"] = SimpleUploadedFile(*upload)
    form.update(overrides)
    return form


def errors(response) -> str:
    assert response.status_code == 200, response.status_code  # the form again, with errors
    return " ".join(str(e) for e in response.context["adminform"].form.errors.values())


def test_the_full_snapshot_lists_plans_before_services_with_their_image(api, demo):
    from kiosk.server.content.models import FloorPlan

    body = api.get("/content").json()
    kinds = [item["kind"] for item in body["items"]]
    assert kinds.index("plan") < kinds.index("service")
    assert max(i for i, k in enumerate(kinds) if k == "plan") < kinds.index("service")
    plans = {i["data"]["id"]: i["data"] for i in body["items"] if i["kind"] == "plan"}
    assert set(plans) == {"rdc", "etage1", "quartier"}  # quartier: « Pendant l'attente »
    rdc = FloorPlan.objects.select_related("image").get(site=demo, slug="rdc")
    assert plans["rdc"]["image"] == {"sha256": rdc.image.sha256, "size": rdc.image.size,
                                     "type": "image/png"}
    assert [h["id"] for h in plans["rdc"]["hotspots"]][:2] == ["accueil", "ascenseur"]
    # The image is not an `asset` item (older kiosks would reject the whole delta)...
    assert not [i for i in body["items"] if i["kind"] == "asset" and i["data"]["kind"] == "plan"]
    # ...but the kiosk fetches it by hash like any asset.
    blob = api.get(f"/assets/{rdc.image.sha256}")
    assert blob.status_code == 200 and blob["Content-Type"] == "image/png"


def test_a_new_image_changes_the_plan_for_the_kiosks_before_its_services(client, api, demo):
    from kiosk.server.content.models import FloorPlan, Service

    cursor = api.get("/content").json()["cursor"]
    plan = FloorPlan.objects.get(site=demo, slug="rdc")
    editor = login(client, make_agent("ed19", demo, "editor"))
    response = editor.post(f"/admin/content/floorplan/{plan.pk}/change/", plan_form(
        demo, slug="rdc", upload=("rdc.svg", WIDE_SVG), name_fr="Rez-de-chaussée"))
    assert response.status_code == 302, errors(response)
    service = Service.objects.get(site=demo, slug="naissance")
    assert editor.post(f"/admin/content/service/{service.pk}/change/",
                       service_form(service, plan_x=0.3)).status_code == 302
    body = api.get(f"/content?since={cursor}").json()
    kinds = [item["kind"] for item in body["items"]]
    assert kinds == ["plan", "service"]
    plan.refresh_from_db()
    assert body["items"][0]["data"]["image"]["sha256"] == plan.image.sha256
    assert plan.image.kind == "plan" and plan.image.slug == "plan-rdc"
    assert (plan.image.path.stat().st_size == plan.image.size)  # 1600 px wide, stored by hash
    assert body["deleted"] == []  # no noise about the image as an asset


def test_an_editor_adds_a_plan_with_landmarks(client, demo):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.models import FloorPlan

    editor = login(client, make_agent("ed19", demo, "editor"))
    response = editor.post("/admin/content/floorplan/add/",
                           plan_form(demo, upload=("plan.png", png(400, 250))))
    assert response.status_code == 302, errors(response)
    plan = FloorPlan.objects.get(site=demo, slug="rdc-bis")
    assert plan.hotspots == HOTSPOTS and plan.image.size > 0
    assert AuditEntry.objects.filter(model="content.floorplan", action="created").exists()
    page = editor.get(f"/admin/content/floorplan/{plan.pk}/change/").content.decode()
    assert "content/plan_editor.js" in page and 'data-mode="hotspots"' in page
    assert "<script>" not in page.replace('<script type="application/json"', "")  # CSP: files only
    image = editor.get(f"/admin/content/floorplan/{plan.pk}/image/")
    assert image.status_code == 200 and b"".join(image.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize(("hotspots", "message"), [
    ([{"id": "a", "x": 1.5, "y": 0.5, "label": {"fr": "A"}}], "hotspot x"),
    ([{"id": "a", "x": 0.5, "y": 0.5, "label": {"en": "Lift"}}], "French"),
    ([{"id": "a", "x": 0.1, "y": 0.1, "label": {"fr": "A"}},
      {"id": "a", "x": 0.2, "y": 0.2, "label": {"fr": "B"}}], "unique"),
])
def test_bad_landmarks_are_refused_in_the_form(client, demo, hotspots, message):
    from kiosk.server.content.models import FloorPlan

    editor = login(client, make_agent("ed19", demo, "editor"))
    response = editor.post("/admin/content/floorplan/add/", plan_form(demo, hotspots=hotspots))
    assert message in errors(response)
    assert not FloorPlan.objects.filter(slug="rdc-bis").exists()


def test_a_square_pictogram_rule_does_not_apply_but_plan_limits_do(client, demo):
    editor = login(client, make_agent("ed19", demo, "editor"))
    assert "200" in errors(editor.post("/admin/content/floorplan/add/",
                                       plan_form(demo, upload=("p.png", png(100, 64)))))
    assert "4 fois" in errors(editor.post("/admin/content/floorplan/add/",
                                          plan_form(demo, upload=("p.png", png(1000, 200)))))
    tall = WIDE_SVG.replace(b"<rect", b"<script>alert(1)</script><rect", 1)
    assert "script" in errors(editor.post("/admin/content/floorplan/add/",
                                          plan_form(demo, upload=("p.svg", tall))))


def test_a_service_names_a_plan_of_its_own_site(client, demo, paris20):
    from kiosk.server.content.models import FloorPlan, Service

    editor19 = login(client, make_agent("ed19", demo, "editor"))
    service = Service.objects.get(site=demo, slug="naissance")
    response = editor19.post(f"/admin/content/service/{service.pk}/change/",
                             service_form(service, plan="cave"))
    assert "cave" in errors(response)
    page = editor19.get(f"/admin/content/service/{service.pk}/change/").content.decode()
    assert 'data-mode="spot"' in page and "plan_editor.js" in page
    # An editor of the 20e: the 19e's plans are neither offered, nor accepted, nor visible.
    editor20 = make_agent("ed20", paris20, "editor")
    client.force_login(editor20)
    theirs = Service.objects.get(site=paris20, slug="passeport")
    page = client.get(f"/admin/content/service/{theirs.pk}/change/")
    assert "rdc" not in [c for c, _ in page.context["adminform"].form.fields["plan"].choices]
    response = client.post(f"/admin/content/service/{theirs.pk}/change/",
                           service_form(theirs, plan="rdc", plan_x=0.5, plan_y=0.5))
    assert response.status_code == 200 and "plan" in response.context["adminform"].form.errors
    assert Service.objects.get(pk=theirs.pk).plan == ""
    rdc = FloorPlan.objects.get(site=demo, slug="rdc")
    assert client.get(f"/admin/content/floorplan/{rdc.pk}/change/").status_code in (302, 403, 404)
    assert client.get(f"/admin/content/floorplan/{rdc.pk}/image/").status_code == 404
    response = client.post(f"/admin/content/floorplan/{rdc.pk}/change/",
                           plan_form(demo, slug="rdc", hotspots=[]))
    assert response.status_code in (302, 403, 404)
    assert FloorPlan.objects.get(pk=rdc.pk).hotspots != []
    # Nor can they create one in the 19e by forging the site.
    response = client.post("/admin/content/floorplan/add/", plan_form(demo, slug="x"))
    assert "site" in response.context["adminform"].form.errors
    assert not FloorPlan.objects.filter(slug="x").exists()


def test_a_legacy_bundled_plan_stays_accepted_while_unchanged(client, demo):
    from kiosk.server.content.models import FloorPlan, Service

    FloorPlan.objects.filter(site=demo, slug="etage1").delete()  # never uploaded here
    service = Service.objects.get(site=demo, slug="relais-familles")
    assert service.plan == "etage1"
    editor = login(client, make_agent("ed19", demo, "editor"))
    response = editor.post(f"/admin/content/service/{service.pk}/change/",
                           service_form(service, plan_x=0.2))
    assert response.status_code == 302, errors(response)
    assert Service.objects.get(pk=service.pk).plan == "etage1"


def test_renaming_a_plan_follows_in_its_services(demo):
    from kiosk.server.content.actions import do_rename_slug
    from kiosk.server.content.models import FloorPlan, Service

    do_rename_slug(FloorPlan.objects.get(site=demo, slug="etage1"), "premier")
    assert set(Service.objects.filter(site=demo, plan="premier").values_list("slug", flat=True)) \
        >= {"relais-familles", "logement-social"}
    assert not Service.objects.filter(site=demo, plan="etage1").exists()
