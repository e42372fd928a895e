"""Per-account login throttling (django-axes): wrong passwords for one account, from any
number of addresses, lock that account for a while, even with the right password; the
login page says so. The agents' login and the back-office's alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

USERNAME, PASSWORD = "awa.diallo", "une-phrase-de-passe-longue"


@pytest.fixture(autouse=True)
def axes_on(settings, tmp_path):
    settings.AXES_ENABLED = True  # off for the other tests (tests/settings.py)
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def agent(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(USERNAME, password=PASSWORD, is_staff=True)


def attempt(password: str, address: str, path: str = "/connexion/"):
    client = Client(REMOTE_ADDR=address)  # a fresh browser from another address each time
    response = client.post(path, {"username": USERNAME, "password": password})
    return client, response


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_fifteen_wrong_passwords_from_fifteen_addresses_lock_the_account(settings, agent):
    statuses = [attempt(f"wrong-{i}", f"203.0.113.{i + 1}")[1].status_code for i in range(15)]
    # The form again ("incorrect") until the limit, then the lock (AXES_FAILURE_LIMIT: 10).
    assert settings.AXES_FAILURE_LIMIT == 10
    assert statuses == [200] * 9 + [429] * 6
    client, response = attempt(PASSWORD, "198.51.100.7")
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert "bloqué pendant 15 minutes" in page
    assert 'name="username"' in page  # the login page itself, with the message


def test_the_back_office_login_is_locked_too(agent):
    for i in range(15):
        attempt(f"wrong-{i}", f"203.0.113.{i + 1}", "/admin/login/")
    client, response = attempt(PASSWORD, "198.51.100.7", "/admin/login/")
    assert response.status_code == 429
    assert not logged_in(client)
    assert "bloqué pendant 15 minutes" in response.content.decode()


def test_below_the_limit_the_right_password_logs_in_and_resets_the_count(agent):
    for i in range(9):
        attempt(f"wrong-{i}", f"203.0.113.{i + 1}")
    client, response = attempt(PASSWORD, "198.51.100.7")
    assert response.status_code == 302 and logged_in(client)
    for i in range(9):  # a fresh count after a success
        attempt(f"wrong-again-{i}", f"203.0.113.{i + 1}")
    client, response = attempt(PASSWORD, "198.51.100.8")
    assert response.status_code == 302 and logged_in(client)


def test_other_accounts_are_not_locked(agent):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("fatou", password="un-autre-secret-assez-long")
    for i in range(15):
        attempt(f"wrong-{i}", f"203.0.113.{i + 1}")
    client = Client(REMOTE_ADDR="203.0.113.1")  # even from an address that tried
    response = client.post("/connexion/", {"username": "fatou",
                                           "password": "un-autre-secret-assez-long"})
    assert response.status_code == 302 and logged_in(client)


def test_the_lock_ends_after_the_cool_off(agent):
    from axes.models import AccessAttempt

    for i in range(15):
        attempt(f"wrong-{i}", f"203.0.113.{i + 1}")
    assert attempt(PASSWORD, "198.51.100.7")[1].status_code == 429
    # Move the failures 16 minutes back rather than wait (AXES_COOLOFF_TIME: 15).
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    client, response = attempt(PASSWORD, "198.51.100.7")
    assert response.status_code == 302 and logged_in(client)
