"""The pages under their real Content-Security-Policy, in headless Chromium: every script
runs, nothing is blocked (tests/browser turns the policy off for its own eval-based waits)."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from tests.browser.conftest import DEADLINE_MS
from tests.conftest import demo_data
from tests.support.patience import LIVE_TIMEOUT
from tests.support.servers import demo_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(900)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("csp-server")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    context.set_default_timeout(DEADLINE_MS)  # hang guards: a busy machine is slow
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text)
            if (m.type == "error" and not m.text.startswith("Failed to load resource"))
            or "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
    # A blocked or missing script or style shows as a failed response (no favicon: fine).
    page.on("response", lambda r: page.problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    yield page
    context.close()


def login(page, server, username: str) -> None:
    password = next(a["password"] for a in demo_data()["agents"] if a["username"] == username)
    page.goto(f"{server.url}/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state()


def take_ticket(server) -> dict:
    content = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"{server.url}/api/v1/content",
        headers={"Authorization": f"Bearer {server.kiosk_token}"}), timeout=LIVE_TIMEOUT).read())
    service = next(i["data"]["id"] for i in content["items"]
                   if i["kind"] == "service" and i["data"].get("ticketing"))
    request = urllib.request.Request(
        f"{server.url}/api/v1/tickets", method="POST",
        data=json.dumps({"service": service}).encode(),
        headers={"Authorization": f"Bearer {server.kiosk_token}",
                 "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request, timeout=LIVE_TIMEOUT).read())


def csp_of(response) -> str:
    return response.headers.get("content-security-policy", "")


def test_the_board_runs_under_its_policy(page, server):
    response = page.goto(f"{server.url}/ecran/paris-19/")
    assert "script-src 'self'" in csp_of(response)
    # board.js polls every second: the page itself resolves once it has. (Not
    # wait_for_function: its string is evaluated, which this very policy forbids.)
    assert page.evaluate("""() => new Promise((resolve) => {
        const check = () => (window.carrefourBoard && window.carrefourBoard.polls >= 1)
            ? resolve(true) : setTimeout(check, 50);
        check();
    })""")
    assert page.problems == []


def test_the_console_runs_under_its_policy(page, server):
    login(page, server, "agent")
    page.goto(f"{server.url}/guichet/")
    page.click("a.big-button >> nth=0")
    page.wait_for_selector("#console")
    take_ticket(server)
    # console.js polls its state and fills the waiting list by itself.
    page.wait_for_selector("#waiting-list li")
    assert page.problems == []


def test_the_phone_page_runs_under_its_policy(page, server):
    ticket = take_ticket(server)
    response = page.goto(ticket["phone_url"])
    assert "frame-ancestors 'none'" in csp_of(response)
    page.wait_for_load_state("load")  # phone.js has run (a blocked script is a problem)
    assert page.problems == []
    assert ticket["number"] in page.content()


@pytest.mark.parametrize("path, ready", [
    ("/stats/paris-19/", "svg, [data-testid=no-data]"),
    ("/admin/", "#content"),
    ("/admin/devices/kiosk/", "#changelist"),
    ("/api/v1/docs", ".swagger-ui .opblock"),
])
def test_admin_pages_run_under_their_policy(page, server, path, ready):
    login(page, server, "admin")
    page.goto(f"{server.url}{path}")
    page.wait_for_selector(ready)
    assert page.problems == []
