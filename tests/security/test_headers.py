"""Security headers on every page, and pages that keep within the Content-Security-Policy
(no inline script, no inline event handler) so the policy never has to be loosened."""

from __future__ import annotations

import re

import pytest

from tests.security.conftest import agent_of, issue

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, str]:
    raw = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in raw.split(";") if part.strip()}


@pytest.fixture
def pages(client, counter) -> dict[str, object]:
    """Every kind of page, rendered: public ones, then the agent's."""
    from django.contrib.auth.models import User

    (ticket,) = issue(counter.service)
    out = {
        "phone": client.get(f"/t/{ticket.public_token}"),
        "phone-json": client.get(f"/t/{ticket.public_token}/etat.json"),
        "board": client.get("/ecran/paris-19/"),
        "login": client.get("/connexion/"),
        "api-health": client.get("/api/v1/health"),
        "not-found": client.get("/t/AAAAAAAAAAAAAAAAAAAAAA"),
    }
    a = agent_of("counter")
    assert client.login(username=a["username"], password=a["password"])
    out["console"] = client.get("/guichet/", follow=True)
    out["counter"] = client.get(f"/guichet/{counter.pk}/")
    out["issue"] = client.get(f"/guichet/{counter.pk}/ticket/")
    User.objects.create_superuser("root-test", password="a-long-test-password")
    assert client.login(username="root-test", password="a-long-test-password")
    out["stats"] = client.get("/stats/paris-19/")
    out["admin"] = client.get("/admin/")
    out["api-docs"] = client.get("/api/v1/docs")
    return out


def test_every_response_carries_the_headers(pages):
    for name, response in pages.items():
        assert response.status_code in (200, 404), name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["X-Frame-Options"] == "DENY", name
        assert "camera=()" in response["Permissions-Policy"], name
        csp = policy(response)
        assert csp["script-src"] == "script-src 'self'", name
        assert csp["object-src"] == "object-src 'none'", name
        assert csp["frame-ancestors"] == "frame-ancestors 'none'", name
        assert csp["base-uri"] == "base-uri 'self'", name
        assert "data:" in csp["img-src"], name  # QR codes


def test_the_board_is_not_framed_either(pages):
    """The board runs in its own full-screen browser (deploy/README.md), never in a frame."""
    assert pages["board"]["X-Frame-Options"] == "DENY"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>",
                           re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("name", ["phone", "board", "login", "console", "counter", "issue",
                                  "stats", "admin", "api-docs"])
def test_pages_have_no_inline_script(pages, name):
    html = pages[name].content.decode()
    assert "<script" not in html or INLINE_SCRIPT.search(html) is None, name
    assert EVENT_HANDLER.search(html) is None, name
    assert "javascript:" not in html.lower(), name


def test_the_policy_can_be_replaced_or_turned_off(client, demo, settings):
    settings.CONTENT_SECURITY_POLICY = "default-src 'none'"
    assert client.get("/connexion/")["Content-Security-Policy"] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY = ""
    assert "Content-Security-Policy" not in client.get("/connexion/")
