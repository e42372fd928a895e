"""Content types as the kiosk reads them: poles, services, opening hours, life situations,
nearby places, information pages (the Carte Citoyenne), offers (Carte Citoyenne offers and
residents' local offers).

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


def _choice(data: dict, key: str, choices: tuple[str, ...], default: str, what: str) -> str:
    value = data.get(key, default)
    if value not in choices:
        raise ContentError(f"{what} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _plain(data: dict, key: str, limit: int = 300) -> str:
    """A plain (untranslated) text field: an address, a place."""
    value = data.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise ContentError(f"{key} must be a text of at most {limit} characters")
    return value


def _is_weekdays(value) -> bool:
    """A list of weekdays 0-6 (0 = Monday); booleans are not days."""
    return isinstance(value, list) and all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in value)


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
    def from_wire(cls, data: dict) -> HoursException:
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


def _exceptions(value) -> tuple[HoursException, ...]:
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
    def from_wire(cls, data: dict) -> Closure:
        return _guarded(cls._from_wire, "closure", data)

    @classmethod
    def _from_wire(cls, data: dict) -> Closure:
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
    def from_wire(cls, data: dict) -> Announcement:
        return _guarded(cls._from_wire, "announcement", data)

    @classmethod
    def _from_wire(cls, data: dict) -> Announcement:
        level = _choice(data, "level", ANNOUNCEMENT_LEVELS, "info", "announcement level")
        text = _texts(data, "text")
        if any(len(t) > 280 for t in text.values()):
            raise ContentError("an announcement is at most 280 characters per language")
        bounds = []
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


def active_announcements(items, moment: dt.datetime) -> list[Announcement]:
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
            audio=_audio(data),
        )



def _slots_text(slots) -> str:
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

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @property
    def plan_spot(self) -> tuple[float, float]:
        """Where the service is on its plan, (x, y) in 0..1; the centre when no spot is set.
        0.0 is a real spot (the plan's left or top edge), not "unset"."""
        return (0.5 if self.plan_x is None else self.plan_x,
                0.5 if self.plan_y is None else self.plan_y)

    def exception_on(self, day: dt.date, closures=()) -> HoursException | None:
        """What overrides the weekly hours on `day`: a site-wide closure naming this service
        (or all), else the service's own exception; None on an ordinary day."""
        for closure in closures:
            if closure.covers(day) and (not closure.services or self.id in closure.services):
                return closure
        return next((e for e in self.exceptions if e.covers(day)), None)

    def slots_on(self, day: dt.date, closures=()) -> list[OpeningSlot]:
        """The opening slots that apply on `day`, earliest first (exceptions included)."""
        exception = self.exception_on(day, closures)
        if exception is not None:
            return sorted(exception.hours, key=lambda s: s.opens)
        wd = day.weekday()
        return sorted((s for s in self.hours if wd in s.weekdays), key=lambda s: s.opens)

    def hours_text(self, today: dt.date, closures, tr, lang: str) -> str:
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

    def is_open_at(self, moment: dt.datetime, closures=()) -> bool:
        return any(s.opens <= moment.time() < s.closes
                   for s in self.slots_on(moment.date(), closures))

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
            audio=_audio(data),
            exceptions=_exceptions(data.get("exceptions")),
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
    audio: Texts = field(default_factory=dict)

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
            audio=_audio(data),
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
        )


_URL = re.compile(r"https://[^\s<>\"']{1,500}")
_AUDIO = re.compile(r"[a-z0-9][a-z0-9._-]{0,80}\.wav")


def _url(data: dict, key: str) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str) or (value and not _URL.fullmatch(value)):
        raise ContentError(f"{key} must be an https:// address, got {value!r}")
    return value


def _audio(data: dict) -> Texts:
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


