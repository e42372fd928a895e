"""The visitor's language reaches the agent (issue 13): in headless Chromium against a real
server, the agent issues an Arabic ticket with "needs help reading" at the entrance, calls it,
and the display board shows it with its language in its own name and the help pictogram,
drawn live by board.js (the page was open before the call). Each step is screenshotted
(tests/artifacts/screenshots/visitor-language-*.png) and checked by axe-core.

Own server: the queue holds only this module's tickets, so "call next" calls the one meant.
The tests run in file order and share the pages.
"""

from __future__ import annotations

import pytest

from tests.browser.axe import violations as axe_violations
from tests.browser.conftest import agent_console
from tests.support.servers import demo_server

pytestmark = pytest.mark.browser

SERVICE = "naissance"  # served by Guichet 1 in the demo
COUNTER = "Guichet 1"
SHARED: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("visitor-language-server")) as srv:
        yield srv


@pytest.fixture(scope="module")
def agent(browser, server):
    context, page = agent_console(browser, server, COUNTER, bypass_csp=True)  # eval() waits
    yield page
    context.close()


def open_board(browser, server, query: str = ""):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR",
                                  bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server.url}/ecran/paris-19/{query}")
    page.wait_for_function("window.carrefourBoard && window.carrefourBoard.polls > 0")
    return page


@pytest.fixture(scope="module")
def board(browser, server):
    page = open_board(browser, server)
    yield page
    page.context.close()


def shot(page, screenshots, name: str) -> None:
    # The newest call blinks four times, then stays yellow: the shot waits for the blink's end.
    page.wait_for_function("!document.getElementById('latest') || "
                           "document.getElementById('latest').getAnimations().length === 0")
    page.screenshot(path=str(screenshots / f"visitor-language-{name}.png"), full_page=True)


def box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {w: r.width, h: r.height}; }")


def call_next(agent) -> None:
    with agent.expect_response(lambda r: r.request.method == "POST"):
        agent.click('[data-testid="call-next"]')


def test_the_agent_issues_an_arabic_ticket_with_help_reading(agent, board, screenshots):
    issue = agent.context.new_page()
    issue.set_viewport_size({"width": 800, "height": 1280})
    issue.goto(agent.url + "ticket/")
    assert issue.locator("#id_language").input_value() == "fr"
    assert not issue.locator("#id_help_reading").is_checked()
    arabic = issue.locator('#id_language option[value="ar"]')
    assert (arabic.get_attribute("lang"), arabic.get_attribute("dir")) == ("ar", "rtl")
    issue.select_option("#id_service", SERVICE)
    issue.select_option("#id_language", "ar")
    issue.check("#id_help_reading")
    shot(issue, screenshots, "issue-form")
    assert axe_violations(issue) == []
    issue.click('[data-testid="issue"]')
    issue.wait_for_selector('[data-testid="issued-qr"] svg')
    number = issue.locator('[data-testid="issued-number"]').inner_text().strip()
    issued = issue.locator('[data-testid="issued"]')
    assert issued.locator('span[lang="ar"][dir="rtl"]').inner_text() == "العربية"
    assert "Aide à la lecture" in issued.locator(f'[data-testid="help-reading-{number}"]').inner_text()
    # One visitor's need: the next ticket starts unticked; the language stays for the next.
    assert not issue.locator("#id_help_reading").is_checked()
    assert issue.locator("#id_language").input_value() == "ar"
    shot(issue, screenshots, "issued")
    assert axe_violations(issue) == []
    issue.close()
    SHARED["number"] = number


def test_the_call_reaches_the_board_with_the_language_and_the_pictogram(
        agent, board, kiosk, screenshots):
    number = SHARED["number"]
    agent.reload()
    agent.wait_for_selector(f'[data-testid="help-reading-{number}"]')  # the console sees it too
    call_next(agent)
    # Drawn by board.js from etat.json: the board was open before the call.
    board.wait_for_function(
        "n => document.querySelector('[data-testid=latest-number]')?.textContent.trim() === n",
        arg=number)
    latest = board.locator("#latest")
    language = latest.locator('[data-testid="latest-language"]')
    assert (language.inner_text(), language.get_attribute("lang"),
            language.get_attribute("dir")) == ("العربية", "ar", "rtl")
    helped = latest.locator('[data-testid="help-reading"]')
    assert (helped.get_attribute("role"), helped.get_attribute("aria-label")) == (
        "img", "Aide à la lecture")
    big = box(board, '#latest [data-testid="help-reading"]')
    assert big["h"] >= 80, f"pictogram too small for a wall: {big}"  # 9vh of 1080 ≈ 97 px
    shot(board, screenshots, "board-latest")
    assert axe_violations(board) == []

    # The next call takes the big line; the Arabic one goes to the list, its pictogram with it.
    plain = kiosk.take(SERVICE, language="fr")["number"]
    agent.wait_for_selector(f'[data-testid="waiting-{plain}"]')
    call_next(agent)
    board.wait_for_function(
        "n => document.querySelector('[data-testid=latest-number]')?.textContent.trim() === n",
        arg=plain)
    assert latest.locator('[data-testid="help-reading"]').count() == 0
    row = board.locator("#calls li").first
    assert row.locator(".ticket").inner_text() == number
    assert row.locator('[data-testid="help-reading"]').count() == 1
    small = box(board, '#calls [data-testid="help-reading"]')
    SHARED["sizes"] = f"latest {big['w']:.0f}x{big['h']:.0f} px, list {small['w']:.0f}x{small['h']:.0f} px"
    shot(board, screenshots, "board-list")
    assert axe_violations(board) == []
    board.set_viewport_size({"width": 1280, "height": 720})
    board.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    fits = board.evaluate("""document.documentElement.scrollHeight <= innerHeight
        && document.documentElement.scrollWidth <= innerWidth""")
    shot(board, screenshots, "board-list-720")
    assert fits, "the board overflows at 1280x720"
    print("pictogram sizes at 1920x1080:", SHARED["sizes"])


def test_the_board_in_arabic(browser, server, screenshots):
    """The board's own words in Arabic: the pictogram's text alternative too."""
    page = open_board(browser, server, "?lang=ar")
    try:
        assert page.locator("html").get_attribute("dir") == "rtl"
        helped = page.locator('#calls [data-testid="help-reading"]')
        assert helped.get_attribute("aria-label") == "مساعدة في القراءة"
        # Ticket ← counter: read from the right, the arrows point left.
        turned = page.evaluate("""Array.from(document.querySelectorAll('.arrow'))
            .map(a => getComputedStyle(a).transform)""")
        assert len(turned) == 2 and all(t.startswith("matrix(-1") for t in turned), turned
        shot(page, screenshots, "board-ar")
        assert axe_violations(page) == []
    finally:
        page.context.close()
