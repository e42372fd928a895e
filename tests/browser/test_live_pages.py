"""The live pages in headless Chromium against a real server: console, board, phone.

The tests of this module share one server, one logged-in agent page and one board page,
and run in file order (a day at the counter): each one states what it expects of the queue.

No wait here depends on the machine's speed: the pages are waited for on conditions (a
text, an element, a response), and "live" is counted in polls, not seconds: a change must
show at the latest on the second poll of etat.json answered after it (the first may have
been in flight already). The seconds are still written to browser-timings.json.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.browser.conftest import DEADLINE_MS

pytestmark = pytest.mark.browser

SERVICE = "naissance"  # served by Guichet 1 in the demo
COUNTER = "Guichet 1"
TIMINGS: dict[str, float] = {}
SERVER_ERRORS: list[str] = []  # 5xx answers any page got: a console that reloads onto an
# error page would otherwise only show as a missing button 90 s later

# Counts the page's answered polls of etat.json (console, board, phone alike), counted before
# the page's own handlers see the answer.
COUNT_POLLS = """(() => {
  let answered = 0;
  const realFetch = window.fetch;
  window.fetch = function (...args) {
    const reply = realFetch.apply(this, args);
    if (String(args[0]).includes("etat.json")) reply.then(() => { answered += 1; }, () => {});
    return reply;
  };
  Object.defineProperty(window, "statePolls", { get: () => answered });
})();"""


# Resolves with the page's answered polls at the DOM change that made `check` true (a
# MutationObserver: the count is the one of the poll that drew it); fails after the deadline.
WHEN = """([check, arg, deadline]) => new Promise((resolve, reject) => {
  const test = new Function("arg", "return (" + check + ")(arg);");
  if (test(arg)) return resolve(window.statePolls);
  const watch = new MutationObserver(() => {
    if (test(arg)) { watch.disconnect(); clearTimeout(timer); resolve(window.statePolls); }
  });
  const timer = setTimeout(() => { watch.disconnect(); reject(new Error("timed out: " + check)); },
                           deadline);
  watch.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})"""


def when(page, check: str, arg) -> int:
    """Wait until the JS function `check`(arg) is true; returns the answered polls then."""
    return page.evaluate(WHEN, [check, arg, DEADLINE_MS])


def text_is(page, selector: str, expected: str) -> int:
    """Wait until `selector` reads `expected`; returns the page's answered polls then."""
    return when(page, """([sel, txt]) => { const e = document.querySelector(sel);
                                         return !!e && e.textContent.trim() === txt; }""",
                [selector, expected])


def watch(context):
    """Count the polls of the context's pages and note every 5xx they get."""
    context.on("response", lambda r: r.status >= 500 and SERVER_ERRORS.append(
        f"{r.status} {r.request.method} {r.url}"))
    context.add_init_script(COUNT_POLLS)
    return context


@pytest.fixture(autouse=True)
def no_server_error():
    SERVER_ERRORS.clear()
    yield
    assert not SERVER_ERRORS, f"the server answered errors (see its server.log): {SERVER_ERRORS}"


def polls(page) -> int:
    return page.evaluate("window.statePolls")


def click_answered(page, selector: str) -> None:
    """Click a console button and return once the server answered its action (the POST)."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.click(selector)


def next_frame(page) -> None:
    """Return once the page drew a frame (after a viewport change: the new layout)."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def text_of(page, selector: str) -> str:
    return page.locator(selector).first.inner_text().strip()


@pytest.fixture(scope="module")
def agent_page(browser, server):
    # bypass_csp: the tests' own wait_for_function/evaluate are eval() for the page's policy;
    # the pages under their real policy: tests/security/test_csp_browser.py.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR",
                                  bypass_csp=True)
    watch(context)
    page = context.new_page()
    page.goto(f"{server.url}/guichet/")
    assert "/connexion/" in page.url
    page.fill("#id_username", server.agent["username"])
    page.fill("#id_password", server.agent["password"])
    page.click("form.login button[type=submit]")
    page.click(f"a.big-button:has-text('{COUNTER}')")
    page.wait_for_selector("#console")
    page.wait_for_function("window.statePolls > 0")  # console.js runs and has polled
    yield page
    context.close()


@pytest.fixture(scope="module")
def board_page(browser, server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR",
                                  bypass_csp=True)
    watch(context)
    page = context.new_page()
    page.goto(f"{server.url}/ecran/paris-19/")
    page.wait_for_function("window.carrefourBoard && window.carrefourBoard.polls > 0")
    yield page
    context.close()


@pytest.fixture(scope="module")
def phone_context(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2, bypass_csp=True)
    watch(context)
    yield context
    context.close()


@pytest.fixture(scope="module", autouse=True)
def report_timings(screenshots):
    yield
    (screenshots.parent / "browser-timings.json").write_text(json.dumps(TIMINGS, indent=2))


