"""The offer page and the Carte Citoyenne page on a phone, in headless Chromium against a
real demo server, under the pages' real Content-Security-Policy; screenshots for review."""

from __future__ import annotations

import pytest

from tests.browser.conftest import too_wide

pytestmark = pytest.mark.browser

OFFER = "visite-hotel-de-ville"  # a Carte Citoyenne offer of the demo, with a link


@pytest.fixture(scope="module")
def phone_context(browser):
    # No bypass_csp: the pages must render and work under their own policy.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    yield context
    context.close()


@pytest.fixture
def phone(phone_context):
    page = phone_context.new_page()
    page.problems = []
    # CSP violations and script errors; a missing resource by its URL (favicon.ico aside).
    page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text
            and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico")
            and page.problems.append(f"{r.status} {r.url}"))
    yield page
    page.close()


def fits_the_phone(page) -> bool:
    return too_wide(page, page.viewport_size["width"]) is None


def test_the_offer_page_in_french(phone, server, screenshots):
    response = phone.goto(f"{server.url}/o/{OFFER}?lang=fr")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert phone.locator('[data-testid="source"]').inner_text() == "Avec la Carte Citoyenne"
    assert phone.locator('[data-testid="when"]').inner_text() == "Chaque samedi, 10:00–11:30"
    link = phone.locator('[data-testid="link"]')
    assert link.is_visible() and link.get_attribute("rel") == "noopener noreferrer"
    # The offer's own style block applies under the policy (the badge is white on blue).
    colour = phone.locator('[data-testid="source"]').evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(255, 255, 255)"
    assert fits_the_phone(phone)
    phone.screenshot(path=str(screenshots / "offer-page-fr.png"), full_page=True)
    phone.click('[data-testid="card-note"] a')
    phone.wait_for_url("**/carte?lang=fr&site=paris-19")  # within its site
    assert phone.problems == []


def test_the_offer_page_in_arabic(phone, server, screenshots):
    phone.goto(f"{server.url}/o/heure-du-conte?lang=ar")
    assert phone.evaluate("document.documentElement.dir") == "rtl"
    assert phone.locator('[data-testid="source"]').inner_text() == "مع بطاقة المواطنة"
    assert fits_the_phone(phone)
    phone.screenshot(path=str(screenshots / "offer-page-ar.png"), full_page=True)
    assert phone.problems == []


def test_the_carte_page_in_french(phone, server, screenshots):
    phone.goto(f"{server.url}/carte?lang=fr")
    offers = phone.locator('[data-testid="offers"] a')
    assert offers.count() == 4  # the demo's Carte Citoyenne offers, no local one
    assert fits_the_phone(phone)
    phone.screenshot(path=str(screenshots / "carte-page-fr.png"), full_page=True)
    offers.first.click()
    phone.wait_for_url(f"**/o/{OFFER}?lang=fr&site=paris-19")
    assert phone.problems == []
