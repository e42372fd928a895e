"""Counter timetables on the server: the agent's open / pause / back / close actions, the
sessions the snapshot passes to the estimator, the back-office grid (docs/queues.md)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo

import pytest
from django.utils import timezone

from tests.server.test_site_permissions import login, make_agent, paris20  # noqa: F401

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY = dt.date(2026, 12, 7)
WEEK = [{"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "12:00"},
        {"days": [0, 1, 2, 4], "open": "13:30", "close": "17:00"},
        {"days": [3], "open": "13:30", "close": "19:30"}]


def at(text: str, day: dt.date = MONDAY) -> dt.datetime:
    hours, minutes = (int(p) for p in text.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=PARIS)


def hm(text: str) -> float:
    hours, minutes = (int(p) for p in text.split(":"))
    return hours * 60 + minutes


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() set by the test (the actions and the views read it)."""
    class Clock:
        now = at("10:00")

        def set(self, text: str, day: dt.date = MONDAY):
            self.now = at(text, day)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture(autouse=True)
def no_overtime(settings):
    """Sessions as planned (the overtime after the day's last one has its own test)."""
    settings.COUNTER_OVERTIME_MINUTES = 0


@pytest.fixture
def counter(demo):
    from kiosk.server.queueing.models import Counter

    counter = Counter.objects.filter(site=demo).order_by("name").first()
    counter.hours = WEEK
    counter.save()
    return counter


def version(site_id) -> int:
    from kiosk.server.queueing.estimates import queue_version

    return queue_version(site_id)


def sessions(site, now, counter):
    from kiosk.server.queueing.snapshot import snapshot

    return [(c.opens_at, c.closes_at) for c in snapshot(site, now).counters
            if c.counter_id == str(counter.pk)]


# -- actions --------------------------------------------------------------------------------


def test_each_action_sets_the_counter_and_bumps_the_queue_version(counter, clock):
    from kiosk.server.queueing.counter_actions import (
        do_back_at_counter,
        do_close_counter_for_today,
        do_open_counter,
        do_pause_counter,
    )

    before = version(counter.site_id)
    paused = do_pause_counter(counter, at("10:30"))
    assert paused.paused_until == at("10:30") and version(counter.site_id) == before + 1
    clock.set("10:20")
    back = do_back_at_counter(counter)
    assert back.paused_until is None and back.opened_at == at("10:20")
    assert version(counter.site_id) == before + 2
    closed = do_close_counter_for_today(counter)
    assert (closed.is_open, closed.closed_on) == (False, MONDAY)
    assert version(counter.site_id) == before + 3
    clock.set("11:00")
    opened = do_open_counter(counter)
    assert (opened.is_open, opened.closed_on, opened.opened_at) == (True, None, at("11:00"))
    assert version(counter.site_id) == before + 4
    counter.refresh_from_db()
    assert counter.is_open and counter.closed_on is None


@pytest.mark.parametrize("until, message", [
    ("09:59", "later than now"), ("10:00", "later than now")])
def test_a_pause_ends_later_today(counter, clock, until, message):
    from kiosk.server.queueing.counter_actions import do_pause_counter
    from kiosk.server.queueing.lifecycle import QueueError

    with pytest.raises(QueueError, match=message):
        do_pause_counter(counter, at(until))
    with pytest.raises(QueueError, match="ends today"):
        do_pause_counter(counter, at("09:00", MONDAY + dt.timedelta(days=1)))
    counter.refresh_from_db()
    assert counter.paused_until is None


def test_a_closed_counter_cannot_pause_nor_come_back(counter, clock):
    from kiosk.server.queueing.counter_actions import (
        do_back_at_counter,
        do_close_counter_for_today,
        do_pause_counter,
    )
    from kiosk.server.queueing.lifecycle import QueueError

    do_close_counter_for_today(counter)
    with pytest.raises(QueueError, match="closed"):
        do_pause_counter(counter, at("11:00"))
    with pytest.raises(QueueError, match="closed"):
        do_back_at_counter(counter)


