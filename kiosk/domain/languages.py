"""The kiosk's languages and the rules that depend on them (direction, font, fallback)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LANGUAGE = "fr"
# Languages whose texts (catalogs, document names, fiche words, demo content) no native
# speaker has reviewed yet: shown to agents as drafts.
DRAFT_LANGUAGES = ("wo", "bm")


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str
    rtl: bool = False
    # Kivy has no font fallback: each language names the font family that covers its script.
    font: str = "NotoSans"


LANGUAGES: tuple[Language, ...] = (
    Language("fr", "Français"),
    Language("en", "English"),
    Language("ar", "العربية", rtl=True, font="NotoSansArabic"),
    Language("zh", "中文", font="NotoSansCJK"),
    Language("wo", "Wolof"),
    Language("bm", "Bamanankan"),
)

_BY_CODE = {lang.code: lang for lang in LANGUAGES}


def get_language(code: str) -> Language:
    """The language for `code`, French when the code is unknown."""
    return _BY_CODE.get(code, _BY_CODE[DEFAULT_LANGUAGE])


def localized(texts: dict[str, str] | str | None, lang: str) -> str:
    """One text in `lang`, falling back to French, then to any language present.

    Content fields travel as {"fr": ..., "en": ...}; a missing or empty translation
    falls back per field so a visitor never sees a blank.
    """
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    for code in (lang, DEFAULT_LANGUAGE):
        value = texts.get(code)
        if value:
            return value
    return next((v for v in texts.values() if v), "")
