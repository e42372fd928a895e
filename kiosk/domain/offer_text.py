"""What an offer's "when" and "for which ages" say, in the visitor's language: one rule for
the kiosk's screens (kiosk/ui/screens/offers.py) and the offer's phone page
(kiosk/server/web/offer_page.py), so a visitor reads the same words on both.

`tr(key, **fields)` gives the kiosk's own words (its gettext catalogs): the kiosk passes
`app.tr`, the server the same catalogs read as data (kiosk.server.content.preview.Words).
Keys used: weekdays, offer_every, offer_on, offer_from_to, offer_from, offer_until,
offer_ongoing, offer_age_min, offer_age_range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk.domain.content_offers import Offer

Tr = Callable[..., str]

MONTHS_EN = ("January February March April May June July August September October "
             "November December").split()
# Between the parts of a "when" (and the days of a week): the language's own comma.
JOIN = {"ar": "، ", "zh": "，"}


def short_date(day: dt.date, lang: str) -> str:
    """A day without its year, as people of the language write it: 12/03, 12 March, 3月12日."""
    if lang == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]}"
    if lang == "zh":
        return f"{day.month}月{day.day}日"
    return f"{day:%d/%m}"


def _dates(offer: Offer, tr: Tr, lang: str) -> str:
    starts, ends = offer.starts, offer.ends
    if starts and ends:
        if starts == ends:
            return tr("offer_on", date=short_date(starts, lang))
        return tr("offer_from_to", start=short_date(starts, lang), end=short_date(ends, lang))
    if starts:
        return tr("offer_from", date=short_date(starts, lang))
    if ends:
        return tr("offer_until", date=short_date(ends, lang))
    return ""


def when_text(offer: Offer, tr: Tr, lang: str, isolate: tuple[str, str] = ("", "")) -> str:
    """When an offer happens: "Chaque jeudi, 18:30–20:00", "Le 12/12", "Chaque jeudi, du 01/03
    au 30/06", "Toute l'année". A one-day offer is that day, whatever its weekdays say.
    `isolate`: marks around the hours, which keep "18:30–20:00" in order inside a
    right-to-left line (the phone page's HTML isolates; the kiosk's labels need none)."""
    join = JOIN.get(lang, ", ")
    parts = []
    if offer.weekdays and not (offer.starts is not None and offer.starts == offer.ends):
        names = tr("weekdays").split(",")
        parts.append(tr("offer_every",
                        days=join.join(names[d] for d in offer.weekdays if d < len(names))))
    dates = _dates(offer, tr, lang)
    if dates:
        if parts:  # "Chaque jeudi, du 01/03 au 30/06": the dates go on the sentence
            dates = dates[0].lower() + dates[1:]
        parts.append(dates)
    if not parts:
        parts.append(tr("offer_ongoing"))
    if offer.time:
        hours = f"{offer.time:%H:%M}" + (f"–{offer.end_time:%H:%M}" if offer.end_time else "")
        parts.append(f"{isolate[0]}{hours}{isolate[1]}")
    return join.join(parts)


def ages_text(offer: Offer, tr: Tr) -> str:
    """For which ages: "De 7 à 11 ans", "Dès 7 ans"; "" when the offer is for everyone."""
    if offer.age_max is not None:
        return tr("offer_age_range", min=offer.age_min, max=offer.age_max)
    if offer.age_min:
        return tr("offer_age_min", min=offer.age_min)
    return ""
