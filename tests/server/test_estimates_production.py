"""What production feeds the estimator and tells the visitor (issue: the "15 minutes"
promise): ties broken as the counters call, what the model learns from the history
(gaps between a counter becoming free and its next call, visitors who leave, no-shows),
timetables reaching the estimate, and the honest wait at issue (range, "stay in the hall",
"we may not reach you today").

The clock is fixed to a Tuesday morning (Paris), so timetables mean the same whatever the
hour the tests run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

TUESDAY_10H = dt.datetime(2026, 12, 8, 10, 0)  # Paris wall clock
WEEKDAYS = [0, 1, 2, 3, 4]


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def clock(monkeypatch):
    """A settable clock: `clock.now` is what timezone.now answers."""
    from kiosk.server.queueing.estimates import reset_caches

    state = SimpleNamespace(now=timezone.make_aware(TUESDAY_10H))
    monkeypatch.setattr(timezone, "now", lambda: state.now)

    def advance(minutes: float) -> None:
        state.now += dt.timedelta(minutes=minutes)

    state.advance = advance
    reset_caches()
    yield state
    reset_caches()


@pytest.fixture
def q(demo, clock):
    """Two ticketing services a, b on one counter g (its agent at the desk); the demo's
    counters closed."""
    from kiosk.server.queueing.models import Counter

    Counter.objects.filter(site=demo).update(is_open=False)
    a, b = demo.services.filter(ticketing=True).order_by("slug")[:2]
    for service in (a, b):
        service.mean_service_minutes = 10
        service.save()
    g = Counter.objects.create(site=demo, name="Guichet 7", is_open=True)
    g.services.set([a, b])
    return SimpleNamespace(site=demo, a=a, b=b, g=g, clock=clock)


def issue(service, **kw):
    from kiosk.server.queueing.issuing import do_issue_ticket

    ticket, created = do_issue_ticket(service, **kw)
    assert created
    return ticket


def fresh(obj):
    obj.refresh_from_db()
    return obj


# -- ties ---------------------------------------------------------------------------------


def test_ties_are_broken_as_the_counter_calls(q):
    """Tickets of two services issued at the same instant: the estimates order them exactly
    as do_call_next calls them (by pk), whatever the services' order in any set."""
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.queueing.estimates import estimates_for, invalidate_estimates
    from kiosk.server.queueing.models import Ticket

    tickets = [issue(q.b if i % 2 else q.a) for i in range(6)]
    same = timezone.now() - dt.timedelta(minutes=5)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(queued_at=same)
    invalidate_estimates(q.site.pk)
    estimates = estimates_for(q.site, [fresh(t) for t in tickets])
    by_estimate = sorted(tickets, key=lambda t: (estimates[t.pk], t.pk))
    assert len({estimates[t.pk] for t in tickets}) == len(tickets)  # premise: all distinct
    called = [do_call_next(q.g) for _ in tickets]
    assert [t.pk for t in called] == [t.pk for t in by_estimate]


# -- what the model learns from production --------------------------------------------------


def _history(q, *, gap: float, service_minutes: float, days: int = 3, per_day: int = 12):
    """Past days of one counter whose agent calls `gap` minutes after each visitor left."""
    from kiosk.server.queueing.models import Ticket, TicketStatus

    rows = []
    for d in range(1, days + 1):
        day = timezone.localdate() - dt.timedelta(days=d)
        t = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
        for n in range(1, per_day + 1):
            called = t + dt.timedelta(minutes=gap)
            finished = called + dt.timedelta(minutes=service_minutes)
            rows.append(Ticket(site=q.site, service=q.a, issued_service=q.a, day=day, number=n,
                               prefix=q.a.prefix, status=TicketStatus.DONE, counter=q.g,
                               queued_at=day and t - dt.timedelta(minutes=30), called_at=called,
                               drawn_at=called, finished_at=finished))
            t = finished
    Ticket.objects.bulk_create(rows)


def test_the_model_learns_the_gap_between_a_visitor_leaving_and_the_next_call(q):
    from kiosk.server.queueing.snapshot import fit_service_time_model

    _history(q, gap=6.0, service_minutes=8.0)
    model = fit_service_time_model(q.site)
    assert model.gaps(str(q.g.pk)).mean == pytest.approx(6.0, abs=1.5)
    assert model.mean(str(q.a.pk), str(q.g.pk)) == pytest.approx(8.0, rel=0.25)


