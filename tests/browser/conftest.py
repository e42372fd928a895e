"""Headless Chromium (the system's, never a downloaded one) against a real demo server."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.support.servers import demo_server

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("browser-server")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class Kiosk:
    """Takes tickets through the API, as the lobby kiosk does."""

    def __init__(self, server):
        self.server = server

    def take(self, service: str, **fields) -> dict:
        request = urllib.request.Request(
            f"{self.server.url}/api/v1/tickets", method="POST",
            data=json.dumps({"service": service, **fields}).encode(),
            headers={"Authorization": f"Bearer {self.server.kiosk_token}",
                     "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def kiosk(server) -> Kiosk:
    return Kiosk(server)
