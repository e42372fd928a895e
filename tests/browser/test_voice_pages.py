"""The visitor's voice on a phone, in headless Chromium against a real demo server (its real
Content-Security-Policy): a done ticket's page asks how it went (five faces, a comment), a
question for the agents, then the site's page of published answers, in French and Arabic;
axe-core finds no WCAG A/AA violation. Screenshots: voice-phone-*, voice-answers-*."""

from __future__ import annotations

import json

import pytest

from tests.browser.axe import violations as axe_violations
from tests.browser.test_offer_pages import fits_the_phone, phone, phone_context  # noqa: F401

pytestmark = pytest.mark.browser

SETUP = """
import json
from kiosk.server.content.models import Site
from kiosk.server.queueing.counter_actions import do_call_next, do_finish_current
from kiosk.server.queueing.issuing import do_issue_ticket
from kiosk.server.queueing.models import Counter
from kiosk.server.voice.services import ask_question, keep
site = Site.objects.get(slug="paris-19")
counter = next(c for c in Counter.objects.filter(site=site, is_open=True).order_by("name")
               if c.services.filter(ticketing=True).exists())
service = counter.services.filter(ticketing=True).order_by("slug").first()
tokens = {}
for lang in ("fr", "ar"):
    ticket, _ = do_issue_ticket(service, language=lang)
    do_call_next(counter)
    do_finish_current(counter)
    tokens[lang] = ticket.public_token
question = ask_question(site, "Peut-on venir sans rendez-vous le samedi ?", service=service)
keep(question, None, "Oui, le samedi matin de 9 h à 12 h 30, sans rendez-vous.", publish=True)
print(json.dumps(tokens))
"""


@pytest.fixture(scope="module")
def tokens(server):
    return json.loads(server.manage("shell", "-c", SETUP, quiet=False).strip().splitlines()[-1])


def feedback_rows(server) -> list:
    out = server.manage("shell", "-c", (
        "import json; from kiosk.server.voice.models import Feedback, Remark; "
        "print(json.dumps([[f.face, f.language, f.remark.text if hasattr(f, 'remark') else ''] "
        "for f in Feedback.objects.order_by('pk')]))"), quiet=False)
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_done_ticket_asks_how_it_went(phone, server, tokens, screenshots, lang):  # noqa: F811
    response = phone.goto(f"{server.url}/t/{tokens[lang]}")
    assert response.status == 200
    assert phone.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
    voice = phone.locator('[data-testid="voice"]')
    assert voice.is_visible()
    for n in range(1, 6):  # five faces, each a radio button with its words
        face = phone.locator(f'[data-testid="face-{n}"]')
        assert face.is_visible()
        assert face.locator("input").evaluate("e => e.labels.length") == 1
        box = face.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44  # a finger's target
    assert fits_the_phone(phone)
    assert axe_violations(phone) == []
    voice.scroll_into_view_if_needed()
    phone.screenshot(path=str(screenshots / f"voice-phone-{lang}.png"), full_page=True)
    phone.click('[data-testid="face-4"]')
    phone.fill('[data-testid="voice-comment"]', "Accueil rapide, merci ! 06 11 22 33 44")
    phone.click('[data-testid="voice-send"]')
    phone.wait_for_load_state()
    assert phone.locator('[data-testid="voice-thanks"]').is_visible()
    assert phone.locator('[data-testid="face-4"] input').is_checked()
    assert axe_violations(phone) == []
    phone.screenshot(path=str(screenshots / f"voice-phone-thanks-{lang}.png"), full_page=True)
    assert phone.problems == []
    assert [4, lang, "Accueil rapide, merci ! […]"] in feedback_rows(server)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_published_answers_page(phone, server, tokens, screenshots, lang):  # noqa: F811
    response = phone.goto(f"{server.url}/avis/paris-19/?lang={lang}")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    items = phone.locator('[data-testid="answer-item"]')
    assert items.count() == 1
    assert "sans rendez-vous le samedi" in items.first.inner_text()
    assert "9 h à 12 h 30" in items.first.inner_text()
    heading = phone.locator("h1").inner_text()
    assert heading == {"fr": "Vos questions, nos réponses", "ar": "أسئلتكم وأجوبتنا"}[lang]
    assert fits_the_phone(phone)
    assert axe_violations(phone) == []
    phone.screenshot(path=str(screenshots / f"voice-answers-{lang}.png"), full_page=True)
    assert phone.problems == []