def test_an_action_is_one_transaction(counter, clock, monkeypatch):
    """A failure after the change (the SMS rule) leaves the counter and the version as they were."""
    from kiosk.server.queueing import counter_actions

    before = version(counter.site_id)

    def broken(site):
        raise RuntimeError("SMS rule failed")

    monkeypatch.setattr(counter_actions, "refresh_notifications", broken)
    with pytest.raises(RuntimeError):
        counter_actions.do_close_counter_for_today(counter)
    counter.refresh_from_db()
    assert counter.is_open and counter.closed_on is None
    assert version(counter.site_id) == before


# -- the snapshot ---------------------------------------------------------------------------


def test_the_snapshot_follows_the_day(demo, counter, clock):
    from kiosk.server.queueing.counter_actions import do_close_counter_for_today

    counter.is_open = False
    counter.save()
    assert sessions(demo, at("07:45"), counter) == [(hm("08:30"), hm("12:00")),
                                                    (hm("13:30"), hm("17:00"))]
    assert sessions(demo, at("08:40"), counter) == [(hm("08:40"), hm("12:00")),
                                                    (hm("13:30"), hm("17:00"))]
    assert sessions(demo, at("09:00"), counter) == [(hm("13:30"), hm("17:00"))]
    counter.is_open = True
    counter.save()
    assert sessions(demo, at("10:00"), counter) == [(None, hm("12:00")),
                                                    (hm("13:30"), hm("17:00"))]
    assert sessions(demo, at("15:00", MONDAY + dt.timedelta(days=3)), counter) == [
        (None, hm("19:30"))]
    assert sessions(demo, at("17:30"), counter) == [(None, None)]
    clock.set("15:00")
    do_close_counter_for_today(counter)
    assert sessions(demo, at("15:00"), counter) == []
    # The next day, closed_on is yesterday: the plan applies again until the agent opens.
    assert sessions(demo, at("08:00", MONDAY + dt.timedelta(days=1)), counter) == [
        (hm("08:30"), hm("12:00")), (hm("13:30"), hm("17:00"))]


def test_a_pause_becomes_a_later_session(demo, counter, clock):
    from kiosk.server.queueing.counter_actions import do_pause_counter

    do_pause_counter(counter, at("10:45"))
    assert sessions(demo, at("10:05"), counter) == [(hm("10:45"), hm("12:00")),
                                                    (hm("13:30"), hm("17:00"))]
    # Over by itself at its time.
    assert sessions(demo, at("10:50"), counter) == [(None, hm("12:00")),
                                                    (hm("13:30"), hm("17:00"))]


def test_a_site_closure_closes_counters_of_every_or_all_their_services(demo, counter, clock):
    from kiosk.server.content.models import Closure

    counter.is_open = False
    counter.save()
    slugs = list(counter.services.values_list("slug", flat=True))
    partial = Closure.objects.create(site=demo, slug="partielle", starts=MONDAY,
                                     services=slugs[:1], reason={"fr": "Formation"})
    if len(slugs) > 1:  # a closure of some of its services: it still serves the others
        assert sessions(demo, at("07:00"), counter) != []
    partial.services = slugs
    partial.save()
    assert sessions(demo, at("07:00"), counter) == []
    partial.delete()
    Closure.objects.create(site=demo, slug="veille", starts=MONDAY, reason={"fr": "Veille"},
                           hours=[{"open": "08:30", "close": "12:00"}])
    assert sessions(demo, at("07:00"), counter) == [(hm("08:30"), hm("12:00"))]
    draft = Closure.objects.get(slug="veille")
    draft.published = False  # a draft closes nothing
    draft.save()
    assert sessions(demo, at("07:00"), counter) == [(hm("08:30"), hm("12:00")),
                                                    (hm("13:30"), hm("17:00"))]


def test_idle_since_is_the_last_finished_ticket_or_the_opening(demo, counter, clock):
    from kiosk.server.queueing.counter_actions import (
        do_call_next,
        do_finish_current,
        do_open_counter,
    )
    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.queueing.snapshot import snapshot

    clock.set("09:00")
    do_open_counter(counter)

    def state(now):
        return next(c for c in snapshot(demo, now).counters if c.counter_id == str(counter.pk))

    assert state(at("09:05")).idle_since == hm("09:00")
    service = counter.services.filter(ticketing=True).first()
    do_issue_ticket(service)
    clock.set("09:10")
    assert do_call_next(counter) is not None
    assert state(at("09:12")).idle_since is None  # busy
    clock.set("09:20")
    do_finish_current(counter)
    assert state(at("09:25")).idle_since == hm("09:20")


