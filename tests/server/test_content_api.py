"""GET /api/v1/content: auth, full snapshot, deltas since a cursor, deletions, ETag, pages."""

from __future__ import annotations

import warnings

import pytest

from kiosk.domain.content import parse_item
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def ids(body: dict, kind: str) -> set[str]:
    return {item["data"]["id"] for item in body["items"] if item["kind"] == kind}


def get_service(site, slug):
    from kiosk.server.content.models import Service

    return Service.objects.get(site=site, slug=slug)


def first_service_slug() -> str:
    return demo_data()["services"][0]["id"]


# -- authentication --------------------------------------------------------------------


def test_health_needs_no_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "protocol": 1}


def test_content_requires_a_token(client, demo):
    assert client.get("/api/v1/content").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-real-token", "Bearer ", "Basic ZGVtbzpkZW1v", "demo-kiosk-token-19e"],
)
def test_a_bad_token_is_refused(client, demo, header):
    response = client.get("/api/v1/content", headers={"Authorization": header})
    assert response.status_code == 401
    assert "items" not in response.content.decode()


def test_a_revoked_kiosk_is_refused(client, demo, kiosk_token):
    from kiosk.server.devices.models import Kiosk

    headers = {"Authorization": f"Bearer {kiosk_token}"}
    assert client.get("/api/v1/content", headers=headers).status_code == 200
    Kiosk.objects.filter(site=demo, name="Borne de test").update(active=False)
    assert client.get("/api/v1/content", headers=headers).status_code == 401


