"""Agents' sessions end at the end of the working day (SESSION_END_OF_DAY) and at most
SESSION_MAX_HOURS after the login; the cookie ends when the browser closes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from kiosk.server.accounts.sessions import ENDS_AT, session_end

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
USERNAME, PASSWORD = "awa.diallo", "une-phrase-de-passe-longue"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize("login,end", [
    (at(10, 8, 30), at(10, 20)),     # a morning login: until 20:00
    (at(10, 19, 59), at(10, 20)),
    (at(10, 7), at(10, 19)),         # 12 hours at most
    (at(10, 20, 30), at(11, 8, 30)),  # after the end of the day: 12 hours at most
])
def test_the_session_ends_at_the_end_of_the_day_or_after_twelve_hours(login, end):
    assert session_end(login, "20:00", 12) == end


def test_without_an_end_of_day_the_session_lasts_the_maximum():
    assert session_end(at(10, 19, 59), "", 12) == at(11, 7, 59)


@pytest.fixture
def agent(db, settings, tmp_path):
    from django.contrib.auth import get_user_model

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.SESSION_END_OF_DAY = "20:00"  # as in production
    return get_user_model().objects.create_user(USERNAME, password=PASSWORD)


def test_the_login_cookie_is_a_browser_session_cookie_with_a_deadline(agent):
    client = Client()
    response = client.post("/connexion/", {"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # gone when the browser closes
    ends_at = client.session[ENDS_AT]
    assert timezone.now().timestamp() < ends_at <= timezone.now().timestamp() + 12 * 3600 + 5


def test_a_session_past_its_deadline_is_logged_out(agent):
    client = Client()
    client.post("/connexion/", {"username": USERNAME, "password": PASSWORD})
    assert client.get("/guichet/").status_code == 403  # logged in (no counter role here)
    session = client.session
    session[ENDS_AT] = timezone.now().timestamp() - 1
    session.save()
    response = client.get("/guichet/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert "_auth_user_id" not in client.session


def test_a_session_without_a_deadline_is_logged_out(agent):
    # Sessions opened before this rule lasted two weeks.
    client = Client()
    client.post("/connexion/", {"username": USERNAME, "password": PASSWORD})
    session = client.session
    del session[ENDS_AT]
    session.save()
    response = client.get("/guichet/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def test_the_test_clients_login_gets_a_deadline_too(agent, client):
    assert client.login(username=USERNAME, password=PASSWORD)
    assert ENDS_AT in client.session
    assert client.get("/guichet/").status_code == 403  # logged in (no counter role here)
