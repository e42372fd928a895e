"""Content types as the kiosk reads them: poles, services, opening hours, life situations,
nearby places, information pages (the Carte Citoyenne), offers (Carte Citoyenne offers and
residents' local offers: kiosk.domain.content_offers), files and floor plans
(kiosk.domain.content_media). This module is where all of them are imported from.

The wire format (protocol v1, see docs/protocol.md) is plain JSON; `from_wire` builds
frozen dataclasses from it and rejects what it cannot trust, so a bad payload never
replaces good content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Re-exported (`as`): callers import every content name from here.
from kiosk.domain.content_guide import MAX_TIPS as MAX_TIPS
from kiosk.domain.content_guide import TIP_MAX_CHARS as TIP_MAX_CHARS
from kiosk.domain.content_guide import TIP_PICTOGRAM as TIP_PICTOGRAM
from kiosk.domain.content_guide import neighbourhood_spots as neighbourhood_spots
from kiosk.domain.content_guide import parse_tips
from kiosk.domain.content_media import ASSET_KIND_TYPES as ASSET_KIND_TYPES
from kiosk.domain.content_media import ASSET_KINDS as ASSET_KINDS
from kiosk.domain.content_media import ASSET_MAX_BYTES as ASSET_MAX_BYTES
from kiosk.domain.content_media import ASSET_TYPES as ASSET_TYPES
from kiosk.domain.content_media import HOTSPOT_LABEL_MAX as HOTSPOT_LABEL_MAX
from kiosk.domain.content_media import MAX_HOTSPOTS as MAX_HOTSPOTS
from kiosk.domain.content_media import Asset as Asset
from kiosk.domain.content_media import FloorPlan as FloorPlan
from kiosk.domain.content_media import Hotspot as Hotspot
from kiosk.domain.content_media import parse_hotspots as parse_hotspots
from kiosk.domain.content_offers import AGES as AGES
from kiosk.domain.content_offers import INTEREST as INTEREST
from kiosk.domain.content_offers import INTERESTS as INTERESTS
from kiosk.domain.content_offers import NEAR_MINUTES as NEAR_MINUTES
from kiosk.domain.content_offers import OFFER_CATEGORIES as OFFER_CATEGORIES
from kiosk.domain.content_offers import OFFER_SOURCES as OFFER_SOURCES
from kiosk.domain.content_offers import Offer as Offer
from kiosk.domain.content_offers import check_interests as check_interests
from kiosk.domain.content_offers import current_offers as current_offers
from kiosk.domain.content_offers import offer_interests as offer_interests
from kiosk.domain.content_offers import offers_on as offers_on
from kiosk.domain.content_offers import select_offers as select_offers
from kiosk.domain.content_wire import (
    _COLOR,
    _HHMM,
    _audio,
    _choice,
    _date,
    _guarded,
    _int,
    _is_weekdays,
    _plain,
    _slug,
    _texts,
    _url,
)
from kiosk.domain.content_wire import ContentError as ContentError
from kiosk.domain.content_wire import Texts as Texts
from kiosk.domain.content_wire import Wire as Wire
from kiosk.domain.documents import DocumentLine, from_wire
from kiosk.domain.languages import localized
from kiosk.domain.tickets import validate_prefix


@dataclass(frozen=True)
class OpeningSlot:
    weekdays: tuple[int, ...]  # 0 = Monday
    opens: dt.time
    closes: dt.time

    @classmethod
    def from_wire(cls, data: Wire) -> OpeningSlot:
        days = data.get("days")
        if not days or not _is_weekdays(days):
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
class HoursException:
    """From `starts` to `ends` (inclusive), these hours instead of the week's; no hours:
    closed. `reason` is shown to visitors ("Noël", "Formation des agents")."""

    starts: dt.date
    ends: dt.date
    hours: tuple[OpeningSlot, ...]
    reason: Texts

    def covers(self, day: dt.date) -> bool:
        return self.starts <= day <= self.ends

    @property
    def closed(self) -> bool:
        return not self.hours

    @classmethod
    def from_wire(cls, data: Wire) -> HoursException:
        if not isinstance(data, dict):
            raise ContentError("an hours exception must be an object")
        starts, ends = _date(data, "from"), _date(data, "to")
        if starts is None:
            raise ContentError("an hours exception needs its first day (from)")
        ends = ends or starts
        if ends < starts:
            raise ContentError("an hours exception cannot end before it starts")
        if (ends - starts).days > 366:
            raise ContentError("an hours exception lasts at most a year")
        hours = data.get("hours") or []
        if not isinstance(hours, list):
            raise ContentError("exception hours must be a list")
        slots = tuple(OpeningSlot.from_wire({**h, "days": list(range(7))}) if isinstance(h, dict)
                      else OpeningSlot.from_wire(h) for h in hours)
        return cls(starts, ends, slots, _texts(data, "reason", required=False))


def _exceptions(value: object) -> tuple[HoursException, ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, list) or len(value) > 100:
        raise ContentError("exceptions must be a list of at most 100 periods")
    return tuple(HoursException.from_wire(e) for e in value)


@dataclass(frozen=True)
class Closure(HoursException):
    """A site-wide exception (a public holiday, the mairie closed for an election count):
    every service, or those named in `services`."""

    id: str = ""
    services: tuple[str, ...] = ()

    @classmethod
    def from_wire(cls, data: Wire) -> Closure:
        return _guarded(cls._from_wire, "closure", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> Closure:
        base = HoursException.from_wire(data)
        services = data.get("services") or []
        if not isinstance(services, list):
            raise ContentError("closure services must be a list of service ids")
        return cls(base.starts, base.ends, base.hours, base.reason, id=_slug(data, "id"),
                   services=tuple(_slug({"s": s}, "s") for s in services))


ANNOUNCEMENT_LEVELS = ("info", "urgent")


@dataclass(frozen=True)
class Announcement:
    """A banner on the kiosk's home, in a time window: "info" (blue) or "urgent" (red:
    the civil status desk is closed this afternoon...)."""

    id: str
    order: int
    level: str
    text: Texts
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None

    def active_at(self, moment: dt.datetime) -> bool:
        """`moment` and the window compare as wall-clock times of the mairie."""
        moment = moment.replace(tzinfo=None)
        return ((self.starts_at is None or self.starts_at <= moment)
                and (self.ends_at is None or moment < self.ends_at))

    @classmethod
    def from_wire(cls, data: Wire) -> Announcement:
        return _guarded(cls._from_wire, "announcement", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> Announcement:
        level = _choice(data, "level", ANNOUNCEMENT_LEVELS, "info", "announcement level")
        text = _texts(data, "text")
        if any(len(t) > 280 for t in text.values()):
            raise ContentError("an announcement is at most 280 characters per language")
        bounds: list[dt.datetime | None] = []
        for key in ("starts_at", "ends_at"):
            value = data.get(key)
            if value in (None, ""):
                bounds.append(None)
                continue
            if not isinstance(value, str):
                raise ContentError(f"{key} must be an ISO date-time")
            try:
                bounds.append(dt.datetime.fromisoformat(value).replace(tzinfo=None))
            except ValueError as exc:
                raise ContentError(f"{key} must be an ISO date-time, got {value!r}") from exc
        if bounds[0] and bounds[1] and bounds[1] <= bounds[0]:
            raise ContentError("an announcement must end after it starts")
        return cls(id=_slug(data, "id"), order=int(data.get("order", 0)), level=level, text=text,
                   starts_at=bounds[0], ends_at=bounds[1])


def active_announcements(items: Iterable[Announcement], moment: dt.datetime) -> list[Announcement]:
    """The announcements to show now: urgent first, then in the agents' order."""
    return sorted((a for a in items if a.active_at(moment)),
                  key=lambda a: (a.level != "urgent", a.order, a.id))


