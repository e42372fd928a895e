"""An editor of the 19e changes a service's hours in the back-office (headless Chromium, the
real admin under its CSP); a kiosk's next sync holds the new hours; the change is in the
audit log; the translation page shows what is left in French.
Screenshots: admin-service.png, admin-translations.png, admin-audit.png."""

from __future__ import annotations

import json

import pytest

from kiosk.localstore import LocalStore
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.conftest import demo_data

pytestmark = pytest.mark.browser

NEW_HOURS = [{"days": [0, 1, 2, 3, 4], "open": "09:15", "close": "16:45"}]


def login(page, server, role: str):
    agent = next(a for a in demo_data()["agents"] if a["role"] == role)
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", agent["username"])
    page.fill("input[name=password]", agent["password"])
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/admin/")


def test_an_editor_changes_hours_and_the_kiosk_shows_them(browser, server, screenshots, tmp_path):
    store = LocalStore(tmp_path / "kiosk.sqlite3")
    engine = SyncEngine(store, Transport(server.url, server.kiosk_token))
    assert engine.sync_once().online
    before = store.service("naissance").hours
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    login(page, server, "editor")
    name = next(s["name"]["fr"] for s in demo_data()["services"] if s["id"] == "naissance")
    page.goto(f"{server.url}/admin/content/service/?q=naissance")
    page.get_by_role("link", name=name, exact=True).click()
    page.fill("textarea[name=hours]", json.dumps(NEW_HOURS))
    page.screenshot(path=str(screenshots / "admin-service.png"), full_page=False)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert errors == []
    report = engine.sync_once()
    assert report.online and report.content_changed
    after = store.service("naissance")
    assert after.hours != before
    assert [(s.weekdays, f"{s.opens:%H:%M}", f"{s.closes:%H:%M}") for s in after.hours] == [
        ((0, 1, 2, 3, 4), "09:15", "16:45")]
    # The audit log names the editor and the old and new hours (seen by the site admin).
    page.goto(f"{server.url}/admin/traductions/")
    assert "Complétude" in page.content()
    page.screenshot(path=str(screenshots / "admin-translations.png"), full_page=True)
    context.close()
    admin = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = admin.new_page()
    login(page, server, "admin")
    page.goto(f"{server.url}/admin/audit/auditentry/")
    row = page.locator("#result_list tbody tr").first
    assert name in row.inner_text() and "editrice" in row.inner_text()
    page.screenshot(path=str(screenshots / "admin-audit.png"), full_page=False)
    admin.close()
    store.close()
