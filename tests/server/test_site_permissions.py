"""The back-office by site: an editor of the 19e sees and edits the 19e only (roles per site,
kiosk/server/content/admin.py SiteScopedAdmin)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

LANGS = ("fr", "en", "ar", "zh", "wo", "bm")


@pytest.fixture
def paris20(demo):
    """A second site with one pole and one service."""
    from kiosk.server.content.models import Pole, Service, Site

    site = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    pole = Pole.objects.create(site=site, slug="citoyennete", color="#1d4e89",
                               pictogram="pole-citizenship", name={"fr": "Citoyenneté"})
    Service.objects.create(site=site, pole=pole, slug="passeport", prefix="P",
                           pictogram="passport", name={"fr": "Passeport du 20e"})
    return site


def make_agent(username, site=None, role=None, *, staff=True, superuser=False):
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership

    user = get_user_model().objects.create_user(username, password="pw-" + username,
                                                is_staff=staff, is_superuser=superuser)
    if site is not None:
        SiteMembership.objects.create(user=user, site=site, role=role)
    return user


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def editor19(demo):
    return make_agent("editeur19", demo, "editor")


def service_form(service, **overrides) -> dict:
    """The back-office form of a service, as the browser posts it."""
    form = {
        "site": service.site_id, "pole": service.pole_id, "slug": service.slug,
        "order": service.order, "prefix": service.prefix, "pictogram": service.pictogram,
        "hours": json.dumps(service.hours), "documents": json.dumps(service.documents),
        "mean_service_minutes": service.mean_service_minutes, "plan": service.plan,
        "plan_x": "" if service.plan_x is None else service.plan_x,
        "plan_y": "" if service.plan_y is None else service.plan_y,
        "audio": json.dumps(service.audio),
    }
    if service.ticketing:
        form["ticketing"] = "on"
    if service.published:  # the « publié » checkbox, ticked
        form["published"] = "on"
    for field in ("name", "summary", "place"):
        form.update({f"{field}_{lang}": getattr(service, field).get(lang, "") for lang in LANGS})
    form.update(overrides)
    return form


def test_an_editor_sees_only_the_services_of_their_site(client, demo, paris20, editor19):
    from kiosk.server.content.models import Service

    page = login(client, editor19).get("/admin/content/service/")
    assert page.status_code == 200
    shown = {s.pk for s in page.context["cl"].result_list}
    assert shown == set(Service.objects.filter(site=demo).values_list("pk", flat=True))
    assert "Passeport du 20e" not in page.content.decode()
    assert "Mairie du 20e" not in page.content.decode()  # not even in the site filter


def test_an_editor_cannot_open_a_service_of_another_site(client, paris20, editor19):
    from kiosk.server.content.models import Service

    other = Service.objects.get(site=paris20)
    login(client, editor19)
    for path in (f"/admin/content/service/{other.pk}/change/",
                 f"/admin/content/service/{other.pk}/delete/",
                 f"/admin/content/service/{other.pk}/history/"):
        response = client.get(path)
        assert response.status_code in (302, 403, 404), path
        assert "Passeport du 20e" not in response.content.decode()


def test_an_editor_cannot_post_a_change_to_a_service_of_another_site(client, paris20, editor19):
    from kiosk.server.content.models import Service

    other = Service.objects.get(site=paris20)
    form = service_form(other, **{"name_fr": "Piraté", "mean_service_minutes": 99})
    response = login(client, editor19).post(f"/admin/content/service/{other.pk}/change/", form)
    assert response.status_code in (302, 403, 404)
    other.refresh_from_db()
    assert other.name["fr"] == "Passeport du 20e" and other.mean_service_minutes == 10.0
    response = client.post(f"/admin/content/service/{other.pk}/delete/", {"post": "yes"})
    assert response.status_code in (302, 403, 404)
    assert Service.objects.filter(pk=other.pk).exists()


def test_an_editor_cannot_move_a_service_to_another_site(client, demo, paris20, editor19):
    from kiosk.server.content.models import Pole, Service

    service = Service.objects.filter(site=demo).first()
    pole20 = Pole.objects.get(site=paris20)
    login(client, editor19)
    for overrides in ({"site": paris20.pk, "pole": pole20.pk}, {"site": paris20.pk},
                      {"pole": pole20.pk}):
        response = client.post(f"/admin/content/service/{service.pk}/change/",
                               service_form(service, **overrides))
        assert response.status_code == 200  # the form again, with its errors
        assert response.context["adminform"].form.errors
        fresh = Service.objects.get(pk=service.pk)
        assert (fresh.site_id, fresh.pole_id) == (demo.pk, service.pole_id)
    # Nor create a service in the 20e.
    form = service_form(service, slug="intrus", site=paris20.pk, pole=pole20.pk)
    response = client.post("/admin/content/service/add/", form)
    assert response.status_code == 200
    assert not Service.objects.filter(slug="intrus").exists()


def test_the_site_and_pole_selects_offer_only_the_editors_sites(client, demo, paris20, editor19):
    from kiosk.server.content.models import Pole, Service

    service = Service.objects.filter(site=demo).first()
    page = login(client, editor19).get(f"/admin/content/service/{service.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert list(form.fields["site"].queryset) == [demo]
    assert set(form.fields["pole"].queryset) == set(Pole.objects.filter(site=demo))
    assert "Mairie du 20e" not in page.content.decode()
    add = client.get("/admin/content/service/add/")
    assert add.status_code == 200
    assert add.context["adminform"].form.initial["site"] == demo.pk


def test_save_model_refuses_another_site_even_past_the_form(rf, demo, paris20, editor19):
    """Defence in depth: should a forged form get through, the save itself is refused."""
    from django.contrib import admin

    from kiosk.server.content.models import Pole, Service

    service_admin = admin.site._registry[Service]
    request = rf.post("/admin/content/service/add/")
    request.user = editor19
    intruder = Service(site=paris20, pole=Pole.objects.get(site=paris20), slug="intrus",
                       prefix="I", pictogram="x", name={"fr": "Intrus"})
    with pytest.raises(PermissionDenied):
        service_admin.save_model(request, intruder, None, False)
    # Nor moved out of the 20e into the 19e.
    moved = Service.objects.get(site=paris20)
    moved.site = demo
    with pytest.raises(PermissionDenied):
        service_admin.save_model(request, moved, None, True)
    with pytest.raises(PermissionDenied):
        service_admin.delete_queryset(request, Service.objects.filter(site=paris20))
    assert Service.objects.filter(site=paris20).count() == 1
    assert not Service.objects.filter(slug="intrus").exists()


def test_an_editor_edits_every_kind_of_content_of_their_site(client, demo, paris20, editor19):
    login(client, editor19)
    for model in ("pole", "service", "situation", "nearbyplace", "infopage", "offer"):
        assert client.get(f"/admin/content/{model}/").status_code == 200, model
        assert client.get(f"/admin/content/{model}/add/").status_code == 200, model
    index = client.get("/admin/").content.decode()
    assert "/admin/content/service/" in index
    # Sites: only site admins (their own site) and superusers.
    assert "/admin/content/site/" not in index
    assert client.get("/admin/content/site/").status_code == 403
    assert client.get(f"/admin/content/site/{demo.pk}/change/").status_code == 403


@pytest.mark.parametrize("staff", [False, True])
def test_a_counter_agent_cannot_reach_the_content_admin(client, demo, staff):
    agent = make_agent(f"guichet{int(staff)}", demo, "counter", staff=staff)
    login(client, agent)
    for path in ("/admin/content/service/", "/admin/content/service/add/",
                 "/admin/content/pole/"):
        assert client.get(path).status_code in (302, 403), path
    if staff:
        assert "/admin/content/" not in client.get("/admin/").content.decode()


def test_the_demo_counter_agent_is_kept_out(client, demo):
    from tests.conftest import demo_data

    agent = next(a for a in demo_data()["agents"] if a["role"] == "counter")
    assert client.login(username=agent["username"], password=agent["password"])
    response = client.get("/admin/content/service/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_superuser_sees_every_site(client, demo, paris18, paris20):
    from kiosk.server.content.models import Service

    boss = make_agent("chef", superuser=True)
    page = login(client, boss).get("/admin/content/service/")
    shown = {s.pk for s in page.context["cl"].result_list}
    assert shown == set(Service.objects.values_list("pk", flat=True))
    assert ({s.site_id for s in Service.objects.filter(pk__in=shown)}
            == {demo.pk, paris18.pk, paris20.pk})
    other = Service.objects.get(site=paris20)
    assert client.get(f"/admin/content/service/{other.pk}/change/").status_code == 200
    assert client.get("/admin/content/site/add/").status_code == 200


def test_a_site_admin_manages_their_own_site_only(client, demo, paris20):
    from kiosk.server.content.models import Service, Site

    admin20 = make_agent("admin20", paris20, "admin")
    login(client, admin20)
    page = client.get("/admin/content/service/")
    assert {s.site_id for s in page.context["cl"].result_list} == {paris20.pk}
    sites = client.get("/admin/content/site/")
    assert [s.pk for s in sites.context["cl"].result_list] == [paris20.pk]
    assert client.get(f"/admin/content/site/{paris20.pk}/change/").status_code == 200
    assert client.get(f"/admin/content/site/{demo.pk}/change/").status_code in (302, 403, 404)
    assert client.get("/admin/content/site/add/").status_code == 403
    assert client.get(f"/admin/content/site/{paris20.pk}/delete/").status_code == 403
    service = Service.objects.filter(site=demo).first()
    assert client.get(f"/admin/content/service/{service.pk}/change/").status_code in (302, 403, 404)
    assert Site.objects.count() == 3  # the 19e, the demo's 18e and the 20e: none added