@dataclass(frozen=True)
class Pole:
    id: str
    order: int
    color: str
    pictogram: str
    name: Texts
    summary: Texts = field(default_factory=dict)
    audio: Texts = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @classmethod
    def from_wire(cls, data: Wire) -> Pole:
        return _guarded(cls._from_wire, "pole", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> Pole:
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
            audio=_audio(data),
        )



def _slots_text(slots: Iterable[OpeningSlot]) -> str:
    return "   ".join(f"{s.opens:%H:%M} – {s.closes:%H:%M}" for s in slots)


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
    # The spot on a floor plan (a synced `plan` item's image, else the bundled
    # assets/plans/build/<plan>.png): "" = no plan; x, y in 0..1 from the plan's top-left
    # corner, both set whenever a plan is.
    plan: str = ""
    plan_x: float | None = None
    plan_y: float | None = None
    audio: Texts = field(default_factory=dict)  # recorded read-aloud per language (wo, bm)
    # Days that differ from the week (Christmas Eve until noon, closed for training...).
    exceptions: tuple[HoursException, ...] = ()
    # The checklist behind `documents` (what each line reads, in every language): the
    # vocabulary's key and pictogram of each line (kiosk.domain.documents), same order.
    # Not compared: a different key always reads differently, so `documents` tells.
    document_lines: tuple[DocumentLine, ...] = field(default=(), compare=False)

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @property
    def plan_spot(self) -> tuple[float, float]:
        """Where the service is on its plan, (x, y) in 0..1; the centre when no spot is set.
        0.0 is a real spot (the plan's left or top edge), not "unset"."""
        return (0.5 if self.plan_x is None else self.plan_x,
                0.5 if self.plan_y is None else self.plan_y)

    def exception_on(self, day: dt.date, closures: Iterable[Closure] = ()) -> HoursException | None:
        """What overrides the weekly hours on `day`: a site-wide closure naming this service
        (or all), else the service's own exception; None on an ordinary day."""
        for closure in closures:
            if closure.covers(day) and (not closure.services or self.id in closure.services):
                return closure
        return next((e for e in self.exceptions if e.covers(day)), None)

    def slots_on(self, day: dt.date, closures: Iterable[Closure] = ()) -> list[OpeningSlot]:
        """The opening slots that apply on `day`, earliest first (exceptions included)."""
        exception = self.exception_on(day, closures)
        if exception is not None:
            return sorted(exception.hours, key=lambda s: s.opens)
        wd = day.weekday()
        return sorted((s for s in self.hours if wd in s.weekdays), key=lambda s: s.opens)

    def hours_text(self, today: dt.date, closures: Iterable[Closure],
                   tr: Callable[..., str], lang: str) -> str:
        """What a service screen writes under "hours today", in `lang`: today's slots (and
        why they differ from the usual ones), or "closed today" with the next opening
        within two weeks (a holiday may close a whole week). `tr(key, **fields)`: the UI's
        texts closed_today, next_opening and weekdays (the kiosk's app.tr, the preview's)."""
        slots = self.slots_on(today, closures)
        exception = self.exception_on(today, closures)
        reason = localized(exception.reason, lang) if exception is not None else ""
        if slots:
            return _slots_text(slots) + (f"\n{reason}" if reason else "")
        text = tr("closed_today") + (f" ({reason})" if reason else "")
        for days in range(1, 15):
            day = today + dt.timedelta(days=days)
            upcoming = self.slots_on(day, closures)
            if upcoming:
                name = tr("weekdays").split(",")[day.weekday()]
                if days >= 7:
                    name += f" {day:%d/%m}"
                return text + "\n" + tr("next_opening", day=name, hours=_slots_text(upcoming))
        return text

    def is_open_at(self, moment: dt.datetime, closures: Iterable[Closure] = ()) -> bool:
        return any(s.opens <= moment.time() < s.closes
                   for s in self.slots_on(moment.date(), closures))

    @classmethod
    def from_wire(cls, data: Wire) -> Service:
        return _guarded(cls._from_wire, "service", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> Service:
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
            **_documents(documents, data.get("document_keys")),
            ticketing=bool(data.get("ticketing", True)),
            mean_service_minutes=float(minutes),
            **_plan_spot(data),
            audio=_audio(data),
            exceptions=_exceptions(data.get("exceptions")),
        )


