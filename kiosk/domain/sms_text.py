"""SMS texts: GSM-7 or UCS-2, segment counting, and the templates sent to visitors.

Encoding, consciously (DESIGN.md, "Queues"): an SMS carries 160 GSM-7 characters, or only 70
UCS-2 ones. A single character outside the GSM 03.38 alphabet switches the *whole* message to
UCS-2, so a 100-character French text would cost two segments (and two SMS on the bill).

- `choose_encoding` is exact: GSM-7 when every character is in the basic table or the
  extension table (``^ { } \\ [ ~ ] | €`` and form feed, each costing 2 septets: escape +
  code), UCS-2 otherwise; segments are 160/153 septets (GSM-7, single/concatenated, an escape
  pair is never split across segments) or 70/67 UTF-16 code units (UCS-2, a surrogate pair is
  never split).
- The French and English templates are written in GSM-7 on purpose and fit one segment for
  typical fields (site ``Mairie du 19e``, ticket ``C042``, minutes < 100, default place):
    * no ``≈`` for "about": ``dans 10 min environ`` / ``in about 10 min``;
    * the apostrophe is ASCII ``'``, not the typographic ``’``;
    * ordinary spaces before ``:``, not the non-breaking spaces French typography wants;
    * no ``ç ê â î ô û œ À`` in template words (``é è ù à É`` are in GSM-7);
      ``présentez-vous`` is fine, ``reçu`` or ``fenêtre`` would not be.
  Field values (site names, places) come from editable content: `render_sms` replaces
  typographic punctuation (curly quotes, guillemets, dashes, ellipsis, non-breaking spaces,
  ``≈``) with GSM-7 look-alikes, because a stray ``’`` typed by an editor should not triple
  the cost of every SMS. Letters are never altered: a name with ``ç`` honestly goes UCS-2.
- Arabic and Chinese are UCS-2 by nature (70 characters a segment): their templates are
  short enough for one segment with typical fields. Bambara needs ``ɛ ɔ`` in "turn near"
  (UCS-2, kept under 70); the Wolof wording avoids ``ë`` and stays GSM-7. The ar/zh/wo/bm
  wordings need review by native speakers before production.
- Unknown languages fall back to French (as everywhere in the kiosk).

Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from kiosk.domain.languages import DEFAULT_LANGUAGE, localized

GSM7 = "gsm7"
UCS2 = "ucs2"

# GSM 03.38 default alphabet, code points 0x00-0x7F (0x1B, the escape, is not a character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: sent as escape (0x1B) + code, 2 septets each.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153  # septets; concatenation header takes 7 septets
UCS2_SINGLE, UCS2_MULTI = 70, 67  # UTF-16 code units

# Typographic characters an editor may type in a field, and their GSM-7 look-alikes.
_TYPOGRAPHIC = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2248": "~",
})


class SmsTextError(ValueError):
    pass


@dataclass(frozen=True)
class SmsText:
    text: str
    coding: str  # "gsm7" | "ucs2"
    segments: int


def gsm7_septets(text: str) -> int | None:
    """Septets needed to send `text` in GSM-7, or None if a character is not in GSM-7."""
    total = 0
    for char in text:
        if char in GSM7_BASIC:
            total += 1
        elif char in GSM7_EXTENSION:
            total += 2
        else:
            return None
    return total


def is_gsm7(text: str) -> bool:
    return gsm7_septets(text) is not None


def non_gsm7_chars(text: str) -> list[str]:
    """The distinct characters forcing UCS-2, in order (for editors' warnings)."""
    seen: list[str] = []
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION and char not in seen:
            seen.append(char)
    return seen


def _segments(units: list[int], single: int, multi: int) -> int:
    """Segments for a message made of indivisible units of the given sizes."""
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return segments


def choose_encoding(text: str) -> tuple[str, int]:
    """("gsm7" | "ucs2", segment count). An empty text needs 0 segments."""
    if is_gsm7(text):
        return GSM7, _segments([2 if c in GSM7_EXTENSION else 1 for c in text],
                               GSM7_SINGLE, GSM7_MULTI)
    return UCS2, _segments([2 if ord(c) > 0xFFFF else 1 for c in text], UCS2_SINGLE, UCS2_MULTI)


def gsm_friendly(value: str) -> str:
    """Typographic punctuation replaced by GSM-7 look-alikes; letters untouched."""
    return value.translate(_TYPOGRAPHIC)


TURN_NEAR = "turn_near"
CALLED = "called"

# {site}: "Mairie du 19e"; {ticket}: "C042"; {minutes}: int; {counter}: "3";
# {place}: where to come back, with its preposition ("au hall d'accueil"), optional.
TEMPLATES: dict[str, dict[str, str]] = {
    TURN_NEAR: {
        "fr": "{site} : votre ticket {ticket} passe dans {minutes} min environ. Revenez {place}.",
        "en": "{site}: your ticket {ticket} will be called in about {minutes} min. "
              "Please come back {place}.",
        "ar": "{site}: دور تذكرتك {ticket} خلال {minutes} دقيقة. عد {place}.",
        "zh": "{site}：您的号码 {ticket} 约 {minutes} 分钟后叫号，请回到{place}。",
        "wo": "{site}: sa tike {ticket} dina jot ci lu mat {minutes} simili. Dellusil {place}.",
        "bm": "{site}: tike {ticket} bɛ wele miniti {minutes} kɔnɔ. Segin {place}.",
    },
    CALLED: {
        "fr": "{site} : ticket {ticket}, présentez-vous au guichet {counter}.",
        "en": "{site}: ticket {ticket}, please go to counter {counter}.",
        "ar": "{site}: التذكرة {ticket}، يرجى التوجه إلى الشباك {counter}.",
        "zh": "{site}：{ticket} 号，请前往 {counter} 号窗口。",
        "wo": "{site}: tike {ticket}, demal ci guichet {counter}.",
        "bm": "{site}: tike {ticket}, i ka taa gise {counter} la.",
    },
}

DEFAULT_PLACE: dict[str, str] = {
    "fr": "en salle d'attente",
    "en": "to the waiting area",
    "ar": "إلى قاعة الانتظار",
    "zh": "等候区",
    "wo": "ci bérébu xaar bi",
    "bm": "makɔnɔyɔrɔ la",
}


def _field(value: object, language: str) -> str:
    if isinstance(value, dict):  # a content field {"fr": ..., "en": ...}
        value = localized(value, language)
    return gsm_friendly(str(value)).strip()


def render_sms(kind: str, language: str, **fields: object) -> SmsText:
    """The SMS `kind` in `language` (French if unknown), with its coding and segment count.

    Field values may be strings, numbers or content dicts ``{"fr": ..., "en": ...}``.
    """
    try:
        by_language = TEMPLATES[kind]
    except KeyError:
        raise SmsTextError(f"unknown SMS kind {kind!r}") from None
    if language not in by_language:
        language = DEFAULT_LANGUAGE
    values = {name: _field(value, language) for name, value in fields.items()}
    if kind == TURN_NEAR:
        if "minutes" in fields:
            values["minutes"] = str(max(1, round(float(cast("float | str", fields["minutes"])))))
        if not values.get("place"):
            values["place"] = DEFAULT_PLACE[language]
    try:
        text = by_language[language].format(**values)
    except KeyError as exc:
        raise SmsTextError(f"SMS {kind!r} needs the field {exc.args[0]!r}") from None
    coding, segments = choose_encoding(text)
    return SmsText(text=text, coding=coding, segments=segments)
