"""Every back-office change of content is logged: who, when, what (kiosk/server/audit)."""

from __future__ import annotations

import json

import pytest

from tests.server.test_site_permissions import login, make_agent, paris20, service_form  # noqa: F401


@pytest.fixture
def editor19(demo):
    return make_agent("editeur19", demo, "editor")


def test_an_editors_change_of_hours_is_logged_with_old_and_new(client, demo, editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.models import Service

    service = Service.objects.filter(site=demo).exclude(hours=[]).first()
    old_hours = service.hours
    new_hours = [{"days": [5], "open": "09:00", "close": "12:00"}]
    response = login(client, editor19).post(
        f"/admin/content/service/{service.pk}/change/",
        service_form(service, hours=json.dumps(new_hours)))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get()
    assert entry.action == "changed" and entry.model == "content.service"
    assert entry.user == editor19 and entry.username == "editeur19"
    assert entry.site == demo and entry.object_id == str(service.pk)
    assert entry.object_repr == str(service) and entry.at is not None
    assert entry.changes == {"hours": [old_hours, new_hours]}
    # Saving again without a change logs nothing.
    service.refresh_from_db()
    client.post(f"/admin/content/service/{service.pk}/change/", service_form(service))
    assert AuditEntry.objects.count() == 1


def test_the_username_is_kept_when_the_agent_is_deleted(demo, editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.audit.services import record
    from kiosk.server.content.models import Pole

    pole = Pole.objects.filter(site=demo).first()
    record(editor19, pole, "changed", {"order": [1, 2]})
    editor19.delete()
    entry = AuditEntry.objects.get()
    assert entry.user is None and entry.username == "editeur19"
    assert entry.changes == {"order": [1, 2]}


def test_a_creation_is_logged_with_a_snapshot(client, demo, editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.models import Service

    service = Service.objects.filter(site=demo).first()
    form = service_form(service, slug="nouveau", prefix="Z", name_fr="Nouveau service")
    response = login(client, editor19).post("/admin/content/service/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Service.objects.get(site=demo, slug="nouveau")
    entry = AuditEntry.objects.get(action="created")
    assert entry.object_id == str(created.pk) and entry.site == demo
    assert entry.changes["slug"] == "nouveau" and entry.changes["site"] == demo.pk
    assert entry.changes["name"]["fr"] == "Nouveau service"


def test_a_delete_is_logged_with_a_snapshot(client, demo, editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.models import NearbyPlace

    place = NearbyPlace.objects.filter(site=demo).first()
    snapshot = {"slug": place.slug, "name": place.name, "walking_minutes": place.walking_minutes}
    response = login(client, editor19).post(
        f"/admin/content/nearbyplace/{place.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not NearbyPlace.objects.filter(pk=place.pk).exists()
    entry = AuditEntry.objects.get()
    assert entry.action == "deleted" and entry.model == "content.nearbyplace"
    assert entry.username == "editeur19" and entry.object_id == str(place.pk)
    assert snapshot.items() <= entry.changes.items()


def test_a_bulk_delete_logs_each_object_and_the_cascade(client, demo, editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.models import Pole, Service

    pole = Pole.objects.filter(site=demo).first()
    services = set(Service.objects.filter(pole=pole).values_list("pk", flat=True))
    assert services
    response = login(client, editor19).post("/admin/content/pole/", {
        "action": "delete_selected", "_selected_action": [pole.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Pole.objects.filter(pk=pole.pk).exists()
    logged = AuditEntry.objects.filter(action="deleted")
    assert set(logged.filter(model="content.pole").values_list("object_id", flat=True)) == {
        str(pole.pk)}
    assert set(logged.filter(model="content.service").values_list("object_id", flat=True)) == {
        str(pk) for pk in services}


def test_record_never_stores_secret_like_fields(demo, editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.audit.services import record, snapshot
    from kiosk.server.content.models import Offer

    offer = Offer.objects.filter(site=demo).first()
    record(editor19, offer, "changed", {
        "title": [{"fr": "a"}, {"fr": "b"}], "contact": ["", "06 12 34 56 78"],
        "phone": ["", "0612345678"], "token": ["", "abc"], "contact_consent": [False, True]})
    assert AuditEntry.objects.get().changes == {"title": [{"fr": "a"}, {"fr": "b"}]}
    assert not {k for k in snapshot(offer) if "contact" in k or "phone" in k or "token" in k}
    with pytest.raises(ValueError):
        record(editor19, offer, "hacked", {})


def test_the_audit_admin_is_read_only_even_for_superusers(client, demo, editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.audit.services import record
    from kiosk.server.content.models import Service

    entry = record(editor19, Service.objects.filter(site=demo).first(), "changed",
                   {"order": [1, 2]})
    login(client, make_agent("chef", superuser=True))
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200  # view
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post("/admin/audit/auditentry/add/", {"model": "x"}).status_code == 403
    response = client.post(f"/admin/audit/auditentry/{entry.pk}/change/",
                           {"object_repr": "falsifié", "action": "deleted"})
    assert response.status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    client.post("/admin/audit/auditentry/", {
        "action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    entry.refresh_from_db()
    assert entry.object_repr != "falsifié" and AuditEntry.objects.count() == 1
    for search in ("?site__id__exact=1", "?action=changed", "?q=x", "?model=content.service"):
        assert client.get("/admin/audit/auditentry/" + search).status_code == 200, search


def test_a_site_admin_sees_only_their_sites_entries(client, demo, paris20, editor19):  # noqa: F811
    from kiosk.server.audit.services import record
    from kiosk.server.content.models import Service

    in19 = record(editor19, Service.objects.filter(site=demo).first(), "changed", {"x": [1, 2]})
    in20 = record(editor19, Service.objects.get(site=paris20), "changed", {"x": [1, 2]})
    login(client, make_agent("admin20", paris20, "admin"))
    page = client.get("/admin/audit/auditentry/")
    assert page.status_code == 200
    assert [e.pk for e in page.context["cl"].result_list] == [in20.pk]
    assert "Mairie du 19e" not in page.content.decode()
    assert client.get(f"/admin/audit/auditentry/{in20.pk}/change/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{in19.pk}/change/").status_code in (302, 403, 404)
    # An editor (not a site admin) does not see the log at all.
    login(client, editor19)
    assert client.get("/admin/audit/auditentry/").status_code == 403
