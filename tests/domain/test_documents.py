"""The documents vocabulary (kiosk/domain/documents.py) and how content reads it."""

import re
from pathlib import Path

import pytest

from kiosk.domain import documents
from kiosk.domain.content import ContentError, Service, Situation
from kiosk.domain.documents import (
    DOCUMENTS,
    FREE_TEXT_PICTOGRAM,
    MAX_DOCUMENTS,
    DocumentLine,
    check_entry,
    parse_entries,
    resolve,
    ticks_wire,
)
from kiosk.domain.languages import LANGUAGES

PICTOGRAMS = Path(__file__).resolve().parents[2] / "assets" / "pictograms" / "src"
CODES = [lang.code for lang in LANGUAGES]


def test_every_document_is_named_in_the_six_languages():
    assert len(DOCUMENTS) >= 20
    for key, document in DOCUMENTS.items():
        assert document.key == key and re.fullmatch(r"[a-z_]+", key)
        assert sorted(document.texts) == sorted(CODES), key
        assert all(text.strip() for text in document.texts.values()), key


def test_wolof_and_bambara_names_are_marked_as_drafts():
    for document in DOCUMENTS.values():
        assert document.is_draft("wo") and document.is_draft("bm")
        assert not document.is_draft("fr") and not document.is_draft("en")


def test_names_differ_so_a_checklist_never_reads_twice_the_same():
    for code in CODES:
        names = [d.texts[code] for d in DOCUMENTS.values()]
        assert len(set(names)) == len(names), code


def test_every_pictogram_exists_with_a_french_title():
    slugs = {d.pictogram for d in DOCUMENTS.values()} | {FREE_TEXT_PICTOGRAM}
    for slug in slugs:
        svg = PICTOGRAMS / f"{slug}.svg"
        assert svg.exists(), slug
        source = svg.read_text()
        assert 'viewBox="0 0 96 96"' in source and "<title>" in source, slug
        assert not re.search(r"#(?!fff\b)[0-9a-fA-F]{3,6}\b", source.replace("#000", "")), slug
    # each document its own pictogram: a visitor tells them apart without reading
    assert len({d.pictogram for d in DOCUMENTS.values()}) == len(DOCUMENTS)


def test_a_key_reads_as_the_vocabulary_with_its_note():
    line = check_entry({"doc": "id_card", "note": {"fr": "du déclarant", "en": "of the declarant"}})
    assert (line.key, line.pictogram) == ("id_card", "doc-identite")
    shown = line.shown()
    assert shown["fr"] == DOCUMENTS["id_card"].texts["fr"] + " — du déclarant"
    assert shown["en"].endswith(" — of the declarant")
    assert shown["wo"].endswith(" — du déclarant")  # a note falls back to French
    assert set(shown) == set(CODES)
    assert line.wire() == {"doc": "id_card", "note": {"fr": "du déclarant", "en": "of the declarant"}}
    assert check_entry({"doc": "passport"}).wire() == {"doc": "passport"}


def test_free_text_keeps_its_texts_and_the_generic_pictogram():
    line = check_entry({"fr": "Numéro de pré-demande (ANTS)", "en": "ANTS number", "ar": ""})
    assert line == DocumentLine("", FREE_TEXT_PICTOGRAM,
                                {"fr": "Numéro de pré-demande (ANTS)", "en": "ANTS number"})
    assert line.shown() == line.texts and line.wire() == line.texts


@pytest.mark.parametrize("entry, why", [
    ({"doc": "no_such_thing"}, "unknown document"),
    ({"doc": 3}, "unknown document"),
    ({"doc": "id_card", "extra": 1}, "only doc and note"),
    ({"doc": "id_card", "note": "du déclarant"}, "note must be"),
    ({"doc": "id_card", "note": {"fr": 3}}, "note must be"),
    ({"en": "ID only in English"}, "needs French"),
    ({}, "needs French"),
    ("Pièce d'identité", "doc"),
    ({"fr": ["x"]}, "doc"),
])
def test_bad_entries_are_refused_with_a_reason(entry, why):
    with pytest.raises(ValueError, match=why):
        check_entry(entry)
    assert resolve(entry) is None


