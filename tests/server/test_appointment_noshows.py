"""Appointment no-shows: marked at start + APPOINTMENT_GRACE_MINUTES by `mark_no_shows` (a
timer in the day) and by the nightly purge; idempotent; the slot holds no counter; a
visitor marked absent who turns up later is checked in into the normal queue."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


class Clock:
    """timezone.now for the code under test: a fixed moment of today, moved by the test."""

    def __init__(self):
        self.at = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(12)))

    def __call__(self) -> dt.datetime:
        return self.at

    def set(self, hh_mm: str) -> None:
        hour, minute = map(int, hh_mm.split(":"))
        self.at = self.at.replace(hour=hour, minute=minute)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def place(settings):
    """A site, a service (mean 10 min), one open counter serving it; grace 10 min."""
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.queueing.models import Counter

    settings.APPOINTMENT_GRACE_MINUTES = 10
    site = Site.objects.create(slug="rdv", name="Mairie")
    pole = Pole.objects.create(site=site, slug="p", color="#1E56A0", pictogram="mairie",
                               name={"fr": "Accueil"})
    service = Service.objects.create(site=site, pole=pole, slug="titres", prefix="T",
                                     pictogram="mairie", name={"fr": "Titres"},
                                     mean_service_minutes=10)
    counter = Counter.objects.create(site=site, name="Guichet 1", is_open=True)
    counter.services.set([service])
    return site, service, counter


def book(site, service, start: str, days: int = 0, status: str = "booked"):
    from kiosk.server.appointments.models import Appointment

    day = timezone.localdate() + dt.timedelta(days=days)
    hour, minute = map(int, start.split(":"))
    return Appointment.objects.create(
        site=site, service=service, day=day, start=dt.time(hour, minute), status=status,
        code=str(100000 + Appointment.objects.count()), initials="AB")


def statuses(*appointments) -> list[str]:
    for a in appointments:
        a.refresh_from_db()
    return [a.status for a in appointments]


def test_overdue_appointments_are_marked_once_the_grace_is_over(place, clock):
    from kiosk.server.appointments.noshows import mark_no_shows
    from kiosk.server.appointments.services import do_checkin

    site, service, _ = place
    clock.set("11:20")
    here = book(site, service, "11:30")
    do_checkin(here)  # early, in the lane: never a no-show
    clock.set("12:00")
    overdue = book(site, service, "11:45")  # grace over at 11:55
    at_the_limit = book(site, service, "11:50")  # grace ends now: may still check in
    within = book(site, service, "11:55")
    later = book(site, service, "14:00")
    cancelled = book(site, service, "09:00", status="cancelled")
    yesterday = book(site, service, "16:00", days=-1)
    tomorrow = book(site, service, "08:00", days=1)
    assert mark_no_shows() == 2
    assert statuses(overdue, yesterday) == ["no_show", "no_show"]
    assert statuses(here, at_the_limit, within, later, cancelled, tomorrow) == [
        "checked_in", "booked", "booked", "booked", "cancelled", "booked"]
    assert mark_no_shows() == 0  # idempotent
    clock.set("12:01")
    assert mark_no_shows() == 1
    assert statuses(at_the_limit) == ["no_show"]


def test_the_mark_follows_the_grace_setting_and_the_clock_across_midnight(place, clock, settings):
    from kiosk.server.appointments.noshows import mark_no_shows

    site, service, _ = place
    settings.APPOINTMENT_GRACE_MINUTES = 30
    clock.set("00:10")  # now - grace is yesterday 23:40
    late_last_night = book(site, service, "23:45", days=-1)
    earlier_last_night = book(site, service, "23:30", days=-1)
    first_today = book(site, service, "00:00")
    assert mark_no_shows() == 1
    assert statuses(earlier_last_night, late_last_night, first_today) == [
        "no_show", "booked", "booked"]


def test_a_no_show_holds_no_counter_and_may_still_check_in_late(place, clock):
    from kiosk.server.appointments.lane import day_slots
    from kiosk.server.appointments.noshows import mark_no_shows
    from kiosk.server.appointments.services import do_checkin, find_for_checkin
    from kiosk.server.appointments.stats import appointment_stats
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.queueing.issuing import do_issue_ticket

    site, service, counter = place
    absent = book(site, service, "11:30")
    coming = book(site, service, "12:05")  # starts within 1.5 x 10 min: holds the counter
    walk_in, _ = do_issue_ticket(service)
    assert do_call_next(counter) is None
    assert mark_no_shows() == 1
    assert [s.appointment_id for s in day_slots(site.pk, clock().date(), clock())] == [
        str(coming.pk)]
    clock.set("12:06")  # the booked slot has started without its visitor: counter free
    assert do_call_next(counter).pk == walk_in.pk
    clock.set("12:20")
    absent = find_for_checkin(site, code=absent.code)  # as the kiosk's check-in finds it
    assert absent.status == "no_show"
    ticket, created = do_checkin(absent)  # 50 min late: the normal queue
    assert created and ticket.prefix == "T" and not absent.in_lane
    assert statuses(absent) == ["checked_in"]
    assert mark_no_shows() == 1  # `coming` only: a checked-in one is never marked
    stats = appointment_stats(site, clock().date(), clock().date())
    assert (stats.booked, stats.checked_in, stats.late, stats.no_show) == (2, 1, 1, 1)


def test_a_cancelled_or_past_day_appointment_is_not_checked_in(place, clock):
    from kiosk.server.appointments.services import do_checkin
    from kiosk.server.queueing.lifecycle import QueueError

    site, service, _ = place
    for appointment in (book(site, service, "11:00", status="cancelled"),
                        book(site, service, "11:00", days=-1, status="no_show")):
        with pytest.raises(QueueError):
            do_checkin(appointment)


def test_the_commands_mark_them_and_the_back_office_shows_them(client, place, clock,
                                                              django_user_model):
    from django.urls import reverse

    site, service, _ = place
    today = book(site, service, "09:00")
    out = io.StringIO()
    call_command("mark_no_shows", stdout=out)
    assert "1 appointments marked absent" in out.getvalue()
    yesterday = book(site, service, "09:00", days=-1)  # a day the timer missed
    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert "1 appointments marked absent" in out.getvalue()
    assert statuses(today, yesterday) == ["no_show", "no_show"]
    client.force_login(django_user_model.objects.create_superuser("chef", "c@x.fr", "pw-12345"))
    page = client.get(reverse("admin:appointments_appointment_changelist")).content.decode()
    assert page.count("Absent</td>") == 2
    assert reverse("appointments-stats-csv", args=[site.slug]) in page
