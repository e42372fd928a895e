"""The visitor's language on the public pages, and the words of the server's catalogs.

Which language: `?lang=xx` (the kiosk's QR codes and the pages' language switch), then the
ticket's own language (phone pages), then the browser's Accept-Language, then French.
Words come from gettext (kiosk/server/locale, keys such as "phone.waiting"); content fields
({"fr": ..., "ar": ...}) fall back to French per field, and such a fallback is marked
lang="fr" so screen readers and speech switch voice.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from kiosk.domain.languages import DEFAULT_LANGUAGE, LANGUAGES, Language, get_language

CODES = tuple(lang.code for lang in LANGUAGES)


def visitor_language(request, preferred: str | None = None) -> Language:
    """The page's language (see the module's docstring), activated for this request."""
    asked = request.GET.get("lang", "")
    if asked in CODES:
        code = asked
    elif preferred in CODES:
        code = preferred
    else:
        # LocaleMiddleware's own choice: the language cookie, then Accept-Language.
        code = translation.get_language_from_request(request)
        code = code if code in CODES else DEFAULT_LANGUAGE
    translation.activate(code)
    request.LANGUAGE_CODE = code
    return get_language(code)


def page_context(lang: Language, query_extra: str = "") -> dict:
    """What every public page's template needs: lang, dir, the language switch."""
    return {
        "lang": lang.code, "dir": "rtl" if lang.rtl else "ltr",
        "switch": [{"code": other.code, "name": other.native_name,
                    "dir": "rtl" if other.rtl else "ltr", "current": other.code == lang.code,
                    "href": f"?lang={other.code}{query_extra}"} for other in LANGUAGES],
    }


def tr(key: str, **fields) -> str:
    """The text of `key` in the active language (French when the catalog lacks it)."""
    text = gettext(key)
    return text.format(**fields) if fields else text


class Texts:
    """`{{ t.position }}` in a template: gettext("<prefix>.position")."""

    do_not_call_in_templates = True

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __getitem__(self, key: str) -> str:
        return gettext(f"{self.prefix}.{key}")

    def __call__(self, key: str, **fields) -> str:
        return tr(f"{self.prefix}.{key}", **fields)


class Shown(SafeString):
    """A content text ready for a template: its HTML, where a fallback to another language
    than the page's is wrapped in <span lang=.. dir=..> (screen readers and speech switch
    voice). `.text` is the plain text (for <title> and attributes), `.lang` its language.
    A str (SafeString), so the template engine keeps it as it is."""

    def __new__(cls, text: str, lang: str, page_lang: str):
        if lang == page_lang or not text:
            html = escape(text)
        else:
            direction = "rtl" if get_language(lang).rtl else "ltr"
            html = format_html('<span lang="{}" dir="{}">{}</span>', lang, direction, text)
        self = super().__new__(cls, html)
        self.text, self.lang, self.fallback = text, lang, lang != page_lang and bool(text)
        return self


def shown(texts: dict[str, str] | str | None, lang: str) -> Shown:
    """kiosk.domain.languages.localized, telling which language it picked. A plain string
    (an address, a name) is shown as it is."""
    if not isinstance(texts, dict):
        return Shown(texts or "", lang, lang)
    for code in dict.fromkeys((lang, DEFAULT_LANGUAGE)):
        if texts.get(code):
            return Shown(texts[code], code, lang)
    for code, value in texts.items():
        if value:
            return Shown(value, code, lang)
    return Shown("", lang, lang)


def plural_category(n: int, lang: str) -> str:
    """CLDR plural category of `n` (integers) for the counted nouns of the catalogs."""
    if lang == "ar":
        if n in (1, 2):
            return "one" if n == 1 else "two"
        rest = n % 100
        return "few" if 3 <= rest <= 10 else "many" if rest >= 11 else "other"
    if lang in ("zh", "wo", "bm"):
        return "other"
    if lang == "fr":
        return "one" if n in (0, 1) else "other"
    return "one" if n == 1 else "other"


def counted(noun: str, n: int, lang: str) -> str:
    """"3 places", "مكانان", "yɔrɔ 3": count.<noun>.<category> of the active catalog."""
    return tr(f"count.{noun}.{plural_category(n, lang)}", n=n)


def counter_name(name: str) -> str:
    """'Guichet 3' in the active language ('Counter 3', '3 号窗口'); other names as they are."""
    name = name.strip()
    if name.lower().startswith("guichet "):
        return tr("phone.counter", label=name.split(" ", 1)[1])
    return name
