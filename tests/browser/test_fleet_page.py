"""The fleet page in headless Chromium, under its real CSP: one kiosk fine, one silent for
12 minutes whose printer ran out of paper. Saves tests/artifacts/screenshots/fleet.png."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.support.patience import LIVE_TIMEOUT

pytestmark = pytest.mark.browser

STALE_KIOSK = "Borne Logement (2e étage)"


def heartbeat(server, token: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{server.url}/api/v1/heartbeat", method="POST", data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=LIVE_TIMEOUT) as response:
        assert response.status == 200
        return json.loads(response.read())


@pytest.fixture(scope="module")
def fleet(server):
    stale_token = server.manage("create_kiosk", "paris-19", STALE_KIOSK).strip()
    heartbeat(server, server.kiosk_token, {
        "version": "0.1.0", "cursor": "128", "outbox_depth": 0,
        "printer": {"state": "ok", "detail": ""}, "last_error": None})
    heartbeat(server, stale_token, {
        "version": "0.1.0", "cursor": "121", "outbox_depth": 3,
        "printer": {"state": "paper_out", "detail": "no paper"},
        "last_error": "GET /content: ConnectionError"})
    # Then nothing from it for 12 minutes.
    server.manage("shell", "-c", (
        "import datetime as dt; from django.utils import timezone; "
        "from kiosk.server.devices.models import Kiosk; "
        f"Kiosk.objects.filter(name={STALE_KIOSK!r}).update("
        "last_heartbeat_at=timezone.now() - dt.timedelta(minutes=12), "
        "last_error_at=timezone.now() - dt.timedelta(minutes=12))"))
    return server


def test_the_fleet_page_shows_the_stale_kiosk(browser, fleet, screenshots):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    try:
        page.goto(f"{fleet.url}/flotte/paris-19/")
        assert "/connexion/" in page.url
        page.fill("#id_username", fleet.agent["username"])
        page.fill("#id_password", fleet.agent["password"])
        page.click("form.login button[type=submit]")
        page.wait_for_selector("table.kiosks")
        assert "/flotte/paris-19/" in page.url

        stale = page.locator("tr.stale")
        assert stale.count() == 1
        row = stale.first.inner_text()
        assert STALE_KIOSK in row
        assert "sans nouvelles" in row
        assert "Plus de papier" in row
        assert "il y a 12 min" in row
        assert "GET /content: ConnectionError" in row
        fine = page.locator("tr.active:not(.stale)").first.inner_text()
        assert "Hall d'entrée" in fine and "Imprimante OK" in fine
        # The badge is really red (the style applies under the page's CSP).
        color = page.locator('[data-testid="stale"]').evaluate(
            "e => getComputedStyle(e).backgroundColor")
        assert color == "rgb(179, 38, 30)"
        assert csp_errors == []
        page.screenshot(path=str(screenshots / "fleet.png"), full_page=True)
    finally:
        context.close()
