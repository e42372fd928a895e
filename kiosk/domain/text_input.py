"""Text from outside (kiosk visitors, residents, agents, the kiosks' own reports) made safe
to store and to show, for the API, the public forms and the back-office alike.

- Refused (TextInputError): NUL and the other C0/C1 control characters (PostgreSQL cannot
  store NUL; the others are never typed), except newline and tab in multi-line text (tab
  also in one-line text, read as a space), and lone surrogates (not encodable in UTF-8).
- Removed: the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
  which would show an agent a note reversed, and the invisible U+200B (zero-width space),
  U+2060 (word joiner) and U+FEFF (BOM). The joiners U+200C/U+200D stay only between two
  visible characters: Persian and Indic spellings and emoji sequences need them there;
  anywhere else they only hide text.
- Kept: every letter of every script (Arabic, Chinese, ɛ ɔ ɲ ŋ...), emoji, and the
  LRM/RLM/ALM marks (U+200E, U+200F, U+061C): they only place neutral characters, cannot
  reverse a run of letters, and agents typing mixed Arabic/French text use them.
- Normalised to NFC, so that one word has one spelling in the database.

Also the depth guard of JSON: a structure nested deeper than MAX_JSON_DEPTH is refused
before any recursive parser sees it (Python's json raises RecursionError at ~1,000).
"""

from __future__ import annotations

import unicodedata
from typing import Any

MAX_JSON_DEPTH = 20
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = frozenset("\u200b\u2060\ufeff")
JOINERS = frozenset("\u200c\u200d")
REMOVED = BIDI_CONTROLS | INVISIBLE

# The refused characters as a JSON-schema pattern (published in the OpenAPI document).
ONE_LINE_PATTERN = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*$"
MULTILINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


class TextInputError(ValueError):
    """Refused text; the message says which character and where (safe to show)."""


def _refused(ch: str, multiline: bool) -> bool:
    if ch == "\t" or (multiline and ch in "\n\r"):
        return False
    return unicodedata.category(ch) in ("Cc", "Cs")


def refused_at(text: str, multiline: bool = False) -> int | None:
    """The index of the first refused character, or None."""
    for index, ch in enumerate(text):
        if _refused(ch, multiline):
            return index
    return None


def clean_text(value: str, *, multiline: bool = False, strip: bool = True) -> str:
    """The text, cleaned as the module says; TextInputError for a refused character."""
    index = refused_at(value, multiline)
    if index is not None:
        code = ord(value[index])
        name = "NUL" if code == 0 else f"U+{code:04X}"
        raise TextInputError(f"control character {name} at position {index} is not allowed"
                             + ("" if multiline else " (one line of text)"))
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " " if not multiline
                                                                   else "\t")
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for index, ch in enumerate(text):
        if ch in REMOVED:
            continue
        if ch in JOINERS and not (_visible_before(out) and _visible_after(text, index)):
            continue
        out.append(ch)
    text = "".join(out)
    return text.strip() if strip else text


def _visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _visible_before(out: list[str]) -> bool:
    return bool(out) and _visible(out[-1])


def _visible_after(text: str, index: int) -> bool:
    for ch in text[index + 1:]:
        if ch in REMOVED:
            continue
        return _visible(ch)
    return False


def scrub_text(value: str, *, multiline: bool = False) -> str:
    """Like clean_text, but refused characters become spaces: for what a machine reports
    (a kiosk's last error, its printer's detail), which must not cost the whole report."""
    text = "".join(" " if _refused(ch, multiline) else ch for ch in value)
    return clean_text(text, multiline=multiline)


def json_text_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests arrays/objects deeper than `limit`: a linear scan, brackets
    inside strings ignored, so that no recursive parser ever sees a hostile depth."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def value_depth(value: object) -> int:
    """The nesting depth of decoded JSON (a scalar: 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
            deepest = max(deepest, depth + 1)
    return deepest


def clean_json_strings(value: Any, *, multiline: bool = True) -> Any:
    """Decoded JSON with every string (keys too) through clean_text (not stripped: the
    structure's own validation decides about blanks); TextInputError as clean_text."""
    if isinstance(value, str):
        return clean_text(value, multiline=multiline, strip=False)
    if isinstance(value, dict):
        return {clean_json_strings(k, multiline=False): clean_json_strings(v, multiline=multiline)
                for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json_strings(v, multiline=multiline) for v in value]
    return value
