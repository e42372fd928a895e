"""Exceptions to the opening hours (a service's own, site-wide closures) and the home
screen's announcements, as the kiosk reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.content import ContentError, active_announcements, parse_item
from tests.conftest import demo_data

CHRISTMAS = dt.date(2026, 12, 25)  # a Friday
EVE = dt.date(2026, 12, 24)


def service(**over):
    return parse_item("service", {**demo_data()["services"][0], **over})


def closure(**over):
    data = {"id": "noel", "from": "2026-12-25", "reason": {"fr": "Noël", "en": "Christmas"}}
    data.update(over)
    return parse_item("closure", data)


def test_a_site_wide_closure_closes_every_service_that_day_only():
    svc = service()
    assert svc.slots_on(CHRISTMAS)  # an ordinary Friday without the closure
    noel = closure()
    assert svc.slots_on(CHRISTMAS, [noel]) == []
    assert svc.exception_on(CHRISTMAS, [noel]).reason["en"] == "Christmas"
    assert svc.slots_on(CHRISTMAS + dt.timedelta(days=7), [noel]) == svc.slots_on(
        CHRISTMAS + dt.timedelta(days=7))
    assert not svc.is_open_at(dt.datetime.combine(CHRISTMAS, dt.time(10)), [noel])


def test_a_short_day_replaces_the_hours():
    svc = service()
    eve = closure(id="veille", **{"from": "2026-12-24"},
                  hours=[{"open": "08:30", "close": "12:00"}])
    slots = svc.slots_on(EVE, [eve])
    assert [(s.opens, s.closes) for s in slots] == [(dt.time(8, 30), dt.time(12))]
    assert svc.is_open_at(dt.datetime.combine(EVE, dt.time(11)), [eve])
    assert not svc.is_open_at(dt.datetime.combine(EVE, dt.time(14)), [eve])


def test_a_closure_may_name_only_some_services():
    svc = service()
    other = closure(services=["pas-ce-service"])
    assert svc.slots_on(CHRISTMAS, [other]) == svc.slots_on(CHRISTMAS)
    mine = closure(services=[svc.id])
    assert svc.slots_on(CHRISTMAS, [mine]) == []


def test_a_service_exception_over_several_days_and_the_site_closure_wins():
    svc = service(exceptions=[{"from": "2026-12-21", "to": "2026-12-31",
                               "hours": [{"open": "09:00", "close": "12:00"}],
                               "reason": {"fr": "Vacances"}}])
    assert [(s.opens, s.closes) for s in svc.slots_on(dt.date(2026, 12, 22))] == [
        (dt.time(9), dt.time(12))]
    assert svc.slots_on(CHRISTMAS, [closure()]) == []  # the holiday beats the period
    assert svc.exception_on(dt.date(2027, 1, 4)) is None


@pytest.mark.parametrize("over, message", [
    ({"from": None}, "first day"),
    ({"to": "2026-12-01"}, "before it starts"),
    ({"to": "2028-12-31"}, "at most a year"),
    ({"hours": [{"open": "12:00", "close": "08:00"}]}, "before closing"),
    ({"services": "all"}, "list"),
])
def test_a_bad_closure_is_a_content_error(over, message):
    with pytest.raises(ContentError, match=message):
        closure(**over)


def test_a_bad_service_exception_is_a_content_error():
    with pytest.raises(ContentError):
        service(exceptions=[{"to": "2026-12-01"}])
    with pytest.raises(ContentError):
        service(exceptions="closed at Christmas")


def announcement(id_="a", level="info", starts=None, ends=None, order=0):
    return parse_item("announcement", {"id": id_, "level": level, "order": order,
                                       "text": {"fr": f"Annonce {id_}"},
                                       "starts_at": starts, "ends_at": ends})


def test_announcements_show_in_their_window_urgent_first():
    now = dt.datetime(2026, 12, 8, 10, 0)
    items = [announcement("info"), announcement("later", starts="2026-12-08T14:00"),
             announcement("over", ends="2026-12-08T09:00"),
             announcement("urgent", level="urgent", starts="2026-12-08T08:00",
                          ends="2026-12-08T12:00")]
    assert [a.id for a in active_announcements(items, now)] == ["urgent", "info"]
    assert [a.id for a in active_announcements(items, now.replace(hour=15))] == ["info", "later"]


@pytest.mark.parametrize("over, message", [
    ({"level": "panic"}, "level"),
    ({"text": {"fr": "x" * 281}}, "280"),
    ({"starts_at": "demain"}, "ISO"),
    ({"starts_at": "2026-12-08T10:00", "ends_at": "2026-12-08T09:00"}, "end after"),
])
def test_a_bad_announcement_is_a_content_error(over, message):
    data = {"id": "a", "text": {"fr": "Annonce"}, **over}
    with pytest.raises(ContentError, match=message):
        parse_item("announcement", data)


def test_the_demo_closes_at_christmas_and_has_a_welcome_announcement():
    closures = [parse_item("closure", c) for c in demo_data()["closures"]]
    assert service().slots_on(CHRISTMAS, closures) == []
    items = [parse_item("announcement", a) for a in demo_data()["announcements"]]
    assert active_announcements(items, dt.datetime(2026, 12, 1, 9))
