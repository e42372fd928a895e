"""axe-core (WCAG 2.1 A and AA rules) on every page a person sees, in French and in Arabic
(right to left): the visitors' pages (phone ticket in each state, service, offer, Carte
Citoyenne, proposal form, not found), the board, the login page and the agents' pages
(counter choice, console, ticket at the entrance, fleet, statistics).

axe-core is the one bundled by axe-playwright-python (no download at test time). A
violation fails with its rule, its impact and the elements it names.
"""

from __future__ import annotations

import pytest

from tests.browser.axe import violations as axe_violations
from tests.browser.conftest import DEADLINE_MS, agent_console

pytestmark = pytest.mark.browser

LANGUAGES = ("fr", "ar")


def test_the_check_finds_a_violation(browser):
    """The check can fail: an image without a text alternative, a button without a name."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content('<html lang="fr"><body><main><img src="x.png">'
                         '<button></button></main></body></html>')
        found = " ".join(axe_violations(page))
        assert "image-alt" in found and "button-name" in found
    finally:
        context.close()


@pytest.fixture(scope="module")
def visitor(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def agent(browser, server):
    context, page = agent_console(browser, server, bypass_csp=True)  # the waits are eval()
    yield page
    context.close()


def call_next(counter_url: str, agent) -> None:
    """The agent calls the next ticket from the console (a real POST with its session)."""
    agent.goto(counter_url)
    with agent.expect_response(lambda r: r.request.method == "POST"):
        agent.click('[data-testid="call-next"]')


@pytest.fixture(scope="module")
def tickets(kiosk, server, agent):
    """Two tickets (one in Arabic), with their phone links."""
    waiting = kiosk.take("deces", language="ar")
    other = kiosk.take("naissance", language="fr")
    return {"waiting": waiting["phone_url"], "other": other["phone_url"]}


PUBLIC = {
    "service": "/s/naissance",
    "offer": "/o/visite-hotel-de-ville",
    "carte": "/carte",
    "proposer": "/proposer",
    "not-found": "/s/no-such-service",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages(visitor, server, name, lang):
    visitor.goto(f"{server.url}{PUBLIC[name]}?lang={lang}")
    assert visitor.locator("html").get_attribute("lang") == lang
    assert axe_violations(visitor) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_phone_ticket_page_waiting(visitor, tickets, lang):
    visitor.goto(f"{tickets['waiting']}?lang={lang}")
    visitor.wait_for_selector("main")
    assert axe_violations(visitor) == []


def test_the_board(browser, server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/ecran/paris-19/")
        page.wait_for_function("window.carrefourBoard && window.carrefourBoard.polls > 0",
                               timeout=DEADLINE_MS)
        assert axe_violations(page) == []
    finally:
        context.close()


def test_the_login_page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/connexion/")
        assert axe_violations(page) == []
    finally:
        context.close()


def first_counter_url(agent, server) -> str:
    agent.goto(f"{server.url}/guichet/")
    return agent.locator("a.big-button").first.evaluate("a => a.href")


def test_agent_pages(agent, server, tickets):
    pages = {"counter choice": f"{server.url}/guichet/"}
    counter = first_counter_url(agent, server)
    pages["console"] = counter
    pages["ticket at the entrance"] = counter + "ticket/"
    pages["fleet"] = f"{server.url}/flotte/paris-19/"
    pages["statistics"] = f"{server.url}/stats/paris-19/"
    found = {}
    for name, url in pages.items():
        agent.goto(url)
        found[name] = axe_violations(agent)
    # the console with a called ticket (its panel, the call buttons)
    call_next(counter, agent)
    agent.wait_for_function(
        "() => /\\d/.test(document.querySelector('[data-testid=\"current-number\"]')"
        ".textContent)")
    found["console, ticket called"] = axe_violations(agent)
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_phone_pages_after_the_agents_calls(visitor, tickets):
    """Runs after test_agent_pages (file order): one of the tickets has been called."""
    for url in tickets.values():
        visitor.goto(url)
        visitor.wait_for_selector("main")
        assert axe_violations(visitor) == []
