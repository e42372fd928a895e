"""GET /api/v1/appointments/slots: the times a visitor without the code may touch at the
kiosk. A kiosk token only; this site's appointments only, today, still open for check-in
(booked or marked absent, no ticket), in the pick window around now; nothing but "HH:MM".

The site's clock of the slots module stands at a chosen time of today (`at`): the tests do
not depend on the hour they run at, midnight included."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from kiosk.domain.appointments import PICK_EARLIEST, PICK_LATEST, pick_window

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/slots"


@pytest.fixture
def place():
    """Two sites, each with a service and a kiosk: (site, service, token, other_site,
    other_service)."""
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.devices.models import Kiosk

    made = []
    for slug in ("rdv", "autre"):
        site = Site.objects.create(slug=slug, name=f"Mairie {slug}")
        pole = Pole.objects.create(site=site, slug="p", color="#1E56A0", pictogram="mairie",
                                   name={"fr": "Accueil"})
        service = Service.objects.create(site=site, pole=pole, slug="titres", prefix="T",
                                         pictogram="mairie", name={"fr": "Titres"})
        _, token = Kiosk.objects.register(site, "Borne")
        made.append((site, service, token))
    (site, service, token), (other, other_service, _) = made
    return site, service, token, other, other_service


@pytest.fixture
def at(monkeypatch):
    """Stand the slots' clock at `HH:MM` of today (site time), or of another day."""
    def stand(hhmm: str, day: dt.date | None = None) -> dt.datetime:
        hours, minutes = map(int, hhmm.split(":"))
        moment = timezone.make_aware(dt.datetime.combine(
            day or timezone.localdate(), dt.time(hours, minutes, 30)))
        monkeypatch.setattr("kiosk.server.appointments.slots._now", lambda: moment)
        return moment

    return stand


def _book(site, service, hhmm: str, initials: str = "AB", day: dt.date | None = None,
          cancelled: bool = False):
    from kiosk.server.appointments.services import Booking, save_booking

    hours, minutes = map(int, hhmm.split(":"))
    start = timezone.make_aware(dt.datetime.combine(day or timezone.localdate(),
                                                    dt.time(hours, minutes)))
    appointment, _ = save_booking(site, Booking(service, start, 20, initials,
                                                cancelled=cancelled), "manual")
    return appointment


def _slots(client, token):
    return client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}" if token else "")


def test_the_pick_window_is_around_now_and_within_the_day():
    assert pick_window(12 * 60 + 0.5) == (12 * 60 + PICK_EARLIEST, 12 * 60 + PICK_LATEST)
    assert pick_window(5) == (0, 5 + PICK_LATEST)  # never yesterday's
    assert pick_window(23 * 60 + 55.9) == (23 * 60 + 55 + PICK_EARLIEST, 24 * 60 - 1)


def test_a_kiosk_token_is_required(client, place):
    from kiosk.server.appointments.models import BookingKey

    site, service, token, _, _ = place
    _, booking_key = BookingKey.objects.create_key(site, "Agenda")
    assert _slots(client, None).status_code == 401
    assert _slots(client, "not-a-token").status_code == 401
    assert _slots(client, booking_key).status_code == 401  # a booking system's key: no
    assert _slots(client, token).status_code == 200


def test_only_this_sites_open_times_in_the_window(client, place, at):
    from kiosk.server.appointments.models import Appointment

    site, service, token, other, other_service = place
    at("12:00")
    today = timezone.localdate()
    _book(site, service, "11:39")  # 21 min ago: out of the window
    _book(site, service, "11:40", "CD")  # 20 min late: still offered
    _book(site, service, "12:07", "EF")
    _book(site, service, "12:07", "GH")  # two at one time: one time
    _book(site, service, "12:12", cancelled=True)
    absent = _book(site, service, "11:45", "IJ")
    Appointment.objects.filter(pk=absent.pk).update(status=Appointment.Status.NO_SHOW)
    _book(site, service, "12:50", "KL")  # 50 min early: offered
    _book(site, service, "12:51")  # 51: not yet
    _book(site, service, "12:13", day=today + dt.timedelta(days=1))
    _book(site, service, "12:14", day=today - dt.timedelta(days=1))
    _book(other, other_service, "12:10")  # another site's
    answer = _slots(client, token)
    assert answer.status_code == 200
    assert answer.json() == {"times": ["11:40", "11:45", "12:07", "12:50"]}


def test_a_checked_in_time_is_no_longer_offered_at_once(client, place, at):
    from kiosk.server.appointments.services import do_checkin

    site, service, token, _, _ = place
    at("12:00")
    first, shared = _book(site, service, "12:11"), _book(site, service, "12:17", "MN")
    _book(site, service, "12:17", "OP")
    assert _slots(client, token).json() == {"times": ["12:11", "12:17"]}
    do_checkin(first)
    do_checkin(shared)
    # Answered from the shared answer a moment ago: it was dropped by the check-ins.
    assert _slots(client, token).json() == {"times": ["12:17"]}  # one is still to come


def test_near_midnight_only_todays_slots(client, place, at):
    site, service, token, _, _ = place
    today = timezone.localdate()
    at("00:05")
    _book(site, service, "23:55", day=today - dt.timedelta(days=1))  # 10 min ago, yesterday
    _book(site, service, "00:20", "QR")
    assert _slots(client, token).json() == {"times": ["00:20"]}
    at("23:50")
    _book(site, service, "23:58", "ST")
    _book(site, service, "00:10", day=today + dt.timedelta(days=1))  # in 20 min, tomorrow
    assert _slots(client, token).json() == {"times": ["23:58"]}


def test_the_answer_holds_nothing_personal(client, place, at):
    site, service, token, _, _ = place
    at("09:00")
    booked = [_book(site, service, "09:13", "XYZ"), _book(site, service, "09:13", "QWE"),
              _book(site, service, "09:26", "JKL")]
    answer = _slots(client, token)
    body = answer.content.decode()
    assert json.loads(body) == {"times": ["09:13", "09:26"]}  # no count either
    for appointment in booked:
        assert appointment.code not in body and appointment.initials not in body
    assert service.slug not in body


def test_unknown_parameters_are_refused(client, place):
    _, _, token, _, _ = place
    answer = client.get(URL + "?servce=titres", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 422


def test_the_times_are_rate_limited_per_kiosk(client, place, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "slots": "3/h"}
    _, _, token, _, _ = place
    assert [_slots(client, token).status_code for _ in range(4)] == [200, 200, 200, 429]
    cache.clear()


def test_the_openapi_documents_the_slots(client, place):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][URL]["get"]
    assert {"200", "401", "429"} <= set(operation["responses"])
    assert schema["components"]["schemas"]["SlotsOut"]["properties"]["times"]["type"] == "array"
