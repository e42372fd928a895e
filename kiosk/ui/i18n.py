"""The kiosk's own words in six languages: gettext catalogs, keyed by a stable string key.

    python -m kiosk.ui.i18n extract   # kiosk/ui/**.py|kv -> locale/kiosk.pot (needs Babel, dev extra)
    python -m kiosk.ui.i18n update    # merge the template into the six .po files (Babel)
    python -m kiosk.ui.i18n compile   # .po -> .mo (stdlib only: runs at set-up on the kiosk)
    python -m kiosk.ui.i18n check     # every key used in the code translated in all six: exit 1 if not

A msgid is the key the code passes to `app.tr(<key>, **fields)` (e.g. "take_ticket"); the
French catalog is the reference text, the others translate it; `{name}` fields are filled by
str.format after translation. Lookup falls back per string: language -> French -> the key.
The domain's text rules (kiosk/domain: a service's hours, an offer's "when") take a `tr` and
use keys of these catalogs too: the extractor reads kiosk/domain as well as kiosk/ui.
"""

from __future__ import annotations

import argparse
import gettext
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from kiosk.domain.languages import DEFAULT_LANGUAGE, DRAFT_LANGUAGES, LANGUAGES
from kiosk.domain.po import read_po, write_mo  # noqa: F401  (also i18n.read_po for the tests)

log = logging.getLogger(__name__)

DOMAIN = "kiosk"
UI_DIR = Path(__file__).resolve().parent
DOMAIN_DIR = UI_DIR.parent / "domain"
SOURCE_DIRS = (UI_DIR, DOMAIN_DIR)  # where tr(<key>) calls are looked for
LOCALE_DIR = UI_DIR / "locale"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
CODES = tuple(lang.code for lang in LANGUAGES)
DRAFT_NOTE = "draft: not reviewed by a native speaker"  # on each entry of a draft language

# tr(<key>) / app.tr(<key>, ...) / t(<key>, lang), the key a quoted literal, in .py and .kv files.
_CALL = re.compile(r"""(?<![\w.])(?:app\.|self\.|self\.app\.|root\.app\.)?(?:tr|t)\(\s*(['"])([a-z][a-z0-9_.]*)\1""")


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(code: str) -> Path:
    return po_path(code).with_suffix(".mo")


# -- reading .po, writing .mo (stdlib only) ----------------------------------------------


# -- lookup at run time ------------------------------------------------------------------

_catalogs: dict[str, dict[str, str]] = {}


def _load(code: str) -> dict[str, str]:
    if code not in _catalogs:
        messages: dict[str, str] = {}
        try:
            with open(mo_path(code), "rb") as fh:
                translations = gettext.GNUTranslations(fh)
            messages = dict(translations._catalog)  # type: ignore[attr-defined]  # noqa: SLF001 - the parsed catalog itself
            messages.pop("", None)
        except FileNotFoundError:
            if po_path(code).exists():
                log.warning("%s not compiled: run `python -m kiosk.ui.i18n compile`", po_path(code))
                messages = {k: v for k, v in read_po(po_path(code)).items() if v}
        _catalogs[code] = messages
    return _catalogs[code]


def reload() -> None:
    """Forget the loaded catalogs (after a compile)."""
    _catalogs.clear()


