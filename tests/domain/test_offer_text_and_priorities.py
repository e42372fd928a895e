"""Rules written once in the domain: an offer's "when" and ages (kiosk screen and phone page),
the priority categories (kiosk, API, database), a service's spot on its plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.domain.content import Offer, Service
from kiosk.domain.offer_text import ages_text, short_date, when_text
from kiosk.domain.po import read_po
from kiosk.domain.priorities import PRIORITY_CATEGORIES, PRIORITY_KEYS, priority_choices

LOCALE = Path(__file__).resolve().parents[2] / "kiosk" / "ui" / "locale"


def words(lang: str):
    """The kiosk's catalog as a `tr`, as the kiosk and the server pass it."""
    catalog = read_po(LOCALE / lang / "LC_MESSAGES" / "kiosk.po")
    return lambda key, **fields: catalog[key].format(**fields)


def offer(**fields) -> Offer:
    return Offer.from_wire({"id": "x", "pictogram": "x", "title": {"fr": "X"}, **fields})


def test_when_in_french_and_english():
    fr, en = words("fr"), words("en")
    thursday = offer(weekdays=[3], time="18:30", end_time="20:00")
    assert when_text(thursday, fr, "fr") == "Chaque jeudi, 18:30–20:00"
    assert when_text(thursday, en, "en") == "Every Thursday, 18:30–20:00"
    weekly = offer(weekdays=[3], starts="2026-03-01", ends="2026-06-30")
    assert when_text(weekly, fr, "fr") == "Chaque jeudi, du 01/03 au 30/06"
    assert when_text(offer(), fr, "fr") == "Toute l'année"
    assert when_text(offer(starts="2025-12-12", ends="2025-12-12"), en, "en") == "On 12 December"


def test_a_one_day_offer_is_that_day_whatever_its_weekdays():
    day = offer(weekdays=[0], starts="2025-12-12", ends="2025-12-12", time="18:00")
    assert when_text(day, words("fr"), "fr") == "Le 12/12, 18:00"


def test_isolates_only_around_the_hours():
    thursday = offer(weekdays=[3], time="18:30", end_time="20:00")
    text = when_text(thursday, words("ar"), "ar", isolate=("\u2066", "\u2069"))
    assert text.endswith("\u206618:30–20:00\u2069") and "، " in text
    assert "\u2066" not in when_text(thursday, words("ar"), "ar")


def test_dates_as_each_language_writes_them():
    day = dt.date(2026, 3, 5)
    assert [short_date(day, lang) for lang in ("fr", "en", "zh", "ar")] == [
        "05/03", "5 March", "3月5日", "05/03"]


def test_ages():
    fr = words("fr")
    assert ages_text(offer(age_min=7, age_max=11), fr) == "De 7 à 11 ans"
    assert ages_text(offer(age_min=7), fr) == "Dès 7 ans"
    assert ages_text(offer(), fr) == ""


def test_the_priority_categories_once():
    assert PRIORITY_KEYS == ("pregnancy", "disability", "elderly", "appointment")
    assert priority_choices()[0] == ("", "Aucune")
    assert [k for k, _ in priority_choices()[1:]] == list(PRIORITY_KEYS)
    for category in PRIORITY_CATEGORIES:  # the kiosk's words exist in every catalog
        for lang in ("fr", "en", "ar", "zh", "wo", "bm"):
            assert words(lang)(category.text_key), (lang, category.key)


def test_a_spot_on_the_plans_edge_is_not_moved_to_the_centre():
    service = Service.from_wire({
        "id": "etat-civil", "pole": "p", "order": 1, "prefix": "A", "pictogram": "x",
        "name": {"fr": "État civil"}, "summary": {}, "place": {}, "hours": [], "documents": [],
        "plan": "rdc", "plan_x": 0.0, "plan_y": 0.25})
    assert service.plan_spot == (0.0, 0.25)
    no_plan = Service.from_wire({**{"id": "b", "pole": "p", "order": 1, "prefix": "B",
                                    "pictogram": "x", "name": {"fr": "B"}, "summary": {},
                                    "place": {}, "hours": [], "documents": []}})
    assert no_plan.plan_spot == (0.5, 0.5)
