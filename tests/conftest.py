"""Shared fixtures: demo data in the test database, kiosks, agents, API clients."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = ROOT / "config" / "demo" / "19e.json"


def demo_data() -> dict:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def demo(db):
    """The 19e demo content loaded into the test database; returns the Site."""
    from kiosk.server.content.management.commands.load_demo import load
    from kiosk.server.content.models import Site

    load(demo_data())
    return Site.objects.get(slug="paris-19")


@pytest.fixture
def kiosk_token(demo) -> str:
    from kiosk.server.devices.models import Kiosk

    _, token = Kiosk.objects.register(demo, "Borne de test")
    return token


@pytest.fixture
def api(client, kiosk_token):
    """A Django test client speaking as the test kiosk."""

    class KioskClient:
        headers = {"Authorization": f"Bearer {kiosk_token}"}

        def get(self, path, **kw):
            return client.get(f"/api/v1{path}", headers={**self.headers, **kw.pop("headers", {})}, **kw)

        def post(self, path, data, key=None, **kw):
            headers = {**self.headers, **kw.pop("headers", {})}
            if key is not None:
                headers["Idempotency-Key"] = str(key)
            return client.post(f"/api/v1{path}", json.dumps(data), content_type="application/json",
                               headers=headers, **kw)

    return KioskClient()


@pytest.fixture(autouse=True)
def _fresh_queue_caches():
    """The server shares estimates per site for a second and refits models once a minute,
    in process memory; tests roll their database back, so they start from empty caches."""
    try:
        from kiosk.server.queueing.estimates import reset_caches
        from kiosk.server.queueing.polling import clear_shared
        from kiosk.server.queueing.status import clear_cache
    except Exception:  # the kiosk-only test modules don't load Django
        yield
        return
    reset_caches()
    clear_cache()
    clear_shared()  # keyed by queue versions, which restart with each test's database
    yield
    reset_caches()
    clear_cache()
    clear_shared()
