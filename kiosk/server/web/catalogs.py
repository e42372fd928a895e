"""The server's gettext catalogs (kiosk/server/locale/<lang>/LC_MESSAGES/django.po): compiled
to .mo with the standard library (kiosk.domain.po), no GNU gettext needed.

    python -m kiosk.server.web.catalogs            # compile the stale ones (set-up)
    python -m kiosk.server.web.catalogs --force    # compile all six

The msgids are stable keys ("phone.waiting"); French is the reference, the other catalogs
carry a `#. fr:` comment. The Wolof and Bambara texts are drafts (`#. draft:` comments):
a native speaker must review them. The web app compiles stale catalogs when Django starts
(apps.py), so a checkout that skipped the set-up step still speaks every language.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from kiosk.domain.languages import LANGUAGES
from kiosk.domain.po import read_po, write_mo

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "django"  # the domain Django's translation machinery reads from LOCALE_PATHS
CODES = tuple(lang.code for lang in LANGUAGES)


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(code: str) -> Path:
    return po_path(code).with_suffix(".mo")


def messages(code: str) -> dict[str, str]:
    """key -> text of one catalog (its .po: the source)."""
    return {k: v for k, v in read_po(po_path(code)).items() if v}


def stale(code: str) -> bool:
    mo = mo_path(code)
    return not mo.exists() or mo.stat().st_mtime < po_path(code).stat().st_mtime


def compile_catalogs(force: bool = False) -> list[str]:
    """Write the .mo of every catalog whose .po is newer; the codes compiled."""
    done = []
    for code in CODES:
        if po_path(code).exists() and (force or stale(code)):
            write_mo(messages(code), mo_path(code))
            done.append(code)
    return done


def compile_if_stale() -> None:
    """At start-up: a read-only install (compiled at set-up) just logs."""
    try:
        compiled = compile_catalogs()
    except OSError as exc:
        log.warning("server catalogs not compiled (%s): run `python -m kiosk.server.web.catalogs`",
                    exc)
        return
    if compiled:
        log.info("server catalogs compiled: %s", ", ".join(compiled))


if __name__ == "__main__":
    print("compiled:", ", ".join(compile_catalogs(force="--force" in sys.argv)) or "none")
