"""The demo speaks all six languages: every free text of config/demo/19e.json, every note of a
document of the vocabulary, and every string of the kiosk's and the server's catalogs exists
in fr, en, ar, zh, wo and bm; the Wolof and Bambara catalog entries say they are drafts."""

from __future__ import annotations

import re

from kiosk.domain.documents import DOCUMENTS
from kiosk.domain.languages import LANGUAGES
from kiosk.server.content.kinds import KINDS
from kiosk.server.web import catalogs as server_catalogs
from kiosk.ui import i18n as kiosk_catalogs
from tests.conftest import demo_data

CODES = tuple(lang.code for lang in LANGUAGES)
DRAFT_COMMENT = "#. draft: not reviewed by a native speaker"
SENTENCE_WORDS = 5  # a "translation" this long that equals the French is French left as is


def demo_texts(data: dict):
    """(where, {lang: text}) for every translated text of the demo file, as the translations
    page counts them (a mapping with French), plus the notes of vocabulary documents."""
    for kind in KINDS:
        if not kind.demo_key:
            continue
        wire = dict(kind.wire_names)
        for item in data.get(kind.demo_key, []):
            for name in kind.texts:
                value = item.get(wire.get(name, name))
                entries = value if isinstance(value, list) else [value]
                for index, texts in enumerate(entries):
                    if not isinstance(texts, dict):
                        continue
                    where = f"{kind.demo_key} {item['id']} {name} {index + 1}"
                    if "doc" in texts:
                        if texts.get("note"):
                            yield f"{where} (note)", texts["note"]
                    elif (texts.get("fr") or "").strip():
                        yield where, texts


def lacking(data: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for where, texts in demo_texts(data):
        for code in CODES:
            text = (texts.get(code) or "").strip()
            copied = (code != "fr" and text == texts["fr"].strip()
                      and len(text.split()) >= SENTENCE_WORDS)
            if not text or copied:
                out.setdefault(code, []).append(where)
    return out


def test_every_text_of_the_demo_is_in_the_six_languages():
    data = demo_data()
    assert sum(1 for _ in demo_texts(data)) > 150  # the whole demo is read, notes included
    assert lacking(data) == {}


def test_the_check_sees_a_missing_language_and_french_left_as_is():
    data = demo_data()
    del data["situations"][0]["tips"][1]["bm"]
    data["places"][0]["summary"]["wo"] = data["places"][0]["summary"]["fr"]
    note = next(d for d in data["services"][0]["documents"] if d.get("note"))
    del note["note"]["zh"]
    assert lacking(data) == {
        "bm": [f"situations {data['situations'][0]['id']} tips 2"],
        "wo": [f"places {data['places'][0]['id']} summary 1"],
        "zh": [f"services {data['services'][0]['id']} documents "
               f"{data['services'][0]['documents'].index(note) + 1} (note)"]}


def test_the_demo_names_documents_of_the_vocabulary():
    keyed = free = 0
    for kind in ("services", "situations"):
        for item in demo_data()[kind]:
            for entry in item.get("documents", []):
                if "doc" in entry:
                    assert entry["doc"] in DOCUMENTS, (item["id"], entry)
                    keyed += 1
                else:
                    free += 1
    assert keyed > 4 * free  # free text only for what the vocabulary lacks


def _entries(path) -> list[list[str]]:
    """The .po file's entries (the header left out), each as its lines."""
    blocks = [b.splitlines() for b in path.read_text(encoding="utf-8").split("\n\n")]
    return [b for b in blocks if any(line.startswith('msgid "') and line != 'msgid ""'
                                     for line in b)]


def test_every_catalog_string_exists_in_the_six_languages():
    for module in (kiosk_catalogs, server_catalogs):
        messages = {code: {k: v for k, v in kiosk_catalogs.read_po(module.po_path(code)).items()
                           if k and v.strip()} for code in CODES}
        keys = set().union(*messages.values())
        assert len(keys) > 150, module.__name__
        for code in CODES:
            assert sorted(keys - set(messages[code])) == [], (module.__name__, code)


def test_wolof_and_bambara_catalog_entries_are_marked_as_drafts():
    for module in (kiosk_catalogs, server_catalogs):
        for code in CODES:
            entries = _entries(module.po_path(code))
            unmarked = [next(re.sub(r'^msgid "(.*)"$', r"\1", line) for line in entry
                             if line.startswith("msgid "))
                        for entry in entries if DRAFT_COMMENT not in entry]
            if code in ("wo", "bm"):
                assert entries and unmarked == [], (module.__name__, code, unmarked[:5])
            else:  # reviewed languages are never called drafts
                assert len(unmarked) == len(entries), (module.__name__, code)