def translate(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The text of `key` in `lang`; French when that language lacks it; the key as a last resort."""
    for code in dict.fromkeys((lang, DEFAULT_LANGUAGE)):
        text = _load(code).get(key)
        if text:
            return text
    log.warning("no text for key %r", key)
    return key


def has(key: str, lang: str) -> bool:
    return bool(_load(lang).get(key))


# -- extraction ----------------------------------------------------------------------------


def keys_in(text: str) -> Iterator[tuple[int, str]]:
    for match in _CALL.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match.group(2)


def extract_tr(fileobj, keywords, comment_tags, options):
    """Babel extractor for .py and .kv files: yields the key of every tr(<key>) call."""
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    for lineno, key in keys_in(text):
        yield lineno, None, key, []


def runtime_keys() -> set[str]:
    """Keys the code builds at run time (f"priority_{key}", a returned "waitinfo_sms"...),
    which no tr(<key>) call shows the extractor: kept in the template and checked too."""
    from kiosk.domain.priorities import PRIORITY_CATEGORIES

    phone_errors = ("empty", "too_long", "invalid_chars", "not_a_number", "invalid", "not_mobile",
                    "country")
    return ({c.text_key for c in PRIORITY_CATEGORIES}
            | {f"phone_error_{code}" for code in phone_errors}
            | {"sms_need_consent", "print_no_paper", "print_failed", "waitinfo_sms",
               "waitinfo_qr", "waitinfo_offline_sms", "waitinfo_offline_qr", "situations_empty"})


def used_keys(roots: tuple[Path, ...] = SOURCE_DIRS) -> dict[str, list[str]]:
    """key -> the files that use it, for every .py/.kv under kiosk/ui and kiosk/domain."""
    found: dict[str, list[str]] = {}
    for root in roots:
        for path in sorted([*root.rglob("*.py"), *root.rglob("*.kv")]):
            if path.name in ("i18n.py",):
                continue
            for _line, key in keys_in(path.read_text(encoding="utf-8")):
                found.setdefault(key, []).append(str(path.relative_to(root.parent.parent)))
    return found


def _extract() -> int:
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import write_po

    catalog = Catalog(project="Carrefour kiosk", charset="utf-8")
    method_map = [("**.py", "kiosk.ui.i18n:extract_tr"), ("**.kv", "kiosk.ui.i18n:extract_tr")]
    for root in SOURCE_DIRS:
        for filename, lineno, key, _comments, _context in extract_from_dir(root, method_map):
            catalog.add(key, locations=[(f"kiosk/{root.name}/{filename}", lineno)])
    for key in sorted(runtime_keys()):
        catalog.add(key)
    with open(TEMPLATE, "wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    print(f"{len(catalog)} keys -> {TEMPLATE}")
    return 0


def _update() -> int:
    from babel.messages.pofile import read_po as babel_read_po
    from babel.messages.pofile import write_po

    with open(TEMPLATE, "rb") as fh:
        template = babel_read_po(fh)
    french = read_po(po_path(DEFAULT_LANGUAGE))
    for code in CODES:
        path = po_path(code)
        with open(path, "rb") as fh:
            catalog = babel_read_po(fh, locale=code)
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            if message.id and code != DEFAULT_LANGUAGE and french.get(message.id):  # type: ignore[arg-type]  # a plural id (a tuple) is simply not found
                message.auto_comments = [f"fr: {french[message.id]}"]  # type: ignore[index]  # a str: found just above
                if code in DRAFT_LANGUAGES:  # kept: the translators' and agents' warning
                    message.auto_comments.append(DRAFT_NOTE)
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, ignore_obsolete=True)
        print(f"updated {path}")
    return 0


def compile_all() -> int:
    for code in CODES:
        messages = read_po(po_path(code))
        write_mo(messages, mo_path(code))
    reload()
    return 0


def missing() -> dict[str, list[str]]:
    """language -> keys used in the code without a translation there."""
    keys = sorted(set(used_keys()) | runtime_keys())
    out = {}
    for code in CODES:
        messages = read_po(po_path(code)) if po_path(code).exists() else {}
        lacking = [k for k in keys if not messages.get(k, "").strip()]
        if lacking:
            out[code] = lacking
    return out


def _check() -> int:
    lacking = missing()
    if not lacking:
        print(f"all {len(set(used_keys()) | runtime_keys())} keys translated in {', '.join(CODES)}")
        return 0
    for code, keys in lacking.items():
        print(f"{code}: {len(keys)} missing: {', '.join(keys)}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.ui.i18n")
    parser.add_argument("command", choices=["extract", "update", "compile", "check"])
    args = parser.parse_args(argv)
    return {"extract": _extract, "update": _update, "compile": compile_all, "check": _check}[
        args.command
    ]()


if __name__ == "__main__":
    sys.exit(main())