def test_a_call_reaches_the_board_within_2_seconds(agent_page, board_page, kiosk):
    ticket = kiosk.take(SERVICE)
    number = ticket["number"]
    agent_page.wait_for_selector(f'[data-testid="waiting-{number}"]')

    start = time.monotonic()
    click_answered(agent_page, '[data-testid="call-next"]')
    called = polls(board_page)
    shown = text_is(board_page, '[data-testid="latest-number"]', number)
    TIMINGS["click to board"] = round(time.monotonic() - start, 3)
    assert shown - called <= 2, f"the board showed {number} {shown - called} polls after the call"

    assert text_of(board_page, '[data-testid="latest-counter"]') == COUNTER
    announced = board_page.evaluate("window.carrefourBoard.announced.map(a => a.number)")
    assert announced == [number]  # one chime + speech per new call, none for the old ones
    lines = board_page.evaluate("window.carrefourBoard.announced[0].lines")
    assert lines[0] == ["fr", f"Ticket {number[0]} {int(number[1:])}, guichet 1"]
    # The console drew the answer of its own action, no reload.
    text_is(agent_page, '[data-testid="current-number"]', number)
    assert "Appel du" in text_of(agent_page, "#flash")


def test_the_console_updates_by_itself(agent_page, kiosk):
    start = time.monotonic()
    ticket = kiosk.take(SERVICE, priority="elderly")
    taken = polls(agent_page)
    selector = f'[data-testid="waiting-{ticket["number"]}"]'
    shown = when(agent_page, "sel => !!document.querySelector(sel)", selector)
    TIMINGS["new ticket to console"] = round(time.monotonic() - start, 3)
    assert shown - taken <= 2, f"the console showed the ticket {shown - taken} polls later"
    row = agent_page.locator(selector)
    assert "75 ans et plus" in row.inner_text()
    assert text_of(agent_page, '[data-testid="total-waiting"]') == "1"


def test_shortcuts_recall_and_the_absent_countdown(agent_page, board_page):
    current = text_of(agent_page, '[data-testid="current-number"]')
    absent = agent_page.locator('[data-testid="absent"]')
    assert absent.is_disabled()
    assert "dans" in absent.inner_text()  # the countdown to the end of the grace period
    agent_page.keyboard.press("r")
    agent_page.wait_for_function(
        "document.querySelector('[data-testid=recalls]').textContent.trim() === '1'")
    assert "Rappel du" in text_of(agent_page, "#flash")
    # A recall is said again on the board.
    board_page.wait_for_function("window.carrefourBoard.announced.length === 2")
    assert board_page.evaluate("window.carrefourBoard.announced[1].number") == current


def test_the_phone_page_follows_the_call_without_reload(agent_page, phone_context, kiosk,
                                                        screenshots):
    ticket = kiosk.take(SERVICE, phone="06 12 34 56 78", sms_consent=True)
    number = ticket["number"]
    phone = phone_context.new_page()
    phone.goto(ticket["phone_url"])
    assert text_of(phone, "#status-text") == "En attente"
    assert text_of(phone, '[data-testid="position"]') == "2"  # behind the elderly visitor
    assert phone.locator('[data-testid="sms"]').is_visible()
    assert "06 12" not in phone.content() and "+336" not in phone.content()
    phone.screenshot(path=str(screenshots / "phone.png"), full_page=True)

    phone.evaluate("window.stillTheSamePage = true")
    agent_page.wait_for_selector(f'[data-testid="waiting-{number}"]')
    start = time.monotonic()
    agent_page.click(f'[data-testid="waiting-{number}"]')  # out of turn
    text_is(phone, '[data-testid="counter"]', COUNTER)
    TIMINGS["call to phone (5 s polling)"] = round(time.monotonic() - start, 3)
    assert text_of(phone, "#status-text").startswith("Appelé")
    assert phone.evaluate("window.stillTheSamePage") is True
    assert not phone.locator('[data-testid="leave"]').is_visible()
    phone.screenshot(path=str(screenshots / "phone-called.png"), full_page=True)
    phone.close()


def test_the_visitor_asks_for_more_time_then_leaves(phone_context, kiosk):
    first = kiosk.take(SERVICE)
    mine = kiosk.take(SERVICE, language="en")
    kiosk.take(SERVICE)
    phone = phone_context.new_page()
    phone.goto(mine["phone_url"])
    assert text_of(phone, '[data-testid="position"]') == "3"
    phone.click('[data-testid="more-time"]')
    phone.wait_for_selector('[data-testid="more-time"]', state="hidden")
    assert text_of(phone, '[data-testid="position"]') == "4"
    assert "Noted" in text_of(phone, "#flash")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.click('[data-testid="leave"]')
    text_is(phone, "#status-text", "Cancelled")
    assert not phone.locator("#facts").is_visible()
    phone.close()
    assert first["number"] != mine["number"]


def test_arabic_phone_page(phone_context, kiosk, screenshots):
    ticket = kiosk.take(SERVICE, language="ar", phone="06 12 34 56 78", sms_consent=True)
    phone = phone_context.new_page()
    phone.goto(ticket["phone_url"])
    assert phone.evaluate("document.documentElement.dir") == "rtl"
    assert text_of(phone, "#status-text") == "في الانتظار"
    assert text_of(phone, '[data-testid="leave"]') == "سأغادر"
    phone.screenshot(path=str(screenshots / "phone-ar.png"), full_page=True)
    phone.close()


