"""The fleet in the back-office by site (issue 15): a site admin of the 20e manages the 20e's
kiosks and rollout only; releases are the city's, uploaded by superusers and seen by every
site admin (kiosk/server/devices/admin.py)."""

from __future__ import annotations

import pytest

from tests.server.test_site_permissions import login, make_agent, paris20  # noqa: F401 - fixture


@pytest.fixture
def fleet(demo, paris20):  # noqa: F811 - the fixture imported above
    from kiosk.server.devices.models import Kiosk

    k19, _ = Kiosk.objects.register(demo, "Borne du hall (19e)")
    k20, _ = Kiosk.objects.register(paris20, "Borne du hall (20e)")
    return k19, k20


def test_a_site_admin_sees_and_edits_only_their_sites_kiosks(client, demo, paris20, fleet):  # noqa: F811
    k19, k20 = fleet
    login(client, make_agent("admin20", paris20, "admin"))
    listed = client.get("/admin/devices/kiosk/")
    assert listed.status_code == 200
    assert {k.site_id for k in listed.context["cl"].result_list} == {paris20.pk}
    assert client.get(f"/admin/devices/kiosk/{k20.pk}/change/").status_code == 200
    assert client.get(f"/admin/devices/kiosk/{k19.pk}/change/").status_code in (302, 403, 404)
    # Rotating the token of another site's kiosk by a forged action POST: nothing happens.
    before = type(k19).objects.get(pk=k19.pk).token_hint
    client.post("/admin/devices/kiosk/", {"action": "rotate_token", "_selected_action": [k19.pk]})
    assert type(k19).objects.get(pk=k19.pk).token_hint == before


def test_an_editor_or_counter_agent_has_no_fleet(client, demo, paris20, fleet):  # noqa: F811
    login(client, make_agent("editeur20", paris20, "editor"))
    assert client.get("/admin/devices/kiosk/").status_code == 403
    assert client.get("/admin/devices/siterollout/").status_code == 403
    assert client.get("/admin/devices/release/").status_code == 403


def test_a_rollout_offers_only_the_sites_own_kiosks_as_pilot(client, demo, paris20, fleet):  # noqa: F811
    k19, k20 = fleet
    login(client, make_agent("admin20", paris20, "admin"))
    page = client.get("/admin/devices/siterollout/add/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert list(form.fields["pilot"].queryset) == [k20]
    assert list(form.fields["site"].queryset) == [paris20]


def test_releases_are_uploaded_by_superusers_and_seen_by_site_admins(client, demo, paris20,  # noqa: F811
                                                                     fleet):
    login(client, make_agent("admin20", paris20, "admin"))
    assert client.get("/admin/devices/release/").status_code == 200
    assert client.get("/admin/devices/release/add/").status_code == 403
    login(client, make_agent("dsin", superuser=True))
    assert client.get("/admin/devices/release/add/").status_code == 200
    listed = client.get("/admin/devices/kiosk/")
    assert {k.site_id for k in listed.context["cl"].result_list} >= {demo.pk, paris20.pk}
