"""Offers (Carte Citoyenne offers and residents' local offers) as the kiosk reads them, and
how its chips pick them: when, for whom, how far, what for. Re-exported by
kiosk.domain.content, where the other content types are."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kiosk.domain import content_wire as wire
from kiosk.domain.content_wire import ContentError, Texts, Wire
from kiosk.domain.languages import localized

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


def check_interests(values: object) -> list[str]:
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
    def from_wire(cls, data: Wire) -> Offer:
        return wire._guarded(cls._from_wire, "offer", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> Offer:
        source = wire._choice(data, "source", OFFER_SOURCES, "local", "offer source")
        category = wire._choice(data, "category", OFFER_CATEGORIES, "event", "offer category")
        where = wire._plain(data, "where")
        weekdays = data.get("weekdays") or []
        if not wire._is_weekdays(weekdays):
            raise ContentError("weekdays must be a list of weekdays 0-6 (0 = Monday)")
        starts, ends = wire._date(data, "starts"), wire._date(data, "ends")
        if starts and ends and ends < starts:
            raise ContentError("an offer cannot end before it starts")
        time_, end_time = wire._hhmm(data, "time"), wire._hhmm(data, "end_time")
        if time_ and end_time and end_time <= time_:
            raise ContentError("end_time must come after time")
        age_min = wire._int(data, "age_min", 0, 0, 120)
        age_max = None if data.get("age_max") is None else wire._int(data, "age_max", 120, 0, 120)
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
            id=wire._slug(data, "id"),
            order=int(data.get("order", 0)),
            source=source,
            category=category,
            pictogram=wire._slug(data, "pictogram"),
            title_texts=wire._texts(data, "title"),
            summary=wire._texts(data, "summary", required=False),
            where=where,
            walking_minutes=None if walking is None else wire._int(data, "walking_minutes", 0, 0, 120),
            starts=starts,
            ends=ends,
            weekdays=tuple(sorted(set(weekdays))),
            time=time_,
            end_time=end_time,
            age_min=age_min,
            age_max=age_max,
            capacity=None if capacity is None else wire._int(data, "capacity", 0, 1, 100000),
            link=wire._url(data, "link"),
            interests=tuple(interests),
            audio=wire._audio(data),
        )


def offers_on(offers: Iterable[Offer], day: dt.date, source: str | None = None) -> list[Offer]:
    """Dated offers happening on `day` (today's events), earliest hour first."""
    chosen = [o for o in offers if o.dated and o.happens_on(day)
              and (source is None or o.source == source)]
    return sorted(chosen, key=lambda o: (o.time or dt.time(0), o.order, o.id))


def current_offers(offers: Iterable[Offer], day: dt.date, source: str | None = None) -> list[Offer]:
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


# Who it is for: an age in each group, checked against each offer's age range.
AGES = {"all": None, "child": 9, "teen": 15, "adult": 30}
NEAR_MINUTES = 10


def offer_interests(offers: Iterable[Offer]) -> list[str]:
    """The interests (INTERESTS slugs) at least one of `offers` has, in the vocabulary's
    order: the chips worth showing."""
    present = {i for o in offers for i in o.interests}
    return [slug for slug in INTERESTS if slug in present]


def select_offers(offers: Iterable[Offer], which: str, today: dt.date, age: int | None = None,
           near: bool = False, interests: Iterable[str] = ()) -> list[Offer]:
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