def _date(data: dict, key: str) -> dt.date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ContentError(f"{key} must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ContentError(f"{key} must be a date YYYY-MM-DD, got {value!r}") from exc


def _hhmm(data: dict, key: str) -> dt.time | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ContentError(f"{key} must be HH:MM, got {value!r}")
    return dt.time.fromisoformat(value)


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
    def from_wire(cls, data: dict) -> InfoPage:
        return _guarded(cls._from_wire, "page", data)

    @classmethod
    def _from_wire(cls, data: dict) -> InfoPage:
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


OFFER_SOURCES = ("carte", "local")  # a Carte Citoyenne offer; a resident's local offer
OFFER_CATEGORIES = ("civic", "culture", "association", "sport", "food", "swap", "help", "event")
INTEREST = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
# The fixed vocabulary of "envies" offers are tagged with and visitors filter by, in the
# order the kiosk shows its chips: slug -> (French label, for the back-office; pictogram).
# The kiosk's words for them are the UI strings "interest_<slug>" of its six catalogs. The
# server accepts only these slugs; a kiosk keeps an offer with another (an older server's)
# and simply shows no chip for it.
INTERESTS: dict[str, tuple[str, str]] = {
    "culture": ("Culture", "place-culture"),
    "sport": ("Sport", "interest-sport"),
    "nature": ("Nature et jardin", "place-park"),
    "alimentation": ("Alimentation", "offer-basket"),
    "solidarite": ("Solidarité", "interest-solidarite"),
    "rencontre": ("Rencontres", "place-cafe"),
    "reemploi": ("Troc et réparation", "offer-swap"),
    "numerique": ("Numérique", "interest-numerique"),
    "enfants": ("Enfants et famille", "famille"),
    "citoyennete": ("Citoyenneté", "vote"),
}


def check_interests(values) -> list[str]:
    """The interests an agent may give an offer: slugs of INTERESTS, each once (ContentError)."""
    if not isinstance(values, list | tuple):
        raise ContentError("interests must be a list")
    unknown = [v for v in values if v not in INTERESTS]
    if unknown:
        raise ContentError(f"unknown interests {', '.join(map(repr, unknown))}; "
                           f"known: {', '.join(INTERESTS)}")
    if len(set(values)) != len(values):
        raise ContentError("an interest is given once")
    return list(values)


@dataclass(frozen=True)
class Offer:
    """Something to do or share in the neighbourhood: a Carte Citoyenne offer (a visit of
    the Hôtel de Ville, a concert) or a resident's local offer (AMAP basket, swap, repair
    café), already approved by a moderator: kiosks never receive an unapproved one.

    When: between `starts` and `ends` (dates, both optional) and, if `weekdays` is set, only
    those days; `time`/`end_time` the hours. No date and no weekday: ongoing (always on).
    """

    id: str
    order: int
    source: str  # OFFER_SOURCES
    category: str  # OFFER_CATEGORIES
    pictogram: str
    title_texts: Texts
    summary: Texts
    where: str
    walking_minutes: int | None
    starts: dt.date | None
    ends: dt.date | None
    weekdays: tuple[int, ...]
    time: dt.time | None
    end_time: dt.time | None
    age_min: int
    age_max: int | None
    capacity: int | None
    link: str
    interests: tuple[str, ...]
    audio: Texts = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return localized(self.title_texts, lang)

    @property
    def dated(self) -> bool:
        """Happens on given days (an event, a weekly market) rather than always on."""
        return bool(self.starts or self.ends or self.weekdays)

    def happens_on(self, day: dt.date) -> bool:
        if self.starts and day < self.starts:
            return False
        if self.ends and day > self.ends:
            return False
        return not self.weekdays or day.weekday() in self.weekdays

    def is_over(self, day: dt.date) -> bool:
        return self.ends is not None and day > self.ends

    def next_day(self, day: dt.date, horizon: int = 366) -> dt.date | None:
        """The first day from `day` on which it happens (None: over, or beyond the horizon)."""
        start = max(day, self.starts) if self.starts else day
        for offset in range(horizon):
            candidate = start + dt.timedelta(days=offset)
            if self.ends and candidate > self.ends:
                return None
            if self.happens_on(candidate):
                return candidate
        return None

    def suits_age(self, age: int | None) -> bool:
        if age is None:
            return True
        return age >= self.age_min and (self.age_max is None or age <= self.age_max)

    @classmethod
    def from_wire(cls, data: dict) -> Offer:
        return _guarded(cls._from_wire, "offer", data)

    @classmethod
    def _from_wire(cls, data: dict) -> Offer:
        source = _choice(data, "source", OFFER_SOURCES, "local", "offer source")
        category = _choice(data, "category", OFFER_CATEGORIES, "event", "offer category")
        where = _plain(data, "where")
        weekdays = data.get("weekdays") or []
        if not _is_weekdays(weekdays):
            raise ContentError("weekdays must be a list of weekdays 0-6 (0 = Monday)")
        starts, ends = _date(data, "starts"), _date(data, "ends")
        if starts and ends and ends < starts:
            raise ContentError("an offer cannot end before it starts")
        time_, end_time = _hhmm(data, "time"), _hhmm(data, "end_time")
        if time_ and end_time and end_time <= time_:
            raise ContentError("end_time must come after time")
        age_min = _int(data, "age_min", 0, 0, 120)
        age_max = None if data.get("age_max") is None else _int(data, "age_max", 120, 0, 120)
        if age_max is not None and age_max < age_min:
            raise ContentError("age_max must be at least age_min")
        walking = data.get("walking_minutes")
        capacity = data.get("capacity")
        interests = data.get("interests") or []
        if not isinstance(interests, list) or not all(
            isinstance(i, str) and INTEREST.fullmatch(i) for i in interests
        ):
            raise ContentError("interests must be a list of short slugs")
        return cls(
            id=_slug(data, "id"),
            order=int(data.get("order", 0)),
            source=source,
            category=category,
            pictogram=_slug(data, "pictogram"),
            title_texts=_texts(data, "title"),
            summary=_texts(data, "summary", required=False),
            where=where,
            walking_minutes=None if walking is None else _int(data, "walking_minutes", 0, 0, 120),
            starts=starts,
            ends=ends,
            weekdays=tuple(sorted(set(weekdays))),
            time=time_,
            end_time=end_time,
            age_min=age_min,
            age_max=age_max,
            capacity=None if capacity is None else _int(data, "capacity", 0, 1, 100000),
            link=_url(data, "link"),
            interests=tuple(interests),
            audio=_audio(data),
        )


def offers_on(offers, day: dt.date, source: str | None = None) -> list[Offer]:
    """Dated offers happening on `day` (today's events), earliest hour first."""
    chosen = [o for o in offers if o.dated and o.happens_on(day)
              and (source is None or o.source == source)]
    return sorted(chosen, key=lambda o: (o.time or dt.time(0), o.order, o.id))


def current_offers(offers, day: dt.date, source: str | None = None) -> list[Offer]:
    """Offers not over yet, the soonest first, then the ongoing ones."""
    far = dt.date.max
    dated = []  # (next day it happens, offer): next_day() walks the calendar, once each
    for o in offers:
        if o.is_over(day) or (source is not None and o.source != source):
            continue
        when = o.next_day(day) if o.dated else far
        if when is not None:
            dated.append((when, o))
    return [o for _when, o in sorted(dated, key=lambda pair: (pair[0], pair[1].order, pair[1].id))]


# "plan": a floor plan's image. It travels inside its `plan` item (FloorPlan.image), never
# as an `asset` item: a kiosk one version behind would reject the whole delta for an asset
# kind it does not know (asset kinds are checked, unknown content kinds are skipped).
ASSET_KINDS = ("pictogram", "audio", "plan")
ASSET_TYPES = {"image/png": "png", "audio/wav": "wav"}  # wire type -> file extension
ASSET_KIND_TYPES = {"pictogram": "image/png", "audio": "audio/wav", "plan": "image/png"}
ASSET_MAX_BYTES = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Asset:
    """A file agents uploaded (a pictogram PNG, a read-aloud WAV), named by its SHA-256:
    content names it by `id` (the pictogram slug, the audio name without ".wav"); the
    kiosk downloads the bytes once from /api/v1/assets/<sha256> and checks them."""

    id: str
    kind: str  # one of ASSET_KINDS
    sha256: str  # lower-case hex
    size: int  # bytes
    type: str  # one of ASSET_TYPES

    @property
    def filename(self) -> str:
        """Content-addressed file name: <sha256>.<ext>."""
        return f"{self.sha256}.{ASSET_TYPES[self.type]}"

    @classmethod
    def from_wire(cls, data: dict) -> Asset:
        return _guarded(cls._from_wire, "asset", data)

    @classmethod
    def _from_wire(cls, data: dict) -> Asset:
        kind, sha256, size, type_ = (data.get(k) for k in ("kind", "sha256", "size", "type"))
        if kind not in ASSET_KINDS:
            raise ContentError(f"asset kind must be one of {', '.join(ASSET_KINDS)}, got {kind!r}")
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ContentError("asset sha256 must be 64 lower-case hex digits")
        if (not isinstance(size, int) or isinstance(size, bool)
                or not 0 < size <= ASSET_MAX_BYTES):
            raise ContentError(f"asset size must be 1..{ASSET_MAX_BYTES} bytes, got {size!r}")
        if type_ != ASSET_KIND_TYPES[kind]:
            raise ContentError(f"a {kind} asset must be {ASSET_KIND_TYPES[kind]}, got {type_!r}")
        return cls(id=_slug(data, "id"), kind=kind, sha256=sha256, size=size, type=type_)


MAX_HOTSPOTS = 40
HOTSPOT_LABEL_MAX = 60  # characters per language: a landmark's name, not a sentence


@dataclass(frozen=True)
class Hotspot:
    """A named landmark on a floor plan (the reception, the lift, the toilets): `x`, `y` in
    0..1 from the plan's top-left corner; `icon` an optional pictogram slug ("" = none)."""

    id: str
    x: float
    y: float
    label: Texts
    icon: str = ""

    def title(self, lang: str) -> str:
        return localized(self.label, lang)

    @classmethod
    def from_wire(cls, data: dict) -> Hotspot:
        if not isinstance(data, dict):
            raise ContentError("a hotspot must be an object {id, x, y, label}")
        spot = []
        for key in ("x", "y"):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ContentError(f"hotspot {key} must be a number in [0, 1], got {value!r}")
            spot.append(float(value))
        label = _texts(data, "label")
        if any(len(text) > HOTSPOT_LABEL_MAX for text in label.values()):
            raise ContentError(f"a hotspot label is at most {HOTSPOT_LABEL_MAX} characters")
        icon = data.get("icon") or ""
        return cls(id=_slug(data, "id"), x=spot[0], y=spot[1], label=label,
                   icon=_slug({"icon": icon}, "icon") if icon else "")


def parse_hotspots(value) -> tuple[Hotspot, ...]:
    """A plan's landmarks: a list of at most MAX_HOTSPOTS hotspots with distinct ids."""
    if value in (None, ""):
        return ()
    if not isinstance(value, list) or len(value) > MAX_HOTSPOTS:
        raise ContentError(f"hotspots must be a list of at most {MAX_HOTSPOTS} landmarks")
    spots = tuple(Hotspot.from_wire(h) for h in value)
    ids = [h.id for h in spots]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise ContentError(f"hotspot ids must be unique ({duplicate!r} twice)")
    return spots


@dataclass(frozen=True)
class FloorPlan:
    """A floor plan agents uploaded: its image (a content-addressed PNG, fetched by hash like
    the assets) and its landmarks. A service names it by id in `plan`; a kiosk without the
    image (not downloaded yet, or none uploaded) shows the plan bundled under that id."""

    id: str
    order: int
    name: Texts
    image: Asset | None  # id "plan:<plan id>", kind "plan"; None: no uploaded image
    hotspots: tuple[Hotspot, ...] = ()

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @classmethod
    def from_wire(cls, data: dict) -> FloorPlan:
        return _guarded(cls._from_wire, "plan", data)

    @classmethod
    def _from_wire(cls, data: dict) -> FloorPlan:
        plan_id = _slug(data, "id")
        image = data.get("image")
        if image is not None:
            if not isinstance(image, dict):
                raise ContentError("plan image must be an object {sha256, size, type} or null")
            image = Asset.from_wire({**image, "id": "plan", "kind": "plan"})
            image = Asset(id=f"plan:{plan_id}", kind="plan", sha256=image.sha256,
                          size=image.size, type=image.type)
        return cls(id=plan_id, order=int(data.get("order", 0)), name=_texts(data, "name"),
                   image=image, hotspots=parse_hotspots(data.get("hotspots")))


# Who it is for: an age in each group, checked against each offer's age range.
AGES = {"all": None, "child": 9, "teen": 15, "adult": 30}
NEAR_MINUTES = 10


def offer_interests(offers) -> list[str]:
    """The interests (INTERESTS slugs) at least one of `offers` has, in the vocabulary's
    order: the chips worth showing."""
    present = {i for o in offers for i in o.interests}
    return [slug for slug in INTERESTS if slug in present]


def select_offers(offers, which: str, today: dt.date, age: int | None = None,
           near: bool = False, interests=()) -> list:
    """The offers the chips show: when (all that are not over, today's, this week's), for
    whom (an age), how far (at most NEAR_MINUTES on foot, when `near`) and what for (an
    offer with any of `interests`; none chosen: every offer)."""
    if which == "today":
        chosen = offers_on(offers, today)
    else:
        chosen = current_offers(offers, today)
        if which == "week":
            week = [today + dt.timedelta(days=n) for n in range(7)]
            chosen = [o for o in chosen if o.dated and any(o.happens_on(d) for d in week)]
    chosen = [o for o in chosen if o.suits_age(age)]
    if near:
        chosen = [o for o in chosen
                  if o.walking_minutes is not None and o.walking_minutes <= NEAR_MINUTES]
    if interests:
        wanted = set(interests)
        chosen = [o for o in chosen if wanted.intersection(o.interests)]
    return chosen


KINDS = {"pole": Pole, "service": Service, "situation": Situation, "place": NearbyPlace,
         "page": InfoPage, "offer": Offer, "closure": Closure, "announcement": Announcement,
         "asset": Asset, "plan": FloorPlan}
ContentItem = (Pole | Service | Situation | NearbyPlace | InfoPage | Offer | Closure
               | Announcement | Asset | FloorPlan)


def parse_item(kind: str, data: dict) -> ContentItem:
    """Build the typed content item for a wire item, or raise ContentError."""
    if kind not in KINDS:
        raise ContentError(f"unknown content kind {kind!r}")
    if not isinstance(data, dict):
        raise ContentError("content data must be an object")
    return KINDS[kind].from_wire(data)
