"""The carnet du citoyen in headless Chromium against a real demo server: documents ticked on
the kiosk (API) → the phone page (ticks edited, carnet kept with consent) → the console at
the call (documents, fiche de liaison) → the next visit by code (history at the counter) →
the carnet page in the visitor's language → erasure, checked through the server's API.

Screenshots (tests/artifacts/screenshots/carnet-*.png): the phone page and the carnet page in
French and Arabic, the console's panel. Waits are on conditions (elements, responses)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.browser.axe import violations as axe_violations
from tests.browser.conftest import DEADLINE_MS, agent_console

pytestmark = pytest.mark.browser

SERVICE = "naissance"  # served by Guichet 1 in the demo
COUNTER = "Guichet 1"
DOCS = [
    {"doc": "id_card", "text": {"fr": "Pièce d'identité", "ar": "وثيقة الهوية"}, "have": True},
    {"doc": "proof_of_address", "text": {"fr": "Justificatif de domicile",
                                         "ar": "إثبات السكن"}, "have": False},
    {"doc": "", "text": {"fr": "Acte de naissance", "ar": "شهادة الميلاد"}, "have": True},
]


def carnet_lookup(server, code: str) -> int:
    request = urllib.request.Request(f"{server.url}/api/v1/carnets/{code}", headers={
        "Authorization": f"Bearer {server.kiosk_token}"})
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE_MS / 1000) as response:
            return json.loads(response.read())["procedures"]
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
        return 0


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def agent_page(browser, server):
    context, page = agent_console(browser, server, COUNTER,
                                  viewport={"width": 1366, "height": 1000})
    page.wait_for_selector("#carnet-panel")
    yield page
    context.close()


def call_next(agent_page, number: str) -> None:
    with agent_page.expect_response(lambda r: r.request.method == "POST"):
        agent_page.click("[data-testid=call-next]")
    agent_page.wait_for_function(
        "(n) => { const p = document.getElementById('carnet-panel');"
        " return p && p.querySelector('h2').textContent.includes(n); }", arg=number)


def test_the_whole_carnet(browser, server, kiosk, phone, agent_page, screenshots):
    first = kiosk.take(SERVICE, language="fr", documents=DOCS)
    assert first["documents"] == DOCS and not first["carnet_linked"]

    # The phone page: the checklist with its pictograms, ticks editable.
    phone.goto(first["phone_url"])
    phone.wait_for_selector("[data-testid=documents]")
    assert phone.locator(".checklist img").count() == 3
    assert phone.is_checked("[data-testid=doc-0]") and not phone.is_checked("[data-testid=doc-1]")
    phone.check("[data-testid=doc-1]")
    phone.uncheck("[data-testid=doc-2]")
    with phone.expect_navigation():
        phone.click("[data-testid=save-ticks]")
    assert phone.is_checked("[data-testid=doc-1]") and not phone.is_checked("[data-testid=doc-2]")
    phone.locator("#documents").scroll_into_view_if_needed()
    phone.screenshot(path=str(screenshots / "carnet-phone-fr.png"), full_page=True)
    assert axe_violations(phone) == []

    # Keep the carnet: the consent box is required (the browser refuses the form without it).
    phone.check("[data-testid=consent]")
    with phone.expect_navigation():
        phone.click("[data-testid=keep]")
    code = phone.inner_text("[data-testid=carnet-code]").replace(" ", "")
    assert code == first["carnet_code"]
    link = phone.inner_text("[data-testid=carnet-url]").strip()
    assert "/c/" in link
    assert axe_violations(phone) == []  # the page with the carnet's code and link
    assert carnet_lookup(server, code) == 1

    # The console at the call: the documents, then the fiche de liaison.
    call_next(agent_page, first["number"])
    summary = agent_page.inner_text("[data-testid=docs-summary]")
    assert "2 sur 3" in summary and "Acte de naissance" in summary
    agent_page.check("[data-testid=status-documents_missing]")
    agent_page.check("[data-testid=next-come_back_documents]")
    agent_page.fill("[data-testid=fiche-note]", "Acte de moins de 3 mois")
    with agent_page.expect_navigation():
        agent_page.click("[data-testid=fiche-save]")
    assert "Fiche de liaison enregistrée" in agent_page.inner_text("ul.messages")
    assert axe_violations(agent_page) == []  # the console with the carnet panel and the fiche

    # The next visit, in Arabic: the code typed on the kiosk joins the carnet.
    second = kiosk.take(SERVICE, language="ar", documents=DOCS, carnet=code)
    assert second["carnet_linked"] and second["carnet_code"] == code
    phone.goto(second["phone_url"])
    phone.wait_for_selector("[data-testid=carnet-code]")
    assert phone.get_attribute("html", "dir") == "rtl"
    assert "وثيقة الهوية" in phone.inner_text("#documents")
    phone.screenshot(path=str(screenshots / "carnet-phone-ar.png"), full_page=True)

    call_next(agent_page, second["number"])
    history = agent_page.inner_text("[data-testid=carnet-history]")
    assert "Il manque des documents" in history and "Acte de moins de 3 mois" in history
    agent_page.locator("#carnet-panel").scroll_into_view_if_needed()
    agent_page.screenshot(path=str(screenshots / "carnet-console.png"), full_page=True)

    # The carnet page, in the visitor's languages.
    phone.goto(f"{link}?lang=fr")
    assert phone.locator("[data-testid=procedure]").count() == 2
    assert "Revenir avec les documents manquants" in phone.inner_text("main")
    phone.screenshot(path=str(screenshots / "carnet-page-fr.png"), full_page=True)
    assert axe_violations(phone) == []
    phone.goto(f"{link}?lang=ar")
    assert "العودة بالوثائق الناقصة" in phone.inner_text("main")
    # The agent's French note, quoted: the quotation marks follow the page (they open on
    # the right), the note inside keeps its own direction (they came out reversed, ”…“,
    # when the whole quotation was left to right).
    note = phone.locator(".fiche-note q").first
    assert note.evaluate("q => getComputedStyle(q).direction") == "rtl"
    assert note.locator("bdi").evaluate("b => getComputedStyle(b).direction") == "ltr"
    phone.screenshot(path=str(screenshots / "carnet-page-ar.png"), full_page=True)
    assert axe_violations(phone) == []

    # Erasure: confirm, then gone from the server.
    phone.click("[data-testid=erase]")
    phone.wait_for_selector("[data-testid=erase-yes]")
    assert axe_violations(phone) == []  # the confirmation
    with phone.expect_navigation():
        phone.click("[data-testid=erase-yes]")
    phone.wait_for_selector("[data-testid=erased]")
    assert axe_violations(phone) == []
    assert carnet_lookup(server, code) == 0
    assert phone.goto(link).status == 404
