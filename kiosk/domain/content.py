"""Content types as the kiosk reads them: poles, services, opening hours.

The wire format (protocol v1, see docs/protocol.md) is plain JSON; `from_wire` builds
frozen dataclasses from it and rejects what it cannot trust, so a bad payload never
replaces good content.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kiosk.domain.languages import localized
from kiosk.domain.tickets import validate_prefix

Texts = dict[str, str]
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class ContentError(ValueError):
    """A content item that does not follow the protocol."""


def _texts(data: dict, key: str, required: bool = True) -> Texts:
    value = data.get(key) or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ContentError(f"{key} must be a mapping language -> text")
    if required and not value.get("fr"):
        raise ContentError(f"{key} needs a French text (the fallback of every language)")
    return dict(value)


def _slug(data: dict, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise ContentError(f"{key} must be a slug, got {value!r}")
    return value


def _guarded(build, kind: str, data):
    """Build an item; any malformed field (order "x", hours [1]...) becomes a ContentError,
    so the sync keeps the last good snapshot instead of dying on a TypeError."""
    try:
        return build(data)
    except ContentError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ContentError(f"malformed {kind}: {exc}") from exc


@dataclass(frozen=True)
class OpeningSlot:
    weekdays: tuple[int, ...]  # 0 = Monday
    opens: dt.time
    closes: dt.time

    @classmethod
    def from_wire(cls, data: dict) -> OpeningSlot:
        days = data.get("days")
        if not isinstance(days, list) or not days or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days
        ):
            raise ContentError("hours.days must be a non-empty list of weekdays 0-6")
        times = []
        for key in ("open", "close"):
            value = data.get(key, "")
            if not isinstance(value, str) or not _HHMM.fullmatch(value):
                raise ContentError(f"hours.{key} must be HH:MM, got {value!r}")
            times.append(dt.time.fromisoformat(value))
        if times[0] >= times[1]:
            raise ContentError("hours: opening must come before closing")
        return cls(tuple(days), times[0], times[1])


@dataclass(frozen=True)
class Pole:
    id: str
    order: int
    color: str
    pictogram: str
    name: Texts
    summary: Texts = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @classmethod
    def from_wire(cls, data: dict) -> Pole:
        return _guarded(cls._from_wire, "pole", data)

    @classmethod
    def _from_wire(cls, data: dict) -> Pole:
        color = data.get("color", "")
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise ContentError(f"pole color must be #RRGGBB, got {color!r}")
        return cls(
            id=_slug(data, "id"),
            order=int(data.get("order", 0)),
            color=color,
            pictogram=_slug(data, "pictogram"),
            name=_texts(data, "name"),
            summary=_texts(data, "summary", required=False),
        )


@dataclass(frozen=True)
class Service:
    id: str
    pole: str
    order: int
    prefix: str
    pictogram: str
    name: Texts
    summary: Texts
    place: Texts
    hours: tuple[OpeningSlot, ...]
    documents: tuple[Texts, ...]
    ticketing: bool = True
    mean_service_minutes: float = 10.0

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    def slots_on(self, day: dt.date) -> list[OpeningSlot]:
        """The opening slots that apply on `day`, earliest first."""
        wd = day.weekday()
        return sorted((s for s in self.hours if wd in s.weekdays), key=lambda s: s.opens)

    def is_open_at(self, moment: dt.datetime) -> bool:
        return any(s.opens <= moment.time() < s.closes for s in self.slots_on(moment.date()))

    @classmethod
    def from_wire(cls, data: dict) -> Service:
        return _guarded(cls._from_wire, "service", data)

    @classmethod
    def _from_wire(cls, data: dict) -> Service:
        try:
            prefix = validate_prefix(data.get("prefix", ""))
        except ValueError as exc:
            raise ContentError(str(exc)) from exc
        hours = data.get("hours") or []
        documents = data.get("documents") or []
        if not isinstance(hours, list) or not isinstance(documents, list):
            raise ContentError("hours and documents must be lists")
        if not isinstance(data.get("ticketing", True), bool):
            raise ContentError("ticketing must be true or false")
        minutes = data.get("mean_service_minutes", 10)
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 < minutes <= 240:
            raise ContentError("mean_service_minutes must be in (0, 240]")
        return cls(
            id=_slug(data, "id"),
            pole=_slug(data, "pole"),
            order=int(data.get("order", 0)),
            prefix=prefix,
            pictogram=_slug(data, "pictogram"),
            name=_texts(data, "name"),
            summary=_texts(data, "summary", required=False),
            place=_texts(data, "place", required=False),
            hours=tuple(OpeningSlot.from_wire(h) for h in hours),
            documents=tuple(_texts({"d": d}, "d") for d in documents),
            ticketing=bool(data.get("ticketing", True)),
            mean_service_minutes=float(minutes),
        )


KINDS = {"pole": Pole, "service": Service}


def parse_item(kind: str, data: dict) -> Pole | Service:
    """Build the typed content item for a wire item, or raise ContentError."""
    if kind not in KINDS:
        raise ContentError(f"unknown content kind {kind!r}")
    if not isinstance(data, dict):
        raise ContentError("content data must be an object")
    return KINDS[kind].from_wire(data)
