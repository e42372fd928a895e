"""The six gettext catalogs: complete for every key the code uses, fields intact, loadable."""

from __future__ import annotations

import gettext
import io
import re
import subprocess
import sys

from kiosk.ui import i18n
from kiosk.ui.strings import t

CODES = ("fr", "en", "ar", "zh", "wo", "bm")
FIELD = re.compile(r"{(\w*)}")


def test_there_is_one_catalog_per_kiosk_language():
    assert i18n.CODES == CODES
    for code in CODES:
        assert i18n.po_path(code).exists(), code


def test_every_key_used_in_the_code_is_translated_in_all_six_languages():
    assert i18n.used_keys(), "the extractor finds the tr() calls"
    assert i18n.missing() == {}


def test_the_check_command_says_so_with_its_exit_code():
    done = subprocess.run([sys.executable, "-m", "kiosk.ui.i18n", "check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_translations_keep_the_fields_of_the_french_text():
    french = i18n.read_po(i18n.po_path("fr"))
    for code in CODES:
        for key, text in i18n.read_po(i18n.po_path(code)).items():
            assert set(FIELD.findall(text)) == set(FIELD.findall(french[key])), (code, key)
    weekdays = {code: i18n.read_po(i18n.po_path(code))["weekdays"].split(",") for code in CODES}
    assert all(len(days) == 7 for days in weekdays.values())


def test_wolof_and_bambara_use_their_own_letters():
    bambara = " ".join(i18n.read_po(i18n.po_path("bm")).values())
    assert "ɛ" in bambara and "ɔ" in bambara and "ɲ" in bambara
    wolof = " ".join(i18n.read_po(i18n.po_path("wo")).values())
    assert "ë" in wolof and "ñ" in wolof


def test_compiled_catalogs_load_with_the_stdlib_and_fall_back_to_french_then_the_key(tmp_path):
    i18n.compile_all()
    for code in CODES:
        catalog = gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=[code])
        assert catalog.gettext("take_ticket") != "take_ticket"
    assert t("take_ticket", "ar") == "خذ تذكرة"
    assert t("wait_estimate", "zh", minutes=12) == "预计等候：约 12 分钟"
    assert t("take_ticket", "xx") == t("take_ticket", "fr") == "Prendre un ticket"
    assert t("no_such_key", "en") == "no_such_key"


def test_the_extractor_finds_keys_in_python_and_kv():
    source = 'text: app.tr("back")\nlabel = self.app.tr(\'take_ticket\', n=1)\nt("done", lang)\n'
    assert [k for _line, k in i18n.keys_in(source)] == ["back", "take_ticket", "done"]
    found = list(i18n.extract_tr(io.BytesIO(source.encode()), [], [], {}))
    assert [(line, key) for line, _f, key, _c in found] == [(1, "back"), (2, "take_ticket"), (3, "done")]


def test_babel_extracts_the_same_keys_from_kiosk_ui_and_the_domain():
    from babel.messages.extract import extract_from_dir

    method_map = [("**.py", "kiosk.ui.i18n:extract_tr"), ("**.kv", "kiosk.ui.i18n:extract_tr")]
    keys = {key for root in i18n.SOURCE_DIRS
            for _f, _l, key, _c, _x in extract_from_dir(root, method_map)}
    assert set(i18n.used_keys()) <= keys | {"no_such_key"}
    assert {"welcome", "take_ticket", "large_text"} <= keys
    assert {"offer_every", "closed_today"} <= keys  # the domain's text rules (offer_text, hours)


def test_keys_built_at_run_time_are_declared_and_translated():
    from kiosk.domain.priorities import PRIORITY_CATEGORIES

    assert {c.text_key for c in PRIORITY_CATEGORIES} <= i18n.runtime_keys()
    assert "priority_pregnancy" not in i18n.used_keys()  # built: only the declaration has it
    assert i18n.missing() == {}


def test_every_interest_of_the_vocabulary_has_a_label_in_all_six_languages():
    from kiosk.domain.content import INTERESTS

    catalogs = {code: i18n.read_po(i18n.po_path(code)) for code in CODES}
    for slug, (label, _pictogram) in INTERESTS.items():
        key = f"interest_{slug}"
        assert catalogs["fr"].get(key) == label, key  # the back-office's word, the kiosk's too
        for code in CODES:
            assert catalogs[code].get(key, "").strip(), (code, key)