def test_park_resume_and_screenshots(agent_page, board_page, kiosk, screenshots):
    for extra in ({}, {"priority": "pregnancy"}, {"language": "zh"}):
        kiosk.take(SERVICE, **extra)
    parked = text_of(agent_page, '[data-testid="current-number"]')
    agent_page.keyboard.press("p")
    agent_page.wait_for_selector(f'[data-testid="parked-{parked}"]')
    assert text_of(agent_page, '[data-testid="current-number"]') == "—"
    agent_page.keyboard.press("n")
    agent_page.wait_for_function(
        "document.querySelector('[data-testid=current-number]').textContent.trim() !== '—'")
    seen = polls(agent_page)  # one more poll: the clocks and lists settle
    agent_page.wait_for_function("n => window.statePolls > n", arg=seen)
    agent_page.screenshot(path=str(screenshots / "console.png"), full_page=True)
    agent_page.set_viewport_size({"width": 800, "height": 1280})
    next_frame(agent_page)
    agent_page.screenshot(path=str(screenshots / "console-tablet.png"), full_page=True)
    small = agent_page.evaluate("""Array.from(document.querySelectorAll('#console button'))
        .filter(b => b.offsetParent && b.getBoundingClientRect().height < 44).length""")
    assert small == 0, "touch targets under 44 px on the tablet"
    agent_page.set_viewport_size({"width": 1366, "height": 900})

    agent_page.click(f'[data-testid="parked-{parked}"]')
    text_is(agent_page, '[data-testid="current-number"]', parked)
    text_is(board_page, '[data-testid="latest-number"]', parked)
    # The highlight blinks four times, then stays yellow: the shot waits for the blink's end.
    board_page.wait_for_function("document.getElementById('latest').getAnimations().length === 0")
    board_page.screenshot(path=str(screenshots / "board.png"))
    board_page.set_viewport_size({"width": 1280, "height": 720})
    next_frame(board_page)
    board_page.screenshot(path=str(screenshots / "board-720.png"))
    fits = board_page.evaluate("""document.documentElement.scrollHeight <= innerHeight
        && document.documentElement.scrollWidth <= innerWidth""")
    assert fits, "the board overflows at 1280x720"
    board_page.set_viewport_size({"width": 1920, "height": 1080})


def test_transfer_and_issue_a_ticket_at_the_entrance(agent_page, server, screenshots):
    current = text_of(agent_page, '[data-testid="current-number"]')
    agent_page.select_option('[data-testid="transfer-service"]', "logement-social")
    agent_page.click('[data-testid="transfer"]')
    text_is(agent_page, '[data-testid="current-number"]', "—")
    assert "garde sa place" in text_of(agent_page, "#flash")
    assert current not in agent_page.inner_text("#waiting-list")  # now another service's

    issue = agent_page.context.new_page()
    issue.set_viewport_size({"width": 800, "height": 1280})
    issue.goto(agent_page.url + "ticket/")
    issue.select_option("#id_service", SERVICE)
    issue.select_option("#id_language", "en")
    issue.check("input[name=priority][value=disability]")
    issue.fill("#id_phone", "06 12 34 56 78")
    issue.click('[data-testid="issue"]')
    assert "consentement" in issue.inner_text(".form-error")
    issue.check("#id_consent")
    issue.click('[data-testid="issue"]')
    issue.wait_for_selector('[data-testid="issued-qr"] svg')
    number = text_of(issue, '[data-testid="issued-number"]')
    assert number.startswith("N")
    assert "SMS prévu" in issue.inner_text('[data-testid="issued"]')
    issue.screenshot(path=str(screenshots / "issue-ticket.png"), full_page=True)
    issue.close()
    agent_page.wait_for_selector(f'[data-testid="waiting-{number}"]')


def test_the_board_recovers_after_a_server_restart(agent_page, board_page, server):
    offline = board_page.locator("#offline")
    offline.wait_for(state="hidden")  # online before the restart (a slow poll may have failed)
    server.stop()
    offline.wait_for(state="visible")
    started = time.monotonic()
    server.start(timeout=DEADLINE_MS / 1000)
    offline.wait_for(state="hidden")
    TIMINGS["board back after restart"] = round(time.monotonic() - started, 3)
    assert board_page.evaluate("window.carrefourBoard.recovered") >= 1

    before = text_of(board_page, '[data-testid="latest-number"]')
    start = time.monotonic()
    click_answered(agent_page, '[data-testid="call-next"]')
    called = polls(board_page)
    shown = when(board_page, """old =>
        document.querySelector('[data-testid=latest-number]').textContent.trim() !== old""", before)
    TIMINGS["click to board after restart"] = round(time.monotonic() - start, 3)
    assert shown - called <= 2
    # The console shows the call when its own answer (or next poll) arrives: wait for it.
    shown = board_page.locator('[data-testid="latest-number"]').inner_text().strip()
    text_is(agent_page, '[data-testid="current-number"]', shown)
