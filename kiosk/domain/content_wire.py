"""The wire checks shared by the content types (kiosk.domain.content and
kiosk.domain.content_offers): each reads one field of a JSON item or raises ContentError."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar

Texts = dict[str, str]
Wire = dict[str, Any]  # one decoded JSON object of the protocol
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_Item = TypeVar("_Item")


class ContentError(ValueError):
    """A content item that does not follow the protocol."""


def _texts(data: Wire, key: str, required: bool = True) -> Texts:
    value = data.get(key) or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ContentError(f"{key} must be a mapping language -> text")
    if required and not value.get("fr"):
        raise ContentError(f"{key} needs a French text (the fallback of every language)")
    return dict(value)


def _slug(data: Wire, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise ContentError(f"{key} must be a slug, got {value!r}")
    return value


def _choice(data: Wire, key: str, choices: tuple[str, ...], default: str, what: str) -> str:
    value = data.get(key, default)
    if value not in choices:
        raise ContentError(f"{what} must be one of {', '.join(choices)}, got {value!r}")
    return str(value)  # one of `choices`: already a str


def _plain(data: Wire, key: str, limit: int = 300) -> str:
    """A plain (untranslated) text field: an address, a place."""
    value = data.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise ContentError(f"{key} must be a text of at most {limit} characters")
    return value


def _is_weekdays(value: object) -> bool:
    """A list of weekdays 0-6 (0 = Monday); booleans are not days."""
    return isinstance(value, list) and all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in value)


def _guarded(build: Callable[[Wire], _Item], kind: str, data: Wire) -> _Item:
    """Build an item; any malformed field (order "x", hours [1]...) becomes a ContentError,
    so the sync keeps the last good snapshot instead of dying on a TypeError."""
    try:
        return build(data)
    except ContentError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ContentError(f"malformed {kind}: {exc}") from exc


def _int(data: Wire, key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ContentError(f"{key} must be a whole number in [{low}, {high}], got {value!r}")
    return int(value)  # already an int (not a bool): the same number


_URL = re.compile(r"https://[^\s<>\"']{1,500}")
_AUDIO = re.compile(r"[a-z0-9][a-z0-9._-]{0,80}\.wav")


def _url(data: Wire, key: str) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str) or (value and not _URL.fullmatch(value)):
        raise ContentError(f"{key} must be an https:// address, got {value!r}")
    return value


def _audio(data: Wire) -> Texts:
    """Recorded audio per language ({"wo": "deces-wo.wav"}): what read-aloud plays where
    espeak-ng has no voice (Wolof, Bambara). File names only: the kiosk looks them up in
    its assets (assets/audio/); a path or an unknown extension is refused."""
    value = data.get("audio") or {}
    if not isinstance(value, dict):
        raise ContentError("audio must be a mapping language -> file name")
    for lang, name in value.items():
        if not isinstance(lang, str) or not isinstance(name, str) or not _AUDIO.fullmatch(name):
            raise ContentError(f"audio[{lang!r}] must be a file name like 'x-wo.wav', got {name!r}")
    return dict(value)


def _date(data: Wire, key: str) -> dt.date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ContentError(f"{key} must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ContentError(f"{key} must be a date YYYY-MM-DD, got {value!r}") from exc


def _hhmm(data: Wire, key: str) -> dt.time | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ContentError(f"{key} must be HH:MM, got {value!r}")
    return dt.time.fromisoformat(value)
