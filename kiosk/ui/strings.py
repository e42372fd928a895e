"""The kiosk's own words (not the content's): `t(key, lang, **fields)`.

A thin wrapper over the six gettext catalogs of kiosk/ui/locale (kiosk.ui.i18n): French is
the reference and the fallback, `{name}` fields are filled in after translation.
Content from the server (poles, services...) is localized per field by
kiosk.domain.languages.localized instead.
"""

from __future__ import annotations

from kiosk.ui.i18n import translate


def t(key: str, lang: str = "fr", **fields) -> str:
    text = translate(key, lang)
    if not fields:
        return text
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):  # a broken translation: show French instead
        return translate(key, "fr").format(**fields)
