"""Appointments: import (iCalendar, CSV, bad files), the booking system's push API (auth,
idempotency), check-in at the kiosk, and the call order at the slot's time."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mid_morning(monkeypatch):
    """The clock at 10:00 today (the site's time), running: a slot "in 30 minutes" booked in
    the last half hour of the day was tomorrow's, "not today" (a clean run at 23:40 failed).
    The tests' site clock (tests/support/siteclock.py), for Django and the domain alike."""
    from tests.support import siteclock

    monkeypatch.setattr(timezone, "now", siteclock.utc_now)
    siteclock.use_in_process(monkeypatch)


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def place():
    """A site, a walk-in service (C, mean 10 min) and one counter serving it, open."""
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.queueing.models import Counter

    site = Site.objects.create(slug="rdv", name="Mairie")
    pole = Pole.objects.create(site=site, slug="p", color="#1E56A0", pictogram="mairie",
                               name={"fr": "Accueil"})
    service = Service.objects.create(site=site, pole=pole, slug="titres", prefix="T",
                                     pictogram="mairie", name={"fr": "Titres"},
                                     mean_service_minutes=10)
    counter = Counter.objects.create(site=site, name="Guichet 1", is_open=True)
    counter.services.set([service])
    _, token = Kiosk.objects.register(site, "Borne")
    return site, service, counter, token


def _in(minutes: float) -> dt.datetime:
    return timezone.localtime() + dt.timedelta(minutes=minutes)


def _book(site, service, minutes: float, code: str = "", external_id: str = ""):
    from kiosk.server.appointments.services import Booking, save_booking

    appointment, _ = save_booking(site, Booking(service, _in(minutes), 20, "AB", code,
                                                external_id), "manual")
    return appointment


# -- import ---------------------------------------------------------------------------------

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//FR
BEGIN:VEVENT
UID:rdv-1@booking
DTSTART;TZID=Europe/Paris:20261207T091500
DTEND;TZID=Europe/Paris:20261207T093500
SUMMARY:Marie-Claire Dupont
END:VEVENT
BEGIN:VEVENT
UID:rdv-2@booking
DTSTART;TZID=Europe/Paris:20261207T094000
DURATION:PT30M
SUMMARY:Jean Martin
X-CARREFOUR-CODE:482913
END:VEVENT
END:VCALENDAR
"""


def test_ical_import_keeps_initials_only_and_is_idempotent(place):
    from kiosk.server.appointments.imports import import_bookings, parse_file
    from kiosk.server.appointments.models import Appointment

    site, service, _, _ = place
    parsed = parse_file("jour.ics", ICS.encode(), service)
    assert parsed.errors == []
    assert import_bookings(site, parsed, "ical") == 2
    rows = list(Appointment.objects.order_by("start").values_list(
        "start", "duration_minutes", "initials", "code", "external_id"))
    assert rows[0][:3] == (dt.time(9, 15), 20, "MCD")
    assert rows[1] == (dt.time(9, 40), 30, "JM", "482913", "rdv-2@booking")
    assert len(rows[0][3]) == 6 and rows[0][3].isdigit()
    # Importing the same file again changes nothing (the external ids are known).
    import_bookings(site, parse_file("jour.ics", ICS.encode(), service), "ical")
    assert Appointment.objects.count() == 2
    assert Appointment.objects.get(external_id="rdv-1@booking").code == rows[0][3]


def test_a_bad_csv_line_is_named_in_french_and_nothing_is_imported(place):
    from kiosk.server.appointments.imports import import_bookings, parse_file
    from kiosk.server.appointments.models import Appointment

    site, service, _, _ = place
    data = (b"date;heure;duree;initiales;code;id\n"
            b"07/12/2026;09:00;20;AB;;x1\n"
            b"2026-12-07;25:99;20;CD;;x2\n"
            b"2026-12-07;10:00;999;EF;;x3\n"
            b"2026-12-07;10:20;20;GH;0123;x4\n")
    parsed = parse_file("jour.csv", data, service)
    assert len(parsed.bookings) == 1
    assert parsed.errors == [
        "ligne 3 : heure « 25:99 » illisible (attendu HH:MM)",
        "ligne 4 : durée « 999 » invalide (minutes, de 1 à 240)",
        "ligne 5 : code « 0123 » invalide (6 chiffres, sans 0 en tête)",
    ]
    with pytest.raises(ValueError, match="rien n'est importé"):
        import_bookings(site, parsed, "csv")
    assert not Appointment.objects.exists()


def test_bad_files_are_refused_whole(place):
    from kiosk.server.appointments.imports import parse_file

    _, service, _, _ = place
    assert "en-tête" in parse_file("x.csv", b"a;b\n1;2\n", service).errors[0]
    assert "UTF-8" in parse_file("x.csv", "date;heure\né".encode("latin-1"), service).errors[0]
    no_time = ICS.replace("DTSTART;TZID=Europe/Paris:20261207T091500",
                          "DTSTART;VALUE=DATE:20261207")
    errors = parse_file("x.ics", no_time.encode(), service).errors
    assert errors == ["événement 1 (rdv-1@booking) : DTSTART manquant ou sans heure "
                      "(un rendez-vous a une heure)"]
    assert parse_file("x.ics", b"BEGIN:VCALENDAR\nnot ical", service).errors


# -- push API -------------------------------------------------------------------------------


def _push(client, key, external_id, body):
    return client.put(f"/api/v1/appointments/push/{external_id}", json.dumps(body),
                      content_type="application/json",
                      headers={"Authorization": f"Bearer {key}"} if key else {})


def test_the_push_api_needs_a_live_key_and_is_idempotent(client, place):
    from kiosk.server.appointments.models import Appointment, BookingKey

    site, service, _, kiosk_token = place
    key_row, key = BookingKey.objects.create_key(site, "RDV360")
    body = {"service": "titres", "start": _in(60).isoformat(), "name": "Ana Lopez"}
    assert _push(client, None, "b-1", body).status_code == 401
    assert _push(client, kiosk_token, "b-1", body).status_code == 401  # a kiosk's token
    first = _push(client, key, "b-1", body)
    assert first.status_code == 201
    again = _push(client, key, "b-1", body)
    assert again.status_code == 200
    assert again.json()["code"] == first.json()["code"]
    assert Appointment.objects.get().initials == "AL"  # never the name
    cancelled = _push(client, key, "b-1", {**body, "cancelled": True})
    assert cancelled.json()["status"] == "cancelled"
    assert _push(client, key, "b-2", {**body, "service": "nope"}).status_code == 404
    key_row.revoked_at = timezone.now()
    key_row.save()
    assert _push(client, key, "b-1", body).status_code == 401


# -- check-in -------------------------------------------------------------------------------


def _checkin(client, token, body):
    return client.post("/api/v1/appointments/checkin", json.dumps(body),
                       content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


def test_checkin_by_code_gives_a_lane_ticket_once(client, place):
    site, service, _, token = place
    appointment = _book(site, service, 30)
    answer = _checkin(client, token, {"code": appointment.code})
    assert answer.status_code == 201
    body = answer.json()
    assert body["number"].startswith("R") and body["lane"] is True
    assert body["slot"] == f"{appointment.start:%H:%M}"
    assert 29 <= body["minutes_to_slot"] <= 30
    again = _checkin(client, token, {"code": appointment.code})
    assert (again.status_code, again.json()["number"]) == (200, body["number"])
    assert _checkin(client, token, {"code": "999999"}).status_code == 404
    by_initials = _book(site, service, 45)
    answer = _checkin(client, token, {"initials": "ab",
                                      "time": f"{by_initials.start:%H:%M}"})
    assert answer.status_code == 201


def test_a_late_visitor_joins_the_normal_queue(client, place, settings):
    settings.APPOINTMENT_GRACE_MINUTES = 10
    site, service, _, token = place
    late = _book(site, service, -11)
    body = _checkin(client, token, {"code": late.code}).json()
    assert body["lane"] is False and body["number"].startswith("T")
    within = _book(site, service, -9)
    assert _checkin(client, token, {"code": within.code}).json()["lane"] is True


def test_checkin_is_rate_limited_per_kiosk(client, place, settings):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "checkin": "3/m"}
    _, _, _, token = place
    codes = [_checkin(client, token, {"code": "111111"}).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


# -- the call order -------------------------------------------------------------------------


def _walk_in(service):
    from kiosk.server.queueing.issuing import do_issue_ticket

    return do_issue_ticket(service)[0]


def test_a_due_appointment_is_called_before_the_walk_ins_an_early_one_waits(place):
    from kiosk.server.appointments.services import do_checkin
    from kiosk.server.queueing.counter_actions import do_call_next

    site, service, counter, _ = place
    first = _walk_in(service)
    early = do_checkin(_book(site, service, 60))[0]   # an hour early: waits for its slot
    due = do_checkin(_book(site, service, -3))[0]     # slot 3 min ago: due now
    second = _walk_in(service)
    assert do_call_next(counter).pk == due.pk
    assert do_call_next(counter).pk == first.pk
    assert do_call_next(counter).pk == second.pk
    assert do_call_next(counter) is None  # the early one is not called before its slot
    early.refresh_from_db()
    assert early.status == "waiting"


def test_a_counter_keeps_itself_free_for_a_slot_about_to_start(place):
    from kiosk.server.appointments.services import do_checkin
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.queueing.estimates import queue_estimates

    site, service, counter, _ = place
    walk_in = _walk_in(service)
    booked = _book(site, service, 5)  # starts before a 10-min walk-in could end
    assert do_call_next(counter) is None  # booked, not here yet: the counter is held
    # ...and the agent is told why (the console's message), with the slot's time
    from kiosk.server.queueing.counter_actions import call_next
    from kiosk.server.web.console import _run
    held = call_next(counter)
    assert held.ticket is None and held.held_until is not None
    level, message = _run(counter, "next", None)
    assert level == "info" and f"gardé libre pour le rendez-vous de {booked.start:%H:%M}" in message
    lane = do_checkin(booked)[0]
    assert do_call_next(counter) is None  # here, early: still held, not called before
    # The estimator sees the checked-in slot occupying the counter: the lane ticket is
    # called at its slot, the walk-in after it (the slot's service learned length, 10 min
    # by its prior); without the slot it would be called at once.
    estimates = queue_estimates(site, fresh=True)
    assert 4 <= estimates.call(lane.pk).mean <= 5
    assert estimates.call(walk_in.pk).mean >= 5 + 0.8 * 10


# -- console, board, statistics -------------------------------------------------------------


def test_the_console_and_the_board_show_the_slot(place):
    from kiosk.server.appointments.services import do_checkin
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.web.board import board_state
    from kiosk.server.web.console import counter_state

    site, service, counter, _ = place
    walk_in = _walk_in(service)
    appointment = _book(site, service, -2)
    lane = do_checkin(appointment)[0]
    rows = counter_state(counter)["waiting"]
    slot = f"{appointment.start:%H:%M}"
    assert [(r["number"], r["slot"], r["position"]) for r in rows] == [
        (lane.display, slot, slot), (walk_in.display, None, 1)]
    assert do_call_next(counter).pk == lane.pk
    (call,) = board_state(site)["calls"]
    assert (call["number"], call["slot"]) == (lane.display, slot)


def test_statistics_count_punctual_calls_and_no_shows(place):
    from kiosk.server.appointments.models import Appointment
    from kiosk.server.appointments.services import do_checkin
    from kiosk.server.appointments.stats import appointment_figures, appointment_stats
    from kiosk.server.queueing.models import Ticket

    site, service, _, _ = place
    today = timezone.localdate()
    missed = _book(site, service, 60)
    Appointment.objects.filter(pk=missed.pk).update(day=today - dt.timedelta(days=1))
    for called_after in (2, 9):  # minutes after the slot: punctual, then not
        appointment = _book(site, service, -1)
        ticket = do_checkin(appointment)[0]
        slot = appointment.starts_at()
        Appointment.objects.filter(pk=appointment.pk).update(
            checked_in_at=slot - dt.timedelta(minutes=5))  # arrived 5 min early
        Ticket.objects.filter(pk=ticket.pk).update(
            status="done", drawn_at=slot + dt.timedelta(minutes=called_after))
    stats = appointment_stats(site, today - dt.timedelta(days=1), today)
    assert (stats.booked, stats.checked_in, stats.on_time, stats.called_on_time,
            stats.no_show) == (3, 2, 2, 1, 1)
    assert stats.punctuality == 0.5
    labels = [label for label, _, _ in appointment_figures(site, today, today)]
    assert labels == ["Rendez-vous", "Présentés", "Ponctualité", "Absents",
                      "Attente après l'arrivée"]
    assert appointment_figures(site, today + dt.timedelta(days=1),
                               today + dt.timedelta(days=1)) == []


# -- the back-office import -----------------------------------------------------------------


def test_the_back_office_previews_then_imports_a_file(client, place, django_user_model):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from kiosk.server.appointments.models import Appointment

    site, service, _, _ = place
    client.force_login(django_user_model.objects.create_superuser("chef", "c@x.fr", "pw-1234567"))
    url = reverse("admin:appointments_import")
    bad = SimpleUploadedFile("jour.csv", b"date;heure;initiales\n2026-12-07;9h75;AB\n")
    page = client.post(url, {"service": service.pk, "file": bad}).content.decode()
    assert "ligne 2 : heure « 9h75 » illisible (attendu HH:MM)" in page
    assert 'name="confirm"' not in page  # nothing can be imported from it
    good = SimpleUploadedFile("jour.ics", ICS.encode())
    page = client.post(url, {"service": service.pk, "file": good}).content.decode()
    assert "MCD" in page and "09:40" in page and 'name="confirm"' in page
    assert not Appointment.objects.exists()  # a preview stores nothing
    data = page.split('name="data" value="')[1].split('"')[0]
    answer = client.post(url, {"service": service.pk, "data": data, "name": "jour.ics",
                               "confirm": "1"})
    assert answer.status_code == 302
    assert Appointment.objects.filter(site=site, service=service).count() == 2
