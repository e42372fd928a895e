"""Kiosk tokens: only a hash is stored; a revoked, rotated or deleted kiosk's token is refused
at the very next request (no cache between the back-office and the API)."""

from __future__ import annotations

import html
import re

import pytest

pytestmark = pytest.mark.django_db


def content(client, token: str):
    return client.get("/api/v1/content", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def kiosk(demo):
    from kiosk.server.devices.models import Kiosk

    return Kiosk.objects.register(demo, "Borne du hall")


@pytest.fixture
def admin_client(client, demo):
    from django.contrib.auth.models import User

    User.objects.create_superuser("root-test", password="a-long-test-password")
    assert client.login(username="root-test", password="a-long-test-password")
    return client


def test_only_a_hash_of_the_token_is_stored(kiosk):
    from kiosk.server.devices.models import Kiosk, hash_token

    obj, token = kiosk
    row = Kiosk.objects.filter(pk=obj.pk).values().get()
    assert token not in str(row)
    assert row["token_hash"] == hash_token(token) and len(row["token_hash"]) == 64
    assert row["token_hint"] == token[:4]
    assert len(token) >= 43  # 256 bits, base64url


def test_a_revoked_token_is_refused_at_once(client, kiosk):
    obj, token = kiosk
    assert content(client, token).status_code == 200
    obj.active = False
    obj.save()
    assert content(client, token).status_code == 401
    obj.active = True
    obj.save()
    assert content(client, token).status_code == 200


def test_unticking_active_in_the_back_office_revokes(admin_client, client, kiosk):
    obj, token = kiosk
    response = admin_client.post(f"/admin/devices/kiosk/{obj.pk}/change/",
                                 {"site": obj.site_id, "name": obj.name})  # "active" unticked
    assert response.status_code == 302, response.content.decode()[:2000]
    obj.refresh_from_db()
    assert obj.active is False
    assert content(client, token).status_code == 401
    assert client.post("/api/v1/tickets", {"service": "x"}, content_type="application/json",
                       headers={"Authorization": f"Bearer {token}",
                                "Idempotency-Key": "0b7f5e0e-6a8e-4b2e-9d8e-3c1f6f1d2a11"},
                       ).status_code == 401


def test_rotating_in_the_back_office_kills_the_old_token(admin_client, client, kiosk):
    obj, old = kiosk
    response = admin_client.post("/admin/devices/kiosk/", {
        "action": "rotate_token", "_selected_action": [obj.pk]}, follow=True)
    assert response.status_code == 200
    shown = re.search(r"Nouveau jeton de « Borne du hall » : ([A-Za-z0-9_-]{43})",
                      html.unescape(response.content.decode()))
    assert shown, "the new token is shown once to the agent"
    new = shown.group(1)
    assert new != old
    assert content(client, old).status_code == 401
    assert content(client, new).status_code == 200
    obj.refresh_from_db()
    assert obj.token_hint == new[:4]


def test_rotating_with_the_command_kills_the_old_token(client, kiosk):
    from kiosk.server.devices.models import Kiosk

    obj, old = kiosk
    again, new = Kiosk.objects.register(obj.site, obj.name)
    assert again.pk == obj.pk and new != old
    assert content(client, old).status_code == 401
    assert content(client, new).status_code == 200


def test_a_deleted_kiosk_is_refused(client, kiosk):
    obj, token = kiosk
    obj.delete()
    assert content(client, token).status_code == 401


@pytest.mark.parametrize("header", [
    "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer \x00", "Bearer " + "a" * 5000,
    "bearer lowercase-scheme-unknown-token", "Token abc",
])
def test_malformed_authorizations_are_401_not_500(client, demo, header):
    response = client.get("/api/v1/content", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
