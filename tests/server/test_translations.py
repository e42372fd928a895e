"""The translation completeness page: per language, what is still shown in French."""

from __future__ import annotations

from html import unescape

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


def _drafts(site, code):
    from kiosk.server.content.translations import completeness

    return next(r for r in completeness(site) if r.code == code)


def _mark(client, site, code, draft, sha=None):
    return client.post("/admin/traductions/relu", {
        "site": site.slug, "lang": code, "model": draft.model, "pk": draft.pk,
        "field": draft.field, "sha": sha or draft.sha})


def test_every_translation_of_the_demo_is_a_draft_until_a_native_speaker_reads_it(client, demo):
    from kiosk.server.content.translations import completeness

    for report in completeness(demo):
        if report.code == "fr":  # the source
            assert report.reviewed == report.filled and report.drafts == []
        else:  # nobody has read the demo's translations: all of them are drafts
            assert report.reviewed == 0 and len(report.drafts) == report.filled > 100
    login(client, "editor")
    page = client.get(f"/admin/traductions/?site={demo.slug}").content.decode()
    assert "langue source" in page
    assert all(f'data-testid="drafts-{code}"' in page for code in ("en", "ar", "zh", "wo", "bm"))
    assert page.count("Relu par un locuteur natif</button>") == 5 * 60  # 60 shown per language


def test_an_editor_marks_one_text_read_and_an_edit_makes_it_a_draft_again(client, demo):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.models import Pole

    login(client, "editor")
    before = _drafts(demo, "wo")
    draft = next(d for d in before.drafts if d.model == "content.pole" and d.field == "name")
    answer = _mark(client, demo, "wo", draft)
    assert answer.status_code == 302 and answer["Location"].endswith("#drafts-wo")
    after = _drafts(demo, "wo")
    assert after.reviewed == before.reviewed + 1
    assert (draft.model, draft.pk, draft.field) not in {(d.model, d.pk, d.field)
                                                        for d in after.drafts}
    assert _drafts(demo, "bm").reviewed == 0  # one language's review says nothing of another
    entry = AuditEntry.objects.get(model="content.translationreview")
    assert entry.username and entry.changes["reviewed"] is True
    page = client.get(f"/admin/traductions/?site={demo.slug}").content.decode()
    assert f"{after.reviewed} / {after.filled}" in page.split('data-testid="reviewed-wo"')[1][:40]
    # The text changes: what was read is no longer what is shown, a draft again.
    pole = Pole.objects.get(pk=draft.pk)
    pole.name = {**pole.name, "wo": pole.name["wo"] + " (bees)"}
    pole.save()
    assert _drafts(demo, "wo").reviewed == before.reviewed


def test_a_stale_or_foreign_review_marks_nothing(client, demo):
    from kiosk.server.content.models import Site, TranslationReview

    draft = _drafts(demo, "ar").drafts[0]
    login(client, "editor")
    # The editor's page was older than the text: another sha, nothing marked, said so.
    answer = client.get(_mark(client, demo, "ar", draft, sha="0" * 64)["Location"])
    assert "rien n'est marqué" in unescape(answer.content.decode())
    assert not TranslationReview.objects.exists()
    assert client.get("/admin/traductions/relu").status_code == 405
    # Another site's slug (the editor has no role there), and a counter agent: refused.
    other = Site.objects.exclude(pk=demo.pk).first()
    assert _mark(client, other, "ar", draft).status_code == 403
    client.logout()
    login(client, "counter")
    assert _mark(client, demo, "ar", draft).status_code in (302, 403)
    assert not TranslationReview.objects.exists()


def test_one_entry_of_a_list_is_marked_and_a_made_up_target_marks_nothing(client, demo):
    """The review looks up the one object, field and language it names: an entry of a list
    (a service's second document) is marked alone; a made-up kind, object, field or
    language marks nothing."""
    from dataclasses import replace

    from kiosk.server.content.models import TranslationReview

    login(client, "editor")
    before = _drafts(demo, "zh")
    draft = next(d for d in before.drafts if d.model == "content.service"
                 and d.field.startswith("documents ") and d.field != "documents 1")
    for made_up in (replace(draft, model="content.nothing"), replace(draft, pk=10 ** 6),
                    replace(draft, field="documents 99"), replace(draft, model="auth.user")):
        answer = client.get(_mark(client, demo, "zh", made_up)["Location"])
        assert "rien n'est marqué" in unescape(answer.content.decode())
    assert _mark(client, demo, "xx", draft).status_code == 302
    assert not TranslationReview.objects.exists()
    _mark(client, demo, "zh", draft)
    after = _drafts(demo, "zh")
    assert after.reviewed == before.reviewed + 1
    gone = {(d.model, d.pk, d.field) for d in before.drafts} - {
        (d.model, d.pk, d.field) for d in after.drafts}
    assert gone == {(draft.model, draft.pk, draft.field)}
