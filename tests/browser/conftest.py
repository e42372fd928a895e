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


# Every wait of the browser tests is for a condition (an element, a text, a response); this
# is only the safety net of each one, long enough for a busy 2-core machine (Playwright's own
# 30 s default, or a test's 3 s, made the suite depend on the machine's speed).
DEADLINE_MS = 90_000


class PatientBrowser:
    """The launched Chromium; each context it opens waits up to DEADLINE_MS by default."""

    def __init__(self, chromium):
        self._chromium = chromium

    def new_context(self, **kwargs):
        context = self._chromium.new_context(**kwargs)
        context.set_default_timeout(DEADLINE_MS)
        context.set_default_navigation_timeout(DEADLINE_MS)
        return context

    def __getattr__(self, name):
        return getattr(self._chromium, name)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEADLINE_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield PatientBrowser(chromium)
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def agent_console(browser, server, counter: str | None = None, **context_options):
    """A counter agent logged in through the real login form (on /guichet/, the counters'
    list), at `counter`'s console when named: (context, page); close the context after."""
    context = browser.new_context(**{"viewport": {"width": 1366, "height": 900},
                                     "locale": "fr-FR", **context_options})
    page = context.new_page()
    page.goto(f"{server.url}/guichet/")
    page.fill("#id_username", server.agent["username"])
    page.fill("#id_password", server.agent["password"])
    page.click("form.login button[type=submit]")
    page.wait_for_url(lambda url: "/connexion/" not in url)
    if counter:
        page.click(f"a.big-button:has-text('{counter}')")
        page.wait_for_selector("#console")
    return context, page


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
        with urllib.request.urlopen(request, timeout=DEADLINE_MS / 1000) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def kiosk(server) -> Kiosk:
    return Kiosk(server)


# What makes a page wider than a phone: measured against the phone's own width, not
# `window.innerWidth` (a mobile browser widens its layout viewport to fit an overflowing page,
# so the page always "fits" innerWidth). An element inside a box that scrolls or clips is not
# the page's width.
WIDER_THAN = """(width) => {
  const found = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || (r.right <= width + 1 && r.left >= -1)) continue;
    let clipped = false;  // inside a box that scrolls or clips: not the page's width
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; }
    }
    if (!clipped) found.push(`${e.tagName.toLowerCase()}.${e.className} ` +
                             `[${Math.round(r.left)}, ${Math.round(r.right)}]`);
  }
  return {innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
          elements: found.slice(0, 3)};
}"""


def too_wide(page, width: int) -> dict | None:
    """What makes the page wider than a phone `width` px wide (None: it fits)."""
    seen = page.evaluate(WIDER_THAN, width)
    if seen["innerWidth"] > width or seen["scrollWidth"] > width or seen["elements"]:
        return seen
    return None
