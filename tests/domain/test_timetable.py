"""Counter timetables: the sessions still to come today (kiosk/domain/timetable.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.content import Closure, ContentError
from kiosk.domain.timetable import (
    applicable_closures,
    check_timetable,
    counter_sessions,
    planned_sessions,
)

MONDAY = dt.date(2026, 12, 7)
THURSDAY = dt.date(2026, 12, 10)
SATURDAY = dt.date(2026, 12, 12)
WEEK = [
    {"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "12:00"},
    {"days": [0, 1, 2, 4], "open": "13:30", "close": "17:00"},
    {"days": [3], "open": "13:30", "close": "19:30"},
]


def hm(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def sessions(now: str, day=MONDAY, *, hours=WEEK, exceptions=(), closures=(), is_open=False,
             paused=None, closed=False, busy=False):
    return counter_sessions(list(hours), list(exceptions), list(closures), day, hm(now),
                            is_open=is_open, paused_until_min=hm(paused) if paused else None,
                            closed_today=closed, busy=busy)


def test_open_in_the_morning_ends_at_noon_then_the_afternoon_session():
    assert sessions("10:00", is_open=True) == [(None, hm("12:00")),
                                               (hm("13:30"), hm("17:00"))]


def test_thursday_runs_late():
    assert sessions("15:00", THURSDAY, is_open=True) == [(None, hm("19:30"))]


def test_not_open_yet_lists_the_planned_sessions():
    assert sessions("07:45") == [(hm("08:30"), hm("12:00")), (hm("13:30"), hm("17:00"))]


def test_during_the_break_a_closed_counter_reopens_after_lunch():
    assert sessions("12:30") == [(hm("13:30"), hm("17:00"))]


def test_open_during_the_break_works_through_to_the_afternoon_end():
    # The agent is serving anyway: the planned end that follows is the afternoon's.
    assert sessions("12:30", is_open=True) == [(None, hm("17:00"))]


def test_open_after_the_last_session_has_no_planned_end():
    assert sessions("17:20", is_open=True) == [(None, None)]


def test_closed_after_the_last_session_has_nothing_left():
    assert sessions("17:20") == []


def test_late_start_within_tolerance_is_expected_any_minute():
    assert sessions("08:40") == [(hm("08:40"), hm("12:00")), (hm("13:30"), hm("17:00"))]


def test_late_start_beyond_tolerance_is_unstaffed():
    assert sessions("08:50") == [(hm("13:30"), hm("17:00"))]


def test_pause_resumes_at_its_time_within_the_session():
    assert sessions("10:00", is_open=True, paused="10:30") == [
        (hm("10:30"), hm("12:00")), (hm("13:30"), hm("17:00"))]


def test_a_pause_over_ends_by_itself():
    assert sessions("10:40", is_open=True, paused="10:30") == [
        (None, hm("12:00")), (hm("13:30"), hm("17:00"))]


def test_busy_counter_is_serving_even_if_marked_closed():
    assert sessions("10:00", busy=True) == [(None, hm("12:00")), (hm("13:30"), hm("17:00"))]


def test_closed_for_today_has_no_session_even_busy():
    assert sessions("10:00", is_open=False, closed=True, busy=True) == []


def test_exception_closed_day():
    closed = {"from": "2026-12-07", "to": "2026-12-07", "reason": {"fr": "Formation"}}
    assert sessions("07:00", exceptions=[closed]) == []
    # Open anyway (the agent is there): serving, with no planned end.
    assert sessions("10:00", exceptions=[closed], is_open=True) == [(None, None)]


def test_exception_short_day():
    short = {"from": "2026-12-07", "hours": [{"open": "08:30", "close": "11:00"}]}
    assert sessions("10:00", exceptions=[short], is_open=True) == [(None, hm("11:00"))]


def test_exception_extra_session_on_a_saturday():
    extra = {"from": "2026-12-12", "hours": [{"open": "09:00", "close": "12:30"}]}
    assert sessions("08:00", SATURDAY) == []
    assert sessions("08:00", SATURDAY, exceptions=[extra]) == [(hm("09:00"), hm("12:30"))]


def test_site_closure_wins_over_the_week():
    eve = Closure.from_wire({"id": "veille", "from": "2026-12-07",
                             "hours": [{"open": "08:30", "close": "12:00"}]})
    holiday = Closure.from_wire({"id": "ferie", "from": "2026-12-07"})
    assert sessions("10:00", closures=[eve], is_open=True) == [(None, hm("12:00"))]
    assert sessions("07:00", closures=[holiday]) == []


def test_closures_of_other_services_leave_the_counter_open():
    partial = Closure.from_wire({"id": "x", "from": "2026-12-07", "services": ["naissance"]})
    both = Closure.from_wire({"id": "y", "from": "2026-12-07",
                              "services": ["naissance", "deces"]})
    assert applicable_closures([partial, both], ["naissance", "deces"]) == [both]
    assert applicable_closures([partial], ["naissance"]) == [partial]
    assert applicable_closures([{"id": "z", "from": "2026-12-07"}], ["deces"])[0].id == "z"


def test_no_timetable_keeps_the_old_behaviour():
    assert sessions("03:00", hours=[], is_open=True) == [(None, None)]
    assert sessions("10:00", hours=[]) == []
    assert sessions("10:00", hours=[], is_open=True, paused="11:00") == [(hm("11:00"), None)]


def test_no_timetable_but_a_closure_short_day_gives_an_end():
    eve = Closure.from_wire({"id": "veille", "from": "2026-12-07",
                             "hours": [{"open": "08:30", "close": "12:00"}]})
    assert sessions("10:00", hours=[], closures=[eve], is_open=True) == [(None, hm("12:00"))]


def test_touching_sessions_merge():
    week = [{"days": [0], "open": "08:30", "close": "12:00"},
            {"days": [0], "open": "12:00", "close": "14:00"}]
    assert planned_sessions(week, [], [], MONDAY) == [(hm("08:30"), hm("14:00"))]
    assert planned_sessions([], [], [], MONDAY) is None


@pytest.mark.parametrize("hours, exceptions", [
    ([{"days": [0], "open": "12:00", "close": "08:00"}], []),
    ([{"days": [], "open": "08:00", "close": "12:00"}], []),
    ([{"days": [0], "open": "8h", "close": "12:00"}], []),
    ("lundi", []),
    ([], [{"from": "2026-13-01"}]),
    ([], [{"to": "2026-12-01"}]),
    ([], [{"from": "2026-12-02", "to": "2026-12-01"}]),
])
def test_malformed_timetables_are_refused(hours, exceptions):
    with pytest.raises(ContentError):
        check_timetable(hours, exceptions)