def test_counters_without_timetable_behave_as_before(demo, clock):
    from kiosk.server.queueing.models import Counter
    from kiosk.server.queueing.snapshot import snapshot

    Counter.objects.filter(site=demo).update(hours=[])
    open_ids = {str(pk) for pk in Counter.objects.filter(site=demo, is_open=True)
                .values_list("pk", flat=True)}
    counters = snapshot(demo, at("03:00")).counters
    assert {c.counter_id for c in counters} == open_ids
    assert all((c.opens_at, c.closes_at) == (None, None) for c in counters)


# -- the console ----------------------------------------------------------------------------


@pytest.fixture
def agent(client, demo, clock):
    """Logged in on the test's clock: a session ends at the end of its day."""
    from tests.conftest import demo_data

    a = next(a for a in demo_data()["agents"] if a["role"] == "counter")
    assert client.login(username=a["username"], password=a["password"])
    return client


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def act(client, counter, action, **data):
    return client.post(f"/guichet/{counter.pk}/{action}/", data,
                       headers={"Accept": "application/json"})


def test_console_pause_back_close_open(agent, counter, clock):
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert "Pause jusqu&#x27;à" in page or "Pause jusqu'à" in page
    answer = act(agent, counter, "pause", until="10:45")
    body = answer.json()
    assert answer.status_code == 200 and body["ok"], body
    assert body["state"]["counter"]["desk"] == "paused"
    assert body["state"]["counter"]["paused_until"] == "10:45"
    body = act(agent, counter, "back").json()
    assert body["ok"] and body["state"]["counter"]["desk"] == "open"
    body = act(agent, counter, "close").json()
    assert body["ok"] and body["state"]["counter"]["desk"] == "closed_today"
    failed = act(agent, counter, "pause", until="11:00")
    assert failed.status_code == 409
    assert failed.json()["message"] == "Le guichet est fermé : ouvrez-le d'abord."
    body = act(agent, counter, "open").json()
    assert body["ok"] and body["state"]["counter"]["desk"] == "open"
    counter.refresh_from_db()
    assert counter.is_open and counter.closed_on is None


@pytest.mark.parametrize("until", ["", "midi", "09:30"])
def test_console_refuses_a_pause_without_a_time_to_come(agent, counter, clock, until):
    answer = act(agent, counter, "pause", until=until)
    assert answer.status_code == 400 and not answer.json()["ok"]
    counter.refresh_from_db()
    assert counter.paused_until is None


def test_only_counter_agents_of_the_site_act(client, demo, counter, clock, paris20):  # noqa: F811
    other = make_agent("guichet20", paris20, "counter")
    editor = make_agent("editrice19", demo, "editor")
    for user in (other, editor):
        assert login(client, user).post(f"/guichet/{counter.pk}/close/").status_code == 403
    counter.refresh_from_db()
    assert counter.is_open and counter.closed_on is None
    admin = make_agent("admin19", demo, "admin")
    assert login(client, admin).post(f"/guichet/{counter.pk}/close/").status_code == 302
    counter.refresh_from_db()
    assert counter.closed_on == MONDAY


# -- the back-office grid -------------------------------------------------------------------


def counter_form(counter, **fields) -> dict:
    form = {"site": counter.site_id, "name": counter.name,
            "services": [str(pk) for pk in counter.services.values_list("pk", flat=True)],
            "hours-grid": "1", "hours-columns": "3",
            "exceptions-exceptions": "1", "exceptions-rows": "2"}
    if counter.is_open:
        form["is_open"] = "on"
    form.update(fields)
    return form


