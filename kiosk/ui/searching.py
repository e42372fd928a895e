"""Keyword search over the kiosk's content, accent- and case-insensitive. Pure: no Kivy.

A visitor types "naissance", "deces" or "مولود" on the kiosk keyboard: every word typed
must appear (as the start of a word, or inside one for words of 4+ letters) in an item's
name, summary or documents, in the visitor's language or in French (the reference, which
many visitors half-read). Names weigh more than summaries, summaries more than documents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None})
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def fold(text: str) -> str:
    """Lower-case, without accents or Arabic vowel marks: "Décès" -> "deces"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().translate(_ARABIC_FOLD).replace("œ", "oe").replace("æ", "ae")


@dataclass(frozen=True)
class Hit:
    kind: str  # "service" | "situation"
    id: str
    score: int


def _texts(value, lang: str) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [v for code, v in value.items() if code in (lang, "fr") and v]


def _fields(item, lang: str) -> tuple[list[str], list[str], list[str]]:
    names = _texts(getattr(item, "name", None), lang)
    summaries = _texts(getattr(item, "summary", None), lang)
    docs: list[str] = []
    for doc in getattr(item, "documents", ()) or ():
        docs.extend(_texts(doc, lang))
    return names, summaries, docs


def _matches(word: str, text: str) -> bool:
    words = _WORD.findall(text)
    if any(w.startswith(word) for w in words):
        return True
    if not word.isascii():
        # Chinese has no spaces; Arabic glues "al-" and other prefixes to its words.
        return len(word) >= (1 if _CJK.search(word) else 2) and word in text
    # Inside a word only for longer queries: "nais" finds "connaissance" too, "ce" does not.
    return len(word) >= 4 and word in text


def search(query: str, items: Iterable[tuple[str, Any]], lang: str) -> list[Hit]:
    """The items matching every word of `query`, best first; `items` are (kind, item)."""
    words = [w for w in _WORD.findall(fold(query)) if w]
    if not words:
        return []
    hits = []
    for kind, item in items:
        names, summaries, docs = (
            [fold(t) for t in group] for group in _fields(item, lang)
        )
        score = 0
        for word in words:
            best = 0
            for weight, group in ((10, names), (3, summaries), (1, docs)):
                if any(_matches(word, text) for text in group):
                    best = max(best, weight)
            if not best:
                break
            score += best
        else:
            hits.append(Hit(kind, item.id, score))
    hits.sort(key=lambda h: (-h.score, h.kind != "situation", getattr(h, "id", "")))
    return hits