def _documents(entries: list[object], keys: object = None) -> Wire:
    """documents (each line's text in every language) and document_lines, from the wire's
    texts and `document_keys` (kiosk.domain.documents.from_wire), or from a list of
    vocabulary keys ({"doc": key, "note": {...}}) and free texts."""
    try:
        lines = from_wire(entries, keys)
    except ValueError as exc:
        raise ContentError(str(exc)) from exc
    return {"documents": tuple(line.shown() for line in lines), "document_lines": lines}


def _plan_spot(data: Wire) -> Wire:
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
    audio: Texts = field(default_factory=dict)
    document_lines: tuple[DocumentLine, ...] = field(default=(), compare=False)  # as Service's
    tips: tuple[Texts, ...] = ()  # « bons plans, trucs et astuces » (content_guide.py)

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @classmethod
    def from_wire(cls, data: Wire) -> Situation:
        return _guarded(cls._from_wire, "situation", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> Situation:
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
            **_documents(documents, data.get("document_keys")),
            audio=_audio(data),
            tips=parse_tips(data.get("tips")),
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
    # Its numbered spot on the neighbourhood plan (a `plan` item, like a service's spot on
    # a floor plan): "" = not on a plan; x, y in 0..1 from the top-left corner.
    plan: str = ""
    plan_x: float | None = None
    plan_y: float | None = None

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @classmethod
    def from_wire(cls, data: Wire) -> NearbyPlace:
        return _guarded(cls._from_wire, "place", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> NearbyPlace:
        kind = _choice(data, "kind", PLACE_KINDS, "other", "place kind")
        address = _plain(data, "address")
        return cls(
            id=_slug(data, "id"),
            order=int(data.get("order", 0)),
            name=_texts(data, "name"),
            summary=_texts(data, "summary", required=False),
            kind=kind,
            address=address,
            walking_minutes=_int(data, "walking_minutes", 0, 0, 60),
            pictogram=_slug(data, "pictogram"),
            **_plan_spot(data),
        )


@dataclass(frozen=True)
class InfoPage:
    """A page of information, such as the Carte Citoyenne-Citoyen de Paris: what it gives,
    who may have it, how to order it, with a link the kiosk shows as a QR code."""

    id: str
    order: int
    pictogram: str
    title_texts: Texts
    summary: Texts
    body: tuple[Texts, ...]  # paragraphs
    link: str  # https://...; "" = none
    link_label: Texts
    audio: Texts = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return localized(self.title_texts, lang)

    @classmethod
    def from_wire(cls, data: Wire) -> InfoPage:
        return _guarded(cls._from_wire, "page", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> InfoPage:
        body = data.get("body") or []
        if not isinstance(body, list) or len(body) > 20:
            raise ContentError("body must be a list of at most 20 paragraphs")
        return cls(
            id=_slug(data, "id"),
            order=int(data.get("order", 0)),
            pictogram=_slug(data, "pictogram"),
            title_texts=_texts(data, "title"),
            summary=_texts(data, "summary", required=False),
            body=tuple(_texts({"p": p}, "p") for p in body),
            link=_url(data, "link"),
            link_label=_texts(data, "link_label", required=False),
            audio=_audio(data),
        )


KINDS: dict[str, type[ContentItem]] = {"pole": Pole, "service": Service, "situation": Situation, "place": NearbyPlace,
         "page": InfoPage, "offer": Offer, "closure": Closure, "announcement": Announcement,
         "asset": Asset, "plan": FloorPlan}
ContentItem = (Pole | Service | Situation | NearbyPlace | InfoPage | Offer | Closure
               | Announcement | Asset | FloorPlan)


def parse_item(kind: str, data: object) -> ContentItem:
    """Build the typed content item for a wire item, or raise ContentError."""
    if kind not in KINDS:
        raise ContentError(f"unknown content kind {kind!r}")
    if not isinstance(data, dict):
        raise ContentError("content data must be an object")
    return KINDS[kind].from_wire(data)