def test_the_grid_posts_become_the_timetable(client, demo, counter):
    editor = make_agent("editrice19", demo, "editor")
    page = login(client, editor).get(f"/admin/queueing/counter/{counter.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="hours-0-0-open" value="08:30"' in html and "content/weekly_grid.js" in html
    assert 'name="hours-3-1-close" value="19:30"' in html
    form = counter_form(counter, **{
        **{f"hours-{d}-0-open": "08:30" for d in range(5)},
        **{f"hours-{d}-0-close": "12:00" for d in range(5)},
        **{f"hours-{d}-1-open": "13:00" for d in range(4)},
        **{f"hours-{d}-1-close": "17:00" for d in range(4)},
        "hours-4-1-open": "13:00", "hours-4-1-close": "16:00",
        "exceptions-0-from": "2026-12-24", "exceptions-0-0-open": "8:30",
        "exceptions-0-0-close": "12:00", "exceptions-0-reason": "Veille de Noël",
        "exceptions-1-from": "2026-12-28", "exceptions-1-to": "2026-12-30",
    })
    answer = client.post(f"/admin/queueing/counter/{counter.pk}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    counter.refresh_from_db()
    assert counter.hours == [
        {"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "12:00"},
        {"days": [0, 1, 2, 3], "open": "13:00", "close": "17:00"},
        {"days": [4], "open": "13:00", "close": "16:00"}]
    assert counter.exceptions == [
        {"from": "2026-12-24", "to": "2026-12-24", "hours": [{"open": "08:30", "close": "12:00"}],
         "reason": {"fr": "Veille de Noël"}},
        {"from": "2026-12-28", "to": "2026-12-30"}]


def test_a_counter_changed_or_deleted_in_the_back_office_is_a_queue_change(client, demo,
                                                                            counter):
    """The back-office's saves and deletions of counters are queue changes, in their
    transaction: the polled pages answer 200 again and the process's estimates are dropped
    (the queue's actions do the same). Once, not twice: a save is no signal's business."""
    from kiosk.server.queueing import estimates
    from kiosk.server.queueing.models import Counter

    estimates.queue_changed(demo.pk)  # the site's version row, as its first ticket makes it
    admin = make_agent("admin19", demo, "admin")
    login(client, admin)
    seen = []
    for post in (
            lambda: client.post(f"/admin/queueing/counter/{counter.pk}/change/",
                                counter_form(counter, is_open="")),
            lambda: client.post(f"/admin/queueing/counter/{counter.pk}/delete/", {"post": "yes"}),
            lambda: client.post("/admin/queueing/counter/", {
                "action": "delete_selected", "post": "yes",
                "_selected_action": [str(c.pk) for c in Counter.objects.filter(site=demo)[:2]]})):
        estimates.queue_estimates(demo)
        before = version(demo.pk)
        answer = post()
        assert answer.status_code == 302, answer.content.decode()[:2000]
        seen.append((version(demo.pk) - before, demo.pk in estimates._estimates_cache))
    assert seen == [(1, False)] * 3
    assert not Counter.objects.filter(pk=counter.pk).exists()


@pytest.mark.parametrize("fields, message", [
    ({"hours-1-0-open": "09:00"}, "Mardi, séance 1 : indiquez l&#x27;heure de début et l&#x27;heure de fin."),
    ({"hours-1-0-open": "12:00", "hours-1-0-close": "09:00"},
     "Mardi, séance 1 : la fin (09:00) doit venir après le début (12:00)."),
    ({"hours-1-0-open": "09:00", "hours-1-0-close": "12:00", "hours-1-1-open": "11:00",
      "hours-1-1-close": "14:00"}, "Mardi : les séances 09:00–12:00 et 11:00–14:00 se chevauchent."),
    ({"hours-1-0-open": "9h", "hours-1-0-close": "12:00"}, "« 9h » n&#x27;est pas une heure"),
    ({"exceptions-0-0-open": "09:00", "exceptions-0-0-close": "12:00"},
     "Jour particulier 1 : indiquez le premier jour (du)."),
    ({"exceptions-0-from": "2026-12-24", "exceptions-0-to": "2026-12-20"},
     "Jour particulier 1 : le dernier jour vient avant le premier."),
])
def test_invalid_grid_input_is_a_clear_error_and_nothing_is_lost(client, demo, counter,
                                                                  fields, message):
    editor = make_agent("editrice19", demo, "editor")
    form = counter_form(counter, **{"hours-0-0-open": "08:15", "hours-0-0-close": "11:45"},
                        **fields)
    answer = login(client, editor).post(f"/admin/queueing/counter/{counter.pk}/change/", form)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert message in html
    # What was typed is shown again, and nothing was saved.
    assert 'name="hours-0-0-open" value="08:15"' in html
    for key, value in fields.items():
        assert f'name="{key}" value="{value}"' in html
    counter.refresh_from_db()
    assert counter.hours == WEEK


def test_the_service_hours_use_the_same_grid(client, demo):
    from kiosk.server.content.models import Service
    from tests.server.test_site_permissions import service_form

    editor = make_agent("editrice19", demo, "editor")
    service = Service.objects.filter(site=demo).exclude(hours=[]).first()
    page = login(client, editor).get(f"/admin/content/service/{service.pk}/change/")
    assert 'class="weekly-grid"' in page.content.decode()
    form = service_form(service)
    del form["hours"]
    form.update({"hours-grid": "1", "hours-columns": "3", "hours-5-0-open": "09:00",
                 "hours-5-0-close": "12:30", "exceptions-exceptions": "1",
                 "exceptions-rows": "1", "exceptions-0-from": "2026-12-26",
                 "exceptions-0-reason": "Inventaire"})
    answer = client.post(f"/admin/content/service/{service.pk}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    service.refresh_from_db()
    assert service.hours == [{"days": [5], "open": "09:00", "close": "12:30"}]
    assert service.exceptions == [{"from": "2026-12-26", "to": "2026-12-26",
                                   "reason": {"fr": "Inventaire"}}]


def test_a_closure_day_uses_the_sessions_grid(client, demo):
    from kiosk.server.content.models import Closure

    admin = make_agent("admin19", demo, "admin")
    form = {"site": demo.pk, "slug": "veille", "published": "on", "starts": "2026-12-24",
            "ends": "", "reason_fr": "Veille de Noël", "services": "[]",
            "hours-sessions": "1", "hours-columns": "3",
            "hours-0-open": "08:30", "hours-0-close": "12:00"}
    answer = login(client, admin).post("/admin/content/closure/add/", form)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    closure = Closure.objects.get(site=demo, slug="veille")
    assert closure.hours == [{"open": "08:30", "close": "12:00"}]
    page = client.get(f"/admin/content/closure/{closure.pk}/change/").content.decode()
    assert 'name="hours-0-open" value="08:30"' in page
    assert json.loads(json.dumps(closure.hours)) == closure.hours


# -- a call means the agent is there; the night closes what was left open -----------------


def test_calling_a_visitor_ends_a_pause_and_reopens_a_closed_counter(demo, counter, clock):
    from kiosk.server.queueing.counter_actions import (
        do_call_next,
        do_close_counter_for_today,
        do_open_counter,
        do_pause_counter,
    )
    from kiosk.server.queueing.issuing import do_issue_ticket

    service = counter.services.filter(ticketing=True).first()
    do_open_counter(counter)
    do_pause_counter(counter, at("11:00"))
    do_issue_ticket(service)
    assert do_call_next(counter) is not None
    counter.refresh_from_db()
    assert counter.is_open and counter.paused_until is None
    assert sessions(demo, clock.now, counter)[0][0] is None  # serving now, in the snapshot

    do_close_counter_for_today(counter)
    do_issue_ticket(service)
    assert do_call_next(counter) is not None
    counter.refresh_from_db()
    assert counter.is_open and counter.closed_on is None


def test_the_nightly_job_closes_counters_left_open(demo, counter, clock):
    from django.core.management import call_command

    from kiosk.server.queueing.counter_actions import do_open_counter, do_pause_counter
    from kiosk.server.queueing.models import Counter

    do_open_counter(counter)
    do_pause_counter(counter, at("11:00"))
    before = version(demo.pk)
    left = Counter.objects.filter(is_open=True).count()
    assert left >= 1
    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert f"{left} counters left open closed" in out.getvalue()
    counter.refresh_from_db()
    assert not counter.is_open and counter.paused_until is None
    assert version(demo.pk) > before
    assert not Counter.objects.filter(is_open=True).exists()


def test_the_last_session_of_the_day_gets_the_overtime(demo, counter, clock, settings):
    """Agents serve those still in the hall after the day's last planned session: the
    estimator counts on COUNTER_OVERTIME_MINUTES of it; an earlier session keeps its end."""
    from kiosk.server.queueing.counter_actions import do_open_counter

    settings.COUNTER_OVERTIME_MINUTES = 30
    do_open_counter(counter)
    got = sessions(demo, clock.now, counter)
    settings.COUNTER_OVERTIME_MINUTES = 0
    planned = sessions(demo, clock.now, counter)
    assert len(got) == len(planned) >= 2
    assert got[:-1] == planned[:-1]
    assert got[-1][1] == planned[-1][1] + 30