def test_an_agent_slow_to_call_lengthens_the_estimates(q):
    """Same service times, an agent who takes 6 minutes between visitors: the waits announced
    grow by about that much per visitor ahead."""
    from kiosk.server.queueing.estimates import queue_estimates, reset_caches

    def wait_of_fifth() -> int:
        reset_caches()
        tickets = [issue(q.a) for _ in range(5)]
        minutes = queue_estimates(q.site, fresh=True)[tickets[-1].pk]
        from kiosk.server.queueing.models import Ticket

        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).delete()
        return minutes

    _history(q, gap=0.2, service_minutes=8.0)
    quick = wait_of_fifth()
    from kiosk.server.queueing.models import Ticket

    Ticket.objects.exclude(day=timezone.localdate()).delete()
    _history(q, gap=6.0, service_minutes=8.0)
    slow = wait_of_fifth()
    assert slow - quick >= 4 * 4  # four visitors ahead, ~6 minutes more each (learned, shrunk)


def test_visitors_who_leave_are_learned(q):
    from kiosk.server.queueing.models import Ticket, TicketStatus
    from kiosk.server.queueing.snapshot import fit_service_time_model

    _history(q, gap=1.0, service_minutes=8.0)
    baseline = fit_service_time_model(q.site).leave_rate
    day = timezone.localdate() - dt.timedelta(days=1)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(11, 0)))
    Ticket.objects.bulk_create([
        Ticket(site=q.site, service=q.a, issued_service=q.a, day=day, number=100 + n,
               prefix=q.a.prefix, status=TicketStatus.CANCELLED, queued_at=start,
               finished_at=start + dt.timedelta(minutes=20)) for n in range(30)])
    assert fit_service_time_model(q.site).leave_rate > baseline + 0.2


# -- timetables reach the estimate ----------------------------------------------------------


def test_a_ticket_no_session_can_reach_is_told_so(q, api, settings):
    """The counter closes at 10:30 (and its agent stays 15 min more for those in the hall)
    and 5 visitors of 10 min are ahead: a ticket taken now cannot be called before closing;
    the kiosk is told so instead of a number."""
    settings.COUNTER_OVERTIME_MINUTES = 15
    q.g.hours = [{"days": WEEKDAYS, "open": "08:30", "close": "10:30"}]
    q.g.save()
    for _ in range(5):
        issue(q.a)
    response = api.post("/tickets", {"service": q.a.slug}, key=uuid.uuid4())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["wait_status"] == "not_today"
    assert body["estimated_wait_minutes"] is None
    status = api.get("/queues").json()["services"][q.a.slug]
    assert status["wait_status"] == "not_today"


def test_an_afternoon_session_is_in_the_estimate(q):
    """Closed from 10:00 to 13:30 (lunch break), open again until 17:00: a ticket taken at
    10:00 is estimated from 13:30, not called "at once" nor "not today"."""
    from kiosk.server.queueing.estimates import queue_estimates

    q.g.hours = [{"days": WEEKDAYS, "open": "08:30", "close": "10:00"},
                 {"days": WEEKDAYS, "open": "13:30", "close": "17:00"}]
    q.g.is_open = False
    q.g.save()
    ticket = issue(q.a)
    assert fresh(ticket).wait_status_at_issue == "estimated"
    minutes = queue_estimates(q.site, fresh=True)[ticket.pk]
    assert 210 <= minutes <= 220  # 3 h 30 until the session, plus the agent's first call


def test_the_wait_range_is_shown_when_wide(q, api):
    for _ in range(8):
        issue(q.a)
    body = api.post("/tickets", {"service": q.a.slug}, key=uuid.uuid4()).json()
    assert body["wait_status"] == "estimated"
    low, high, mean = body["wait_low_minutes"], body["wait_high_minutes"], body["estimated_wait_minutes"]
    assert low is not None and high is not None
    assert low <= mean <= high and high - low >= 10


