"""The residents' proposal form (/proposer) on a phone, in headless Chromium against a real
demo server, under the page's real Content-Security-Policy; screenshots for review."""

from __future__ import annotations

import pytest

from tests.browser.test_offer_pages import fits_the_phone, phone  # noqa: F401


@pytest.fixture(scope="module")
def phone_context(browser):
    # A French phone (its date picker reads jj/mm/aaaa); no bypass_csp: the real policy.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2, locale="fr-FR")
    yield context
    context.close()

pytestmark = pytest.mark.browser


def test_the_form_and_its_errors_on_a_phone(phone, server, screenshots):  # noqa: F811
    response = phone.goto(f"{server.url}/proposer?lang=fr")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert phone.locator('[data-testid="privacy"]').is_visible()
    # The honeypot: a 1-px box clipped to nothing (not off an edge: a right-to-left page
    # scrolls to what is off its left edge; tests/browser/test_public_pages_languages.py).
    honeypot = phone.locator('input[name="website"]').locator("xpath=..")
    box = honeypot.bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1
    assert honeypot.evaluate("e => getComputedStyle(e).clipPath") == "inset(50%)"
    # Every visible field has a label the browser ties to it.
    for field in ("title", "category", "description", "date", "time", "where", "contact",
                  "contact_consent"):
        control = phone.locator(f'[name="{field}"]')
        assert control.evaluate("e => e.labels.length") == 1, field
    assert fits_the_phone(phone)
    phone.screenshot(path=str(screenshots / "propose-form.png"), full_page=True)

    phone.click('[data-testid="submit"]')
    phone.wait_for_load_state()
    assert phone.locator('[data-testid="errors"]').is_visible()
    assert phone.locator('[data-testid="error-title"]').inner_text().endswith(
        "Donnez un titre à votre proposition.")
    assert phone.locator('[data-testid="error-category"]').is_visible()
    assert fits_the_phone(phone)
    phone.screenshot(path=str(screenshots / "propose-errors.png"), full_page=True)

    phone.fill('[name="title"]', "Troc de plantes <b>gratuit</b>")
    phone.select_option('[name="category"]', "swap")
    phone.fill('[name="where"]', "Jardin partagé, rue de Meaux")
    phone.click('[data-testid="submit"]')
    phone.wait_for_url("**/proposer?lang=fr&site=paris-19&merci=1")  # its site kept
    assert phone.locator('[data-testid="thanks"]').is_visible()
    phone.screenshot(path=str(screenshots / "propose-thanks.png"), full_page=True)
    assert phone.problems == []


def test_the_form_in_english(phone, server):  # noqa: F811
    phone.goto(f"{server.url}/proposer?lang=en")
    assert phone.locator("h1").inner_text() == "Propose an activity in the neighbourhood"
    assert phone.evaluate("document.documentElement.lang") == "en"
    assert fits_the_phone(phone)
    assert phone.problems == []
