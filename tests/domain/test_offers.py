"""Offers (Carte Citoyenne and residents'), information pages, recorded audio: the wire
format the kiosk trusts, and when an offer happens."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.content import (
    KINDS,
    ContentError,
    Offer,
    current_offers,
    offers_on,
    parse_item,
)
from tests.conftest import demo_data

THURSDAY = dt.date(2026, 12, 3)


def offer(**over) -> dict:
    data = {"id": "amap", "source": "local", "category": "food", "pictogram": "offer-basket",
            "title": {"fr": "AMAP", "en": "CSA"}}
    data.update(over)
    return data


def test_pages_and_offers_are_content_kinds():
    assert {"page", "offer"} <= set(KINDS)


def test_an_offer_from_the_wire():
    item = parse_item("offer", offer(weekdays=[3], time="18:30", end_time="20:00", age_min=7,
                                     age_max=11, capacity=20, walking_minutes=3,
                                     link="https://example.org/amap", interests=["nature"]))
    assert isinstance(item, Offer)
    assert item.title("en") == "CSA" and item.title("wo") == "AMAP"  # French fallback
    assert item.weekdays == (3,) and item.time == dt.time(18, 30)
    assert item.suits_age(7) and item.suits_age(11) and not item.suits_age(12)
    assert not item.suits_age(6) and item.suits_age(None)


@pytest.mark.parametrize("over, message", [
    ({"source": "ville"}, "source"),
    ({"category": "commerce"}, "category"),
    ({"weekdays": [7]}, "weekdays"),
    ({"weekdays": [True]}, "weekdays"),
    ({"starts": "2026-12-10", "ends": "2026-12-01"}, "end before"),
    ({"starts": "10/12/2026"}, "YYYY-MM-DD"),
    ({"time": "25:00"}, "HH:MM"),
    ({"time": "20:00", "end_time": "18:00"}, "after"),
    ({"age_min": 12, "age_max": 7}, "age_max"),
    ({"age_min": -1}, "age_min"),
    ({"link": "http://example.org"}, "https"),
    ({"link": "javascript:alert(1)"}, "https"),
    ({"where": "x" * 301}, "300"),
    ({"interests": ["Pas Un Slug"]}, "interests"),
    ({"audio": {"wo": "../../etc/passwd"}}, "audio"),
    ({"audio": {"wo": "amap.mp3"}}, "audio"),
    ({"title": {"en": "no French"}}, "French"),
])
def test_a_bad_offer_is_a_content_error(over, message):
    with pytest.raises(ContentError, match=message):
        parse_item("offer", offer(**over))


def test_when_an_offer_happens():
    weekly = parse_item("offer", offer(weekdays=[3]))
    assert weekly.dated and weekly.happens_on(THURSDAY)
    assert not weekly.happens_on(THURSDAY + dt.timedelta(days=1))
    assert weekly.next_day(THURSDAY + dt.timedelta(days=1)) == THURSDAY + dt.timedelta(days=7)
    one_day = parse_item("offer", offer(starts="2026-12-12", ends="2026-12-12"))
    assert one_day.happens_on(dt.date(2026, 12, 12)) and not one_day.happens_on(THURSDAY)
    assert one_day.is_over(dt.date(2026, 12, 13)) and one_day.next_day(dt.date(2026, 12, 13)) is None
    ongoing = parse_item("offer", offer())
    assert not ongoing.dated and ongoing.happens_on(THURSDAY) and not ongoing.is_over(THURSDAY)
    season = parse_item("offer", offer(weekdays=[3], starts="2026-12-10", ends="2026-12-31"))
    assert not season.happens_on(THURSDAY) and season.happens_on(dt.date(2026, 12, 10))


def test_todays_events_are_dated_offers_of_today_by_hour():
    items = [parse_item("offer", offer(id="late", weekdays=[3], time="18:00")),
             parse_item("offer", offer(id="early", weekdays=[3], time="09:30")),
             parse_item("offer", offer(id="friday", weekdays=[4])),
             parse_item("offer", offer(id="always")),
             parse_item("offer", offer(id="carte", source="carte", weekdays=[3]))]
    assert [o.id for o in offers_on(items, THURSDAY)] == ["carte", "early", "late"]
    assert [o.id for o in offers_on(items, THURSDAY, "local")] == ["early", "late"]


def test_current_offers_soonest_first_then_ongoing_and_never_the_ended():
    items = [parse_item("offer", offer(id="always", order=0)),
             parse_item("offer", offer(id="next-week", starts="2026-12-10", ends="2026-12-10")),
             parse_item("offer", offer(id="friday", weekdays=[4])),
             parse_item("offer", offer(id="ended", starts="2026-11-01", ends="2026-11-02"))]
    assert [o.id for o in current_offers(items, THURSDAY)] == ["friday", "next-week", "always"]


def test_an_information_page_from_the_wire():
    page = parse_item("page", demo_data()["pages"][0])
    assert page.id == "carte-citoyenne" and page.link.startswith("https://")
    assert "7 ans" in page.summary["fr"] and len(page.body) == 3
    with pytest.raises(ContentError, match="https"):
        parse_item("page", {**demo_data()["pages"][0], "link": "ftp://x"})
    with pytest.raises(ContentError, match="20 paragraphs"):
        parse_item("page", {**demo_data()["pages"][0], "body": [{"fr": "p"}] * 21})


def test_services_situations_and_poles_carry_recorded_audio():
    service = {**demo_data()["services"][0], "audio": {"wo": "naissance-wo.wav"}}
    assert parse_item("service", service).audio == {"wo": "naissance-wo.wav"}
    assert parse_item("service", demo_data()["services"][0]).audio == {}
    with pytest.raises(ContentError, match="audio"):
        parse_item("situation", {**demo_data()["situations"][0], "audio": {"bm": "a/b.wav"}})


def test_the_demo_has_carte_and_local_offers_and_an_event_every_day():
    items = [parse_item("offer", o) for o in demo_data()["offers"]]
    assert {o.source for o in items} == {"carte", "local"}
    monday = dt.date(2026, 11, 30)
    for n in range(7):
        assert offers_on(items, monday + dt.timedelta(days=n)), f"weekday {n}"


def test_select_offers_by_day_age_and_distance():
    from kiosk.domain.content import AGES, select_offers

    items = [parse_item("offer", offer(id="kids", weekdays=[3], age_min=7, age_max=11,
                                       walking_minutes=5)),
             parse_item("offer", offer(id="adults", weekdays=[4], age_min=16, walking_minutes=25)),
             parse_item("offer", offer(id="all-near", walking_minutes=2)),
             parse_item("offer", offer(id="all-unknown-distance"))]
    ids = lambda chosen: [o.id for o in chosen]  # noqa: E731
    assert ids(select_offers(items, "all", THURSDAY)) == [
        "kids", "adults", "all-near", "all-unknown-distance"]
    assert ids(select_offers(items, "today", THURSDAY)) == ["kids"]
    assert ids(select_offers(items, "all", THURSDAY, age=AGES["child"])) == [
        "kids", "all-near", "all-unknown-distance"]
    assert ids(select_offers(items, "all", THURSDAY, age=AGES["adult"], near=True)) == ["all-near"]
    assert ids(select_offers(items, "week", THURSDAY)) == ["kids", "adults"]


def test_select_offers_by_interests_any_of_those_chosen_with_the_other_filters():
    from kiosk.domain.content import AGES, select_offers

    items = [parse_item("offer", offer(id="conte", weekdays=[3], age_min=7, age_max=11,
                                       walking_minutes=5, interests=["culture", "enfants"])),
             parse_item("offer", offer(id="amap", weekdays=[4], walking_minutes=3,
                                       interests=["alimentation", "nature"])),
             parse_item("offer", offer(id="benevolat", age_min=16, walking_minutes=25,
                                       interests=["solidarite", "nature"])),
             parse_item("offer", offer(id="untagged"))]
    ids = lambda chosen: [o.id for o in chosen]  # noqa: E731
    assert ids(select_offers(items, "all", THURSDAY, interests=())) == [
        "conte", "amap", "benevolat", "untagged"]  # none chosen: every offer
    assert ids(select_offers(items, "all", THURSDAY, interests=["nature"])) == ["amap", "benevolat"]
    # Several chosen: an offer with any of them.
    assert ids(select_offers(items, "all", THURSDAY, interests={"culture", "alimentation"})) == [
        "conte", "amap"]
    # Combined with the day, the age and the distance.
    assert ids(select_offers(items, "today", THURSDAY, interests=["nature", "culture"])) == ["conte"]
    assert ids(select_offers(items, "all", THURSDAY, age=AGES["child"], interests=["nature"])) == [
        "amap"]
    assert ids(select_offers(items, "all", THURSDAY, near=True, interests=["solidarite"])) == []
    assert ids(select_offers(items, "all", THURSDAY, interests=["sport"])) == []


def test_the_interests_worth_a_chip_are_those_of_the_offers_in_vocabulary_order():
    from kiosk.domain.content import INTERESTS, offer_interests

    items = [parse_item("offer", offer(id="a", interests=["nature", "culture"])),
             parse_item("offer", offer(id="b", interests=["culture", "old-slug"])),
             parse_item("offer", offer(id="c"))]
    assert offer_interests(items) == ["culture", "nature"]  # unknown slugs get no chip
    assert offer_interests([]) == []
    assert list(INTERESTS)[:2] == ["culture", "sport"]


def test_the_vocabulary_of_interests_is_closed_on_the_server_side():
    from kiosk.domain.content import INTEREST, INTERESTS, check_interests

    assert all(INTEREST.fullmatch(slug) for slug in INTERESTS)
    assert all(label and pictogram for label, pictogram in INTERESTS.values())
    assert check_interests(["nature", "sport"]) == ["nature", "sport"]
    assert check_interests([]) == []
    with pytest.raises(ContentError, match="musique"):
        check_interests(["nature", "musique"])
    with pytest.raises(ContentError, match="once"):
        check_interests(["nature", "nature"])
    with pytest.raises(ContentError):
        check_interests("nature")
    # The kiosk still reads an offer an older server tagged otherwise (no chip for it).
    assert parse_item("offer", offer(interests=["musique"])).interests == ("musique",)


def test_every_demo_offer_has_interests_of_the_vocabulary_and_a_pictogram_for_each():
    from pathlib import Path

    from kiosk.domain.content import INTERESTS, check_interests

    for data in demo_data()["offers"]:
        assert data["interests"], data["id"]
        check_interests(data["interests"])
    src = Path(__file__).resolve().parents[2] / "assets" / "pictograms" / "src"
    for slug, (_label, pictogram) in INTERESTS.items():
        assert (src / f"{pictogram}.svg").is_file(), (slug, pictogram)
