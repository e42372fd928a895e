"""The translation completeness page: per language, what is still shown in French."""

from __future__ import annotations

import pytest

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


def login(client, role):
    agent = next(a for a in demo_data()["agents"] if a["role"] == role)
    assert client.login(username=agent["username"], password=agent["password"])


def test_completeness_counts_and_lists_what_is_missing(demo):
    from kiosk.server.content.models import Pole
    from kiosk.server.content.translations import completeness

    reports = {r.code: r for r in completeness(demo)}
    assert reports["fr"].percent == 100 and reports["fr"].missing == []
    total = reports["fr"].total
    assert all(r.total == total for r in reports.values())
    assert reports["en"].filled > reports["wo"].filled  # the demo's Wolof is thinner
    pole = Pole.objects.get(site=demo, slug="logement")
    before = reports["bm"].filled
    pole.name = {"fr": pole.name["fr"]}  # drop every translation of one name
    pole.save()
    after = {r.code: r for r in completeness(demo)}
    assert after["bm"].filled == before - (1 if demo_pole_has("logement", "bm") else 0)
    assert any(m.field == "name" and str(pole) in m.label and m.url.endswith(f"/{pole.pk}/change/")
               for m in after["en"].missing)


def demo_pole_has(slug, lang):
    return bool(next(p for p in demo_data()["poles"] if p["id"] == slug)["name"].get(lang))


def test_the_page_for_an_editor_and_not_for_a_counter_agent(client, demo):
    login(client, "editor")
    page = client.get("/admin/traductions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Wolof" in html and "Complétude" in html and demo.name in html
    # The interface's Wolof and Bambara words are drafts: the page says so, on those rows.
    assert "pas encore relu par un locuteur natif" in html
    assert html.count("(interface : premier jet non relu)") == 2
    client.logout()
    login(client, "counter")
    assert client.get("/admin/traductions/").status_code in (302, 403)
