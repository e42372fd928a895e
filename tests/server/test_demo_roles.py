"""The demo's editor and moderator reach what their role allows in the back-office, no more."""

from __future__ import annotations

import pytest

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


def login(client, role: str):
    agent = next(a for a in demo_data()["agents"] if a["role"] == role)
    assert client.login(username=agent["username"], password=agent["password"])
    return client


def test_the_demo_editor_edits_the_19e_content_but_not_the_moderation(client, demo):
    login(client, "editor")
    assert client.get("/admin/content/service/").status_code == 200
    assert client.get("/admin/content/offer/").status_code == 200
    assert client.get("/admin/content/pendingoffer/").status_code == 403


def test_the_demo_moderator_sees_the_pending_proposals(client, demo):
    login(client, "moderator")
    assert client.get("/admin/content/pendingoffer/").status_code == 200
    assert client.get("/admin/content/service/").status_code == 403
