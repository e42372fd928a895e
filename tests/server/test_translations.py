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


def test_the_demo_counts_100_percent_in_every_language_and_says_wo_bm_are_drafts(client, demo):
    from kiosk.server.content.translations import completeness

    reports = completeness(demo)
    assert [r.code for r in reports] == ["fr", "en", "ar", "zh", "wo", "bm"]
    assert all(r.total >= 100 and r.filled == r.total and r.missing == [] for r in reports), [
        (r.code, r.filled, r.total) for r in reports]
    login(client, "editor")
    html = client.get("/admin/traductions/").content.decode()
    table = html.split('data-testid="completeness"')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]  # after the head's row
    assert len(rows) == 6 and all("100 %" in row and 'value="100"' in row for row in rows)
    row_of = {r.code: next(row for row in rows if f'lang="{r.code}"' in row) for r in reports}
    assert [code for code, row in row_of.items() if "premier jet non relu" in row] == ["wo", "bm"]
    # The demo's own Wolof and Bambara texts are drafts too, and the page says so.
    assert "contenu de démonstration" in html and "brouillon non relu" in html
