"""Drafts of every kind of content (issue 5): a draft reads as deleted to the kiosks and is a
404 on the phone pages; agents publish and unpublish from the back-office (audited); the
« Aperçu borne » shows the kiosk screen of a draft, to its site's editors only."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.server.test_site_permissions import (  # noqa: F401
    make_agent,
    paris20,
    service_form,
)

KINDS = ("pole", "service", "situation", "place", "page", "offer", "closure", "announcement",
         "plan")  # every kind with drafts (the registry's, checked below)


def model_of(kind):
    from kiosk.server.content.kinds import KINDS as REGISTRY

    return REGISTRY[kind].model


def test_these_are_the_registrys_kinds_with_drafts():
    from kiosk.server.content.kinds import KINDS as REGISTRY

    assert {k.name for k in REGISTRY if k.has_drafts} == set(KINDS)


def one(demo, kind):
    """A demo object of this kind that kiosks hold (a live service, with its pole)."""
    return model_of(kind).objects.filter(site=demo).order_by("pk").first()


def ids(body: dict, kind: str) -> set[str]:
    return {i["data"]["id"] for i in body["items"] if i["kind"] == kind}


def deleted(body: dict, kind: str) -> set[str]:
    return {d["id"] for d in body["deleted"] if d["kind"] == kind}


def since(api, cursor) -> dict:
    response = api.get(f"/content?since={cursor}")
    assert response.status_code == 200
    return response.json()


def set_published(obj, value: bool) -> None:
    obj.published = value
    obj.save()


@pytest.fixture
def editor19(demo):
    return make_agent("editeur19", demo, "editor")


# -- the kiosks' delta ----------------------------------------------------------------------


def test_a_draft_of_every_kind_reads_as_deleted_and_publishing_brings_it_back(api, demo):
    # One kind after the other on the same demo content (one database set-up, not eight).
    cursor = api.get("/content").json()["cursor"]
    for kind in KINDS:
        obj = one(demo, kind)
        assert obj is not None, f"the demo has no {kind}"
        assert obj.slug in ids(api.get("/content").json(), kind), kind

        set_published(obj, False)
        body = since(api, cursor)
        assert obj.slug in deleted(body, kind) and obj.slug not in ids(body, kind), kind
        assert obj.slug not in ids(api.get("/content").json(), kind), kind  # full snapshot

        set_published(obj, True)
        body = since(api, body["cursor"])
        assert obj.slug in ids(body, kind) and obj.slug not in deleted(body, kind), kind
        assert obj.slug in ids(api.get("/content").json(), kind), kind
        cursor = body["cursor"]


def test_a_new_draft_never_reaches_the_kiosks(api, demo):
    from kiosk.server.content.models import Announcement

    cursor = api.get("/content").json()["cursor"]
    Announcement.objects.create(site=demo, slug="brouillon", message={"fr": "Pas encore"},
                                published=False)
    body = since(api, cursor)
    assert "brouillon" not in ids(body, "announcement")
    # No kiosk ever had it: nothing changed for them, the cursor stays put.
    assert body["cursor"] == cursor and body["items"] == [] and body["deleted"] == []
    draft = Announcement.objects.get(site=demo, slug="brouillon")
    draft.message = {"fr": "Toujours pas"}
    draft.save()
    assert since(api, cursor)["cursor"] == cursor
    draft.published = True
    draft.save()
    assert "brouillon" in ids(since(api, cursor), "announcement")


def test_a_draft_pole_hides_its_services_and_publishing_it_shows_them(api, demo):
    from kiosk.server.content.models import Pole

    pole = Pole.objects.filter(site=demo, services__isnull=False).distinct().first()
    services = set(pole.services.values_list("slug", flat=True))
    cursor = api.get("/content").json()["cursor"]
    set_published(pole, False)
    body = since(api, cursor)
    assert pole.slug in deleted(body, "pole")
    assert services <= deleted(body, "service")
    assert not services & ids(api.get("/content").json(), "service")
    set_published(pole, True)
    body = since(api, body["cursor"])
    assert services <= ids(body, "service") and pole.slug in ids(body, "pole")


def test_no_ticket_for_a_draft_service_or_a_service_of_a_draft_pole(api, demo):
    import uuid

    from kiosk.server.content.models import Service

    service = Service.objects.filter(site=demo, ticketing=True).select_related("pole").first()

    def take():
        return api.post("/tickets", {"service": service.slug},
                        headers={"Idempotency-Key": str(uuid.uuid4())})

    assert take().status_code == 201
    set_published(service, False)
    refused = take()
    assert refused.status_code == 404, refused.content
    set_published(service, True)
    set_published(service.pole, False)
    assert take().status_code == 404
    set_published(service.pole, True)
    assert take().status_code == 201


def test_a_situation_naming_a_draft_service_still_syncs_and_skips_it(api, demo, tmp_path):
    from kiosk.localstore import LocalStore
    from kiosk.server.content.models import Service, Situation

    situation = Situation.objects.filter(site=demo).exclude(services=[]).first()
    draft = Service.objects.get(site=demo, slug=situation.services[0])
    set_published(draft, False)
    full = api.get("/content").json()
    store = LocalStore(tmp_path / "kiosk.sqlite3")
    try:
        store.apply_content(full["cursor"], full["items"], full["deleted"], full=True)
        held = next(s for s in store.situations() if s.id == situation.slug)
        assert draft.slug in held.services  # the situation is unchanged…
        assert store.service(draft.slug) is None  # …and the kiosk skips what it does not hold
        assert all(store.service(s) is not None for s in held.services if s != draft.slug)
    finally:
        store.close()


# -- phone pages ----------------------------------------------------------------------------


def test_the_phone_pages_hide_drafts(client, demo):
    from kiosk.server.content.models import Closure, InfoPage, Offer, Service

    service = Service.objects.get(site=demo, slug="naissance")
    assert client.get("/s/naissance?site=paris-19").status_code == 200
    set_published(service, False)
    assert client.get("/s/naissance?site=paris-19").status_code == 404
    set_published(service, True)
    set_published(service.pole, False)  # a draft pole hides its services here too
    assert client.get("/s/naissance?site=paris-19").status_code == 404
    set_published(service.pole, True)

    # A draft closure does not change the hours shown.
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    Closure.objects.create(site=demo, slug="essai", starts=tomorrow,
                           reason={"fr": "Fermeture en préparation"}, published=False)
    assert "Fermeture en préparation" not in client.get("/s/naissance?site=paris-19").content.decode()
    Closure.objects.filter(slug="essai").update(published=True)
    assert "Fermeture en préparation" in client.get("/s/naissance?site=paris-19").content.decode()

    page = InfoPage.objects.get(site=demo, slug="carte-citoyenne")
    assert client.get("/carte?site=paris-19").status_code == 200
    set_published(page, False)
    assert client.get("/carte?site=paris-19").status_code == 404

    offer = Offer.objects.filter(site=demo, published=True).first()
    assert client.get(f"/o/{offer.slug}?site=paris-19").status_code == 200
    set_published(offer, False)
    assert client.get(f"/o/{offer.slug}?site=paris-19").status_code == 404


# -- the back-office ------------------------------------------------------------------------


def test_publish_and_unpublish_actions_are_logged_and_reach_the_kiosks(client, api, demo,
                                                                          editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.models import NearbyPlace

    places = list(NearbyPlace.objects.filter(site=demo).order_by("pk")[:2])
    cursor = api.get("/content").json()["cursor"]
    client.force_login(editor19)
    response = client.post("/admin/content/nearbyplace/", {
        "action": "unpublish_selected", "_selected_action": [p.pk for p in places]})
    assert response.status_code == 302
    assert not NearbyPlace.objects.filter(pk__in=[p.pk for p in places], published=True).exists()
    entries = AuditEntry.objects.filter(model="content.nearbyplace")
    assert {(e.object_id, e.username) for e in entries} == {(str(p.pk), "editeur19") for p in places}
    assert all(e.changes == {"published": [True, False]} for e in entries)
    body = since(api, cursor)
    assert {p.slug for p in places} <= deleted(body, "place")

    # The list says which are drafts; the filter lists only them.
    page = client.get("/admin/content/nearbyplace/?etat=brouillon")
    assert {o.pk for o in page.context["cl"].result_list} == {p.pk for p in places}
    assert "Brouillon" in page.content.decode()

    client.post("/admin/content/nearbyplace/", {
        "action": "publish_selected", "_selected_action": [places[0].pk]})
    assert NearbyPlace.objects.get(pk=places[0].pk).published
    assert AuditEntry.objects.filter(object_id=str(places[0].pk),
                                     changes={"published": [False, True]}).count() == 1
    assert places[0].slug in ids(since(api, body["cursor"]), "place")


def test_actions_never_touch_another_sites_objects(client, demo, paris20, editor19):  # noqa: F811
    from kiosk.server.content.models import Service

    theirs = Service.objects.get(site=paris20)
    client.force_login(editor19)
    client.post("/admin/content/service/", {
        "action": "unpublish_selected", "_selected_action": [theirs.pk]})
    assert Service.objects.get(pk=theirs.pk).published


def test_a_residents_pending_offer_is_not_published_by_the_action(client, demo, editor19):
    from kiosk.server.content.models import Offer

    offer = Offer.objects.create(site=demo, slug="proposee", pictogram="offer-event",
                                 title={"fr": "Troc"}, status="pending", published=False,
                                 contributed=True)
    client.force_login(editor19)
    response = client.post("/admin/content/offer/", {
        "action": "publish_selected", "_selected_action": [offer.pk]}, follow=True)
    assert not Offer.objects.get(pk=offer.pk).published
    assert "approuvant" in response.content.decode()


def test_a_new_object_starts_as_a_draft_and_the_form_shows_the_state(client, demo, editor19):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.models import Service

    client.force_login(editor19)
    add = client.get("/admin/content/announcement/add/")
    assert add.context["adminform"].form.initial["published"] is False
    service = Service.objects.get(site=demo, slug="naissance")
    page = client.get(f"/admin/content/service/{service.pk}/change/").content.decode()
    assert "État : publié" in page
    assert f"/admin/content/service/{service.pk}/apercu/" in page  # the « Aperçu borne » button
    # Unticking « publié » in the form is a change like any other: audited.
    form = service_form(service)
    del form["published"]
    response = client.post(f"/admin/content/service/{service.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Service.objects.get(pk=service.pk).published
    entry = AuditEntry.objects.get(model="content.service", object_id=str(service.pk))
    assert entry.changes == {"published": [True, False]} and entry.username == "editeur19"
    page = client.get(f"/admin/content/service/{service.pk}/change/").content.decode()
    assert "État : brouillon" in page


# -- « Aperçu borne » -----------------------------------------------------------------------


def preview_url(obj, lang=None) -> str:
    url = f"/admin/content/{obj._meta.model_name}/{obj.pk}/apercu/"
    return url + (f"?lang={lang}" if lang else "")


def test_the_preview_is_for_the_sites_own_editors(client, demo, paris20, editor19):  # noqa: F811
    from kiosk.server.content.models import Service

    ours = Service.objects.get(site=demo, slug="naissance")
    theirs = Service.objects.get(site=paris20)
    assert client.get(preview_url(ours)).status_code == 302  # to the login page
    client.force_login(make_agent("visiteur", demo, "editor", staff=False))
    assert client.get(preview_url(ours)).status_code == 302  # not staff
    client.force_login(editor19)
    assert client.get(preview_url(ours)).status_code == 200
    assert client.get(preview_url(theirs)).status_code == 404
    client.force_login(make_agent("guichet19", demo, "counter"))  # staff, but no editor role
    assert client.get(preview_url(ours)).status_code in (403, 404)
    client.force_login(make_agent("editeur20", paris20, "editor"))
    assert client.get(preview_url(theirs)).status_code == 200
    assert client.get(preview_url(ours)).status_code == 404


def test_the_preview_of_a_draft_service_in_french_and_arabic(client, demo, editor19):
    from kiosk.server.content.models import Service

    service = Service.objects.get(site=demo, slug="naissance")
    service.name = {"fr": "Déclaration de naissance"}  # no Arabic name: French, as the kiosk
    service.documents = [{"fr": "Livret de famille", "ar": "الدفتر العائلي"}]
    service.hours = [{"days": list(range(7)), "open": "08:30", "close": "17:00"}]
    service.exceptions = []
    service.published = False
    service.save()
    client.force_login(editor19)

    page = client.get(preview_url(service)).content.decode()
    assert "Brouillon — pas encore visible sur les bornes" in page
    assert re.search(r'class="kiosk"[^>]*lang="fr" dir="ltr"', page)
    assert "Déclaration de naissance" in page and "Livret de famille" in page
    assert "Où aller" in page and "Prendre un ticket" in page
    assert "08:30 – 17:00" in page  # today's hours, from the domain's slots_on
    assert 'data-testid="spot"' in page  # the service's spot on its floor plan
    assert "--pole: " + service.pole.color in page

    page = client.get(preview_url(service, "ar")).content.decode()
    assert re.search(r'class="kiosk"[^>]*lang="ar" dir="rtl"', page)
    assert "Déclaration de naissance" in page  # French fallback, field by field
    assert "الدفتر العائلي" in page and "Livret de famille" not in page
    assert "إلى أين تذهب" in page and "خذ تذكرة" in page  # the kiosk's own Arabic words

    set_published(service, True)
    page = client.get(preview_url(service)).content.decode()
    assert "Brouillon — pas encore" not in page and "Publié — visible sur les bornes" in page


def test_every_kind_has_a_preview(client, demo, editor19):
    client.force_login(editor19)
    for kind in KINDS:
        obj = one(demo, kind)
        response = client.get(preview_url(obj, "zh"))
        assert response.status_code == 200, (kind, response.content.decode()[:2000])
        page = response.content.decode()
        assert 'data-testid="kiosk"' in page and "Ce contenu ne passe pas" not in page, kind
        assert 'lang="zh"' in page and obj.text(
            "message" if kind == "announcement" else "reason" if kind == "closure" else
            "title" if kind in ("page", "offer") else "name", "zh") in page, kind


def test_the_previews_of_pole_and_situation_leave_out_draft_services(client, demo, editor19):
    from kiosk.server.content.models import Service, Situation

    situation = Situation.objects.filter(site=demo).exclude(services=[]).first()
    draft = Service.objects.get(site=demo, slug=situation.services[0])
    set_published(draft, False)
    client.force_login(editor19)
    for obj in (situation, draft.pole):
        page = client.get(preview_url(obj)).content.decode()
        rows = page.split('data-testid="rows"')[1].split("</ul>")[0]
        assert draft.text("name") not in rows
        assert "Non affiché" in page and draft.text("name") in page  # said to the agent


def test_the_preview_uses_the_kiosks_colours():
    from kiosk.server.content.preview import KIOSK_COLOURS
    from kiosk.ui.theme import NORMAL, PALETTES

    assert KIOSK_COLOURS == {k: PALETTES[NORMAL][k] for k in KIOSK_COLOURS}
