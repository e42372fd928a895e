"""Content types as the kiosk reads them: poles, services, opening hours, life situations,
nearby places.

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
    # The spot on a floor plan (assets/plans/build/<plan>.png): "" = no plan; x, y in 0..1
    # from the plan's top-left corner, both set whenever a plan is.
    plan: str = ""
    plan_x: float | None = None
    plan_y: float | None = None

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
            **_plan_spot(data),
        )


def _plan_spot(data: dict) -> dict:
    """plan, plan_x, plan_y: a plan slug and its spot (both coordinates), or none at all."""
    plan = data.get("plan") or ""
    x, y = data.get("plan_x"), data.get("plan_y")
    if not plan:
        if x is not None or y is not None:
            raise ContentError("plan_x and plan_y need a plan")
        return {"plan": "", "plan_x": None, "plan_y": None}
    plan = _slug({"plan": plan}, "plan")
    spot = []
    for key, value in (("plan_x", x), ("plan_y", y)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ContentError(f"{key} must be a number in [0, 1] when a plan is set")
        spot.append(float(value))
    return {"plan": plan, "plan_x": spot[0], "plan_y": spot[1]}


def _int(data: dict, key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ContentError(f"{key} must be a whole number in [{low}, {high}], got {value!r}")
    return value


@dataclass(frozen=True)
class Situation:
    """A life situation ("Je déménage"): the services it leads to, in order, and what to bring."""

    id: str
    order: int
    pictogram: str
    name: Texts
    summary: Texts
    services: tuple[str, ...]  # service ids; the kiosk skips ids it does not hold
    documents: tuple[Texts, ...]

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @classmethod
    def from_wire(cls, data: dict) -> Situation:
        return _guarded(cls._from_wire, "situation", data)

    @classmethod
    def _from_wire(cls, data: dict) -> Situation:
        services = data.get("services") or []
        documents = data.get("documents") or []
        if not isinstance(services, list) or not isinstance(documents, list):
            raise ContentError("services and documents must be lists")
        ids = tuple(_slug({"service": s}, "service") for s in services)
        if len(set(ids)) != len(ids):
            raise ContentError("a situation names each service once")
        return cls(
            id=_slug(data, "id"),
            order=int(data.get("order", 0)),
            pictogram=_slug(data, "pictogram"),
            name=_texts(data, "name"),
            summary=_texts(data, "summary", required=False),
            services=ids,
            documents=tuple(_texts({"d": d}, "d") for d in documents),
        )


PLACE_KINDS = ("park", "library", "cafe", "culture", "sport", "shop", "other")


@dataclass(frozen=True)
class NearbyPlace:
    """Somewhere to wait near the mairie (the Buttes-Chaumont as the waiting-room annex)."""

    id: str
    order: int
    name: Texts
    summary: Texts
    kind: str  # one of PLACE_KINDS
    address: str
    walking_minutes: int  # from the mairie's door, 0-60
    pictogram: str

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @classmethod
    def from_wire(cls, data: dict) -> NearbyPlace:
        return _guarded(cls._from_wire, "place", data)

    @classmethod
    def _from_wire(cls, data: dict) -> NearbyPlace:
        kind = data.get("kind", "other")
        if kind not in PLACE_KINDS:
            raise ContentError(f"place kind must be one of {', '.join(PLACE_KINDS)}, got {kind!r}")
        address = data.get("address", "")
        if not isinstance(address, str) or len(address) > 300:
            raise ContentError("address must be a text of at most 300 characters")
        return cls(
            id=_slug(data, "id"),
            order=int(data.get("order", 0)),
            name=_texts(data, "name"),
            summary=_texts(data, "summary", required=False),
            kind=kind,
            address=address,
            walking_minutes=_int(data, "walking_minutes", 0, 0, 60),
            pictogram=_slug(data, "pictogram"),
        )


KINDS = {"pole": Pole, "service": Service, "situation": Situation, "place": NearbyPlace}
ContentItem = Pole | Service | Situation | NearbyPlace


def parse_item(kind: str, data: dict) -> ContentItem:
    """Build the typed content item for a wire item, or raise ContentError."""
    if kind not in KINDS:
        raise ContentError(f"unknown content kind {kind!r}")
    if not isinstance(data, dict):
        raise ContentError("content data must be an object")
    return KINDS[kind].from_wire(data)