def test_a_list_names_its_bad_entry_and_is_bounded():
    with pytest.raises(ValueError, match="document 2: unknown"):
        parse_entries([{"doc": "id_card"}, {"doc": "nope"}])
    assert len(parse_entries([{"doc": "id_card"}] * MAX_DOCUMENTS)) == MAX_DOCUMENTS
    with pytest.raises(ValueError, match=f"at most {MAX_DOCUMENTS}"):
        parse_entries([{"doc": "id_card"}] * (MAX_DOCUMENTS + 1))


def _service(docs):
    return {"id": "naissance", "pole": "citoyennete", "prefix": "N", "pictogram": "naissance",
            "name": {"fr": "Naissance"}, "documents": docs}


def test_a_service_reads_keys_and_free_text_in_order():
    svc = Service.from_wire(_service([
        {"fr": "Constat de la maternité"}, {"doc": "family_record_book"},
        {"doc": "id_card", "note": {"fr": "des deux parents"}}]))
    assert [line.key for line in svc.document_lines] == ["", "family_record_book", "id_card"]
    assert [line.pictogram for line in svc.document_lines] == [
        FREE_TEXT_PICTOGRAM, "doc-livret-famille", "doc-identite"]
    # `documents` stays what each line reads: every consumer of texts works unchanged
    assert svc.documents[0] == {"fr": "Constat de la maternité"}
    assert svc.documents[1] == DOCUMENTS["family_record_book"].texts
    assert svc.documents[2]["zh"].endswith("des deux parents")


def test_a_situation_reads_keys_too_and_refuses_unknown_ones():
    data = {"id": "demenagement", "pictogram": "situation-moving", "name": {"fr": "Je déménage"},
            "documents": [{"doc": "proof_of_address"}]}
    assert Situation.from_wire(data).document_lines[0].key == "proof_of_address"
    with pytest.raises(ContentError, match="document 1: unknown document 'house'"):
        Situation.from_wire({**data, "documents": [{"doc": "house"}]})
    with pytest.raises(ContentError, match="needs French"):
        Service.from_wire(_service([{"en": "no French"}]))


def test_ticks_travel_as_the_contract_says():
    lines = parse_entries([{"doc": "id_card"}, {"fr": "Ancien passeport " + "x" * 300}])
    ticks = ticks_wire(lines, [True, False])
    assert ticks[0] == {"doc": "id_card", "text": DOCUMENTS["id_card"].texts, "have": True}
    assert ticks[1]["doc"] == "" and ticks[1]["have"] is False
    assert len(ticks[1]["text"]["fr"]) == documents.TEXT_MAX
    assert ticks_wire(lines, []) == []


def test_the_wire_keeps_the_old_texts_and_adds_the_keys():
    from kiosk.domain.documents import DOCUMENTS, from_wire, to_wire

    key = next(iter(DOCUMENTS))
    entries = [{"doc": key, "note": {"fr": "en cours de validité"}}, {"fr": "Convention de PACS"}]
    wire = to_wire(entries)
    # every line readable by a kiosk that knows no key: {lang: text}, the note after the name
    assert all(isinstance(t, dict) and t["fr"] for t in wire["documents"])
    assert wire["documents"][0]["fr"].endswith("en cours de validité")
    assert wire["document_keys"] == [{"doc": key, "note": {"fr": "en cours de validité"}},
                                     {"doc": ""}]
    lines = from_wire(wire["documents"], wire["document_keys"])
    assert [line.key for line in lines] == [key, ""]
    assert lines[0].shown() == wire["documents"][0]


def test_a_key_this_kiosk_does_not_know_reads_as_its_text():
    from kiosk.domain.documents import FREE_TEXT_PICTOGRAM, from_wire

    lines = from_wire([{"fr": "Carnet de vol spatial"}], [{"doc": "spaceflight_log"}])
    assert lines[0].key == "" and lines[0].pictogram == FREE_TEXT_PICTOGRAM
    assert lines[0].texts["fr"] == "Carnet de vol spatial"
    import pytest
    with pytest.raises(ValueError):
        from_wire([{"fr": "a"}], [])
