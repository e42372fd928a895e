"""Shared fixtures: demo data in the test database, kiosks, agents, API clients."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# The real clock, read before any test can patch it: a test that moves `timezone.now` gets a
# real load of the demo, not the rows written back (tests/support/demo_rows.py).
import tests.support.demo_rows  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = ROOT / "config" / "demo" / "19e.json"


# make test's `postgres` suites (`-m postgres`) run these on PostgreSQL, the production
# database: what depends on the database's own behaviour (locks and races, ticket numbering,
# integrity errors inside transactions, date and JSON lookups, migrations, a real server on
# it). They run there only (once is enough), except BOTH_DATABASES, the embedded default's
# own path (SQLite: the demo, small sites), which run on both. Pages, texts and settings run
# on SQLite only. See tests/README.md.
POSTGRES_TESTS = (
    "tests/e2e/", "tests/deploy/test_migrations.py",
    # NUL, lone surrogates and deep JSON: only PostgreSQL refuses them (a 500 if unguarded).
    "tests/security/test_schemathesis.py",
    *(f"tests/server/test_{name}.py" for name in (
        "assistance", "audit", "closures_announcements", "conditional_polling", "console",
        "content_api", "content_push", "contributions", "demo_roles", "drafts_preview",
        "floor_plans", "offers_content", "offline_tickets", "privacy", "purge_assets",
        "queue_actions", "queue_position", "queue_status", "site_permissions",
        "situations_places", "sms_outbox", "stats", "tickets_api", "assets", "web_live",
        "idempotency_fingerprint", "text_input", "appointments", "appointment_noshows",
        "appointment_slots")),
)

BOTH_DATABASES = (
    "tests/server/test_tickets_api.py", "tests/server/test_offline_tickets.py",
    "tests/server/test_idempotency_fingerprint.py", "tests/e2e/test_walking_skeleton.py",
    "tests/server/test_appointments.py",
    "tests/server/test_appointment_noshows.py",  # date and time lookups: both databases
    "tests/server/test_appointment_slots.py",
)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.startswith(POSTGRES_TESTS):
            item.add_marker(pytest.mark.postgres)
        if item.nodeid.startswith(BOTH_DATABASES):
            item.add_marker(pytest.mark.both_databases)


def demo_data() -> dict:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


OTHER_SITE = "paris-18"  # the demo's second site (tests/sites.py); tests make their own paris-20


@pytest.fixture
def demo(db):
    """The 19e demo content loaded into the test database; returns the Site. A second site,
    paris-18, comes with it (a little content under some of the 19e's slugs): every test runs
    on a server with several sites, so "the only site" assumptions fail somewhere."""
    from kiosk.server.content.models import Site
    from tests.support.demo_rows import load_demo

    load_demo(load_demo_sites)  # the first time loaded, then its rows written back
    return Site.objects.get(slug="paris-19")


def load_demo_sites() -> None:
    """What `demo` loads, through load_demo's own code."""
    from kiosk.server.content.management.commands.load_demo import load
    from tests.sites import other_site_data

    data = demo_data()
    for counter in data["counters"]:  # tests set their own timetables (the demo's would
        counter.pop("hours", None)    # make every estimate depend on the hour they run)
        counter.pop("exceptions", None)
    load(data)
    load(other_site_data(data, OTHER_SITE, 18))


@pytest.fixture
def paris18(demo):
    """The demo's second site."""
    from kiosk.server.content.models import Site

    return Site.objects.get(slug=OTHER_SITE)


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
def _still_window_clocks(monkeypatch):
    """Two server mechanisms count in fixed windows of the wall clock, and a test that reads
    one twice would see the window turn in between now and then: the rate limiter ("2/m" + 1
    requests straddled a minute: [200, 200, 200]) and the polled states' validators (a 30 s
    bucket: two polls a moment apart got different ETags, and a 304 test failed). Both clocks
    stand at the start of a window here; tests/security/test_ratelimit.py and
    test_the_validator_ages_with_time move them on."""
    import time
    import types

    try:
        from kiosk.server import ratelimit
        from kiosk.server.queueing import polling
    except Exception:  # the kiosk-only test modules don't load Django
        return
    still = (int(time.time()) // 3600) * 3600 + 1.0  # an hour's start: every window's start
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: still))
    monkeypatch.setattr(polling, "wall_clock", lambda: still - 1.0)


@pytest.fixture(autouse=True)
def _fresh_queue_caches():
    """The server shares estimates per site for a second and refits models once a minute,
    in process memory; tests roll their database back, so they start from empty caches."""
    try:
        from kiosk.server.api.auth import forget_tokens
        from kiosk.server.appointments.slots import clear_cache as clear_slots
        from kiosk.server.content.delta_cache import ANSWERS
        from kiosk.server.queueing.estimates import reset_caches
        from kiosk.server.queueing.polling import clear_shared
        from kiosk.server.queueing.status import clear_cache
    except Exception:  # the kiosk-only test modules don't load Django
        yield
        return
    reset_caches()
    clear_cache()
    clear_slots()
    clear_shared()  # keyed by queue versions, which restart with each test's database
    ANSWERS.clear()  # keyed by content cursors, which restart likewise
    forget_tokens()  # the long-poll's tokens: their kiosks' rows restart likewise
    yield
    forget_tokens()
    reset_caches()
    clear_cache()
    clear_slots()
    clear_shared()
    ANSWERS.clear()