def test_a_visitor_next_at_issue_is_told_to_stay(q, api):
    body = api.post("/tickets", {"service": q.a.slug}, key=uuid.uuid4()).json()
    assert body["wait_status"] == "soon"
    assert body["estimated_wait_minutes"] is not None and body["estimated_wait_minutes"] <= 15


def test_the_overtime_after_the_last_session_keeps_a_ticket_reachable(q, api, settings):
    """The same queue with an agent who serves 60 more minutes those still in the hall."""
    settings.COUNTER_OVERTIME_MINUTES = 60
    q.g.hours = [{"days": WEEKDAYS, "open": "08:30", "close": "10:30"}]
    q.g.save()
    for _ in range(5):
        issue(q.a)
    body = api.post("/tickets", {"service": q.a.slug}, key=uuid.uuid4()).json()
    assert body["wait_status"] == "estimated" and body["estimated_wait_minutes"] > 30


def test_a_gap_counts_only_while_the_agent_is_there(q):
    """A lunch close between two visitors, then the counter opened again and the next one
    called 2 minutes later: the gap learned is 2 minutes, not the lunch."""
    from kiosk.server.queueing.models import CounterEvent, Ticket, TicketStatus
    from kiosk.server.queueing.snapshot import fit_service_time_model

    day = timezone.localdate() - dt.timedelta(days=1)
    rows, events = [], []
    for d in range(3):
        day = timezone.localdate() - dt.timedelta(days=d + 1)
        at = lambda h, m, day=day: timezone.make_aware(dt.datetime.combine(day, dt.time(h, m)))  # noqa: E731
        queued = at(9, 0)
        for n, (called, done) in enumerate([((11, 50), (12, 0)), ((13, 32), (13, 40))]):
            rows.append(Ticket(site=q.site, service=q.a, issued_service=q.a, day=day, number=n + 1,
                               prefix=q.a.prefix, status=TicketStatus.DONE, counter=q.g,
                               queued_at=queued, called_at=at(*called), drawn_at=at(*called),
                               finished_at=at(*done)))
        events += [CounterEvent(counter=q.g, kind="close", at=at(12, 0)),
                   CounterEvent(counter=q.g, kind="open", at=at(13, 30))]
    Ticket.objects.bulk_create(rows)
    CounterEvent.objects.bulk_create(events)
    with_events = fit_service_time_model(q.site).gaps(str(q.g.pk)).mean
    CounterEvent.objects.all().delete()  # what the server learnt before it logged them
    without = fit_service_time_model(q.site).gaps(str(q.g.pk)).mean
    assert 0 < with_events <= 2.0  # 2 minutes each (shrunk toward 0 with so few)
    assert without > 10 * with_events  # the lunch counted as an agent's gap


def test_the_console_actions_are_logged_as_counter_events(q):
    from kiosk.server.queueing import counter_actions as ca
    from kiosk.server.queueing.models import CounterEvent

    ca.do_open_counter(q.g)
    ca.do_pause_counter(q.g, timezone.now() + dt.timedelta(minutes=15))
    ca.do_back_at_counter(q.g)
    ca.do_close_counter(q.g)
    ca.do_open_counter(q.g)
    ca.do_close_counter_for_today(q.g)
    kinds = list(CounterEvent.objects.filter(counter=q.g).order_by("pk")
                 .values_list("kind", flat=True))
    assert kinds == ["open", "pause", "back", "close", "open", "close"]
    assert CounterEvent.objects.get(counter=q.g, kind="pause").until is not None


