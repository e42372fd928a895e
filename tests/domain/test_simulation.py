"""The day simulator: deterministic, realistic enough, and faithful to the rules it claims."""

from __future__ import annotations

import pytest

from kiosk.domain.simulation import (
    CLOSING,
    DOORS_OPEN,
    ISSUE_END,
    THURSDAY,
    THURSDAY_ISSUE_END,
    arrival_rate,
    default_site,
    replay,
    simulate_day,
)
from kiosk.domain.wait import naive_wait_minutes

SITE = default_site(0)


@pytest.fixture(scope="module")
def days():
    return replay(SITE, range(500, 520))


def _key(day):
    return [(t.ticket_id, t.issued_at, t.called_at, t.counter, t.naive_at_issue,
             t.estimate_at_issue, t.sms_at) for t in day.tickets]


def test_same_seed_same_day():
    assert _key(simulate_day(SITE, 7, weekday=1)) == _key(simulate_day(SITE, 7, weekday=1))


def test_other_seed_other_day():
    assert _key(simulate_day(SITE, 7, weekday=1)) != _key(simulate_day(SITE, 8, weekday=1))


def test_the_day_does_not_depend_on_the_estimator(days):
    # A fresh model (another estimator state) must not change arrivals, calls or counters.
    fresh = simulate_day(SITE, 505, weekday=0)
    assert [(t.ticket_id, t.called_at) for t in fresh.tickets] == [
        (t.ticket_id, t.called_at) for t in days[5].tickets]


def test_arrival_profile_has_a_morning_peak(days):
    per_hour = {}
    for d in days:
        for t in d.tickets:
            per_hour[int(t.issued_at // 60)] = per_hour.get(int(t.issued_at // 60), 0) + 1
    morning = (per_hour[9] + per_hour[10]) / 2
    lunch = (per_hour[12] + per_hour[13]) / 2
    assert morning > 1.8 * lunch
    assert morning > per_hour[15]
    assert per_hour[14] > lunch  # the afternoon bump
    assert arrival_rate(DOORS_OPEN - 1, 1) == 0 == arrival_rate(ISSUE_END, 1)
    assert arrival_rate(18 * 60, THURSDAY) > 0 == arrival_rate(18 * 60, 2)


def test_rates_of_no_shows_and_priority_tickets(days):
    tickets = [t for d in days for t in d.tickets]
    assert len(tickets) > 2000
    assert sum(t.no_show for t in tickets) / len(tickets) == pytest.approx(0.10, abs=0.02)
    assert sum(t.priority for t in tickets) / len(tickets) == pytest.approx(0.05, abs=0.015)


def test_every_ticket_is_called_by_a_counter_that_serves_it(days):
    serves = {c.counter_id: c.services for c in SITE.counters}
    for d in days:
        for t in d.tickets:
            assert t.called_at is not None and t.called_at >= t.issued_at
            assert t.service in serves[t.counter]


def test_every_service_has_a_planned_counter_all_day():
    for weekday in range(5):
        end = THURSDAY_ISSUE_END if weekday == THURSDAY else ISSUE_END
        for service in SITE.services:
            for minute in range(DOORS_OPEN, end, 5):
                assert any(
                    s.start <= minute < s.end or (s.open_ended and minute >= s.start)
                    for c in SITE.counters if service.code in c.services
                    for s in SITE.sessions(c, weekday)
                ), (weekday, service.code, minute)


def test_between_two_and_six_counters_are_planned():
    for minute in range(DOORS_OPEN, CLOSING, 5):
        n = sum(any(s.start <= minute < s.end for s in SITE.sessions(c, 1))
                for c in SITE.counters)
        assert 2 <= n <= 6


def test_configured_means_differ_from_the_truth():
    assert any(abs(s.true_mean / s.configured_mean - 1) > 0.05 for s in SITE.services)


def test_calls_follow_the_priority_rule(days):
    """No third priority call in a row while a normal ticket this counter could serve waits."""
    serves = {c.counter_id: c.services for c in SITE.counters}
    for d in days:
        calls = sorted(d.tickets, key=lambda t: (t.called_at, t.counter))
        for i in range(2, len(calls)):
            if not (calls[i].priority and calls[i - 1].priority and calls[i - 2].priority):
                continue
            at = calls[i].called_at
            passed = [t for t in d.tickets if not t.priority and t.issued_at <= at
                      and t.called_at > at and t.service in serves[calls[i].counter]]
            assert passed == [], (d.seed, calls[i].ticket_id)


def test_naive_estimate_uses_the_configured_mean(days):
    """Every naive estimate is ceil(position × configured mean ÷ open counters)."""
    for code in ("L", "F"):
        mean = SITE.service(code).configured_mean
        possible = {naive_wait_minutes(k, mean, n) for k in range(300) for n in range(1, 7)}
        values = [t.naive_at_issue for d in days for t in d.tickets
                  if t.service == code and t.naive_at_issue is not None]
        assert any(v > 0 for v in values)
        assert set(values) <= possible, code


def test_sms_fires_once_before_or_at_the_call(days):
    for d in days:
        for t in d.tickets:
            assert t.sms_at is not None
            assert t.issued_at <= t.sms_at <= t.called_at + 0.5


def test_history_keeps_later_estimates():
    day = simulate_day(SITE, 9, weekday=0, keep_history=True)
    waited = [t for t in day.tickets if t.actual_wait > 20]
    assert waited
    for t in waited:
        assert len(t.history) > 1
        assert t.history[0][2] == t.estimate_at_issue
        assert all(a[0] <= b[0] for a, b in zip(t.history, t.history[1:], strict=False))


def test_new_estimator_beats_naive_on_unseen_days(days):
    scored = [t for d in days for t in d.tickets
              if t.estimate_at_issue is not None and t.naive_at_issue is not None]
    new = sum(abs(t.estimate_at_issue - t.actual_wait) for t in scored)
    naive = sum(abs(t.naive_at_issue - t.actual_wait) for t in scored)
    assert new < 0.7 * naive
