"""An editor of the 19e changes a service's hours in the back-office (headless Chromium, the
real admin under its CSP); a kiosk's next sync holds the new hours; the change is in the
audit log; the translation page shows what is left in French and which translations are
drafts, and the editor marks one as read by a native speaker (axe-checked). The editor makes another
service a draft and looks at its « Aperçu borne » (French, Arabic).
Screenshots: admin-service.png, admin-translations.png, admin-audit.png,
admin-preview-service.png, admin-preview-service-ar.png."""

from __future__ import annotations

import pytest

from kiosk.localstore import LocalStore
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.browser.axe import violations as axe_violations
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
    # The weekly grid (never raw JSON): every session emptied, then Monday-Friday 09:15-16:45.
    page.locator(".weekly-grid").first.wait_for(state="visible")
    cells = page.locator("input[name^='hours-'][name$='-open'], input[name^='hours-'][name$='-close']")
    for i in range(cells.count()):
        cells.nth(i).fill("")
    for slot in NEW_HOURS:
        for day in slot["days"]:
            page.fill(f"input[name='hours-{day}-0-open']", slot["open"])
            page.fill(f"input[name='hours-{day}-0-close']", slot["close"])
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
    # Every translation is a draft until a native speaker reads it: the editor marks one.
    assert page.inner_text("[data-testid=reviewed-wo]").startswith("0 / ")
    page.click("[data-testid=drafts-wo] summary")
    page.click("[data-testid=drafts-wo] button")
    page.wait_for_selector(".messagelist .success")
    assert page.inner_text("[data-testid=reviewed-wo]").startswith("1 / ")
    assert page.inner_text("[data-testid=reviewed-bm]").startswith("0 / ")
    page.click("[data-testid=drafts-ar] summary")
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots / "admin-translations.png"), full_page=False)
    context.close()
    admin = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = admin.new_page()
    login(page, server, "admin")
    page.goto(f"{server.url}/admin/audit/auditentry/")
    rows = page.locator("#result_list tbody tr")
    # Newest first: the translation marked read, then the service's hours.
    assert "content.translationreview" in rows.nth(0).inner_text()
    assert name in rows.nth(1).inner_text() and "editrice" in rows.nth(1).inner_text()
    page.screenshot(path=str(screenshots / "admin-audit.png"), full_page=False)
    admin.close()
    store.close()


def test_an_editor_previews_a_draft_service(browser, server, screenshots):
    # Another service than the test above, which this module's server shares.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    login(page, server, "editor")
    page.goto(f"{server.url}/admin/content/service/?q=deces")
    page.locator("#result_list tbody tr th a").first.click()
    page.uncheck("input[name=published]")
    page.click("input[name=_continue]")
    assert "État : brouillon" in page.inner_text("[data-testid=publish-state]")
    preview = page.get_attribute("[data-testid=preview-link]", "href")

    page.goto(f"{server.url}{preview}")
    assert page.inner_text("[data-testid=state]") == "Brouillon — pas encore visible sur les bornes"
    kiosk = page.locator("[data-testid=kiosk]")
    box = kiosk.bounding_box()
    assert abs(box["width"] / box["height"] - 16 / 9) < 0.03  # the kiosk's shape
    assert page.locator("[data-testid=spot]").count() == 1
    page.screenshot(path=str(screenshots / "admin-preview-service.png"), full_page=True)

    page.click("nav.languages a[lang=ar]")
    assert kiosk.get_attribute("dir") == "rtl"
    assert "إلى أين تذهب" in kiosk.inner_text()
    # Scrolled as a visitor would: today's hours and the documents to bring.
    page.eval_on_selector(".k-main", "main => { main.scrollTop = main.scrollHeight; }")
    assert page.locator("[data-testid=documents] li").first.is_visible()
    page.screenshot(path=str(screenshots / "admin-preview-service-ar.png"), full_page=True)
    assert errors == []
    context.close()
