"""Every page a visitor opens on a phone, in the six languages, on a small and a common
phone: nothing wider than the phone, the page's language and direction right, the language
switch on every page, and a contact sheet per page (the six languages side by side) to look
at.

Pages: the ticket's page (from the kiosk's QR) waiting, called, served and not uploaded
yet (an offline ticket), a carnet's page (kept from a ticket's), a service, an offer, the
Carte Citoyenne, the proposal form (the kiosk's other QR) and the page of an unknown link.
Found by this test: the proposal form in Arabic was 10,000 px wide on a phone (its
honeypot field was put off the left edge, which a right-to-left page scrolls to; the phone
zoomed out to show it); the unknown link's page had no language switch; a served ticket's
"how was it?" came last.

The width is checked against the phone's own viewport, not `window.innerWidth`: a mobile
browser widens its layout viewport to fit an overflowing page, so the page's own width
always "fits" it. Screenshots: tests/artifacts/screenshots/public-<page>.png.
"""

from __future__ import annotations

import json
import secrets

import pytest
from PIL import Image

from tests.browser.conftest import too_wide

pytestmark = pytest.mark.browser

LANGUAGES = ("fr", "en", "ar", "zh", "wo", "bm")
PHONES = {"small": (320, 568), "common": (390, 844)}  # iPhone SE (1st), iPhone 12
SHEET_HEIGHT = 1700  # px of each page kept on its contact sheet (the phone's first screens)

PAGES = {
    "service": "/s/naissance",
    "offer": "/o/visite-hotel-de-ville",
    "carte": "/carte",
    "proposer": "/proposer",
    "not-found": "/s/no-such-service",
}

@pytest.fixture(scope="module")
def phones(browser):
    """A context per phone size: mobile (its layout viewport widens to fit what overflows)."""
    contexts = {name: browser.new_context(viewport={"width": w, "height": h}, is_mobile=True,
                                          has_touch=True)
                for name, (w, h) in PHONES.items()}
    yield {name: context.new_page() for name, context in contexts.items()}
    for context in contexts.values():
        context.close()


# A ticket called to a counter, and one served (its page asks how it went), in the server.
STATES = """
import json
from kiosk.server.content.models import Site
from kiosk.server.queueing.counter_actions import do_call_next, do_finish_current
from kiosk.server.queueing.issuing import do_issue_ticket
from kiosk.server.queueing.models import Counter
site = Site.objects.get(slug="paris-19")
counter = next(c for c in Counter.objects.filter(site=site, is_open=True).order_by("name")
               if c.services.filter(ticketing=True).exists())
service = counter.services.filter(ticketing=True).order_by("slug").first()
for _ in range(2):
    do_issue_ticket(service, language="zh")
done = do_call_next(counter)
do_finish_current(counter)
called = do_call_next(counter)
print(json.dumps({"done": done.public_token, "called": called.public_token}))
"""


@pytest.fixture(scope="module")
def pages(server, kiosk, phones) -> dict:
    states = json.loads(server.manage("shell", "-c", STATES, quiet=False).strip().splitlines()[-1])
    ticket = kiosk.take("naissance", language="wo")
    # A carnet kept from a ticket's page, as a visitor does (consent, then "keep").
    kept = kiosk.take("naissance", language="bm")
    page = phones["common"]
    page.goto(kept["phone_url"])
    page.check("[data-testid=consent]")
    with page.expect_navigation():
        page.click("[data-testid=keep]")
    carnet = page.inner_text("[data-testid=carnet-url]").strip()
    assert "/c/" in carnet
    return {"ticket": ticket["phone_url"], "carnet": carnet,
            # A kiosk's offline ticket not uploaded yet: "on its way" (it reloads itself).
            "ticket-on-the-way": f"{server.url}/t/{secrets.token_urlsafe(16)}",
            **{f"ticket-{k}": f"{server.url}/t/{v}" for k, v in states.items()},
            **{k: f"{server.url}{v}" for k, v in PAGES.items()}}


def test_the_check_finds_a_right_to_left_page_wider_than_the_phone(phones):
    """The check can fail: an element put off the left edge of a right-to-left page (what
    the proposal form's honeypot did), and one wider than the phone."""
    page = phones["common"]
    for body in ('<div style="position:absolute;left:-10000px;width:1px;height:1px;'
                 'overflow:hidden">x</div>',
                 '<div style="width:600px">wide</div>'):
        page.set_content('<html lang="ar" dir="rtl"><head><meta name="viewport" '
                         'content="width=device-width, initial-scale=1"></head><body><p>مرحبا'
                         f'</p>{body}</body></html>')
        assert too_wide(page, PHONES["common"][0]) is not None, body
    page.set_content('<html lang="ar" dir="rtl"><head><meta name="viewport" '
                     'content="width=device-width, initial-scale=1"></head><body><p>مرحبا</p>'
                     '</body></html>')
    assert too_wide(page, PHONES["common"][0]) is None


@pytest.mark.parametrize("name", ["ticket", "ticket-called", "ticket-done",
                                  "ticket-on-the-way", "carnet", *PAGES])
def test_every_public_page_fits_a_phone_in_every_language(phones, pages, screenshots, name):
    problems, shots = {}, []
    for code in LANGUAGES:
        url = pages[name] + ("&" if "?" in pages[name] else "?") + f"lang={code}"
        for phone, page in phones.items():
            page.goto(url)
            page.wait_for_selector("main")
            html = page.locator("html")
            assert html.get_attribute("lang") == code, (name, code)
            assert html.get_attribute("dir") == ("rtl" if code == "ar" else "ltr"), (name, code)
            # Every page has the language switch (an unknown link too: not a dead end).
            assert page.locator("[data-testid=languages] a").count() == len(LANGUAGES), name
            if name == "ticket-done":  # served: "how was it?" first, before the documents
                assert (page.locator("[data-testid=voice]").bounding_box()["y"]
                        < page.locator("[data-testid=documents]").bounding_box()["y"]), code
            wide = too_wide(page, PHONES[phone][0])
            if wide:
                problems[f"{code} on the {phone} phone"] = wide
            if phone == "common":
                path = screenshots / f"public-{name}-{code}.png"
                page.screenshot(path=str(path), full_page=True)
                shots.append(path)
    sheet(shots, screenshots / f"public-{name}.png")
    assert problems == {}


def sheet(paths, out) -> None:
    """The languages side by side, each page's first SHEET_HEIGHT px (for review by eye);
    the single screenshots are removed once on the sheet."""
    images = [Image.open(p) for p in paths]
    width = PHONES["common"][0]
    height = min(SHEET_HEIGHT, max(i.height for i in images))
    board = Image.new("RGB", ((width + 10) * len(images), height), "white")
    for n, image in enumerate(images):
        board.paste(image.crop((0, 0, width, min(height, image.height))), (n * (width + 10), 0))
        image.close()
    board.save(out)
    for path in paths:
        path.unlink()
