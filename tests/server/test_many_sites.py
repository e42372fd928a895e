"""One server, 20 mairies (issue 12): every public page, QR link, API call, statistics and fleet
view answers with its own site's data, though the sites share slugs (naissance, troc-livres,
carte-citoyenne: tests/sites.py)."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest

from tests.conftest import demo_data
from tests.sites import SHARED_OFFERS, other_site_data

SITES = 20


@pytest.fixture
def sites(demo, paris18) -> list:
    """The 19e, the demo's 18e and 18 more sites: 20, each with a kiosk token of its own
    (site.token) and its own service (site.own: None for the 19e)."""
    from kiosk.server.content.management.commands.load_demo import load
    from kiosk.server.content.models import Site
    from kiosk.server.devices.models import Kiosk

    numbers = [n for n in range(1, 21) if n not in (18, 19)]
    data = demo_data()
    for n in numbers:
        load(other_site_data(data, f"paris-{n}", n))
    found = list(Site.objects.order_by("pk"))
    assert len(found) == SITES
    for site in found:
        _, site.token = Kiosk.objects.register(site, f"Borne {site.slug}")
        number = int(site.slug.split("-")[1])
        site.own = None if site == demo else f"ecrivain-public-{number}"
    return found


def other_names(sites, site) -> list[str]:
    return [s.name for s in sites if s.pk != site.pk]


def assert_only(page: str, sites, site) -> None:
    """The page names its site and no other."""
    assert site.name in page
    for name in other_names(sites, site):
        assert name not in page, (site.slug, name)


def api(client, site, method, path, data=None):
    headers = {"Authorization": f"Bearer {site.token}"}
    if method == "get":
        return client.get(f"/api/v1{path}", headers=headers)
    headers["Idempotency-Key"] = str(uuid.uuid4())
    return client.post(f"/api/v1{path}", json.dumps(data), content_type="application/json",
                       headers=headers)


def test_every_public_page_answers_with_its_sites_content(client, sites, demo):
    for site in sites:
        q = f"?lang=fr&site={site.slug}"
        for path in (f"/s/naissance{q}", f"/o/troc-livres{q}", f"/carte{q}", f"/proposer{q}",
                     f"/ecran/{site.slug}/"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            page = response.content.decode()
            if not path.startswith("/ecran"):
                assert_only(page, sites, site)
                assert f"site={site.slug}" in page  # its own links keep the site
        if site.own:
            mark = f"mairie du {site.slug.split('-')[1]}e"
            assert mark in client.get(f"/s/naissance{q}").content.decode()
            assert mark in client.get(f"/o/troc-livres{q}").content.decode()
            carte = client.get(f"/carte{q}").content.decode()
            # its Carte lists its own carte offers, linked within the site
            assert f'href="/o/visite-hotel-de-ville?lang=fr&amp;site={site.slug}"' in carte
            assert "heure-du-conte" not in carte  # a 19e offer
            assert client.get(f"/s/{site.own}").status_code == 200  # one site has it
        board = client.get(f"/ecran/{site.slug}/etat.json").json()
        assert board["site"] == site.name


def test_a_link_without_its_site_asks_which_mairie_never_a_bare_404(client, sites, demo):
    for path in ("/s/naissance", "/o/troc-livres", "/carte", "/proposer"):
        response = client.get(f"{path}?lang=ar")
        assert response.status_code == 300, path
        page = response.content.decode()
        assert 'lang="ar" dir="rtl"' in page and "أي بلدية؟" in page  # in the visitor's language
        for site in sites:
            assert site.name in page
            assert f'href="{path}?site={site.slug}&amp;lang=ar"' in page
    # The choice lists only the sites that have the slug; a slug one site has needs no choice.
    amap = client.get("/o/amap-buttes")
    assert amap.status_code == 200 and demo.name in amap.content.decode()
    own = next(s for s in sites if s.own)
    assert own.name in client.get(f"/s/{own.own}").content.decode()
    # A site that does not exist, or does not have the object: 404 (a wrong link).
    assert client.get("/proposer?site=paris-99").status_code == 404
    assert client.get(f"/o/amap-buttes?site={own.slug}").status_code == 404


def test_each_kiosk_gets_its_sites_content_and_numbers_its_tickets(client, sites, demo):
    from kiosk.server.queueing.models import Ticket

    demo_services = {s["id"] for s in demo_data()["services"]}
    issued = {}
    for i, site in enumerate(sites):
        content = api(client, site, "get", "/content")
        assert content.status_code == 200
        items = content.json()["items"]
        services = {it["data"]["id"] for it in items if it["kind"] == "service"}
        offers = {it["data"]["id"] for it in items if it["kind"] == "offer"}
        if site.own:
            assert services == {"naissance", site.own}
            assert offers == set(SHARED_OFFERS)
        else:
            assert services == demo_services
        count = 1 + i % 3
        tickets = [api(client, site, "post", "/tickets", {"service": "naissance"})
                   for _ in range(count)]
        assert [t.status_code for t in tickets] == [201] * count
        # Numbered per site: every site starts its day at N001.
        assert [t.json()["number"] for t in tickets] == [f"N{k:03d}" for k in range(1, count + 1)]
        issued[site.slug] = [t.json()["id"] for t in tickets]
    for site in sites:
        queues = api(client, site, "get", "/queues").json()["services"]
        assert queues["naissance"]["waiting"] == len(issued[site.slug])
        if site.own:
            assert set(queues) <= {"naissance", site.own}
        mine = issued[site.slug][0]
        assert api(client, site, "get", f"/tickets/{mine}").status_code == 200
        other = next(s for s in sites if s.pk != site.pk)
        assert api(client, other, "get", f"/tickets/{mine}").status_code == 404
        assert Ticket.objects.get(public_token=mine).site_id == site.pk


def test_stats_and_fleet_are_per_site_and_agents_see_only_theirs(client, sites, demo):
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership

    for i, site in enumerate(sites):
        for _ in range(1 + i % 3):
            api(client, site, "post", "/tickets", {"service": "naissance"})
    boss = get_user_model().objects.create_user("patron", is_superuser=True, is_staff=True)
    client.force_login(boss)
    hall = {k["name"] for k in demo_data()["kiosks"]}  # the 19e's demo kiosk
    for i, site in enumerate(sites):
        export = client.get(f"/stats/{site.slug}/export.csv?kind=tickets")
        assert export.status_code == 200
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert len(rows) - 1 == 1 + i % 3, site.slug  # its tickets only (minus the header)
        page = client.get(f"/stats/{site.slug}/")
        assert page.status_code == 200 and site.name in page.content.decode()
        fleet = client.get(f"/flotte/{site.slug}/etat.json").json()
        expected = {f"Borne {site.slug}"} | (hall if site == demo else set())
        assert {k["name"] for k in fleet["kiosks"]} == expected
        assert fleet["site"]["slug"] == site.slug
    # A site's admin manages that site only.
    mine, other = sites[3], sites[7]
    admin = get_user_model().objects.create_user("admin-local", is_staff=True)
    SiteMembership.objects.create(user=admin, site=mine, role="admin")
    client.force_login(admin)
    assert client.get(f"/stats/{mine.slug}/").status_code == 200
    assert client.get(f"/flotte/{mine.slug}/").status_code == 200
    assert client.get(f"/stats/{other.slug}/").status_code == 403
    assert client.get(f"/stats/{other.slug}/export.csv").status_code == 403
    assert client.get(f"/flotte/{other.slug}/").status_code == 403
    assert client.get(f"/flotte/{other.slug}/etat.json").status_code == 403