def test_an_agent_finishing_before_lunch_calls_nobody_until_the_afternoon(q):
    """Open since the morning and still serving at 12:05 after a session ending at 12:00:
    the agent finishes that visitor and goes to lunch; a ticket taken then is called in the
    afternoon (13:30), not "in a few minutes" as if the break were worked through. An agent
    who opened during the break (back early) does serve."""
    from kiosk.server.queueing import counter_actions as ca

    q.g.hours = [{"days": WEEKDAYS, "open": "08:30", "close": "12:00"},
                 {"days": WEEKDAYS, "open": "13:30", "close": "17:00"}]
    q.g.save()
    day = timezone.localdate()
    at = lambda h, m: timezone.make_aware(dt.datetime.combine(day, dt.time(h, m)))  # noqa: E731
    q.clock.now = at(8, 30)
    ca.do_open_counter(q.g)
    q.clock.now = at(11, 50)
    issue(q.a)
    assert ca.do_call_next(q.g) is not None
    q.clock.now = at(12, 5)
    late = fresh(issue(q.a))
    assert late.wait_status_at_issue == "estimated"
    assert late.estimate_at_issue >= 85  # not before 13:30
    ca.do_finish_current(q.g)
    ca.do_close_counter(q.g)
    q.clock.now = at(13, 15)
    ca.do_open_counter(q.g)  # back before the afternoon session: serving already
    early = fresh(issue(q.a))
    assert early.estimate_at_issue is not None and early.estimate_at_issue < 30


# -- what the pages show of a ticket issued a moment ago ------------------------------------


def test_a_page_shows_a_ticket_issued_since_the_shared_estimates_as_told_at_issue(q, monkeypatch):
    """Tickets A then B (services sharing counter g) issued by another process after this
    process's shared estimates: only the queue computed again could place B, so the pages
    show B's wait as it was told at issue (computed by the issuing process a moment ago)
    instead of simulating the queue for each of them; the SMS rule (no `told`) still does."""
    from kiosk.domain.wait import ShownWait
    from kiosk.server.queueing import estimates
    from kiosk.server.queueing.notices import shown_for

    # The shared result never ages here: whatever the machine's speed, it stays the one read.
    monkeypatch.setattr(estimates, "time", SimpleNamespace(monotonic=lambda: 100.0))
    issue(q.a)
    shared = estimates.queue_estimates(q.site)
    # A copy: issuing adds each new ticket to the process's shared result itself.
    before = estimates.Estimates(shared.calls, new=shared.new, max_pk=shared.max_pk,
                                 snapshot=shared.snapshot, model=shared._model,
                                 related=shared.related, unplanned=shared.unplanned)
    issue(q.a)
    b = fresh(issue(q.b))
    assert b.wait_status_at_issue and b.estimate_at_issue is not None
    # This process's shared result is the one from before them (another process issued them).
    estimates._estimates_cache[q.site.pk] = estimates.Shared(100.0, before, -1, 100.0)
    computed = []
    real = estimates._compute_estimates
    monkeypatch.setattr(estimates, "_compute_estimates",
                        lambda site, now: computed.append(site.pk) or real(site, now))
    assert estimates.estimates_for(q.site, [b]) == {b.pk: b.estimate_at_issue}
    assert shown_for(b) == ShownWait(b.wait_status_at_issue, b.estimate_at_issue,
                                     b.wait_low_at_issue, b.wait_high_at_issue)
    assert computed == []
    call = estimates.calls_for(q.site, [b])[b.pk]
    assert computed == [q.site.pk] and call is not estimates.TOLD and call.reachable


def test_a_page_shows_a_ticket_called_since_it_read_it_as_told_at_issue(q, monkeypatch):
    """The console's waiting lines are shared per queue version: a ticket in them may be
    called before the estimates are read, and a shared result computed since has no place
    for it. The page shows it as told at issue (for the moment until its next poll) instead
    of simulating the queue again; without `told` the queue is computed, as before."""
    from kiosk.server.queueing import estimates
    from kiosk.server.queueing.counter_actions import do_call_next

    monkeypatch.setattr(estimates, "time", SimpleNamespace(monotonic=lambda: 100.0))
    first = fresh(issue(q.a))  # as the page read it, waiting
    issue(q.b)
    assert do_call_next(q.g).pk == first.pk
    estimates.invalidate_estimates(q.site.pk)
    shared = estimates.queue_estimates(q.site)  # newer than `first`, which is no longer there
    assert first.pk not in shared and shared.max_pk > first.pk
    computed = []
    real = estimates._compute_estimates
    monkeypatch.setattr(estimates, "_compute_estimates",
                        lambda site, now: computed.append(site.pk) or real(site, now))
    assert estimates.estimates_for(q.site, [first]) == {first.pk: first.estimate_at_issue}
    assert computed == []
    estimates.calls_for(q.site, [first])
    assert computed == [q.site.pk]
