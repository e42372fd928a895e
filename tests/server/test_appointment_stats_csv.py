"""The appointments' statistics per day and service (CSV): on time, late within and after
the grace, no-shows, punctual calls, the mean wait after check-in; who may download it
(the site's agents), and the links to it (statistics page, back-office list)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from tests.server.test_appointment_noshows import Clock, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def day(settings, clock):
    """Yesterday one no-show; today two services' appointments, checked in and called at
    known times by 12:00 (grace 10 min)."""
    from kiosk.server.appointments.models import Appointment
    from kiosk.server.appointments.noshows import mark_no_shows
    from kiosk.server.appointments.services import do_checkin
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.queueing.models import Ticket

    settings.APPOINTMENT_GRACE_MINUTES = 10
    site = Site.objects.create(slug="rdv", name="Mairie")
    other = Site.objects.create(slug="autre", name="Autre mairie")
    pole = Pole.objects.create(site=site, slug="p", color="#1E56A0", pictogram="mairie",
                               name={"fr": "Accueil"})
    titres, civil = (Service.objects.create(site=site, pole=pole, slug=slug, prefix=prefix,
                                            pictogram="mairie", name={"fr": name})
                     for slug, prefix, name in (("titres", "T", "Titres"),
                                                ("civil", "C", "=État civil")))

    def visit(service, start, arrives, called):
        appointment = book(site, service, start)
        clock.set(arrives)
        ticket = do_checkin(appointment)[0]
        clock.set(called)
        Ticket.objects.filter(pk=ticket.pk).update(status="done", drawn_at=clock())

    book(site, titres, "15:00", days=-1)  # never came, the day is over
    visit(titres, "10:00", "09:50", "10:02")  # on time, called 2 min after: punctual
    visit(titres, "10:20", "10:25", "10:26")  # late within the grace: the lane
    visit(titres, "10:40", "11:00", "11:10")  # after the grace: the normal queue
    visit(civil, "11:00", "10:50", "11:09")  # on time, called 9 min after the slot
    book(site, titres, "11:00")  # never came: marked at 11:10
    book(site, titres, "13:00")  # still to come
    book(site, titres, "09:00", status="cancelled")
    book(other, Service.objects.create(site=other, pole=Pole.objects.create(
        site=other, slug="p", color="#1E56A0", pictogram="mairie", name={"fr": "A"}),
        slug="x", prefix="X", pictogram="mairie", name={"fr": "X"}), "09:00")
    clock.set("12:00")
    assert mark_no_shows() == 3  # yesterday's, today's 11:00, the other site's 09:00
    assert Appointment.objects.filter(site=site).count() == 8
    return site, other


def rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def agent(django_user_model, site, role: str, name: str = "agent"):
    from kiosk.server.accounts.models import SiteMembership

    user = django_user_model.objects.create_user(name, password="pw-12345678")
    SiteMembership.objects.create(user=user, site=site, role=role)
    return user


def test_the_csv_counts_each_day_and_service(client, day, django_user_model):
    site, _ = day
    client.force_login(agent(django_user_model, site, "counter"))
    today = timezone.localdate()
    response = client.get(f"/stats/{site.slug}/rendez-vous.csv",
                          {"from": (today - dt.timedelta(days=1)).isoformat(),
                           "to": today.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"rendez-vous-{today - dt.timedelta(days=1)}-{today}.csv" in (
        response["Content-Disposition"])
    header, *body = rows(response)
    assert header == ["day", "service", "booked", "checked_in", "on_time", "late_within_grace",
                      "late_after_grace", "no_show", "called_within_5_min",
                      "mean_wait_after_checkin_minutes"]
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    # Service order within a day: by id (titres, then civil); the formula-like name quoted.
    assert body == [
        [yesterday, "Titres", "1", "0", "0", "0", "0", "1", "0", ""],
        # 5 booked (cancelled left out): 3 came (12, 1 and 10 min of wait), 1 absent, 1 to come
        [today.isoformat(), "Titres", "5", "3", "1", "1", "1", "1", "1", "7,7"],
        [today.isoformat(), "'=État civil", "1", "1", "1", "0", "0", "0", "0", "19,0"],
    ]


def test_only_the_sites_agents_may_download_it(client, day, django_user_model):
    site, other = day
    url = f"/stats/{site.slug}/rendez-vous.csv"
    assert client.get(url).status_code == 302  # to the login page
    for role, status in (("counter", 200), ("editor", 200), ("admin", 200),
                         ("moderator", 403)):
        client.force_login(agent(django_user_model, site, role, f"agent-{role}"))
        assert client.get(url).status_code == status, role
    client.force_login(agent(django_user_model, other, "admin", "elsewhere"))
    assert client.get(url).status_code == 403
    client.force_login(django_user_model.objects.create_superuser("chef", "c@x.fr", "pw-123"))
    assert client.get(url).status_code == 200
    assert client.get(url, {"from": "2026-13-01"}).status_code == 400
    assert client.get("/stats/nulle-part/rendez-vous.csv").status_code == 404


def test_the_statistics_page_links_to_it_for_the_period(client, day, django_user_model):
    site, _ = day
    client.force_login(agent(django_user_model, site, "admin"))
    today = timezone.localdate().isoformat()
    page = client.get(f"/stats/{site.slug}/", {"from": today, "to": today}).content.decode()
    assert (f'href="/stats/{site.slug}/rendez-vous.csv?from={today}&amp;to={today}"'
            in page)
    # Today's figures: 6 booked, 4 came, 1 absent; mean wait (12+1+10+19)/4 = 10.5 min.
    assert "Attente après l&#x27;arrivée" in page and "10,5 min" in page
    assert "1 (17 %)" in page


def test_the_back_office_list_links_each_of_the_agents_sites(client, day, django_user_model):
    from kiosk.server.accounts.models import SiteMembership

    site, other = day
    user = agent(django_user_model, site, "counter")
    user.is_staff = True
    user.save()
    client.force_login(user)
    page = client.get("/admin/appointments/appointment/").content.decode()
    assert f"/stats/{site.slug}/rendez-vous.csv" in page
    assert f"/stats/{other.slug}/rendez-vous.csv" not in page
    SiteMembership.objects.filter(user=user).update(role="moderator")
    assert client.get("/admin/appointments/appointment/").status_code == 403
