"""The back-office's documents field: agents tick documents of the vocabulary (pictogram,
names), add a précision, write free text for the rest; the list keeps its order; a bad
entry is a French form error and what was typed stays on the page."""

from __future__ import annotations

import pytest

from kiosk.domain.content import parse_item
from kiosk.domain.documents import DOCUMENTS
from tests.server.test_text_input import FormReader, editor  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def page_fields(editor, url) -> dict[str, list[str]]:  # noqa: F811 - the fixture
    reader = FormReader()
    page = editor.get(url).content.decode()
    reader.feed(page)
    data: dict[str, list[str]] = {}
    for name, value in reader.fields:
        data.setdefault(name, []).append(value)
    return data


def a_situation(demo):
    from kiosk.server.content.models import Situation

    return Situation.objects.get(site=demo, slug="naissance-enfant")


def test_the_form_lists_the_vocabulary_with_pictograms_and_ticks_the_items_keys(editor, demo):  # noqa: F811
    situation = a_situation(demo)
    page = editor.get(f"/admin/content/situation/{situation.pk}/change/").content.decode()
    assert 'data-testid="documents-field"' in page
    for key in DOCUMENTS:
        assert f'value="{key}"' in page
    assert page.count('src="data:image/svg+xml;base64,') >= len(DOCUMENTS)
    fields = page_fields(editor, f"/admin/content/situation/{situation.pk}/change/")
    keys = [e["doc"] for e in situation.documents if "doc" in e]
    assert fields["documents__doc"] == [k for k in DOCUMENTS if k in keys]  # ticked ones
    assert "brouillons : wo, bm" in page  # unreviewed names are said so


def test_ticks_a_note_and_free_text_save_in_order(editor, demo):  # noqa: F811
    situation = a_situation(demo)
    url = f"/admin/content/situation/{situation.pk}/change/"
    before = list(situation.documents)
    data = page_fields(editor, url)
    data["documents__doc"] = data["documents__doc"] + ["bank_details"]  # a new tick
    data["documents__note__bank_details__fr"] = ["au nom de l’enfant"]
    blank = int(data["documents__rows"][0]) - 1  # the last, empty free-text row
    data[f"documents__free__{blank}__fr"] = ["Carnet de maternité"]
    data[f"documents__free__{blank}__en"] = ["Maternity booklet"]
    data["_save"] = ["Enregistrer"]
    response = editor.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    situation.refresh_from_db()
    assert situation.documents[:len(before)] == before  # what was there stays in place
    assert situation.documents[len(before):] == [
        {"doc": "bank_details", "note": {"fr": "au nom de l’enfant"}},
        {"fr": "Carnet de maternité", "en": "Maternity booklet"}]
    item = parse_item("situation", situation.to_wire())
    assert item.document_lines[-2].pictogram == "doc-rib"


def test_unticking_removes_and_free_text_without_french_is_refused_as_typed(editor, demo):  # noqa: F811
    from kiosk.server.content.models import ContentChange

    situation = a_situation(demo)
    url = f"/admin/content/situation/{situation.pk}/change/"
    before, changes = list(situation.documents), ContentChange.objects.count()
    data = page_fields(editor, url)
    assert "id_card" in data["documents__doc"]
    data["documents__doc"] = [k for k in data["documents__doc"] if k != "id_card"]  # untick
    blank = int(data["documents__rows"][0]) - 1
    data[f"documents__free__{blank}__en"] = ["Only in English, typed by the agent"]
    data["_save"] = ["Enregistrer"]
    response = editor.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "le texte en français est obligatoire" in page
    assert "Only in English, typed by the agent" in page  # kept for the agent to finish
    situation.refresh_from_db()
    assert situation.documents == before and ContentChange.objects.count() == changes
    data[f"documents__free__{blank}__fr"] = ["Seulement en français"]
    assert editor.post(url, data).status_code == 302
    situation.refresh_from_db()
    assert situation.documents == [e for e in before if e.get("doc") != "id_card"] + [
        {"fr": "Seulement en français", "en": "Only in English, typed by the agent"}]


def test_a_raw_json_post_is_still_read_and_checked(editor, demo):  # noqa: F811
    situation = a_situation(demo)
    url = f"/admin/content/situation/{situation.pk}/change/"
    data = page_fields(editor, url)
    data["documents"] = ['[{"doc": "no_such_document"}]']
    data["_save"] = ["Enregistrer"]
    response = editor.post(url, data)
    assert response.status_code == 200
    assert "n&#x27;est pas dans la liste des documents" in response.content.decode()
    data["documents"] = ['[{"doc": "passport"}]']
    assert editor.post(url, data).status_code == 302
    situation.refresh_from_db()
    assert situation.documents == [{"doc": "passport"}]
