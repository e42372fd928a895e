"""Agents' passwords: Django's validators with a 12-character minimum; the demo's
published passwords pass them; load_demo refuses to run on a server that is not a demo."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tests.conftest import DEMO_FILE, demo_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password", [
    "awa.diallo",          # the username itself
    "awa.diallo-2026",     # too close to it
    "court-1234",          # under 12 characters
    "123456789012345",     # only digits
    "password1234",        # a common password
])
def test_weak_passwords_are_refused(password):
    user = get_user_model()(username="awa.diallo", first_name="Awa")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_unrelated_password_is_accepted():
    user = get_user_model()(username="awa.diallo", first_name="Awa")
    validate_password("quatre mots au hasard", user)


@pytest.mark.parametrize("agent", demo_data()["agents"], ids=lambda a: a["username"])
def test_the_demo_passwords_pass_the_validators(agent):
    user = get_user_model()(username=agent["username"],
                            first_name=agent.get("display_name", ""))
    validate_password(agent["password"], user)


def test_the_back_office_refuses_a_password_equal_to_the_username(admin_client):
    user = get_user_model().objects.create_user("karim.benali", password="ancien-mot-de-passe")
    response = admin_client.post(f"/admin/auth/user/{user.pk}/password/", {
        "password1": "karim.benali", "password2": "karim.benali"})
    assert response.status_code == 200  # the form again, with the error
    assert "trop semblable" in response.content.decode()  # UserAttributeSimilarity
    user.refresh_from_db()
    assert user.check_password("ancien-mot-de-passe")
    response = admin_client.post(f"/admin/auth/user/{user.pk}/password/", {
        "password1": "quatre mots au hasard", "password2": "quatre mots au hasard"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("quatre mots au hasard")


def test_load_demo_refuses_without_debug_or_demo(settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="refused on this server"):
        call_command("load_demo", "--file", str(DEMO_FILE), stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="agent").exists()


def test_load_demo_runs_on_a_demo_server(settings):
    settings.DEMO = True
    call_command("load_demo", "--file", str(DEMO_FILE), stdout=io.StringIO())
    assert get_user_model().objects.filter(username="agent").exists()