def test_the_demo_kiosk_token_works(client, demo):
    token = demo_data()["kiosks"][0]["token"]
    response = client.get("/api/v1/content", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_only_a_hash_of_the_token_is_stored(demo, kiosk_token):
    from kiosk.server.devices.models import Kiosk

    kiosk = Kiosk.objects.get(site=demo, name="Borne de test")
    assert kiosk_token not in kiosk.token_hash
    assert len(kiosk.token_hash) == 64
    assert len(kiosk_token) >= 32


def test_a_request_marks_the_kiosk_as_seen(api, demo):
    from kiosk.server.devices.models import Kiosk

    assert Kiosk.objects.get(site=demo, name="Borne de test").last_seen_at is None
    api.get("/content")
    assert Kiosk.objects.get(site=demo, name="Borne de test").last_seen_at is not None


# -- full snapshot ---------------------------------------------------------------------


def test_without_cursor_the_answer_is_a_full_snapshot(api, demo):
    from kiosk.server.content.services import current_cursor

    data = demo_data()
    response = api.get("/content")
    assert response.status_code == 200
    body = response.json()
    assert body["protocol"] == 1
    assert body["full"] is True and body["more"] is False
    assert body["deleted"] == []
    assert body["cursor"] == str(current_cursor(demo))
    assert int(body["cursor"]) > 0
    assert ids(body, "pole") == {p["id"] for p in data["poles"]}
    assert ids(body, "service") == {s["id"] for s in data["services"]}
    assert ids(body, "situation") == {s["id"] for s in data["situations"]}
    assert ids(body, "place") == {p["id"] for p in data["places"]}
    assert len(body["items"]) == sum(len(data[k]) for k in (
        "poles", "plans", "services", "situations", "places", "pages", "offers", "closures",
        "announcements"))
    assert response["ETag"]


def test_every_item_passes_the_kiosk_validation(api, demo):
    body = api.get("/content").json()
    for item in body["items"]:
        obj = parse_item(item["kind"], item["data"])
        assert obj.id == item["data"]["id"]


def test_the_snapshot_carries_the_demo_fields(api, demo):
    data = demo_data()
    body = api.get("/content").json()
    by_id = {item["data"]["id"]: item["data"] for item in body["items"] if item["kind"] == "service"}
    for wire in data["services"]:
        sent = by_id[wire["id"]]
        assert sent["pole"] == wire["pole"]
        assert sent["prefix"] == wire["prefix"]
        assert sent["name"] == wire["name"]
        assert sent["ticketing"] == wire.get("ticketing", True)


def test_a_snapshot_has_no_other_sites_content(api, demo):
    from kiosk.server.content.models import Pole, Site

    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    Pole.objects.create(site=other, slug="ailleurs", color="#123456", pictogram="x",
                        name={"fr": "Ailleurs"})
    body = api.get("/content").json()
    assert "ailleurs" not in ids(body, "pole")


@pytest.mark.parametrize("since", ["0", "-3", "999999"])
def test_an_unknown_or_empty_cursor_gets_a_full_snapshot(api, demo, since):
    body = api.get(f"/content?since={since}").json()
    assert body["full"] is True
    assert ids(body, "service") == {s["id"] for s in demo_data()["services"]}


def test_a_non_numeric_cursor_is_a_validation_error(api, demo):
    assert api.get("/content?since=abc").status_code == 422


# -- deltas ----------------------------------------------------------------------------


def test_nothing_changed_is_an_empty_delta_at_the_same_cursor(api, demo):
    cursor = api.get("/content").json()["cursor"]
    body = api.get(f"/content?since={cursor}").json()
    assert body == {"protocol": 1, "cursor": cursor, "full": False, "more": False,
                    "items": [], "deleted": []}


def test_an_edit_appears_in_the_delta_and_moves_the_cursor(api, demo):
    cursor = api.get("/content").json()["cursor"]
    slug = first_service_slug()
    service = get_service(demo, slug)
    service.name = {**service.name, "fr": "Nouveau nom"}
    service.save()
    body = api.get(f"/content?since={cursor}").json()
    assert body["full"] is False
    assert int(body["cursor"]) == int(cursor) + 1
    assert [(i["kind"], i["data"]["id"]) for i in body["items"]] == [("service", slug)]
    assert body["items"][0]["data"]["name"]["fr"] == "Nouveau nom"
    assert body["deleted"] == []
    # And from the new cursor nothing more.
    again = api.get(f"/content?since={body['cursor']}").json()
    assert again["items"] == [] and again["cursor"] == body["cursor"]


def test_several_edits_of_one_item_send_it_once(api, demo):
    cursor = api.get("/content").json()["cursor"]
    service = get_service(demo, first_service_slug())
    for n in range(3):
        service.order = 50 + n
        service.save()
    body = api.get(f"/content?since={cursor}").json()
    assert int(body["cursor"]) == int(cursor) + 3
    assert len(body["items"]) == 1
    assert body["items"][0]["data"]["order"] == 52


def test_a_deleted_service_appears_in_deleted(api, demo):
    cursor = api.get("/content").json()["cursor"]
    from kiosk.server.content.actions import do_delete_content

    slug = first_service_slug()
    do_delete_content(get_service(demo, slug))
    body = api.get(f"/content?since={cursor}").json()
    assert body["deleted"] == [{"kind": "service", "id": slug}]
    # The life situations that named it are resent without it; nothing else changed.
    naming = {s["id"] for s in demo_data()["situations"] if slug in s["services"]}
    assert {i["kind"] for i in body["items"]} <= {"situation"}
    assert {i["data"]["id"] for i in body["items"]} == naming
    assert all(slug not in i["data"]["services"] for i in body["items"])
    full = api.get("/content").json()
    assert slug not in ids(full, "service")


def test_deleting_a_pole_deletes_its_services_for_the_kiosks(api, demo):
    data = demo_data()
    pole = data["poles"][0]["id"]
    services = {s["id"] for s in data["services"] if s["pole"] == pole}
    assert services, "the demo's first pole has services"
    cursor = api.get("/content").json()["cursor"]
    from kiosk.server.content.models import Pole

    Pole.objects.get(site=demo, slug=pole).delete()
    body = api.get(f"/content?since={cursor}").json()
    deleted = {(d["kind"], d["id"]) for d in body["deleted"]}
    assert deleted == {("pole", pole)} | {("service", s) for s in services}


def test_a_renamed_slug_is_a_deletion_plus_a_new_item(api, demo):
    cursor = api.get("/content").json()["cursor"]
    old = first_service_slug()
    from kiosk.server.content.actions import do_rename_slug

    do_rename_slug(get_service(demo, old), "nouveau-service")
    body = api.get(f"/content?since={cursor}").json()
    assert body["deleted"] == [{"kind": "service", "id": old}]
    assert [i["data"]["id"] for i in body["items"] if i["kind"] == "service"] == ["nouveau-service"]
    # Situations name services by slug: they follow the rename.
    naming = {s["id"] for s in demo_data()["situations"] if old in s["services"]}
    situations = [i["data"] for i in body["items"] if i["kind"] == "situation"]
    assert {s["id"] for s in situations} == naming
    assert all("nouveau-service" in s["services"] and old not in s["services"] for s in situations)


def test_a_renamed_pole_resends_its_services(api, demo):
    data = demo_data()
    pole_slug = data["poles"][0]["id"]
    services = {s["id"] for s in data["services"] if s["pole"] == pole_slug}
    cursor = api.get("/content").json()["cursor"]
    from kiosk.server.content.models import Pole

    pole = Pole.objects.get(site=demo, slug=pole_slug)
    pole.slug = "pole-renomme"
    pole.save()
    body = api.get(f"/content?since={cursor}").json()
    assert body["deleted"] == [{"kind": "pole", "id": pole_slug}]
    assert ids(body, "pole") == {"pole-renomme"}
    assert ids(body, "service") == services
    assert all(i["data"]["pole"] == "pole-renomme" for i in body["items"] if i["kind"] == "service")
    # Poles come first: a kiosk applying items in order never holds a service without its pole.
    kinds = [i["kind"] for i in body["items"]]
    assert kinds == sorted(kinds, key=lambda k: k != "pole")


def test_another_sites_edits_do_not_move_this_sites_cursor(api, demo):
    from kiosk.server.content.models import Pole, Site

    cursor = api.get("/content").json()["cursor"]
    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    Pole.objects.create(site=other, slug="ailleurs", color="#123456", pictogram="x",
                        name={"fr": "Ailleurs"})
    body = api.get(f"/content?since={cursor}").json()
    assert body["cursor"] == cursor and body["items"] == []


# -- ETag ------------------------------------------------------------------------------


def test_etag_and_if_none_match_give_304(api, demo):
    first = api.get("/content")
    etag, cursor = first["ETag"], first.json()["cursor"]
    response = api.get(f"/content?since={cursor}", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""


def test_the_304_path_uses_no_deprecated_api(api, demo):
    first = api.get("/content")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = api.get(f"/content?since={first.json()['cursor']}",
                           headers={"If-None-Match": first["ETag"]})
    assert response.status_code == 304
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []


def test_a_stale_etag_gets_the_changes(api, demo):
    first = api.get("/content")
    etag, cursor = first["ETag"], first.json()["cursor"]
    service = get_service(demo, first_service_slug())
    service.order += 1
    service.save()
    response = api.get(f"/content?since={cursor}", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    assert response["ETag"] != etag


def test_an_etag_without_the_matching_cursor_is_not_a_304(api, demo):
    first = api.get("/content")
    etag = first["ETag"]
    assert api.get("/content", headers={"If-None-Match": etag}).status_code == 200
    assert api.get("/content?since=1", headers={"If-None-Match": etag}).status_code == 200


# -- pages -----------------------------------------------------------------------------


def test_a_long_delta_comes_in_pages(api, demo, settings):
    from kiosk.server.content.models import Service

    settings.CONTENT_DELTA_PAGE = 2
    cursor = api.get("/content").json()["cursor"]
    services = list(Service.objects.filter(site=demo).order_by("slug"))[:5]
    assert len(services) == 5, "the demo has at least five services"
    for service in services:
        service.order += 1
        service.save()

    seen, pages = [], 0
    while True:
        response = api.get(f"/content?since={cursor}")
        body = response.json()
        pages += 1
        assert body["full"] is False
        assert len(body["items"]) <= 2
        assert int(body["cursor"]) > int(cursor)
        seen += [i["data"]["id"] for i in body["items"]]
        cursor = body["cursor"]
        if not body["more"]:
            assert response.has_header("ETag")
            break
        assert not response.has_header("ETag")  # a partial answer must not be cached as whole
        assert pages < 10
    assert pages == 3
    assert sorted(seen) == sorted(s.slug for s in services)


def test_a_full_snapshot_is_not_paged(api, demo, settings):
    settings.CONTENT_DELTA_PAGE = 1
    body = api.get("/content").json()
    assert body["more"] is False
    data = demo_data()
    assert len(body["items"]) == sum(len(data[k]) for k in (
        "poles", "plans", "services", "situations", "places", "pages", "offers", "closures",
        "announcements"))


def test_content_is_gzipped_for_kiosks_that_accept_it(api, demo):
    import gzip
    import json

    plain = api.get("/content")
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
    packed = api.get("/content", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed["Content-Encoding"] == "gzip"
    assert int(packed["Content-Length"]) < len(plain.content) / 3
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
