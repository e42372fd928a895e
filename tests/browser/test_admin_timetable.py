"""A counter's timetable in the back-office (headless Chromium, the real admin under its
CSP): the weekly grid, Monday copied to the week, a session column added, a wrong session
refused with what was typed kept, then saved. Screenshot: admin-counter-timetable.png."""

from __future__ import annotations

import pytest

from tests.browser.test_admin_flow import login
from tests.conftest import demo_data

pytestmark = pytest.mark.browser


def cell(page, day: int, session: int, part: str):
    return page.locator(f"input[name='hours-{day}-{session}-{part}']")


def test_an_editor_edits_a_counter_timetable_with_the_grid(browser, server, screenshots):
    context = browser.new_context(viewport={"width": 1366, "height": 1100}, locale="fr-FR")
    page = context.new_page()
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    # The test servers load the demo without its counter timetables (estimates must not
    # depend on the hour): give Guichet 5 the demo's own.
    hours = next(c["hours"] for c in demo_data()["counters"] if c["name"] == "Guichet 5")
    server.manage("shell", "-c", (
        "from kiosk.server.queueing.models import Counter; "
        f"Counter.objects.filter(name='Guichet 5').update(hours={hours!r})"))
    login(page, server, "editor")
    page.goto(f"{server.url}/admin/queueing/counter/")
    page.get_by_role("link", name="Guichet 5", exact=True).click()
    grid = page.locator(".weekly-grid")
    grid.wait_for(state="visible")
    # The demo's timetable: Monday 09:00–12:00 and 13:30–16:30, no Wednesday.
    assert cell(page, 0, 0, "open").input_value() == "09:00"
    assert cell(page, 0, 1, "close").input_value() == "16:30"
    assert cell(page, 2, 0, "open").input_value() == ""
    assert page.locator("tr[data-day='0'] .wg-bar .wg-span").count() == 2
    assert page.locator("tr[data-day='2'] .wg-bar .wg-span").count() == 0

    # Monday gets a shorter afternoon, copied to Tuesday–Friday (Wednesday included).
    cell(page, 0, 1, "close").fill("16:00")
    page.get_by_role("button", name="Copier le lundi sur mardi – vendredi").click()
    for day in range(1, 5):
        assert cell(page, day, 1, "close").input_value() == "16:00"
    assert page.locator("tr[data-day='2'] .wg-bar .wg-span").count() == 2
    # A late session on Thursday in a column added by the script.
    columns = page.locator("input[name='hours-columns']")
    before = int(columns.input_value())
    page.get_by_role("button", name="Ajouter une séance").click()
    assert int(columns.input_value()) == before + 1
    cell(page, 3, before, "open").fill("17:00")
    cell(page, 3, before, "close").fill("19:00")
    assert page.locator("tr[data-day='3'] .wg-bar .wg-span").count() == 3
    # A wrong Saturday session: refused, with what was typed kept.
    cell(page, 5, 0, "open").fill("12:00")
    cell(page, 5, 0, "close").fill("09:00")
    page.click("input[name=_save]")
    error = page.locator(".errorlist").first
    error.wait_for(state="visible")
    assert "Samedi, séance 1 : la fin (09:00) doit venir après le début (12:00)." in \
        page.locator(".errorlist").all_inner_texts()
    assert cell(page, 3, before, "open").input_value() == "17:00"
    assert cell(page, 2, 1, "close").input_value() == "16:00"
    # Fixed: the Saturday morning is 09:00–12:00.
    cell(page, 5, 0, "open").fill("09:00")
    cell(page, 5, 0, "close").fill("12:00")
    page.locator(".weekly-grid").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "admin-counter-timetable.png"), full_page=False)
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert cell(page, 2, 0, "open").input_value() == "09:00"
    assert cell(page, 3, 2, "close").input_value() == "19:00"
    assert cell(page, 5, 0, "close").input_value() == "12:00"
    assert cell(page, 6, 0, "open").input_value() == ""
    assert problems == []
    context.close()


def test_the_agent_closes_the_counter_for_today_and_opens_it_again(browser, server, screenshots):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("dialog", lambda dialog: dialog.accept())  # « Fermer … pour aujourd'hui ? »
    page.goto(f"{server.url}/guichet/")
    page.fill("#id_username", server.agent["username"])
    page.fill("#id_password", server.agent["password"])
    page.click("form.login button[type=submit]")
    page.click("a.big-button:has-text('Guichet 6')")
    desk = page.locator("[data-testid=desk]")
    desk.wait_for(state="visible")
    assert page.inner_text("[data-testid=desk-state]") == "Guichet ouvert"
    assert page.locator("[data-testid=desk-pause]").is_visible()
    assert not page.locator("[data-testid=desk-back]").is_visible()
    page.click("[data-testid=desk-close]")
    page.wait_for_selector("#desk[data-desk=closed_today]")
    assert page.inner_text("[data-testid=desk-state]") == "Guichet fermé pour aujourd'hui"
    assert page.locator("[data-testid=desk-open]").is_visible()
    assert not page.locator("[data-testid=desk-pause]").is_visible()
    page.screenshot(path=str(screenshots / "console-closed-for-today.png"), full_page=False)
    page.click("[data-testid=desk-open]")
    page.wait_for_selector("#desk[data-desk=open]")
    assert page.locator("[data-testid=desk-pause]").is_visible()
    assert problems == []
    context.close()
